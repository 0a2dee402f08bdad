"""In Chromium: select a stage's applications on the desk, preview, and send "No news yet"."""

import re

import pytest
from sqlmodel import func, select

from portal.models import OutboxMessage, Update, UpdateKind
from portal.services.updates import post_update
from tests.factories import PASSWORD, make_application, make_job, make_recruiter

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_no_news_to_a_whole_stage_with_preview(app, session, live_server, browser, page_errors):
    recruiter = make_recruiter(session, name="Anna Lindqvist")
    job = make_job(session, owner=recruiter, title="Drifttekniker")
    finalists = []
    for name, language in (("Sofia Ek", "sv"), ("Omar Berg", "en"), ("Åsa Öst", "sv")):
        application = make_application(session, job=job, name=name, language=language)
        post_update(session=session, application=application, author=recruiter,
                    stage_key="interview", notify=False)
        finalists.append(application)
    other = make_application(session, job=job, name="Not Chosen")
    session.commit()

    desk = page_errors(browser.new_context().new_page())
    desk.goto(f"{live_server}/admin/login")
    desk.fill("#email", recruiter.email)
    desk.fill("#password", PASSWORD)
    desk.click("button[type=submit]")
    desk.wait_for_url(re.compile(r"/admin/$"))
    desk.select_option("#stage", "interview")
    desk.wait_for_url(re.compile(r"stage=interview"))
    expect_rows = [f"#row-{a.id}" for a in finalists]
    desk.locator(f"#row-{other.id}").wait_for(state="detached")
    desk.evaluate("window.__notReloaded = true")

    # Keyboard: tick the first row with the space bar, then the whole page.
    desk.focus(f"#select-{finalists[0].id}")
    desk.keyboard.press("Space")
    assert desk.is_checked(f"#select-{finalists[0].id}")
    assert desk.locator("#bulk-selected-count").inner_text() == "(1)"
    desk.get_by_label("Select all on this page").check()
    for selector in expect_rows:
        assert desk.is_checked(selector.replace("#row-", "#select-"))
    assert desk.locator("#bulk-selected-count").inner_text() == "(3)"

    desk.select_option("#action", "no_news")
    desk.click("text=Preview recipients")
    preview = desk.locator(".bulk-preview")
    preview.get_by_text("3 applications will be updated.").wait_for()
    recipients = preview.locator(".bulk-recipients").inner_text()
    for application in finalists:
        assert f"{application.name} <{application.email}>" in recipients
    assert "Not Chosen" not in recipients
    assert "Jag hade hoppats få besked" in preview.inner_text()
    assert "I had hoped to hear" in preview.inner_text()
    session.rollback()
    assert session.exec(select(func.count()).select_from(Update)
                        .where(Update.kind == UpdateKind.NO_NEWS)).one() == 0

    desk.click("text=Confirm: update all 3 applications")
    desk.locator(".bulk-result").get_by_text("Updated 3 applications. 3 emails queued.").wait_for()
    assert desk.evaluate("window.__notReloaded") is True
    session.rollback()
    sent = session.exec(select(OutboxMessage.to_address)
                        .where(OutboxMessage.purpose == "update:no_news")).all()
    assert sorted(sent) == sorted(a.email for a in finalists)
    assert page_errors.errors == []
