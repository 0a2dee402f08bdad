"""Candidate actions on the status page: ask a question, "still interested", withdraw, language.

The clock is frozen on Monday 2 November 2026, 09:00 UTC unless a test moves it. Requests come
from the portal's own origin (as a browser's form would) unless a test says otherwise; the
candidate's test client never holds a cookie.
"""

import re
import threading
import time
from datetime import timedelta
from html import unescape

import pytest
from sqlmodel import Session, func, select

from portal.core.db import get_engine
from portal.models import Application, OutboxMessage, Update, UpdateKind
from portal.services import candidate_actions as actions
from portal.services.applications import revoke_link
from portal.services.pipelines import DEFAULT_PIPELINE
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter
from tests.helpers import BASE_URL, HTMX, NOW, SAME_ORIGIN, reload, status_path, text_of

KEY = "first-form-key-0123456789"
OTHER_KEY = "second-form-key-0123456789"


@pytest.fixture
def people(session, clock):
    """A Swedish-speaking recruiter who owns a job at a client with one embedding origin."""
    recruiter = make_recruiter(session, name="Rita Berg", email="rita.berg@agency.example",
                               language="sv")
    company = make_client(session, name="Nordljus AB", slug="nordljus")
    company.embed_origins = ["https://careers.nordljus.example"]
    session.add(company)
    session.commit()
    job = make_job(session, client=company, owner=recruiter, title="Data Engineer")
    return recruiter, company, job


@pytest.fixture
def application(session, people):
    """An English-speaking candidate who applied today (promised an update by 9 November)."""
    _, _, job = people
    return make_application(session, job=job, name="Sam Lind", email="sam@mail.example")


def entries(session: Session, application_id: int, kind: str | None = None) -> list[Update]:
    session.rollback()
    session.expire_all()
    statement = select(Update).where(Update.application_id == application_id)
    if kind:
        statement = statement.where(Update.kind == kind)
    return list(session.exec(statement.order_by(Update.id)))


def outbox(session: Session) -> list[OutboxMessage]:
    session.rollback()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def written(session: Session) -> tuple[int, int]:
    """How many updates and emails exist (to show that nothing was written)."""
    session.rollback()
    return (
        session.exec(select(func.count()).select_from(Update)).one(),
        session.exec(select(func.count()).select_from(OutboxMessage)).one(),
    )


def post(client, path: str, data: dict | None = None, headers: dict | None = None):
    return client.post(path, data=data or {}, headers={**SAME_ORIGIN, **(headers or {})})


# Each action: its URL suffix, the form it sends, and the kind of entry it makes.
ACTIONS = {
    "question": ("/question", {"question": "Is the role open to remote work?"},
                 UpdateKind.QUESTION),
    "still-interested": ("/still-interested", {}, UpdateKind.STILL_INTERESTED),
    "withdraw": ("/withdraw", {"reason": "I took another offer."}, UpdateKind.WITHDRAWAL),
    "language": ("/language", {"language": "sv"}, UpdateKind.SYSTEM),
}


# --- one entry per form ------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_double_submit_creates_one_entry(app, client, session, application, action):
    """Does posting the same form twice (same request key) create exactly one entry?"""
    suffix, form, kind = ACTIONS[action]
    path = status_path(app, application)
    before = len(entries(session, application.id))

    first = post(client, path + suffix, {**form, "request_key": KEY, "return_to": "page"})
    second = post(client, path + suffix, {**form, "request_key": KEY, "return_to": "page"})

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"].startswith(f"{path}?done=")
    made = entries(session, application.id)[before:]
    assert [entry.kind for entry in made] == [kind]
    assert made[0].request_key == KEY
    assert made[0].author_id is None


def test_two_questions_with_two_keys_are_two_entries(app, client, session, application):
    """Are two questions from two forms (two keys) both kept, each once?"""
    path = status_path(app, application) + "/question"
    for key, text in ((KEY, "First question?"), (OTHER_KEY, "Second question?")):
        post(client, path, {"question": text, "request_key": key})
        post(client, path, {"question": text, "request_key": key})
    questions = entries(session, application.id, UpdateKind.QUESTION)
    assert [q.public_note for q in questions] == ["First question?", "Second question?"]


