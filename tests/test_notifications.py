"""What the portal tells candidates by email: what lands in the outbox, and one-click unsubscribe.

These tests read the outbox table (what would be sent); delivery over SMTP is tested elsewhere.
The clock is frozen on Monday 2 November 2026, 09:00 UTC (10:00 in Stockholm) unless a test
moves it; jobs promise an update within 5 business days, so a new application is promised an
update by Monday 9 November 2026.
"""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape

import pytest
from itsdangerous import URLSafeTimedSerializer
from markupsafe import escape
from sqlalchemy import create_engine, func, select
from sqlmodel import Session

from portal.core.db import get_engine
from portal.core.tokens import UNSUBSCRIBE_SALT, make_unsubscribe_token
from portal.models import Application, MessageStatus, OutboxMessage, Update
from portal.services import InputError
from portal.services.applications import create_application
from portal.services.updates import post_no_news_update, post_update
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter
from tests.helpers import BASE_URL, JSON, NOW, reload, sign_in, text_of

STATUS_LINK = re.compile(r"http://portal\.test/s/[A-Za-z0-9_.\-]+")
UNSUBSCRIBE_LINK = re.compile(r"http://portal\.test/u/[A-Za-z0-9_.\-]+")
PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


# --- helpers ------------------------------------------------------------------------------------


def messages(session: Session, *, application_id: int | None = None,
             purpose: str | None = None) -> list[OutboxMessage]:
    """The outbox as the database has it now (after the views' and commands' commits)."""
    session.rollback()
    session.expire_all()
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if application_id is not None:
        statement = statement.where(OutboxMessage.application_id == application_id)
    if purpose is not None:
        statement = statement.where(OutboxMessage.purpose == purpose)
    return list(session.scalars(statement))


def words(text: str) -> str:
    return " ".join(text.split())


def path_of(url: str) -> str:
    assert url.startswith(BASE_URL + "/"), url
    return url.removeprefix(BASE_URL)


def status_link_in(message: OutboxMessage) -> str:
    """The one status link of an email, the same in both bodies."""
    in_text = set(STATUS_LINK.findall(message.body_text))
    in_html = set(STATUS_LINK.findall(unescape(message.body_html)))
    assert len(in_text) == 1, in_text
    assert in_html == in_text
    return in_text.pop()


