"""Keeping the promise actively: lapsed promises, reminder digests and automatic notices.

The clock is frozen on Monday 2 November 2026, 09:00 UTC (10:00 in Stockholm) and moved forward
by the tests; jobs promise an update within 5 business days unless a test says otherwise.
"""

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from portal.core.db import make_engine
from portal.models import Application, Client, DigestLog, OutboxMessage, Update, UpdateKind
from portal.services.reminders import send_digests
from portal.services.updates import post_update
from tests.factories import make_application, make_client, make_job, make_recruiter
from tests.helpers import BASE_URL, JSON, reload, sign_in, status_path, text_of

TODAY = date(2026, 11, 2)


@pytest.fixture
def rita(session, clock):
    """Rita Berg owns the Data Engineer job at Nordljus AB."""
    recruiter = make_recruiter(session, name="Rita Berg", email="rita.berg@agency.example")
    company = make_client(session, name="Nordljus AB", slug="nordljus")
    job = make_job(session, client=company, owner=recruiter, title="Data Engineer")
    return recruiter, job


@pytest.fixture
def olle(session, clock):
    """Olle Holm owns the Tester job at Fjällvind AB."""
    recruiter = make_recruiter(session, name="Olle Holm", email="olle.holm@agency.example")
    company = make_client(session, name="Fjällvind AB", slug="fjallvind")
    job = make_job(session, client=company, owner=recruiter, title="Tester")
    return recruiter, job


# --- helpers ------------------------------------------------------------------------------------


def at(day: date, hour: int = 9) -> datetime:
    """A moment on ``day`` (UTC; 09:00 UTC is mid-morning in Stockholm all year)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def fresh(session: Session) -> Session:
    session.rollback()
    session.expire_all()
    return session


def applicant(session: Session, job, name: str, promised_by: date | None = None,
              **fields) -> Application:
    """An application whose next update is promised by ``promised_by`` (default: the job's)."""
    application = make_application(session, job=job, name=name, **fields)
    if promised_by is not None:
        application.promised_by = promised_by
        session.add(application)
        session.commit()
    return application


def remind(runner) -> str:
    """Run `portal remind` as cron would; its output."""
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    return result.output


def digests(session: Session, to: str | None = None) -> list[OutboxMessage]:
    statement = (
        select(OutboxMessage).where(OutboxMessage.purpose == "digest").order_by(OutboxMessage.id)
    )
    if to is not None:
        statement = statement.where(OutboxMessage.to_address == to)
    return list(fresh(session).scalars(statement))


def candidate_emails(session: Session, application: Application) -> list[OutboxMessage]:
    return list(fresh(session).scalars(
        select(OutboxMessage).where(OutboxMessage.application_id == application.id)
        .order_by(OutboxMessage.id)
    ))


def desk_link(application: Application) -> str:
    return f"{BASE_URL}/admin/applications/{application.id}"


def listed(message: OutboxMessage, application: Application) -> bool:
    """Does the digest list the application (by name and direct link, in both bodies)?"""
    link = desk_link(application)
    in_text = re.search(rf"{re.escape(link)}\s*$", message.body_text, re.M) is not None
    in_html = f'href="{link}"' in message.body_html
    assert in_text == in_html, (application.name, in_text, in_html)
    if in_text:
        assert application.name in message.body_text
        assert application.name in message.body_html
    return in_text


# --- a lapsed promise is said plainly -------------------------------------------------------------


def test_lapsed_promise_is_said_plainly_on_the_page(app, client, session, rita):
    """Does the candidate's page say the update was due on a date, and the JSON say overdue?"""
    _, job = rita
    application = applicant(session, job, "Alva Lind", promised_by=date(2026, 10, 8))
    path = status_path(app, application)

    response = client.get(path)

    words = text_of(response.text)
    assert "Your next update was due on 8 October 2026." in words
    assert "It is late. It is now at the top of Rita's list." in words
    assert "We have reminded" not in words  # nobody has been reminded yet
    assert "Promised by" not in words
    assert "is-overdue" in response.text
    data = client.get(path, headers=JSON).json
    assert data["overdue"] is True
    assert data["days_overdue"] == 25
    assert data["promised_by"] == "2026-10-08"
    assert data["reminded_at"] is None


def test_promise_due_today_is_not_yet_lapsed(app, client, session, rita):
    """Is a promise due today still a promise, not a lapse?"""
    _, job = rita
    application = applicant(session, job, "Alva Lind", promised_by=TODAY)
    data = client.get(status_path(app, application), headers=JSON).json
    assert data["overdue"] is False
    assert "Promised by Monday 2 November 2026" in text_of(
        client.get(status_path(app, application)).text
    )


def test_desk_lists_lapsed_promises_first(app, client, session, rita, olle):
    """Does the desk put the lapsed promise at the top, marked overdue with its days?"""
    recruiter, job = rita
    _, other_job = olle
    later = applicant(session, job, "Bo Later")  # promised by 9 November
    today_ = applicant(session, other_job, "Cia Today", promised_by=TODAY)
    yesterday = applicant(session, job, "Dan Yesterday", promised_by=date(2026, 11, 1))
    lapsed = applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))
    sign_in(client, recruiter.email)

    html = client.get("/admin/").text

    rows = re.findall(r'<tr id="row-(\d+)"[^>]*>(.*?)</tr>', html, re.S)
    assert [int(row_id) for row_id, _ in rows] == [lapsed.id, yesterday.id, today_.id, later.id]
    texts = [text_of(row) for _, row in rows]
    assert "Overdue 25 days was due 8 October 2026" in texts[0]
    assert "Overdue 1 day was due 1 November 2026" in texts[1]
    assert "Due today" in texts[2] and "Overdue" not in texts[2]
    assert "Overdue" not in texts[3]
    assert 'class="is-overdue"' in html
    page = text_of(client.get(f"/admin/applications/{lapsed.id}").text)
    assert "Overdue 25 days (was due 8 October 2026)" in page