def test_a_twin_that_gets_past_the_lookup_is_stopped_by_the_constraint(
    app, session, application, monkeypatch
):
    """When the lookup misses a twin, does the unique key still leave one entry (savepoint)?"""
    first = actions.ask_question(session=session, application=application, text="Hello?",
                                 request_key=KEY)
    session.commit()
    monkeypatch.setattr(actions, "_entry_with_key", _blind_first(actions._entry_with_key))

    again = actions.ask_question(session=session, application=application, text="Hello?",
                                 request_key=KEY)
    session.commit()

    assert first.created is True
    assert again.created is False
    assert again.update.id == first.update.id
    assert len(entries(session, application.id, UpdateKind.QUESTION)) == 1
    owner_emails = [m for m in outbox(session) if m.purpose == "candidate:question"]
    assert len(owner_emails) == 1  # the twin queued no second email either


def _blind_first(lookup):
    """A lookup that misses on its first call, as a concurrent twin's would."""
    calls = []

    def blind(*args):
        calls.append(args)
        return None if len(calls) == 1 else lookup(*args)

    return blind


@pytest.mark.parametrize("second_key", [KEY, OTHER_KEY], ids=["same-form", "two-tabs"])
def test_concurrent_withdrawals_make_one_entry(app, session, application, second_key):
    """Do two simultaneous withdrawals (two sessions; one form or two tabs) make one entry?"""
    results = {}
    keys = {"first": KEY, "second": second_key}

    def submit(name: str, hold: threading.Event | None = None):
        with app.app_context(), Session(get_engine(app), expire_on_commit=False) as own:
            row = own.get(Application, application.id)
            results[name] = actions.withdraw(session=own, application=row, request_key=keys[name])
            if hold is not None:
                hold.wait(10)
            own.commit()

    release = threading.Event()
    first = threading.Thread(target=submit, args=("first", release))
    first.start()
    time.sleep(0.3)  # the first holds the application's row lock, uncommitted
    second = threading.Thread(target=submit, args=("second",))
    second.start()
    time.sleep(0.3)
    release.set()
    first.join(20)
    second.join(20)

    assert results["first"].created is True
    assert results["second"].created is False
    if second_key == KEY:
        assert results["second"].update.id == results["first"].update.id
    else:
        assert results["second"].update is None  # it found the application already closed
    assert len(entries(session, application.id, UpdateKind.WITHDRAWAL)) == 1
    purposes = sorted(m.purpose for m in outbox(session) if m.purpose != "acknowledgement")
    assert purposes == ["candidate:withdrawal", "withdrawal_confirmation"]


def test_an_action_rolled_back_leaves_nothing(session, application):
    """Is the entry part of the caller's transaction (its savepoint never commits on its own)?"""
    before = written(session)
    actions.ask_question(session=session, application=application, text="Hello?",
                         request_key=KEY)
    session.rollback()
    assert written(session) == before


def test_missing_request_key_is_refused_and_nothing_written(app, client, session, application):
    """Is a form without its one-time key refused (400) without writing anything?"""
    before = written(session)
    response = post(client, status_path(app, application) + "/question", {"question": "Hi?"})
    assert response.status_code == 400
    assert "This form is out of date" in text_of(response.text)
    assert written(session) == before


# --- what the recruiter sees and hears ---------------------------------------------------------


