"""Delivering the outbox into a real SMTP server (aiosmtpd on 127.0.0.1), on SQLite and PostgreSQL.

Nothing here mocks the database or SMTP: messages are queued by the services, delivered by
``portal outbox run`` / ``portal.worker.outbox`` over a socket, and checked as the server received
them. Failures are real too: a stopped server (nothing listens on the port), a server that
answers DATA with 4xx/5xx, and a transport that dies between sending and marking.
"""

import email
import re
import threading
from collections import Counter
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlmodel import Session, select

from portal import create_app
from portal.core.clock import now
from portal.core.db import get_engine, make_engine
from portal.mail.outbox import enqueue_email
from portal.models import MessageStatus, OutboxMessage, Recruiter
from portal.services.updates import post_update
from portal.worker.outbox import SmtpTransport, deliver_due, run_worker
from tests.factories import make_application, make_client, make_job
from tests.helpers import BACKEND, IsolatedCliRunner, sign_in

MAIL_FROM = "Acme Careers <jobs@portal.test>"
MAX_ATTEMPTS = 3
STATUS_LINK = re.compile(r"http://portal\.test/s/[A-Za-z0-9._-]+")


@pytest.fixture
def app_config(app_config, request):
    """The test app sends From MAIL_FROM, gives up after MAX_ATTEMPTS, and delivers to the
    test's SMTP server when the test uses one (else it writes .eml files)."""
    config = {**app_config, "MAIL_FROM": MAIL_FROM, "OUTBOX_MAX_ATTEMPTS": MAX_ATTEMPTS}
    if "smtp_server" in request.fixturenames:
        config["SMTP_URL"] = request.getfixturevalue("smtp_server").url
    return config


# --- helpers -------------------------------------------------------------------------------