# --- the digest ---------------------------------------------------------------------------------


@pytest.fixture
def promises(session, rita, olle):
    """Rita's and Olle's applications, due at various times."""
    _, job = rita
    _, other_job = olle
    closed = applicant(session, job, "Eva Closed")
    post_update(session=session, application=closed, author=None, stage_key="not_selected")
    closed.promised_by = date(2026, 10, 1)  # a stale date must not count for a closed one
    session.add(closed)
    session.commit()
    return {
        "lapsed": applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8)),
        "today": applicant(session, job, "Bo Today", promised_by=TODAY),
        "tomorrow": applicant(session, job, "Cia Tomorrow", promised_by=date(2026, 11, 3)),
        "next_week": applicant(session, job, "Dan Nextweek"),  # 9 November
        "closed": closed,
        "olles": applicant(session, other_job, "Olof Other", promised_by=date(2026, 10, 30)),
    }


def test_remind_queues_one_digest_per_recruiter(app, client, runner, session, rita, olle,
                                                promises):
    """Does each recruiter get one digest with their lapsed and soon-due promises, linked?"""
    recruiter, _ = rita
    other, _ = olle
    idle = make_recruiter(session, name="Nils Idle")
    applicant(session, make_job(session, owner=idle), "Ivar Waiting")  # due in a week

    output = remind(runner)

    assert "Digests queued: 2 (2 overdue, 2 due soon); already sent today: 0" in output
    assert f"digest for {recruiter.email}" in output
    assert f"digest for {other.email}" in output
    assert {m.to_address for m in digests(session)} == {recruiter.email, other.email}

    [mine] = digests(session, to=recruiter.email)
    assert mine.subject == "1 lapsed and 2 upcoming promises to candidates"
    assert mine.recruiter_id == recruiter.id
    assert mine.application_id is None
    assert mine.headers.get("Auto-Submitted") == "auto-generated"
    assert "List-Unsubscribe" not in mine.headers
    assert [listed(mine, promises[key]) for key in promises] == [
        True, True, True, False, False, False
    ]
    text = mine.body_text
    assert "Hello Rita," in text
    assert "1 promise to a candidate has lapsed:" in text
    assert ("- Alva Lapsed (Data Engineer, Nordljus AB): due 8 October 2026 – 25 days overdue"
            in text)
    assert "2 promises fall due by the next business day:" in text
    assert "- Bo Today (Data Engineer, Nordljus AB): due 2 November 2026" in text
    assert "- Cia Tomorrow (Data Engineer, Nordljus AB): due 3 November 2026" in text
    # Lapsed first, then due soon, each under its heading.
    lapsed_part, due_part = text.split("2 promises fall due by the next business day:")
    assert "Alva Lapsed" in lapsed_part and "Bo Today" not in lapsed_part
    assert "Bo Today" in due_part and "Cia Tomorrow" in due_part and "Alva" not in due_part
    assert f"{BASE_URL}/admin/" in text

    [theirs] = digests(session, to=other.email)
    assert theirs.subject == "1 lapsed and 0 upcoming promises to candidates"
    assert [listed(theirs, promises[key]) for key in promises] == [
        False, False, False, False, False, True
    ]
    assert "Olof Other (Tester, Fjällvind AB): due 30 October 2026 – 3 days overdue" in (
        theirs.body_text
    )

    # The direct link opens the application for the recruiter.
    sign_in(client, recruiter.email)
    page = client.get(desk_link(promises["lapsed"]).removeprefix(BASE_URL))
    assert page.status_code == 200
    assert "Alva Lapsed" in page.text


