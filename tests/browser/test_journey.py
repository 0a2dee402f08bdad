"""End-to-end in Chromium: a recruiter posts an update; the candidate's open page shows it."""

import re

import pytest

from portal.tokens import status_url_for
from tests.factories import PASSWORD, make_application, make_job, make_recruiter

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    # Poll every second instead of every minute, so the test need not wait.
    return {**app_config, "STATUS_POLL_SECONDS": 1, "WTF_CSRF_ENABLED": True}


def test_candidate_page_shows_recruiter_update_without_reload(
    app, session, live_server, browser, page_errors
):
    """Does a candidate's open page show a new update by itself, posted through htmx?"""
    recruiter = make_recruiter(session, name="Anna Lindqvist")
    job = make_job(session, owner=recruiter, title="Drifttekniker")
    application = make_application(session, job=job, name="Sofia Ek", language="sv")
    with app.test_request_context():
        status_url = status_url_for(application.id, application.token_version)

    context = browser.new_context()
    candidate = page_errors(context.new_page())
    candidate.goto(status_url)
    assert candidate.locator("html").get_attribute("lang") == "sv"
    assert "Ansökan mottagen" in candidate.locator("h1").inner_text()
    assert "Inget meddelande än" in candidate.locator(".latest-note").inner_text()
    candidate.evaluate("window.__notReloaded = true")

    desk = page_errors(browser.new_context().new_page())
    desk.goto(f"{live_server}/admin/login")
    desk.fill("#email", recruiter.email)
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url(re.compile(r"/admin/$"))
    desk.click(f"text={application.name}")
    desk.wait_for_url(re.compile(rf"/admin/applications/{application.id}$"))
    desk.evaluate("window.__notReloaded = true")
    desk.select_option("#stage", "interview")
    desk.fill("#public_note", "Kunden vill träffa dig på tisdag.")
    desk.click("text=Post update")
    desk.locator(".live-message").get_by_text("Update posted.").wait_for()
    assert desk.evaluate("window.__notReloaded") is True  # swapped in place, no page load
    assert "Kunden vill träffa dig på tisdag." in desk.locator(".desk-timeline").inner_text()

    candidate.locator(".note").get_by_text("Kunden vill träffa dig på tisdag.").wait_for(
        timeout=10_000
    )
    assert "Intervju" in candidate.locator("h1").inner_text()
    assert "Anna" in candidate.locator(".byline").inner_text()
    assert candidate.evaluate("window.__notReloaded") is True
    assert page_errors.errors == []


def test_status_page_works_without_javascript(app, session, live_server, browser):
    """With JavaScript off, is the page complete, and does a reload show a new update?"""
    application = make_application(session)
    with app.test_request_context():
        status_url = status_url_for(application.id, application.token_version)
    page = browser.new_context(java_script_enabled=False).new_page()
    page.goto(status_url)
    assert "Application received" in page.locator("h1").inner_text()
    assert "Promised by" in page.locator(".facts").inner_text()

    from portal.services.updates import post_update

    post_update(session=session, application=application, author=None,
                public_note="We have news for you.")
    session.commit()
    page.reload()
    assert "We have news for you." in page.locator(".note").inner_text()