def test_recruiter_page_shows_what_the_candidate_did(app, client, session, people, application):
    """Does the recruiter's application page show the question, the interest and the withdrawal?"""
    recruiter, _, _ = people
    path = status_path(app, application)
    post(client, path + "/question", {"question": "Can I start in March?", "request_key": KEY})
    post(client, path + "/still-interested", {"request_key": OTHER_KEY})
    post(client, path + "/withdraw",
         {"reason": "I moved abroad.", "request_key": "third-key-0123456789"})

    desk = app.test_client()
    desk.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD})
    words = text_of(desk.get(f"/admin/applications/{application.id}").text)

    # Rita works in Swedish, so her desk speaks Swedish.
    assert "Kandidaten frågade" in words
    assert "Can I start in March?" in words
    assert "Kandidaten är fortfarande intresserad" in words
    assert "Kandidaten återkallade ansökan · Steg → Återkallad" in words
    assert "I moved abroad." in words
    assert words.count("Från kandidaten") == 3
    assert "Sam Lind · Kandidaten frågade" in words


@pytest.mark.parametrize("action", ["question", "still-interested", "withdraw"])
def test_owner_is_emailed_in_the_owners_language(app, client, session, people, application,
                                                 action):
    """Is the job's owner emailed, in their own language, with a link to the application?"""
    recruiter, _, _ = people
    suffix, form, kind = ACTIONS[action]
    post(client, status_path(app, application) + suffix, {**form, "request_key": KEY})

    notices = [m for m in outbox(session) if m.to_address == recruiter.email]
    assert len(notices) == 1
    notice = notices[0]
    assert notice.purpose == f"candidate:{kind}"
    assert notice.recruiter_id == recruiter.id
    assert notice.application_id is None  # not listed among the emails to the candidate
    assert notice.body_text.startswith("Hej Rita!")  # Swedish: the recruiter's language
    assert '<html lang="sv">' in notice.body_html
    assert f"{BASE_URL}/admin/applications/{application.id}" in notice.body_text
    assert "Sam Lind" in notice.subject
    if form.get("question") or form.get("reason"):
        assert (form.get("question") or form.get("reason")) in notice.body_text


def test_job_without_owner_notifies_nobody(app, client, session, people):
    """Without an owner, is the question still kept, and no email queued to nobody?"""
    _, company, _ = people
    job = make_job(session, client=company, title="Unowned")
    job.owner_id = None
    session.add(job)
    session.commit()
    application = make_application(session, job=job)
    before = len(outbox(session))
    response = post(client, status_path(app, application) + "/question",
                    {"question": "Anyone there?", "request_key": KEY})
    assert response.status_code == 303
    assert len(entries(session, application.id, UpdateKind.QUESTION)) == 1
    assert len(outbox(session)) == before


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hello Sam,"), ("sv", "Hej Sam!")]
)
def test_withdrawal_is_confirmed_to_the_candidate_in_their_language(
    app, client, session, people, language, greeting
):
    """Does a candidate who withdraws get a confirmation email in their language?"""
    _, _, job = people
    application = make_application(session, job=job, name="Sam Lind", language=language)
    post(client, status_path(app, application) + "/withdraw",
         {"reason": "Found another job.", "request_key": KEY})

    confirmations = [m for m in outbox(session) if m.purpose == "withdrawal_confirmation"]
    assert len(confirmations) == 1
    email = confirmations[0]
    assert email.to_address == application.email
    assert email.application_id == application.id
    assert email.body_text.startswith(greeting)
    assert f'<html lang="{language}">' in email.body_html
    assert "Found another job." in email.body_text
    assert "rita.berg@agency.example" in email.body_text  # whom to write if it was a mistake
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_unsubscribed_candidate_gets_no_confirmation(app, client, session, application):
    """Does a candidate who stopped the emails get no confirmation (the owner still hears)?"""
    application.unsubscribed_at = NOW
    session.add(application)
    session.commit()
    post(client, status_path(app, application) + "/withdraw", {"request_key": KEY})
    purposes = [m.purpose for m in outbox(session)]
    assert "withdrawal_confirmation" not in purposes
    assert "candidate:withdrawal" in purposes


# --- withdrawing -------------------------------------------------------------------------------


