"""In Chromium, with JavaScript on: a candidate asks a question and withdraws through the forms."""

import re

import pytest
from sqlmodel import select

from portal.core.tokens import status_url_for
from portal.models import Application, Update, UpdateKind
from tests.factories import make_application, make_job, make_recruiter

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    # CSRF on, as in production: the candidate's forms must work without its cookie.
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_candidate_asks_a_question_and_withdraws(app, session, live_server, browser,
                                                  page_errors):
    """Can a candidate ask, then withdraw, and see the closed state, with no console errors?"""
    recruiter = make_recruiter(session, name="Anna Lindqvist")
    job = make_job(session, owner=recruiter, title="Drifttekniker")
    application = make_application(session, job=job, name="Sofia Ek", language="en")
    with app.test_request_context():
        status_url = status_url_for(application.id, application.token_version)

    context = browser.new_context()
    page = page_errors(context.new_page())
    page.goto(status_url)
    assert "Application received" in page.locator("h1").inner_text()

    page.get_by_label("Ask Anna a question").fill("Is the job based in Luleå?")
    page.get_by_role("button", name="Send question").click()
    page.wait_for_url(re.compile(r"\?done=question"))
    assert "Your question has been sent" in page.get_by_role("status").first.inner_text()
    assert "Is the job based in Luleå?" in page.locator(".timeline").inner_text()
    assert page.get_by_label("Ask Anna a question").input_value() == ""

    page.get_by_role("link", name="Withdraw my application").click()
    page.wait_for_url(re.compile(r"/withdraw$"))
    page.get_by_label("Why are you withdrawing? (optional)").fill("I accepted another offer.")
    page.get_by_role("button", name="Yes, withdraw my application").click()
    page.wait_for_url(re.compile(r"\?done=withdrawn$"))

    assert "Withdrawn" in page.locator("h1").inner_text()
    assert "None planned: this application is closed." in page.locator(".facts").inner_text()
    assert "You withdrew your application" in page.locator(".timeline").inner_text()
    assert page.locator("textarea[name=question]").count() == 0
    assert page.get_by_role("button", name="I'm still interested").count() == 0
    assert context.cookies() == []  # nothing set a cookie along the way
    assert page_errors.errors == []

    session.rollback()
    stored = session.get(Application, application.id)
    session.refresh(stored)
    assert stored.is_open is False
    kinds = session.exec(
        select(Update.kind).where(Update.application_id == application.id).order_by(Update.id)
    ).all()
    assert kinds == [UpdateKind.CREATED, UpdateKind.QUESTION, UpdateKind.WITHDRAWAL]