def unsubscribe_link_of(message: OutboxMessage) -> str:
    """The List-Unsubscribe URL, checked to be the link both bodies carry too."""
    header = message.headers["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">"), header
    url = header[1:-1]
    assert UNSUBSCRIBE_LINK.fullmatch(url), url
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(UNSUBSCRIBE_LINK.findall(message.body_text)) == {url}
    assert set(UNSUBSCRIBE_LINK.findall(unescape(message.body_html))) == {url}
    return url


def one_click(client, path: str):
    """What a mail client sends for RFC 8058 one-click unsubscribe: no cookie, no CSRF token."""
    return client.post(
        path, data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


# --- the acknowledgement ------------------------------------------------------------------------


def check_acknowledgement(app, client, message: OutboxMessage, application: Application, *,
                          language: str) -> None:
    """The acknowledgement names job and client, links the status and promises a date."""
    assert message.purpose == "acknowledgement"
    assert message.to_address == application.email
    assert message.status == MessageStatus.QUEUED
    text, html = words(message.body_text), text_of(message.body_html)
    first_name = application.name.split()[0]
    if language == "sv":
        assert message.subject == "Vi har tagit emot din ansökan: Data Engineer hos Nordljus AB"
        expected = [
            f"Hej {first_name}!",
            "Tack för din ansökan till Data Engineer hos Nordljus AB.",
            "Här står du: Ansökan mottagen",
            "Du hör av oss senast måndag 9 november 2026.",
            "Rita Berg",
        ]
        absent = ["Thank you", "November", "Monday"]
        assert '<html lang="sv">' in message.body_html
    else:
        assert message.subject == "We have your application: Data Engineer at Nordljus AB"
        expected = [
            f"Hello {first_name},",
            "Thank you for applying for Data Engineer at Nordljus AB.",
            "Where you stand: Application received",
            "You will hear from us by Monday 9 November 2026 at the latest.",
            "Rita Berg",
        ]
        absent = ["Tack för", "november", "måndag"]
        assert '<html lang="en">' in message.body_html
    for phrase in expected:
        assert phrase in text, phrase
        assert phrase in html, phrase
    for phrase in absent:
        assert phrase not in text, phrase
        assert phrase not in html, phrase

    status_url = status_link_in(message)
    response = client.get(path_of(status_url))
    assert response.status_code == 200
    assert "Data Engineer" in response.text
    assert "Nordljus AB" in response.text
    assert client.get(path_of(status_url), headers=JSON).json["application_id"] == application.id
    unsubscribe_link_of(message)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_service_queues_one_acknowledgement_in_the_candidates_language(
    app, client, session, people, language
):
    """Does creating an application queue one acknowledgement in the candidate's language?"""
    _, _, job = people
    application = make_application(session, job=job, name="Alva Lind", language=language)

    [message] = messages(session)

    assert message.application_id == application.id
    check_acknowledgement(app, client, message, application, language=language)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_desk_form_queues_one_acknowledgement(app, client, session, people, language):
    """Does an application added through the desk's form queue exactly one acknowledgement?"""
    recruiter, _, job = people
    sign_in(client, recruiter.email)

    response = client.post("/admin/applications/new", data={
        "job_id": str(job.id), "name": "Alva Lind", "email": "alva@mail.example",
        "language": language,
    })

    assert response.status_code == 303
    application_id = int(re.search(r"/admin/applications/(\d+)$", response.location)[1])
    application = reload(session, Application, application_id)
    [message] = messages(session)
    assert message.application_id == application.id
    check_acknowledgement(app, client, message, application, language=language)

    # The same candidate again is refused, and the refusal emails nobody.
    again = client.post("/admin/applications/new", data={
        "job_id": str(job.id), "name": "Alva Lind", "email": "alva@mail.example",
    })
    assert again.status_code == 422
    assert len(messages(session)) == 1


def test_client_language_decides_when_none_is_given(app, client, session, people):
    """Does an application without a language get the acknowledgement in the client's one?"""
    recruiter, _, job = people  # Nordljus AB writes Swedish by default
    sign_in(client, recruiter.email)
    client.post("/admin/applications/new", data={
        "job_id": str(job.id), "name": "Alva Lind", "email": "alva@mail.example",
    })
    [message] = messages(session)
    assert message.subject.startswith("Vi har tagit emot din ansökan")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_cli_queues_one_acknowledgement(app, client, runner, session, people, language):
    """Does `portal applications add` queue exactly one acknowledgement, in the language?"""
    _, _, job = people

    result = runner.invoke(args=[
        "applications", "add", "--job", str(job.id), "--name", "Alva Lind",
        "--email", "alva@mail.example", "--language", language,
    ])

    assert result.exit_code == 0, result.output
    application_id = int(re.search(r"Application (\d+) created", result.output)[1])
    application = reload(session, Application, application_id)
    [message] = messages(session)
    assert message.application_id == application.id
    check_acknowledgement(app, client, message, application, language=language)

    status = runner.invoke(args=["outbox", "status"])
    assert status.exit_code == 0, status.output
    assert "queued: 1, sent: 0, failed: 0" in status.output


def test_application_created_closed_promises_nothing(app, client, runner, session, people):
    """Does an application entered in a closing stage get an acknowledgement that promises no
    date (rather than "you will hear from us by  at the latest")?"""
    _, _, job = people

    result = runner.invoke(args=[
        "applications", "add", "--job", str(job.id), "--name", "Alva Lind",
        "--email", "alva@mail.example", "--language", "en", "--stage", "not_selected",
    ])

    assert result.exit_code == 0, result.output
    [message] = messages(session)
    for body in (words(message.body_text), text_of(message.body_html)):
        assert "This application is now closed, so no further updates are planned." in body
        assert "You will hear from us by" not in body
    assert client.get(path_of(status_link_in(message))).status_code == 200


def test_each_application_gets_its_own_acknowledgement(app, client, session, people):
    """Do three candidates get one acknowledgement each, addressed to each of them?"""
    _, _, job = people
    applications = [make_application(session, job=job) for _ in range(3)]

    queued = messages(session)

    assert sorted((m.application_id, m.to_address) for m in queued) == sorted(
        (a.id, a.email) for a in applications
    )
    assert {m.purpose for m in queued} == {"acknowledgement"}
    assert len({m.message_id for m in queued}) == 3


def test_acknowledgement_writes_out_the_promised_date(app, client, session, clock):
    """Is the promised date written out in words ("3 december 2026"), not as an ISO date?"""
    recruiter = make_recruiter(session, name="Rita Berg")
    company = make_client(session, name="Nordljus AB", slug="nordljus")
    job = make_job(session, client=company, owner=recruiter, title="Data Engineer",
                   promise_days=10)
    clock.move_to(datetime(2026, 11, 19, 9, tzinfo=UTC), tick=False)  # Thursday 19 November
    application = make_application(session, job=job, language="sv")
    assert application.promised_by == date(2026, 12, 3)

    [message] = messages(session)

    assert "Du hör av oss senast torsdag 3 december 2026." in words(message.body_text)
    assert "Du hör av oss senast torsdag 3 december 2026." in text_of(message.body_html)
    assert "2026-12-03" not in message.body_text


def test_failed_creation_queues_nothing(app, session, people):
    """When creating an application fails, is no acknowledgement left behind?"""
    _, _, job = people
    make_application(session, job=job, email="alva@mail.example")
    with pytest.raises(InputError):  # the same address again is refused
        create_application(session=session, job_id=job.id, name="Alva", email="ALVA@mail.example")
    session.rollback()
    assert len(messages(session)) == 1


# --- update emails ------------------------------------------------------------------------------


def test_stage_change_with_note_queues_one_email(app, client, session, people, clock):
    """Does a stage change with a note email the note, the stage, the next promise and the link?"""
    recruiter, _, job = people
    application = make_application(session, job=job, name="Alva Lind")
    clock.shift(timedelta(days=1))  # Tuesday 3 November

    post_update(session=session, application=application, author=recruiter,
                stage_key="screening", public_note="Your CV is with the hiring manager.")
    session.commit()

    [ack, message] = messages(session, application_id=application.id)
    assert ack.purpose == "acknowledgement"
    assert message.purpose == "update:stage_change"
    assert message.to_address == application.email
    assert message.subject == "Your application for Data Engineer: Under review"
    for body in (words(message.body_text), text_of(message.body_html)):
        assert "Hello Alva," in body
        assert "Your CV is with the hiring manager." in body
        assert "Where you stand now: Under review" in body
        assert "The recruiter is comparing the applications" in body  # what happens now
        # Tuesday 3 November + 5 business days.
        assert "Your next update: by Tuesday 10 November 2026 at the latest." in body
        assert "Rita Berg" in body
    assert client.get(path_of(status_link_in(message))).status_code == 200
    unsubscribe_link_of(message)


def test_note_without_stage_change_queues_one_email(app, client, session, people, clock):
    """Does a note alone email the candidate, saying it is news rather than a new stage?"""
    recruiter, _, job = people
    application = make_application(session, job=job, name="Alva Lind")
    clock.shift(timedelta(days=1))

    post_update(session=session, application=application, author=recruiter,
                public_note="The client meets on Thursday.")
    session.commit()

    message = messages(session, application_id=application.id)[-1]
    assert message.purpose == "update:note"
    assert message.subject == "News on your application: Data Engineer"
    body = words(message.body_text)
    assert "The client meets on Thursday." in body
    assert "Where you stand now" not in body
    assert "Your next update: by Tuesday 10 November 2026 at the latest." in body
    assert client.get(path_of(status_link_in(message))).status_code == 200
    unsubscribe_link_of(message)


def test_stage_change_without_note_queues_one_email(app, client, session, people, clock):
    """Does a bare stage change still tell the candidate, in their language?"""
    recruiter, _, job = people
    application = make_application(session, job=job, name="Alva Lind", language="sv")
    clock.shift(timedelta(days=1))

    post_update(session=session, application=application, author=recruiter,
                stage_key="interview")
    session.commit()

    message = messages(session, application_id=application.id)[-1]
    assert message.subject == "Din ansökan till Data Engineer: Intervju"
    body = words(message.body_text)
    assert "Här står du nu: Intervju" in body
    assert "Ditt nästa besked: senast tisdag 10 november 2026." in body
    assert "Hej Alva!" in body


def test_closing_stage_says_no_more_updates_are_planned(app, client, session, people, clock):
    """Does the email of a closing stage say the application is closed, promising nothing?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    clock.shift(timedelta(days=1))

    post_update(session=session, application=application, author=recruiter,
                stage_key="not_selected", public_note="Thank you, and good luck.")
    session.commit()

    message = messages(session, application_id=application.id)[-1]
    body = words(message.body_text)
    assert "Thank you, and good luck." in body
    assert "This application is now closed, so no further updates are planned." in body
    assert "Your next update" not in body
    assert client.get(path_of(status_link_in(message))).status_code == 200


@pytest.mark.parametrize(("language", "subject", "phrase"), [
    ("en", "No news yet on your application: Data Engineer",
     "I had hoped to hear from Nordljus AB by today"),
    ("sv", "Inget nytt än om din ansökan: Data Engineer",
     "Jag hade hoppats få besked från Nordljus AB i dag"),
])
def test_no_news_queues_one_email_in_the_candidates_language(
    app, client, session, people, clock, language, subject, phrase
):
    """Does "No news yet" send one email, in the candidate's language, with the new promise?"""
    recruiter, _, job = people
    application = make_application(session, job=job, language=language)
    clock.shift(timedelta(days=1))

    post_no_news_update(session=session, application=application, author=recruiter)
    session.commit()

    [_, message] = messages(session, application_id=application.id)
    assert message.purpose == "update:no_news"
    assert message.subject == subject
    promise = "tisdag 10 november 2026" if language == "sv" else "Tuesday 10 November 2026"
    for body in (words(message.body_text), text_of(message.body_html)):
        assert phrase in body
        assert promise in body
    assert client.get(path_of(status_link_in(message))).status_code == 200
    unsubscribe_link_of(message)


@pytest.mark.parametrize("change", [
    {"internal_note": "Salary expectations too high"},
    {"promised_by": date(2026, 11, 20)},
    {"internal_note": "Waiting for the client", "promised_by": date(2026, 11, 20)},
    {"stage_key": "applied", "internal_note": "Still the same stage"},
], ids=["internal-note", "promise-only", "internal-and-promise", "same-stage-internal"])
def test_updates_that_tell_the_candidate_nothing_queue_nothing(
    app, session, people, clock, change
):
    """Do internal notes and promise-only changes leave the outbox alone?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    clock.shift(timedelta(hours=1))

    post_update(session=session, application=application, author=recruiter, **change)
    session.commit()

    assert [m.purpose for m in messages(session)] == ["acknowledgement"]


def test_internal_note_never_reaches_the_email(app, session, people, clock):
    """When an update carries both notes, is only the public one in the email?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    clock.shift(timedelta(hours=1))

    post_update(session=session, application=application, author=recruiter,
                public_note="We are reading applications.", internal_note="SECRET second choice")
    session.commit()

    message = messages(session, application_id=application.id)[-1]
    assert "We are reading applications." in message.body_text
    for part in (message.subject, message.body_text, message.body_html):
        assert "SECRET" not in part


def test_demo_histories_can_skip_the_email(app, session, people, clock):
    """Does ``notify=False`` (demo histories) write the update and no email?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    post_update(session=session, application=application, author=recruiter,
                public_note="Hello", notify=False)
    session.commit()
    assert [m.purpose for m in messages(session)] == ["acknowledgement"]


def fresh_update_kinds(session: Session, application: Application) -> list[str]:
    session.rollback()
    return list(session.scalars(
        select(Update.kind).where(Update.application_id == application.id)
        .order_by(Update.id.desc())
    ))


def test_desk_updates_email_as_the_services_do(app, client, session, people, clock):
    """Through the desk's forms: does a note email once, "No news yet" once (also from the
    list), and an internal note with the untouched prefilled promise not at all?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    clock.shift(timedelta(days=1))
    sign_in(client, recruiter.email)
    page = client.get(f"/admin/applications/{application.id}").text
    prefilled = re.search(r'name="promised_by_default" value="([^"]+)"', page)[1]
    form = {"stage": "applied", "stage_now": "applied", "promised_by": prefilled,
            "promised_by_default": prefilled}
    updates = f"/admin/applications/{application.id}/updates"

    assert client.post(updates, data={**form, "internal_note": "Called the client."}
                       ).status_code == 303
    assert [m.purpose for m in messages(session)] == ["acknowledgement"]
    assert fresh_update_kinds(session, application) == ["internal", "created"]

    assert client.post(updates, data={**form, "public_note": "The client meets on Thursday."}
                       ).status_code == 303
    assert client.post(f"/admin/applications/{application.id}/no-news").status_code == 303
    assert client.post(f"/admin/applications/{application.id}/no-news", data={"back": "desk"},
                       headers={"HX-Request": "true"}).status_code == 200

    queued = messages(session)
    assert [m.purpose for m in queued] == [
        "acknowledgement", "update:note", "update:no_news", "update:no_news"
    ]
    assert "The client meets on Thursday." in queued[1].body_text
    assert "Rita Berg" in queued[2].body_text


def test_cli_updates_email_as_the_services_do(app, runner, session, people, clock):
    """Through `portal updates add`: a note or "no news" emails once, an internal note never."""
    _, _, job = people
    application = make_application(session, job=job)
    clock.shift(timedelta(days=1))

    for args in (["--internal", "Called the client."], ["--note", "Soon, I promise."],
                 ["--no-news"], ["--promise", "2026-11-20"]):
        result = runner.invoke(args=["updates", "add", str(application.id), *args])
        assert result.exit_code == 0, result.output

    queued = messages(session)
    assert [m.purpose for m in queued] == ["acknowledgement", "update:note", "update:no_news"]
    assert "Soon, I promise." in queued[1].body_text
    assert "Rita Berg" in queued[2].body_text  # signed by the job's owner


def counts(engine, application_id: int) -> tuple[int, int]:
    """Updates and outbox messages of an application, as another connection sees them."""
    with engine.connect() as connection:
        updates = connection.scalar(
            select(func.count()).select_from(Update).where(Update.application_id == application_id)
        )
        emails = connection.scalar(
            select(func.count()).select_from(OutboxMessage)
            .where(OutboxMessage.application_id == application_id)
        )
    return updates, emails


def test_email_is_written_in_the_same_transaction_as_the_update(app, session, people, clock):
    """Do the update and its email appear together at commit, and not before?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    other = create_engine(app.config["DATABASE_URL"])
    try:
        assert counts(other, application.id) == (1, 1)  # "received" and the acknowledgement

        post_update(session=session, application=application, author=recruiter,
                    public_note="News!")
        assert counts(other, application.id) == (1, 1)  # flushed, not yet committed
        session.commit()
        assert counts(other, application.id) == (2, 2)
    finally:
        other.dispose()


def test_rolled_back_update_leaves_no_email(app, session, people, clock):
    """If the update's transaction is rolled back, are both the update and its email gone?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    application_id = application.id

    post_update(session=session, application=application, author=recruiter,
                stage_key="screening", public_note="This never happened.")
    session.rollback()

    assert counts(get_engine(app), application_id) == (1, 1)
    assert [m.purpose for m in messages(session)] == ["acknowledgement"]
    assert session.scalar(
        select(func.count()).select_from(Update).where(Update.public_note == "This never happened.")
    ) == 0


def test_rolled_back_creation_leaves_no_acknowledgement(app, session, people, clock):
    """If creating an application is rolled back, is its acknowledgement gone too?"""
    _, _, job = people
    create_application(session=session, job_id=job.id, name="Alva", email="alva@mail.example")
    session.rollback()
    assert messages(session) == []
    assert session.scalar(select(func.count()).select_from(Application)) == 0


# --- markup in names and notes --------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_note_markup_is_escaped_in_html_and_plain_in_text(app, session, people, clock, payload):
    """Is markup in a note escaped in the HTML body and kept as plain text in the text body?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    note = f"Before {payload} after"

    post_update(session=session, application=application, author=recruiter, public_note=note)
    session.commit()

    message = messages(session, application_id=application.id)[-1]
    assert note in message.body_text
    assert "&lt;" not in message.body_text and "&gt;" not in message.body_text
    assert payload not in message.body_html
    assert "<script" not in message.body_html
    assert "<img" not in message.body_html
    assert str(escape(note)) in message.body_html
    assert note in text_of(message.body_html)


def test_names_with_markup_are_escaped(app, session, clock):
    """Are candidate, client, job and recruiter names with markup escaped in every email?"""
    recruiter = make_recruiter(session, name='<script>alert(1)</script> Berg')
    company = make_client(session, name='Acme "><img src=x onerror=alert(1)> AB', slug="acme")
    job = make_job(session, client=company, owner=recruiter, title="<b>Boss</b>")
    application = make_application(session, job=job, name="<script>alert(2)</script> Lind")
    post_update(session=session, application=application, author=recruiter,
                stage_key="screening", public_note="Hi")
    post_no_news_update(session=session, application=application, author=recruiter)
    session.commit()

    queued = messages(session, application_id=application.id)

    assert len(queued) == 3
    for message in queued:
        html = message.body_html
        assert "<script" not in html, message.purpose
        assert "<img" not in html, message.purpose
        assert "<b>" not in html, message.purpose
        assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html  # the candidate's first name
        assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the client's name
        assert "<script>alert(2)</script>" in message.body_text
        assert "&lt;" not in message.body_text
    ack, _, no_news = queued
    for message in (ack, no_news):
        assert 'Acme "><img src=x onerror=alert(1)> AB' in message.body_text
    assert "&lt;b&gt;Boss&lt;/b&gt;" in queued[0].body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Berg" in queued[1].body_html  # the signature


# --- unsubscribe --------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(make_app):
    """The app as in production: CSRF protection on."""
    return make_app(WTF_CSRF_ENABLED=True)


def test_unsubscribe_get_asks_and_changes_nothing(app, client, session, people):
    """Does opening the unsubscribe link (as a link scanner would) only ask for confirmation?"""
    _, _, job = people
    application = make_application(session, job=job, language="sv")
    [ack] = messages(session)
    path = path_of(unsubscribe_link_of(ack))

    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-store"
        assert "noindex" in response.headers["X-Robots-Tag"]
        assert '<form method="post"' in response.text
        assert "Stoppa mejlen" in response.text  # in the candidate's language
        assert "Nordljus AB" in response.text

    assert reload(session, Application, application.id).unsubscribed_at is None
    assert session.scalar(
        select(func.count()).select_from(Update).where(Update.application_id == application.id)
    ) == 1


def test_one_click_unsubscribe_works_without_csrf_token(csrf_app, session, people, clock):
    """Does the mail client's one-click POST, with no cookie or token, stop the emails?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    [ack] = messages(session)
    path = path_of(unsubscribe_link_of(ack))
    browser = csrf_app.test_client()
    # CSRF is really on: a desk form posted without a token is refused.
    refused = browser.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD})
    assert refused.status_code == 400

    response = one_click(csrf_app.test_client(), path)

    assert response.status_code == 200
    assert "You will get no more emails about this application." in response.text
    stopped = reload(session, Application, application.id)
    assert stopped.unsubscribed_at is not None
    # Twice is harmless, also through the confirmation page's button (an empty form):
    # still stopped, one internal note in the history.
    assert one_click(csrf_app.test_client(), path).status_code == 200
    assert csrf_app.test_client().post(path).status_code == 200
    notes = session.scalars(
        select(Update).where(Update.application_id == application.id, Update.kind == "system")
    ).all()
    assert len(notes) == 1
    assert notes[0].is_public is False
    assert "opted out" in notes[0].internal_note