def test_withdraw_get_asks_and_changes_nothing(app, client, session, application):
    """Does opening the withdraw step (as a link scanner would) only ask, and write nothing?"""
    before = written(session)
    stamp = reload(session, Application, application.id).updated_at

    response = client.get(status_path(app, application) + "/withdraw")

    assert response.status_code == 200
    words = text_of(response.text)
    assert "Withdraw your application?" in words
    assert "Why are you withdrawing? (optional)" in words
    assert "Yes, withdraw my application" in words
    assert 'maxlength="1000"' in response.text
    assert written(session) == before
    after = reload(session, Application, application.id)
    assert after.is_open is True
    assert after.updated_at == stamp
    assert "Set-Cookie" not in response.headers


def test_after_withdrawal_the_page_is_closed_and_the_desk_list_drops_it(
    app, client, session, people, application, clock
):
    """After withdrawing: closed state, no promise, no forms; gone from the open desk list?"""
    recruiter, _, _ = people
    path = status_path(app, application)
    applied_at = reload(session, Application, application.id).last_update_at
    clock.shift(timedelta(hours=2))

    response = post(client, path + "/withdraw", {"reason": "", "request_key": KEY})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{path}?done=withdrawn"

    page = client.get(response.headers["Location"])
    words = text_of(page.text)
    assert "Where you stand: Withdrawn" in words
    assert "None planned: this application is closed." in words
    assert "Promised by" not in words
    assert "You withdrew your application" in words
    assert "Your application has been withdrawn." in words
    assert 'role="status"' in page.text
    assert 'name="question"' not in page.text  # closed: no question, interest or withdraw
    assert "I'm still interested" not in words
    assert "/withdraw" not in page.text
    assert 'name="language"' in page.text  # the language switch stays

    stored = reload(session, Application, application.id)
    assert stored.is_open is False
    assert stored.promised_by is None
    assert stored.last_update_at == applied_at  # they did not hear from the recruiter
    desk = app.test_client()
    desk.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD})
    assert "Sam Lind" not in desk.get("/admin/").text
    assert "Sam Lind" in desk.get("/admin/?status=closed").text


def test_withdrawing_a_closed_application_does_nothing(app, client, session, application):
    """Is a second withdrawal (new form, new key) a no-op that says it was already closed?"""
    path = status_path(app, application)
    post(client, path + "/withdraw", {"request_key": KEY})
    before = written(session)

    response = post(client, path + "/withdraw", {"request_key": OTHER_KEY})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("?done=closed")
    assert written(session) == before
    assert "This application was already closed." in text_of(
        client.get(response.headers["Location"]).text
    )


def test_pipeline_without_withdrawn_stage_refuses_clearly(app, client, session, people):
    """Without a "withdrawn" stage, is withdrawal refused with a clear message, nothing written?"""
    _, company, _ = people
    stages = [spec for spec in DEFAULT_PIPELINE if spec.key != "withdrawn"]
    job = make_job(session, client=company, title="Custom pipeline", stages=stages)
    application = make_application(session, job=job)
    path = status_path(app, application) + "/withdraw"
    before = written(session)

    page = client.get(path)
    refused = post(client, path, {"request_key": KEY})

    assert page.status_code == 200
    assert "Yes, withdraw my application" not in page.text
    assert refused.status_code == 409
    assert "cannot be withdrawn on this page" in text_of(refused.text)
    assert written(session) == before
    assert reload(session, Application, application.id).is_open is True


def test_withdrawal_reason_too_long_keeps_the_text(app, client, session, application):
    """Is an over-long reason refused (422) on the confirmation step with the text kept?"""
    reason = "Because " + "x" * 1000
    before = written(session)
    response = post(client, status_path(app, application) + "/withdraw",
                    {"reason": reason, "request_key": KEY})
    assert response.status_code == 422
    assert "Please shorten this to 1000 characters (it has 1008)." in text_of(response.text)
    assert reason in unescape(response.text)
    assert written(session) == before
    assert reload(session, Application, application.id).is_open is True


# --- questions and "still interested" ----------------------------------------------------------


