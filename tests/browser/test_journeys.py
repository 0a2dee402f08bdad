"""End-to-end journeys in Chromium, with htmx and without JavaScript.

A recruiter signs in, adds an application and posts an update through htmx; the candidate's
page, already open in another tab, shows it by itself. A Swedish candidate gets "No news yet"
in Swedish. An expired link leads, through a real email, to a fresh working link. And with
JavaScript off, the same journeys work with plain page loads.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from portal.core.tokens import make_status_token, status_url_for
from portal.worker.outbox import run_worker
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, request):
    # Poll every second instead of every minute, so the tests need not wait; real CSRF.
    config = {**app_config, "STATUS_POLL_SECONDS": 1, "WTF_CSRF_ENABLED": True,
              "MAIL_FROM": "Status <status@portal.test>"}
    if "smtp_server" in request.fixturenames:
        config["SMTP_URL"] = request.getfixturevalue("smtp_server").url
    return config


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/$"))


def test_recruiter_update_reaches_the_open_candidate_tab(
    app, session, live_server, browser, page_errors
):
    """Sign in, add an application, post an update via htmx: the candidate tab shows it."""
    recruiter = make_recruiter(session, name="Anna Lindqvist")
    job = make_job(session, owner=recruiter, title="Drifttekniker")

    desk = page_errors(browser.new_context().new_page())
    sign_in(desk, live_server, recruiter.email)
    desk.get_by_role("link", name="New application").click()
    desk.select_option("#job_id", str(job.id))
    desk.fill("#name", "Sofia Ek")
    desk.fill("#email", "sofia.ek@mail.example")
    desk.check("input[name=language][value=sv]")
    desk.get_by_role("button", name="Add application").click()
    desk.wait_for_url(re.compile(r"/admin/applications/\d+$"))
    assert "Application added for Sofia Ek." in desk.locator(".flashes").inner_text()
    status_url = desk.locator("#status-url").input_value()

    candidate = page_errors(browser.new_context().new_page())
    candidate.goto(status_url)
    assert candidate.locator("html").get_attribute("lang") == "sv"
    assert "Ansökan mottagen" in candidate.locator("h1").inner_text()
    assert "Inget meddelande än" in candidate.locator(".latest-note").inner_text()
    candidate.evaluate("window.__notReloaded = true")

    desk.evaluate("window.__notReloaded = true")
    desk.evaluate("document.getElementById('live-message').__before = true")
    desk.select_option("#stage", "interview")
    desk.fill("#public_note", "Kunden vill träffa dig på tisdag.")
    desk.get_by_role("button", name="Post update").click()
    desk.locator("#live-message").get_by_text("Update posted.").wait_for()
    assert desk.evaluate("window.__notReloaded") is True  # swapped in place, no page load
    # The live region was there before the swap (so it is announced), and focus went to it.
    assert desk.evaluate("document.getElementById('live-message').__before") is True
    expect(desk.locator("#live-message .flash")).to_be_focused()
    assert "Kunden vill träffa dig på tisdag." in desk.locator(".desk-timeline").inner_text()

    candidate.locator(".note").get_by_text("Kunden vill träffa dig på tisdag.").wait_for(
        timeout=10_000
    )
    assert "Intervju" in candidate.locator("h1").inner_text()
    assert "Anna" in candidate.locator(".byline").inner_text()
    assert candidate.evaluate("window.__notReloaded") is True
    assert page_errors.errors == []


def test_swedish_candidate_reads_no_news_yet_in_swedish(
    app, session, live_server, browser, page_errors
):
    """One click on the desk's list; the Swedish candidate's open page says it in Swedish."""
    recruiter = make_recruiter(session, name="Anna Lindqvist")
    job = make_job(session, owner=recruiter)
    application = make_application(session, job=job, name="Sofia Ek", language="sv")
    with app.test_request_context():
        status_url = status_url_for(application.id, application.token_version)

    candidate = page_errors(browser.new_context(locale="en-GB").new_page())
    candidate.goto(status_url)
    desk = page_errors(browser.new_context().new_page())
    sign_in(desk, live_server, recruiter.email)
    desk.evaluate("window.__notReloaded = true")
    desk.get_by_role("button", name="Send “No news yet” to Sofia Ek").click()
    desk.locator(f"#row-{application.id} .row-message").wait_for()
    assert desk.evaluate("window.__notReloaded") is True
    expect(desk.locator(f"#row-{application.id} .row-message")).to_be_focused()

    candidate.locator(".timeline").get_by_text("Inget nytt än, från Anna").wait_for(
        timeout=10_000
    )
    assert "No news" not in candidate.locator("main").inner_text()
    assert page_errors.errors == []


def test_expired_link_leads_to_a_fresh_link(
    app, session, live_server, browser, page_errors, smtp_server
):
    """410 page → "Email me a fresh link" → the email arrives → its link opens the status."""
    client = make_client(session, name="Brightline Logistik AB", default_language="sv")
    job = make_job(session, client=client, title="Drifttekniker")
    application = make_application(session, job=job, name="Sofia Ek",
                                   email="sofia.ek@mail.example", language="sv")
    with app.app_context(), time_machine.travel(datetime.now(UTC) - timedelta(days=400)):
        old = make_status_token(application.id, application.token_version)
    run_worker(app, once=True)  # the acknowledgement email, sent before the link aged
    smtp_server.clear()

    page = page_errors(browser.new_context().new_page())
    response = page.goto(f"{live_server}/s/{old}")
    assert response.status == 410
    assert page.locator("h1").inner_text() == "Länken har gått ut"
    page.fill("#email", "sofia.ek@mail.example")
    page.get_by_role("button", name="Mejla mig en ny länk").click()
    page.locator("[role=status]").first.wait_for()
    assert "Tack" in page.locator("main").inner_text()

    report = run_worker(app, once=True)
    assert report.sent == 1, report.errors
    [received] = smtp_server.received
    assert received.rcpt_tos == ["sofia.ek@mail.example"]
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    fresh = re.search(re.escape(live_server) + r"/s/[A-Za-z0-9._-]+", body).group(0)
    response = page.goto(fresh)
    assert response.status == 200
    assert "Ansökan mottagen" in page.locator("h1").inner_text()
    assert [e for e in page_errors.errors if "Failed to load resource" not in e] == []


def test_journeys_work_without_javascript(app, session, live_server, browser):
    """JavaScript off: sign in, add an application, post an update, "No news yet" from the
    list, and the candidate reads it, asks a question and withdraws; all by page loads."""
    recruiter = make_recruiter(session, name="Anna Lindqvist")
    job = make_job(session, owner=recruiter, title="Backend Engineer")
    context = browser.new_context(java_script_enabled=False)
    desk = context.new_page()
    sign_in(desk, live_server, recruiter.email)
    desk.get_by_role("link", name="New application").click()
    desk.select_option("#job_id", str(job.id))
    desk.fill("#name", "James Hart")
    desk.fill("#email", "james.hart@mail.example")
    desk.check("input[name=language][value=en]")
    desk.get_by_role("button", name="Add application").click()
    desk.wait_for_url(re.compile(r"/admin/applications/\d+$"))
    status_url = desk.locator("#status-url").input_value()

    desk.fill("#public_note", "We would like to meet you on Tuesday.")
    desk.get_by_role("button", name="Post update").click()
    desk.wait_for_url(re.compile(r"/admin/applications/\d+$"))
    assert "Update posted." in desk.locator(".flashes").inner_text()

    desk.get_by_role("button", name="Post update").click()  # nothing to post: errors shown
    assert "nothing to post" in desk.locator(".form-errors").inner_text()

    desk.goto(f"{live_server}/admin/")
    desk.get_by_role("button", name="Send “No news yet” to James Hart").click()
    desk.wait_for_url(re.compile(r"/admin/$"))
    assert "“No news yet” sent." in desk.locator(".flashes").inner_text()

    candidate = browser.new_context(java_script_enabled=False).new_page()
    candidate.goto(status_url)
    assert "We would like to meet you on Tuesday." in candidate.locator("main").inner_text()
    assert "No news yet" in candidate.locator(".timeline").inner_text()
    candidate.fill("#question", "Which day suits you?")
    candidate.get_by_role("button", name="Send question").click()
    assert "Your question has been sent" in candidate.locator(".action-done").inner_text()
    candidate.get_by_role("link", name="Withdraw my application").click()
    candidate.locator("main form button[type=submit]").last.click()
    assert "withdrawn" in candidate.locator("main").inner_text()

    lookup = browser.new_context(java_script_enabled=False).new_page()
    lookup.goto(f"{live_server}/embed/{job_client_slug(session, job)}/lookup?lang=en")
    lookup.fill("#email", "james.hart@mail.example")
    lookup.get_by_role("button", name="Check my application status").click()
    assert "we have just sent it an email" in lookup.locator("main").inner_text()


def job_client_slug(session, job) -> str:
    from portal.models import Client

    return session.get(Client, job.client_id).slug