@pytest.mark.parametrize(("count", "subject"), [
    (1, "1 promise to a candidate falls due soon"),
    (2, "2 promises to candidates fall due soon"),
])
def test_digest_without_lapses_says_what_falls_due(app, runner, session, rita, count, subject):
    """With nothing lapsed, does the digest only announce the promises due soon (in good
    English for one promise as for many)?"""
    recruiter, job = rita
    for n in range(count):
        applicant(session, job, f"Bo Today{n}", promised_by=TODAY)

    remind(runner)

    [digest] = digests(session)
    assert digest.subject == subject
    assert "has lapsed" not in digest.body_text
    heading = ("1 promise falls due" if count == 1 else f"{count} promises fall due")
    assert f"{heading} by the next business day:" in digest.body_text


def test_swedish_digest_without_lapses_counts_in_swedish(app, runner, session, clock):
    """Does the Swedish subject agree with its number too?"""
    recruiter = make_recruiter(session, name="Rita Berg", language="sv")
    job = make_job(session, owner=recruiter)
    applicant(session, job, "Bo Today", promised_by=TODAY)

    remind(runner)

    [digest] = digests(session)
    assert digest.subject == "1 löfte till en kandidat förfaller snart"


def test_nothing_due_means_no_digest(app, runner, session, rita):
    """Does a recruiter whose promises are all far off get no digest at all?"""
    _, job = rita
    applicant(session, job, "Dan Nextweek")

    output = remind(runner)

    assert "Digests queued: 0" in output
    assert digests(session) == []


def test_second_run_the_same_day_sends_nothing_new(app, runner, session, rita, olle, promises,
                                                   clock):
    """Is `portal remind` safe from cron: once a day per recruiter, and again the next day?"""
    recruiter, _ = rita
    remind(runner)
    assert len(digests(session)) == 2

    clock.shift(timedelta(hours=8))  # 18:00 in Stockholm, the same day
    output = remind(runner)

    assert "Digests queued: 0 (0 overdue, 0 due soon); already sent today: 2" in output
    assert "digest for" not in output
    assert len(digests(session)) == 2

    clock.move_to(at(date(2026, 11, 3), hour=6), tick=False)  # Tuesday, 07:00 in Stockholm
    output = remind(runner)

    assert "Digests queued: 2" in output
    assert "already sent today: 0" in output
    [_, tuesday] = digests(session, to=recruiter.email)
    # Yesterday's "today" has lapsed; Wednesday is now the next business day.
    assert listed(tuesday, promises["lapsed"])
    assert listed(tuesday, promises["today"])
    assert "Bo Today (Data Engineer, Nordljus AB): due 2 November 2026 – 1 day overdue" in (
        tuesday.body_text
    )
    assert listed(tuesday, promises["tomorrow"])
    assert not listed(tuesday, promises["next_week"])
    days = fresh(session).scalars(
        select(DigestLog.day).where(DigestLog.recruiter_id == recruiter.id).order_by(DigestLog.day)
    ).all()
    assert days == [date(2026, 11, 2), date(2026, 11, 3)]