def test_question_appears_in_the_candidates_timeline_but_moves_no_promise(
    app, client, session, application, clock
):
    """Is the question in the candidate's timeline, not their "latest message", promise kept?"""
    before = reload(session, Application, application.id)
    promise, last_update = before.promised_by, before.last_update_at
    clock.shift(timedelta(days=1))
    path = status_path(app, application)

    response = post(client, path + "/question",
                    {"question": "When is the interview?", "request_key": KEY})
    assert response.headers["Location"] == f"{path}?done=question#actions"
    page = client.get(f"{path}?done=question")

    words = text_of(page.text)
    assert "Your question When is the interview?" in words
    assert "No message yet." in words  # their own words are not a message *to* them
    assert "Thank you. Your question has been sent" in words
    stored = reload(session, Application, application.id)
    assert stored.promised_by == promise
    assert stored.last_update_at == last_update


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "Please write your question before you send it."),
        ("   ", "Please write your question before you send it."),
        ("Why? " + "y" * 2000, "Please shorten this to 2000 characters (it has 2005)."),
    ],
)
def test_question_must_be_written_and_not_too_long(app, client, session, application,
                                                  question, message):
    """Is an empty or over-long question refused (422) with the message and the text kept?"""
    before = written(session)
    response = post(client, status_path(app, application) + "/question",
                    {"question": question, "request_key": KEY})
    assert response.status_code == 422
    assert message in text_of(response.text)
    textarea = re.search(r'<textarea id="question"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert unescape(textarea[1]) == question
    assert 'aria-invalid="true"' in textarea[0]
    assert written(session) == before
    assert "Set-Cookie" not in response.headers


def test_question_markup_is_shown_as_text(app, client, session, application):
    """Is markup typed into a question escaped on the candidate's page?"""
    path = status_path(app, application)
    post(client, path + "/question", {"question": "<b>bold</b>?", "request_key": KEY})
    html = client.get(path).text
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;?" in html


def test_closed_application_takes_no_questions(app, client, session, application):
    """Once closed, are questions and "still interested" refused (409), nothing written?"""
    path = status_path(app, application)
    post(client, path + "/withdraw", {"request_key": KEY})
    before = written(session)
    question = post(client, path + "/question", {"question": "Hi?", "request_key": OTHER_KEY})
    interest = post(client, path + "/still-interested", {"request_key": "third-key-0123456789"})
    assert question.status_code == interest.status_code == 409
    assert "This application is closed" in text_of(question.text)
    assert written(session) == before


def test_still_interested_is_in_the_timeline(app, client, session, application):
    """Does "still interested" show in the candidate's timeline with a thank-you?"""
    path = status_path(app, application)
    response = post(client, path + "/still-interested", {"request_key": KEY})
    assert response.headers["Location"] == f"{path}?done=still-interested#actions"
    words = text_of(client.get(f"{path}?done=still-interested").text)
    assert "You said you are still interested" in words
    assert "We have told the recruiter that you are still interested." in words


# --- who may post ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://careers.nordljus.example"},  # even the client's own career site
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": BASE_URL, "Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-origin", "embedding-origin", "fetch-cross-site", "fetch-same-site"],
)
def test_cross_site_posts_are_refused(app, client, session, application, action, headers):
    """Is a POST another site's page sent refused (403, friendly page) with nothing written?"""
    suffix, form, _ = ACTIONS[action]
    before = written(session)
    response = client.post(status_path(app, application) + suffix,
                           data={**form, "request_key": KEY}, headers=headers)
    assert response.status_code == 403
    assert "This form was sent from another website" in text_of(response.text)
    assert written(session) == before
    assert reload(session, Application, application.id).is_open is True
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "headers",
    [{"Origin": BASE_URL}, {"Origin": BASE_URL, "Sec-Fetch-Site": "same-origin"},
     {"Sec-Fetch-Site": "none"}],
    ids=["origin", "origin-and-fetch", "typed-by-user"],
)
def test_same_origin_posts_work_without_cookies(app, client, session, application, action,
                                               headers):
    """Does a POST from the portal's own origin succeed, with no cookie sent or set?"""
    suffix, form, kind = ACTIONS[action]
    response = client.post(status_path(app, application) + suffix,
                           data={**form, "request_key": KEY}, headers=headers)
    assert response.status_code == 303
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert len(entries(session, application.id, kind)) == 1
    assert client.get_cookie("session") is None