def test_unsubscribed_candidate_keeps_the_page_and_gets_no_more_email(
    app, client, session, people, clock
):
    """After one-click unsubscribe, does the status link still work while emails stop?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    [ack] = messages(session)
    assert one_click(client, path_of(unsubscribe_link_of(ack))).status_code == 200
    application = reload(session, Application, application.id)
    clock.shift(timedelta(days=1))

    post_update(session=session, application=application, author=recruiter,
                stage_key="screening", public_note="You are through to review.")
    post_no_news_update(session=session, application=application, author=recruiter)
    session.commit()

    assert [m.purpose for m in messages(session)] == ["acknowledgement"]
    page = client.get(path_of(status_link_in(ack)))
    assert page.status_code == 200
    assert "You are through to review." in page.text
    assert "Under review" in page.text
    assert "opted out" not in page.text  # the internal note stays internal


def test_desk_shows_that_the_candidate_opted_out(app, client, session, people, clock):
    """Do recruiters see "Opted out" on the application and "emails off" in the list?"""
    recruiter, _, job = people
    application = make_application(session, job=job, name="Alva Lind")
    other = make_application(session, job=job, name="Bo Ek")
    [ack, _] = messages(session)
    sign_in(client, recruiter.email)
    assert "Opted out" not in client.get(f"/admin/applications/{application.id}").text

    one_click(client, path_of(unsubscribe_link_of(ack)))

    page = text_of(client.get(f"/admin/applications/{application.id}").text)
    assert "Opted out Alva stopped emails on 2 November 2026." in page
    desk = client.get("/admin/").text
    rows = dict(re.findall(r'<tr id="row-(\d+)"[^>]*>(.*?)</tr>', desk, re.S))
    assert "emails off" in rows[str(application.id)]
    assert "emails off" not in rows[str(other.id)]
    assert "Opted out" not in client.get(f"/admin/applications/{other.id}").text


def test_tampered_unsubscribe_token_is_not_found(app, client, session, people):
    """Is a tampered, truncated or foreign unsubscribe token a 404 that changes nothing?"""
    _, _, job = people
    application = make_application(session, job=job)
    [ack] = messages(session)
    path = path_of(unsubscribe_link_of(ack))
    token = path.removeprefix("/u/")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    foreign = URLSafeTimedSerializer("some-other-key", salt=UNSUBSCRIBE_SALT).dumps(
        application.id
    )
    with app.test_request_context():
        unknown = make_unsubscribe_token(application.id + 1000)  # authentic, no such application

    for bad in (flipped, token[:-4], token + "x", foreign, unknown, "1"):
        assert client.get(f"/u/{bad}").status_code == 404, bad
        assert one_click(client, f"/u/{bad}").status_code == 404, bad

    assert reload(session, Application, application.id).unsubscribed_at is None


def test_unsubscribe_and_status_tokens_are_not_interchangeable(app, client, session, people):
    """Is an unsubscribe token useless as a status link, and a status token useless here?"""
    _, _, job = people
    application = make_application(session, job=job)
    [ack] = messages(session)
    unsubscribe_token = path_of(unsubscribe_link_of(ack)).removeprefix("/u/")
    status_token = path_of(status_link_in(ack)).removeprefix("/s/")

    assert client.get(f"/s/{unsubscribe_token}").status_code == 404
    assert client.get(f"/s/{unsubscribe_token}", headers=JSON).status_code == 404
    assert client.get(f"/u/{status_token}").status_code == 404
    assert one_click(client, f"/u/{status_token}").status_code == 404
    assert reload(session, Application, application.id).unsubscribed_at is None
    # Each works where it belongs.
    assert client.get(f"/s/{status_token}").status_code == 200
    assert client.get(f"/u/{unsubscribe_token}").status_code == 200


def test_unsubscribe_link_survives_a_revoked_status_link(app, client, session, people):
    """After the status link is revoked, does the unsubscribe link of an old email still work?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    [ack] = messages(session)
    sign_in(client, recruiter.email)
    client.post(f"/admin/applications/{application.id}/link")

    assert client.get(path_of(status_link_in(ack))).status_code == 404
    assert one_click(client, path_of(unsubscribe_link_of(ack))).status_code == 200
    assert reload(session, Application, application.id).unsubscribed_at is not None