def test_the_day_changes_at_midnight_in_stockholm(app, runner, session, rita, clock):
    """Is "once a day" counted in the agency's time zone, not in UTC?"""
    _, job = rita
    applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))
    clock.move_to(datetime(2026, 11, 2, 22, 30, tzinfo=UTC), tick=False)  # 23:30 in Stockholm
    remind(runner)
    clock.move_to(datetime(2026, 11, 2, 23, 30, tzinfo=UTC), tick=False)  # 00:30 on Tuesday
    remind(runner)

    assert len(digests(session)) == 2
    assert fresh(session).scalars(select(DigestLog.day).order_by(DigestLog.day)).all() == [
        date(2026, 11, 2), date(2026, 11, 3)
    ]


@pytest.mark.parametrize(("today", "listed_day", "unlisted_day", "country"), [
    (date(2026, 11, 6), date(2026, 11, 9), date(2026, 11, 10), "SE"),  # Friday -> Monday
    (date(2026, 6, 18), date(2026, 6, 22), date(2026, 6, 23), "SE"),  # before Midsummer Eve
    (date(2026, 12, 23), date(2026, 12, 28), date(2026, 12, 29), "SE"),  # before Christmas Eve
    (date(2026, 4, 2), date(2026, 4, 7), date(2026, 4, 8), "SE"),  # Maundy Thursday -> Tuesday
    (date(2026, 12, 23), date(2026, 12, 24), date(2026, 12, 28), "GB"),  # a working Christmas Eve
], ids=["friday", "midsummer", "christmas", "easter", "british-client"])
def test_next_business_day_skips_weekends_and_holidays(
    app, runner, session, clock, today, listed_day, unlisted_day, country
):
    """Does "due by the next business day" skip weekends and the client's holidays?"""
    recruiter = make_recruiter(session, name="Rita Berg")
    company = make_client(session, name="Nordljus AB", country=country)
    job = make_job(session, client=company, owner=recruiter, title="Data Engineer")
    clock.move_to(at(today), tick=False)
    due = applicant(session, job, "Ada Due", promised_by=listed_day)
    not_yet = applicant(session, job, "Ben Later", promised_by=unlisted_day)

    remind(runner)

    [digest] = digests(session)
    assert listed(digest, due)
    assert not listed(digest, not_yet)


def test_digest_is_in_the_recruiters_language(app, runner, session, clock):
    """Does a Swedish-speaking recruiter get the digest in Swedish?"""
    recruiter = make_recruiter(session, name="Rita Berg", language="sv")
    company = make_client(session, name="Nordljus AB")
    job = make_job(session, client=company, owner=recruiter, title="Data Engineer")
    lapsed = applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))
    soon = applicant(session, job, "Bo Today", promised_by=TODAY)

    remind(runner)

    [digest] = digests(session)
    assert digest.subject == "1 missade och 1 kommande löften till kandidater"
    assert '<html lang="sv">' in digest.body_html
    text = digest.body_text
    assert "Hej Rita!" in text
    assert "1 löfte till en kandidat har passerat:" in text
    assert "Alva Lapsed (Data Engineer, Nordljus AB): utlovat 8 oktober 2026 – 25 dagar sent" in (
        text
    )
    assert "utlovat 2 november 2026" in text
    assert "Hello" not in text and "October" not in text
    assert listed(digest, lapsed) and listed(digest, soon)


def test_inactive_recruiter_gets_no_digest(app, runner, session, rita):
    """Is a recruiter whose login is switched off left out (and nothing else breaks)?"""
    recruiter, job = rita
    applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))
    recruiter.is_active = False
    session.add(recruiter)
    session.commit()

    output = remind(runner)

    assert "Digests queued: 0 (0 overdue, 0 due soon); already sent today: 0" in output
    assert digests(session) == []


# --- "we have reminded" ---------------------------------------------------------------------------