@pytest.mark.parametrize("action", [*ACTIONS, "withdraw-get"])
def test_revoked_link_is_404_and_writes_nothing(app, client, session, application, action):
    """Does a revoked link get 404 for every action, without writing anything?"""
    path = status_path(app, application)
    revoke_link(session=session, application=application)
    session.commit()
    before = written(session)
    if action == "withdraw-get":
        response = client.get(path + "/withdraw")
    else:
        suffix, form, _ = ACTIONS[action]
        response = post(client, path + suffix, {**form, "request_key": KEY})
    assert response.status_code == 404
    assert "This link does not work" in text_of(response.text)
    assert written(session) == before


def test_expired_link_is_410_and_writes_nothing(app, client, session, application, clock):
    """Does an expired link get the 410 page for an action, without writing anything?"""
    path = status_path(app, application)
    clock.shift(timedelta(days=app.config["LINK_MAX_AGE_DAYS"] + 1))
    before = written(session)
    response = post(client, path + "/question", {"question": "Hello?", "request_key": KEY})
    assert response.status_code == 410
    assert written(session) == before


# --- where the candidate lands -----------------------------------------------------------------


def test_embed_forms_return_to_the_status_widget(app, client, session, people, application):
    """Does a form posted from the status widget go back to the widget, and only there?"""
    _, company, _ = people
    token = status_path(app, application).removeprefix("/s/")
    path = f"/s/{token}"
    embedded = post(client, path + "/still-interested",
                    {"request_key": KEY, "return_to": "embed"})
    elsewhere = post(client, path + "/question",
                     {"question": "Hi?", "request_key": OTHER_KEY,
                      "return_to": "https://evil.example/"})
    assert embedded.headers["Location"] == (
        f"/embed/{company.slug}/status/{token}?done=still-interested#actions"
    )
    assert elsewhere.headers["Location"] == f"{path}?done=question#actions"


@pytest.mark.parametrize(
    ("parent", "kept"),
    [("https://careers.nordljus.example", True), ("https://evil.example", False)],
)
def test_the_career_page_origin_survives_the_redirect(app, client, session, people,
                                                      application, parent, kept):
    """Does the widget's host origin (``parent``) come back after a post, if the client
    listed it, so the frame keeps posting its height?"""
    _, company, _ = people
    token = status_path(app, application).removeprefix("/s/")
    response = post(client, f"/s/{token}/still-interested",
                    {"request_key": KEY, "return_to": "embed", "parent": parent})
    location = response.headers["Location"]
    assert location.startswith(f"/embed/{company.slug}/status/{token}?done=still-interested")
    assert ("parent=https%3A%2F%2Fcareers.nordljus.example" in location) is kept
    assert "evil" not in location


def test_pages_for_the_widget_may_be_framed_by_the_clients_origins_only(
    app, client, session, application
):
    """Are the withdraw step and a refused form framable by the client's origins inside the
    widget, and by nobody on the full page?"""
    path = status_path(app, application)
    parent = "https://careers.nordljus.example"
    widget = client.get(f"{path}/withdraw?return_to=embed&parent={parent}")
    page = client.get(path + "/withdraw")
    refused = post(client, path + "/question",
                   {"question": "", "request_key": KEY, "return_to": "embed", "parent": parent})

    for response in (widget, refused):
        policy = response.headers["Content-Security-Policy"]
        assert policy.endswith(f"frame-ancestors {parent}")
        assert "X-Frame-Options" not in response.headers
        assert 'name="return_to" value="embed"' in response.text
        assert f'name="parent" value="{parent}"' in response.text
        assert f'data-parent-origin="{parent}"' in response.text  # the frame reports its height
        assert "candidate-header" not in response.text  # no portal chrome inside the widget
    assert page.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert "candidate-header" in page.text