def outbox(session: Session) -> list[OutboxMessage]:
    """Every outbox row as the database has it now, oldest first."""
    session.rollback()
    session.expire_all()
    return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def run_once(runner) -> str:
    """``portal outbox run --once``; returns its output."""
    result = runner.invoke(args=["outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def deliver_with(app, transport):
    """One delivery round with an explicit transport (what ``run_worker`` does with its own)."""
    return deliver_due(
        engine=get_engine(app), transport=transport, from_address=MAIL_FROM,
        max_attempts=MAX_ATTEMPTS,
    )


# --- messages arrive -----------------------------------------------------------------------


def test_acknowledgements_arrive_in_the_candidates_language_with_a_working_link(
    smtp_server, runner, client, session
):
    """Does `portal outbox run --once` deliver each acknowledgement over SMTP to the right
    recipient, in the candidate's language, as a complete multipart email whose status link
    opens, and mark the rows sent?"""
    titles = {"en": "Backend Engineer", "sv": "Backendutvecklare"}
    english = make_application(
        session, job=make_job(session, title=titles["en"]), name="Ada Lovelace",
        email="ada@mail.example", language="en",
    )
    swedish = make_application(
        session, job=make_job(session, title=titles["sv"]), name="Sven Svensson",
        email="sven@mail.example", language="sv",
    )
    rows = outbox(session)
    assert [row.status for row in rows] == ["queued", "queued"]

    output = run_once(runner)

    assert "Sent 2, will retry 0, failed 0" in output
    received = smtp_server.received
    assert len(received) == 2
    by_recipient = {tuple(item.rcpt_tos): item for item in received}
    assert set(by_recipient) == {("ada@mail.example",), ("sven@mail.example",)}
    for application, row in zip((english, swedish), rows, strict=True):
        item = by_recipient[(application.email,)]
        message = item.message
        assert message["To"] == application.email
        assert message["Message-ID"] == row.message_id
        assert message["From"] == MAIL_FROM
        assert item.mail_from == parseaddr(MAIL_FROM)[1]
        sent_on = parsedate_to_datetime(message["Date"])
        assert abs(sent_on - now()) < timedelta(minutes=5)
        assert message["List-Unsubscribe"].startswith("<http://portal.test/u/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        assert [part.get_content_type() for part in message.iter_parts()] == [
            "text/plain", "text/html",
        ]
        text, html = item.part("text/plain"), item.part("text/html")
        link = STATUS_LINK.search(text)[0]
        assert link in unescape(html)
        page = client.get(urlsplit(link).path)
        assert page.status_code == 200
        assert titles[application.language] in page.text

    english_message = by_recipient[("ada@mail.example",)].message
    swedish_message = by_recipient[("sven@mail.example",)].message
    assert english_message["Subject"].startswith(
        "We have your application: Backend Engineer at "
    )
    assert swedish_message["Subject"].startswith(
        "Vi har tagit emot din ansökan: Backendutvecklare hos "
    )
    assert "Hello Ada," in by_recipient[("ada@mail.example",)].part("text/plain")
    assert "Hej Sven!" in by_recipient[("sven@mail.example",)].part("text/plain")

    rows = outbox(session)
    assert [row.status for row in rows] == [MessageStatus.SENT, MessageStatus.SENT]
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    assert all(row.last_error is None for row in rows)


def test_internal_notes_send_nothing_and_a_note_to_the_candidate_sends_it(
    smtp_server, app, session
):
    """Does an internal-only update stay out of the candidate's inbox, while a note to the
    candidate arrives as an email that carries the note?"""
    job = make_job(session)
    application = make_application(session, job=job, name="Nora Note")
    author = session.get(Recruiter, job.owner_id)
    run_worker(app, once=True)
    assert len(smtp_server.received) == 1  # the acknowledgement
    smtp_server.clear()

    post_update(
        session=session, application=application, author=author,
        internal_note="Hiring manager unsure; do not tell the candidate yet.",
    )
    session.commit()
    report = run_worker(app, once=True)

    assert report.attempted == 0
    assert smtp_server.received == []
    assert len(outbox(session)) == 1

    note = "The client loved your portfolio — expect an invitation to a second interview."
    post_update(session=session, application=application, author=author, public_note=note)
    session.commit()
    report = run_worker(app, once=True)

    assert report.sent == 1
    [item] = smtp_server.received
    assert item.rcpt_tos == [application.email]
    assert item.message["Subject"] == "News on your application: Backend Engineer"
    assert note in item.part("text/plain")
    assert note in unescape(item.part("text/html"))
    assert "Hiring manager unsure" not in item.message.as_string()


# --- failures and retries ------------------------------------------------------------------


def test_smtp_down_keeps_messages_queued_and_backs_off_then_delivers_each_once(
    smtp_server, app, session
):
    """When nothing listens on the SMTP port, are the messages kept (queued, with the error
    and a growing backoff, the round stopped at the first failed connection), and once the
    server is back, does every message arrive exactly once with its own Message-ID?"""
    with time_machine.travel(now(), tick=False) as clock:
        for _ in range(3):
            make_application(session)
        queued = outbox(session)
        smtp_server.stop()

        first = run_worker(app, once=True)

        assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
        tried, *untried = outbox(session)
        assert tried.status == MessageStatus.QUEUED
        assert tried.attempts == 1
        assert "ConnectionRefusedError" in tried.last_error
        first_wait = tried.next_attempt_at - now()
        assert first_wait > timedelta(0)
        # The round stopped at the first failed connection: the others were not tried.
        assert [(row.status, row.attempts, row.last_error) for row in untried] == [
            (MessageStatus.QUEUED, 0, None), (MessageStatus.QUEUED, 0, None),
        ]

        clock.move_to(tried.next_attempt_at + timedelta(seconds=1))
        second = run_worker(app, once=True)

        assert (second.sent, second.retrying) == (0, 1)
        tried, *_ = outbox(session)
        assert tried.status == MessageStatus.QUEUED
        assert tried.attempts == 2
        second_wait = tried.next_attempt_at - now()
        assert second_wait > first_wait  # exponential backoff
        assert [row.message_id for row in outbox(session)] == [r.message_id for r in queued]
        assert all(row.status == MessageStatus.QUEUED for row in outbox(session))
        assert smtp_server.received == []

        smtp_server.start()
        clock.move_to(tried.next_attempt_at + timedelta(seconds=1))
        back = run_worker(app, once=True)

    assert (back.sent, back.retrying, back.failed) == (3, 0, 0)
    assert smtp_server.message_id_counts() == Counter(row.message_id for row in queued)
    assert all(count == 1 for count in smtp_server.message_id_counts().values())
    rows = outbox(session)
    assert all(row.status == MessageStatus.SENT and row.sent_at for row in rows)
    assert [row.attempts for row in rows] == [3, 1, 1]


@pytest.mark.parametrize(
    "refusal", ["451 4.3.0 Try again later", "554 5.7.1 Message refused by policy"],
    ids=["451", "554"],
)
def test_refused_message_fails_after_max_attempts_shows_on_the_desk_and_can_be_resent(
    smtp_server, app, client, session, refusal
):
    """When the server refuses a message every time, is it marked failed with the server's
    answer after OUTBOX_MAX_ATTEMPTS, shown as failed on the application's desk page, and does
    "Resend" queue a copy with a new Message-ID that the next run delivers?"""
    job = make_job(session)
    application = make_application(session, job=job, name="Fay Failure")
    [original] = outbox(session)
    smtp_server.handler.refusal = refusal
    code, _, text = refusal.partition(" ")

    with time_machine.travel(now(), tick=False) as clock:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            report = run_worker(app, once=True)
            [row] = outbox(session)
            assert row.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert report.retrying == 1
                assert row.status == MessageStatus.QUEUED
                clock.move_to(row.next_attempt_at + timedelta(seconds=1))
        assert report.failed == 1
    assert row.status == MessageStatus.FAILED
    assert code in row.last_error and text.split(" ", 1)[1] in row.last_error
    assert smtp_server.received == []
    assert run_worker(app, once=True).attempted == 0  # a failed message is not retried

    sign_in(client, session.get(Recruiter, job.owner_id).email)
    page = client.get(f"/admin/applications/{application.id}")
    assert page.status_code == 200
    assert "Failed" in page.text
    assert f"after {MAX_ATTEMPTS} attempts" in page.text
    assert text.split(" ", 1)[1] in unescape(page.text)

    response = client.post(f"/admin/applications/{application.id}/emails/{row.id}/resend")
    assert response.status_code == 303
    failed, copy = outbox(session)
    assert failed.id == original.id and failed.status == MessageStatus.FAILED
    assert copy.resend_of == original.id
    assert copy.status == MessageStatus.QUEUED and copy.attempts == 0
    assert copy.message_id != original.message_id
    assert (copy.to_address, copy.subject, copy.body_text) == (
        original.to_address, original.subject, original.body_text,
    )

    smtp_server.handler.refusal = None
    report = run_worker(app, once=True)

    assert report.sent == 1
    [item] = smtp_server.received
    assert item.message_id == copy.message_id
    assert item.rcpt_tos == [application.email]
    failed, copy = outbox(session)
    assert (failed.status, copy.status) == (MessageStatus.FAILED, MessageStatus.SENT)


class CrashAfterSend(BaseException):
    """The process dies (think SIGKILL or power loss) right after the server took a message:
    nothing in the delivery code may catch it."""


class CrashingTransport:
    """Really delivers through the wrapped SmtpTransport, then 'crashes' before the mark."""

    def __init__(self, inner: SmtpTransport):
        self.inner = inner

    def send(self, message: EmailMessage) -> None:
        self.inner.send(message)
        raise CrashAfterSend(message["Message-ID"])

    def close(self) -> None:
        self.inner.close()


def test_a_crash_between_send_and_mark_resends_with_the_same_message_id(
    smtp_server, app, session
):
    """If the worker dies after the server accepted a message but before it was marked sent,
    is the message still queued, and does the next run send it again with the same
    Message-ID (at least once, never lost)?"""
    make_application(session)
    make_application(session)
    first, second = outbox(session)

    transport = CrashingTransport(SmtpTransport(smtp_server.url))
    try:
        with pytest.raises(CrashAfterSend):
            deliver_with(app, transport)
    finally:
        transport.close()

    assert smtp_server.message_id_counts() == Counter({first.message_id: 1})
    rows = outbox(session)
    assert [(row.status, row.attempts, row.sent_at) for row in rows] == [
        (MessageStatus.QUEUED, 0, None), (MessageStatus.QUEUED, 0, None),
    ]

    report = run_worker(app, once=True)

    assert report.sent == 2
    assert smtp_server.message_id_counts() == Counter(
        {first.message_id: 2, second.message_id: 1}
    )
    assert all(row.status == MessageStatus.SENT for row in outbox(session))
    assert [row.message_id for row in outbox(session)] == [first.message_id, second.message_id]


# --- several workers -----------------------------------------------------------------------


@pytest.mark.skipif(BACKEND != "postgresql", reason="row locks need PostgreSQL")
def test_two_workers_at_once_send_every_message_exactly_once(smtp_server, database_url, session):
    """With two workers delivering the same outbox at the same time on PostgreSQL (each with
    its own connections and SMTP session), does every message arrive exactly once?"""
    client = make_client(session)
    expected = []
    for n in range(200):
        message = enqueue_email(
            session=session, purpose="load", to_address=f"load{n}@mail.example",
            subject=f"Load {n} for {client.name}", body_text=f"Message {n}", body_html=None,
            domain="portal.test",
        )
        expected.append(message.message_id)
    session.commit()
    smtp_server.handler.delay = 0.003  # the server thinks a little, so the workers overlap

    start = threading.Barrier(2)
    reports, errors = {}, []

    def worker(name: str) -> None:
        engine = make_engine(database_url)
        transport = SmtpTransport(smtp_server.url)
        try:
            start.wait()
            reports[name] = deliver_due(
                engine=engine, transport=transport, from_address=MAIL_FROM,
                max_attempts=MAX_ATTEMPTS, batch_size=10,
            )
        except Exception as error:  # reported to the test thread below
            errors.append(error)
        finally:
            transport.close()
            engine.dispose()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert reports["a"].sent + reports["b"].sent == 200
    assert reports["a"].sent > 0 and reports["b"].sent > 0  # both really worked
    assert reports["a"].retrying + reports["b"].retrying == 0
    counts = smtp_server.message_id_counts()
    assert set(counts) == set(expected)
    assert set(counts.values()) == {1}
    rows = outbox(session)
    assert {row.status for row in rows} == {MessageStatus.SENT}
    assert {row.attempts for row in rows} == {1}


# --- the demo: .eml files ------------------------------------------------------------------


def test_without_smtp_url_emails_are_written_as_eml_files_and_their_subjects_printed(
    app_config, tmp_path, session
):
    """Without SMTP_URL, does `portal outbox run --once` write each email as an .eml file in
    the outbox folder, print its subject, and mark it sent?"""
    eml_folder = tmp_path / "eml"
    assert app_config.get("SMTP_URL") is None
    app = create_app({**app_config, "OUTBOX_FOLDER": str(eml_folder)})
    instance_outbox = Path(app.instance_path) / "outbox"
    before = set(instance_outbox.glob("*.eml"))
    try:
        make_application(session, name="Ella English", language="en")
        make_application(session, name="Stina Svensk", language="sv")
        rows = outbox(session)
        app.test_cli_runner_class = IsolatedCliRunner  # its own app context, not the twin's
        runner = app.test_cli_runner()

        output = run_once(runner)
    finally:
        get_engine(app).dispose()

    for row in rows:
        assert row.subject in output, output
    files = sorted(eml_folder.glob("*.eml"))
    assert len(files) == 2, output
    written = [email.message_from_bytes(path.read_bytes(), policy=policy.default)
               for path in files]
    assert {message["Message-ID"] for message in written} == {row.message_id for row in rows}
    assert {message["Subject"] for message in written} == {row.subject for row in rows}
    for message in written:
        assert message["From"] == MAIL_FROM
        assert message.get_content_type() == "multipart/alternative"
        assert STATUS_LINK.search(message.get_body(("plain",)).get_content())
    assert all(row.status == MessageStatus.SENT for row in outbox(session))
    assert set(instance_outbox.glob("*.eml")) == before  # nothing went to the default folder