def test_page_says_the_recruiter_was_reminded(app, client, runner, session, rita, promises,
                                              clock):
    """After the digest, does the page say who was reminded and when, until a new promise?"""
    recruiter, _ = rita
    lapsed = promises["lapsed"]
    path = status_path(app, lapsed)

    remind(runner)

    words = text_of(client.get(path).text)
    assert "Your next update was due on 8 October 2026." in words
    assert "We have reminded Rita. (reminder sent 2 November 2026)" in words
    assert "It is late" not in words
    data = client.get(path, headers=JSON).json
    assert data["overdue"] is True
    assert data["reminded_at"].startswith("2026-11-02T09:00:00")
    # Due today: listed in the digest, yet nothing has lapsed, so nobody was "reminded" of it.
    assert reload(session, Application, promises["today"].id).reminded_at is None

    # The next day's digest lists it again; the page keeps the first reminder's date.
    clock.move_to(at(date(2026, 11, 3)), tick=False)
    remind(runner)
    assert "We have reminded Rita. (reminder sent 2 November 2026)" in text_of(
        client.get(path).text
    )

    # A new update makes a new promise: the reminder no longer applies.
    post_update(session=session, application=reload(session, Application, lapsed.id),
                author=recruiter, public_note="Sorry for the wait: the client decides on Friday.")
    session.commit()
    assert reload(session, Application, lapsed.id).reminded_at is None
    words = text_of(client.get(path).text)
    assert "We have reminded" not in words
    assert "Promised by Tuesday 10 November 2026" in words
    data = client.get(path, headers=JSON).json
    assert (data["overdue"], data["reminded_at"]) == (False, None)

    # When that promise lapses in turn, the page does not claim an old reminder.
    clock.move_to(at(date(2026, 11, 11)), tick=False)
    words = text_of(client.get(path).text)
    assert "Your next update was due on 10 November 2026." in words
    assert "It is late. It is now at the top of Rita's list." in words
    assert "We have reminded" not in words


def test_polling_card_learns_of_the_reminder(app, client, runner, session, rita):
    """Does the card's conditional poll get the new text once the reminder went out (no 304)?"""
    _, job = rita
    lapsed = applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))
    path = status_path(app, lapsed)
    poll = {"HX-Request": "true"}
    etag = client.get(path, headers=poll).headers["ETag"]
    assert client.get(path, headers={**poll, "If-None-Match": etag}).status_code == 304

    remind(runner)

    response = client.get(path, headers={**poll, "If-None-Match": etag})
    assert response.status_code == 200
    assert "We have reminded Rita." in text_of(response.text)


def test_promise_only_change_clears_the_reminder(app, client, runner, session, rita):
    """Does moving the promise alone (no note) also clear "we have reminded"?"""
    recruiter, job = rita
    lapsed = applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))
    remind(runner)
    assert reload(session, Application, lapsed.id).reminded_at is not None

    post_update(session=session, application=reload(session, Application, lapsed.id),
                author=recruiter, promised_by=date(2026, 11, 5))
    session.commit()

    assert reload(session, Application, lapsed.id).reminded_at is None
    data = client.get(status_path(app, lapsed), headers=JSON).json
    assert (data["overdue"], data["reminded_at"], data["promised_by"]) == (
        False, None, "2026-11-05"
    )


def test_internal_note_keeps_the_reminder(app, client, runner, session, rita):
    """Does an internal note (which keeps the promise) leave "we have reminded" standing?"""
    recruiter, job = rita
    lapsed = applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))
    remind(runner)

    post_update(session=session, application=reload(session, Application, lapsed.id),
                author=recruiter, internal_note="Chased the client again.")
    session.commit()

    assert "We have reminded Rita." in text_of(client.get(status_path(app, lapsed)).text)


def test_swedish_page_says_the_reminder_in_swedish(app, client, runner, session, rita):
    """Does a Swedish candidate read about the reminder in Swedish?"""
    _, job = rita
    lapsed = applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8), language="sv")
    remind(runner)
    words = text_of(client.get(status_path(app, lapsed)).text)
    assert "Ditt nästa besked skulle ha kommit den 8 oktober 2026." in words
    assert "Vi har påmint Rita. (påminnelse skickad 2 november 2026)" in words