def test_language_choice_switches_the_page_and_back(app, client, session, application):
    """Does choosing Swedish give a Swedish page (and emails), and English bring it back?"""
    path = status_path(app, application)
    assert '<html lang="en">' in client.get(path).text

    to_swedish = post(client, path + "/language", {"language": "sv", "request_key": KEY})
    swedish = client.get(to_swedish.headers["Location"])
    assert '<html lang="sv">' in swedish.text
    assert "Ansökan mottagen" in text_of(swedish.text)
    assert reload(session, Application, application.id).language == "sv"

    to_english = post(client, path + "/language", {"language": "en", "request_key": OTHER_KEY})
    assert '<html lang="en">' in client.get(to_english.headers["Location"]).text
    notes = [e.internal_note for e in entries(session, application.id, UpdateKind.SYSTEM)]
    assert notes == [
        "The candidate switched their page and emails to Swedish.",
        "The candidate switched their page and emails to English.",
    ]
    assert all(not e.is_public for e in entries(session, application.id, UpdateKind.SYSTEM))


def test_unknown_language_is_refused(app, client, session, application):
    """Is a language the portal does not speak refused (422), nothing written?"""
    before = written(session)
    response = post(client, status_path(app, application) + "/language",
                    {"language": "de", "request_key": KEY})
    assert response.status_code == 422
    assert written(session) == before


def test_an_action_breaks_the_status_etag(app, client, session, application, clock):
    """After an action, does a poll with the old ETag get the new card (200), not a 304?"""
    path = status_path(app, application)
    etag = client.get(path, headers=HTMX).headers["ETag"]
    assert client.get(path, headers={**HTMX, "If-None-Match": etag}).status_code == 304
    clock.shift(timedelta(minutes=5))

    post(client, path + "/still-interested", {"request_key": KEY})

    poll = client.get(path, headers={**HTMX, "If-None-Match": etag})
    assert poll.status_code == 200
    assert poll.headers["ETag"] != etag
    assert "You said you are still interested" in text_of(poll.text)


def test_polled_card_leaves_the_forms_alone(app, client, session, application):
    """Are the forms outside the polled card, so a poll cannot wipe what is being typed?"""
    path = status_path(app, application)
    page = client.get(path).text
    card = client.get(path, headers=HTMX).text
    assert 'id="actions"' in page
    assert 'name="question"' not in card
    keys = re.findall(r'name="request_key" value="([^"]+)"', page)
    assert len(keys) == len(set(keys)) == 3  # question, still interested, language


def test_partial_as_the_status_widget_includes_it(app, session, application):
    """Included with return_to="embed" (as the status widget does), do its forms and its
    withdraw link lead back to the widget?"""
    from flask import render_template

    from portal.services.status import load_status

    token = status_path(app, application).removeprefix("/s/")
    parent = "https://careers.nordljus.example"
    with app.test_request_context(f"/embed/nordljus/status/{token}?done=question"):
        view = load_status(session=session, application_id=application.id,
                           token_version=application.token_version)
        html = render_template("candidate/_actions.html", view=view, token=token,
                               return_to="embed", parent_origin=parent)
    assert html.count('name="return_to" value="embed"') == 3
    assert html.count(f'name="parent" value="{parent}"') == 3
    assert f'href="/s/{token}/withdraw?return_to=embed&amp;parent={parent}"' in html
    assert f'action="/s/{token}/question"' in html
    assert "Your question has been sent" in text_of(html)


def test_forms_work_with_csrf_protection_on(app_config, session, application):
    """With CSRF protection on, as in production, do the cookieless forms still work?"""
    from portal import create_app

    strict = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    try:
        client = strict.test_client()
        path = status_path(strict, application)
        response = post(client, path + "/question", {"question": "Hi?", "request_key": KEY})
        assert response.status_code == 303
        assert "Set-Cookie" not in response.headers
        assert len(entries(session, application.id, UpdateKind.QUESTION)) == 1
    finally:
        get_engine(strict).dispose()