# --- delivery states on the desk ----------------------------------------------------------------


def emails_panel_rows(html: str) -> list[str]:
    """The rows of the application page's email table, as text, newest first."""
    panel = re.search(r'<section class="panel emails-panel".*?</section>', html, re.S)[0]
    body = re.search(r"<tbody>(.*?)</tbody>", panel, re.S)[1]
    return [text_of(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_desk_lists_each_email_with_its_state(app, client, session, people, clock):
    """Does the application page show each email as queued, sent, or failed with the error?"""
    recruiter, _, job = people
    application = make_application(session, job=job, name="Alva Lind")
    clock.shift(timedelta(days=1))
    post_update(session=session, application=application, author=recruiter,
                stage_key="screening")
    clock.shift(timedelta(days=1))
    post_no_news_update(session=session, application=application, author=recruiter)
    clock.shift(timedelta(days=1))
    post_update(session=session, application=application, author=recruiter,
                public_note="Soon.")
    session.commit()
    ack, stage, no_news, note = messages(session, application_id=application.id)
    ack.status, ack.attempts, ack.sent_at = MessageStatus.SENT, 1, NOW + timedelta(minutes=1)
    stage.status, stage.attempts = MessageStatus.FAILED, 8
    stage.last_error = "550 5.1.1 <alva@mail.example>: mailbox unavailable"
    no_news.attempts, no_news.last_error = 2, "Connection refused"
    session.add_all([ack, stage, no_news])
    session.commit()
    sign_in(client, recruiter.email)

    html = client.get(f"/admin/applications/{application.id}").text
    rows = emails_panel_rows(html)

    assert len(rows) == 4
    latest, retrying, failed, sent = rows
    assert "News on your application: Data Engineer" in latest
    assert "Queued" in latest and "retrying" not in latest and "Resend" not in latest
    assert "No news yet on your application" in retrying
    assert "Queued 2 failed attempts, retrying: Connection refused" in retrying
    assert "Your application for Data Engineer: Under review" in failed
    assert (
        "Failed after 8 attempts: 550 5.1.1 <alva@mail.example>: mailbox unavailable" in failed
    )
    assert "Resend" in failed
    assert "We have your application: Data Engineer at Nordljus AB" in sent
    assert "Sent 2 November 2026" in sent
    assert "Resend" in sent
    assert f"to {application.email}" in sent
    # The error is text, never markup.
    assert "&lt;alva@mail.example&gt;" in html
    assert "<alva@mail.example>" not in html


def test_resend_from_the_desk_queues_a_copy(app, client, session, people, clock):
    """Does "Resend" on a failed email queue a copy with the same content, marked as resent?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    [ack] = messages(session)
    ack.status, ack.attempts, ack.last_error = MessageStatus.FAILED, 8, "timeout"
    session.add(ack)
    session.commit()
    sign_in(client, recruiter.email)

    response = client.post(f"/admin/applications/{application.id}/emails/{ack.id}/resend")

    assert response.status_code == 303
    original, copy = messages(session, application_id=application.id)
    assert copy.resend_of == original.id
    assert copy.status == MessageStatus.QUEUED
    assert (copy.subject, copy.body_text, copy.body_html, copy.headers, copy.to_address) == (
        original.subject, original.body_text, original.body_html, original.headers,
        original.to_address,
    )
    assert copy.message_id != original.message_id
    rows = emails_panel_rows(client.get(f"/admin/applications/{application.id}").text)
    assert "resent" in rows[0] and "Queued" in rows[0]
    assert "Failed" in rows[1]