# --- concurrency --------------------------------------------------------------------------------


def test_concurrent_runs_send_one_digest_per_recruiter(app, session, rita, olle, promises):
    """Do two `remind` runs at the same moment still give each recruiter one digest?"""
    url = app.config["DATABASE_URL"]
    runs = 4
    barrier = threading.Barrier(runs)
    reports, errors = [], []

    def run() -> None:
        engine = make_engine(url)
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                reports.append(send_digests(engine=engine, today=TODAY, base_url=BASE_URL))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(reports) == runs
    assert sum(report.digests for report in reports) == 2
    assert sum(report.already_sent for report in reports) == 2 * (runs - 1)
    assert sorted(m.to_address for m in digests(session)) == sorted(
        [rita[0].email, olle[0].email]
    )
    assert fresh(session).scalar(select(func.count()).select_from(DigestLog)) == 2


# --- the automatic notice -----------------------------------------------------------------------


def no_news_updates(session: Session, application: Application) -> list[Update]:
    return list(fresh(session).scalars(
        select(Update).where(Update.application_id == application.id,
                             Update.kind == UpdateKind.NO_NEWS)
    ))


def test_automatic_notice_is_off_by_default(app, runner, session, rita):
    """Does a job that did not ask for it send no automatic notice, however late?"""
    _, job = rita
    lapsed = applicant(session, job, "Alva Lapsed", promised_by=date(2026, 10, 8))

    output = remind(runner)

    assert "automatic notices: 0" in output
    assert no_news_updates(session, lapsed) == []
    assert [m.purpose for m in candidate_emails(session, lapsed)] == ["acknowledgement"]
    assert reload(session, Application, lapsed.id).promised_by == date(2026, 10, 8)


@pytest.fixture
def auto_job(session, rita):
    """A job that asks for the automatic notice after 2 business days of a lapsed promise."""
    recruiter, job = rita
    company = session.get(Client, job.client_id)
    return make_job(session, client=company, owner=recruiter, title="Data Engineer",
                    promise_days=3, auto_notice_days=2)


@pytest.mark.parametrize("language", ["en", "sv"])
def test_automatic_notice_after_two_business_days(app, client, runner, session, clock, auto_job,
                                                  language):
    """Once a promise has lapsed by 2 business days, does the portal itself send "no news"?"""
    application = applicant(session, auto_job, "Alva Lind", language=language)
    assert application.promised_by == date(2026, 11, 5)  # Thursday
    path = status_path(app, application)

    # Friday is 1 business day late; Saturday and Sunday are 2 and 3 calendar days, not business.
    for day in (date(2026, 11, 6), date(2026, 11, 7), date(2026, 11, 8)):
        clock.move_to(at(day), tick=False)
        assert "automatic notices: 0" in remind(runner), day
    assert no_news_updates(session, application) == []

    clock.move_to(at(date(2026, 11, 9)), tick=False)  # Monday: 2 business days late
    assert "automatic notices: 1" in remind(runner)

    [notice] = no_news_updates(session, application)
    assert notice.author_id is None
    assert notice.is_public is True
    moved = reload(session, Application, application.id)
    assert moved.promised_by == date(2026, 11, 12)  # Monday + 3 business days
    assert notice.promised_by == moved.promised_by
    assert moved.reminded_at is None
    if language == "sv":
        assert notice.public_note.startswith(
            "Det här är ett automatiskt meddelande från ansökningsportalen för Nordljus AB."
        )
        assert "skulle ha kommit den 5 november 2026" in notice.public_note
        assert "Du hör av oss senast 12 november 2026." in notice.public_note
    else:
        assert notice.public_note.startswith(
            "This is an automatic message from the application portal of Nordljus AB."
        )
        assert "was due on 5 November 2026" in notice.public_note
        assert "by 12 November 2026 at the latest" in notice.public_note
    assert "Rita" not in notice.public_note

    # The candidate's email, signed by the portal, not by the recruiter.
    [_, email] = candidate_emails(session, application)
    assert email.purpose == "update:no_news"
    assert email.to_address == application.email
    assert notice.public_note in email.body_text
    if language == "sv":
        assert email.subject == "Inget nytt än om din ansökan: Data Engineer"
        assert "Skickat automatiskt av ansökningsportalen för Nordljus AB" in email.body_text
    else:
        assert email.subject == "No news yet on your application: Data Engineer"
        assert "Sent automatically by the Nordljus AB application portal" in email.body_text
    for body in (email.body_text, email.body_html):
        assert "Rita" not in body
        assert "Best regards" not in body and "Vänliga hälsningar" not in body
    assert email.headers["List-Unsubscribe"].startswith(f"<{BASE_URL}/u/")

    # Again the same day: nothing more.
    clock.shift(timedelta(hours=3))
    assert "automatic notices: 0" in remind(runner)
    assert len(no_news_updates(session, application)) == 1
    assert len(candidate_emails(session, application)) == 2

    # The timeline shows it, signed by the portal.
    page = client.get(path).text
    words = text_of(page)
    if language == "sv":
        assert "Inget nytt än, från portalen" in words
        assert "– portalen, 9 november 2026" in words
        assert "Utlovat senast torsdag 12 november 2026" in words
    else:
        assert "No news yet, from the portal" in words
        assert "– the portal, 9 November 2026" in words
        assert "Promised by Thursday 12 November 2026" in words
    assert "is-overdue" not in page
    data = client.get(path, headers=JSON).json
    assert data["overdue"] is False
    assert data["timeline"][0]["kind"] == "no_news"
    assert data["timeline"][0]["author"] is None


def test_automatic_notice_counts_holidays_as_days_off(app, runner, session, clock, auto_job):
    """Over Midsummer, does the notice wait for 2 real working days after the promise?"""
    clock.move_to(at(date(2026, 6, 15)), tick=False)
    application = applicant(session, auto_job, "Alva Lind", promised_by=date(2026, 6, 18))

    # Midsummer Eve (Friday 19 June) and the weekend are no working days; Monday is the first.
    for day in (date(2026, 6, 19), date(2026, 6, 20), date(2026, 6, 21), date(2026, 6, 22)):
        clock.move_to(at(day), tick=False)
        assert "automatic notices: 0" in remind(runner), day
    clock.move_to(at(date(2026, 6, 23)), tick=False)
    assert "automatic notices: 1" in remind(runner)
    assert len(no_news_updates(session, application)) == 1


def test_automatic_notice_leaves_other_applications_alone(app, runner, session, clock, auto_job,
                                                          rita):
    """Are closed applications, fresh promises and jobs without the option left alone?"""
    _, plain_job = rita
    closed = applicant(session, auto_job, "Eva Closed")
    post_update(session=session, application=closed, author=None, stage_key="not_selected",
                notify=False)
    closed.promised_by = date(2026, 10, 1)
    session.add(closed)
    session.commit()
    late_here = applicant(session, auto_job, "Alva Late", promised_by=date(2026, 10, 8))
    fresh_one = applicant(session, auto_job, "Bo Fresh")  # promised 5 November
    elsewhere = applicant(session, plain_job, "Cia Elsewhere", promised_by=date(2026, 10, 8))

    assert "automatic notices: 1" in remind(runner)

    assert len(no_news_updates(session, late_here)) == 1
    for other in (closed, fresh_one, elsewhere):
        assert no_news_updates(session, other) == [], other.name


def test_automatic_notice_to_an_unsubscribed_candidate_is_posted_not_emailed(
    app, client, runner, session, clock, auto_job
):
    """Does an opted-out candidate get the notice on their page, but no email?"""
    application = applicant(session, auto_job, "Alva Lind", promised_by=date(2026, 10, 8))
    [ack] = candidate_emails(session, application)
    unsubscribe_path = ack.headers["List-Unsubscribe"][1:-1].removeprefix(BASE_URL)
    assert client.post(unsubscribe_path, data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded").status_code == 200

    assert "automatic notices: 1" in remind(runner)

    assert len(no_news_updates(session, application)) == 1
    assert [m.purpose for m in candidate_emails(session, application)] == ["acknowledgement"]
    assert "No news yet, from the portal" in text_of(
        client.get(status_path(app, application)).text
    )
