"""The candidate's status page at /s/<token>: what it says, in which language, and how it is served.

The clock is frozen on Monday 2 November 2026, 09:00 UTC (10:00 in Stockholm) unless a test
moves it; jobs promise an update within 5 business days.
"""

import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import MetaData, event

from portal.core.db import get_engine
from portal.services.applications import revoke_link
from portal.services.updates import post_no_news_update, post_update
from tests.factories import make_application
from tests.helpers import HTMX, JSON, status_path, text_of

# --- what the page says -----------------------------------------------------------------------


def test_page_shows_where_the_candidate_stands(app, client, session, people):
    """Does the page name client, job, stage, what happens now, the latest note and promise?"""
    recruiter, _, job = people
    application = make_application(session, job=job, at=datetime(2026, 10, 28, 9, tzinfo=UTC))
    post_update(
        session=session, application=application, author=recruiter,
        public_note="Thanks for your patience, the client meets on Thursday.",
        at=datetime(2026, 10, 30, 10, tzinfo=UTC),  # Friday 30 October
    )
    session.commit()

    response = client.get(status_path(app, application))

    assert response.status_code == 200
    words = text_of(response.text)
    assert "Your application for Data Engineer at Nordljus AB" in words
    assert "Application received" in words
    assert "What happens now: We have your application." in words
    assert "Thanks for your patience, the client meets on Thursday." in words
    assert "– Rita, 30 October 2026" in words  # first name only, with the note's date
    assert "Rita Berg" not in words
    assert "Last update 3 days ago (30 October 2026)" in words
    # 5 business days after Friday 30 October: 2, 3, 4, 5, 6 November.
    assert "Next update Promised by Friday 6 November 2026" in words


def test_page_without_a_note_says_so_plainly(app, client, session, people):
    """When nobody has written yet, does the page say so in plain words, with the promise?"""
    _, _, job = people
    application = make_application(session, job=job)

    words = text_of(client.get(status_path(app, application)).text)

    assert "No message yet. Nobody has written to you since you applied on 2 November 2026." in (
        words
    )
    assert "You will hear from us by 9 November 2026 at the latest, even if there is no news." in (
        words
    )
    assert "Last update today" in words


def test_dates_follow_the_agencys_time_zone(app, client, session, people):
    """Is an application sent at 00:30 Stockholm time dated that day, not the UTC day before?"""
    _, _, job = people
    application = make_application(
        session, job=job, at=datetime(2026, 11, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 Nov, CET
    )
    words = text_of(client.get(status_path(app, application)).text)
    assert "Last update today (2 November 2026)" in words
    assert "since you applied on 2 November 2026" in words


def test_overdue_promise_is_said_plainly(app, client, session, people):
    """When the promised date has passed, does the page say the update was due and is late?"""
    _, _, job = people
    # Applied Thursday 1 October: 5 business days later is Thursday 8 October.
    application = make_application(session, job=job, at=datetime(2026, 10, 1, 9, tzinfo=UTC))

    response = client.get(status_path(app, application))

    words = text_of(response.text)
    assert "Your next update was due on 8 October 2026." in words
    assert "It is late. It is now at the top of Rita's list." in words
    assert "Promised by" not in words
    assert "is-overdue" in response.text


def test_page_turns_overdue_when_the_clock_passes_the_promise(app, client, session, people, clock):
    """Does the same page go from "promised by" to "was due on" once the date has passed?"""
    _, _, job = people
    application = make_application(session, job=job)  # promised by Monday 9 November
    path = status_path(app, application)

    clock.move_to(datetime(2026, 11, 9, 20, tzinfo=UTC), tick=False)  # the day itself: not late
    assert "Promised by Monday 9 November 2026" in text_of(client.get(path).text)

    clock.move_to(datetime(2026, 11, 10, 9, tzinfo=UTC), tick=False)
    words = text_of(client.get(path).text)
    assert "Your next update was due on 9 November 2026." in words
    assert "Last update 8 days ago" in words


def test_swedish_candidate_gets_swedish_page(app, client, session, people):
    """Does a Swedish candidate get lang="sv", Swedish stage texts and Swedish dates?"""
    _, _, job = people
    application = make_application(session, job=job, language="sv")

    response = client.get(status_path(app, application), headers={"Accept-Language": "en"})

    assert '<html lang="sv">' in response.text
    words = text_of(response.text)
    assert "Ansökan mottagen" in words
    assert "Vi har tagit emot din ansökan." in words
    assert "2 november 2026" in words  # lower-case month: the Swedish way
    assert "måndag 9 november 2026" in words
    assert "Application received" not in words
    assert "November" not in words

    data = client.get(status_path(app, application), headers=JSON).json
    assert data["stage"]["label"] == "Ansökan mottagen"
    assert data["language"] == "sv"


def test_swedish_no_news_note_reaches_the_swedish_page(app, client, session, people, clock):
    """Does "no news yet" reach a Swedish candidate in Swedish, with the new promise?"""
    recruiter, _, job = people
    application = make_application(session, job=job, language="sv")
    clock.shift(timedelta(days=1))
    post_no_news_update(session=session, application=application, author=recruiter)
    session.commit()

    words = text_of(client.get(status_path(app, application)).text)

    assert "Jag hade hoppats få besked från Nordljus AB" in words
    # Tuesday 3 November + 5 business days = Tuesday 10 November.
    assert "senast 10 november 2026" in words
    assert "– Rita" in words


def test_internal_notes_never_reach_the_candidate(app, client, session, people, clock):
    """Do internal notes stay off the page, the htmx card and the JSON?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    clock.shift(timedelta(hours=1))
    post_update(session=session, application=application, author=recruiter,
                internal_note="INTERNAL-ONLY: salary expectations too high")
    clock.shift(timedelta(hours=1))
    post_update(session=session, application=application, author=recruiter,
                public_note="We are reading applications this week.",
                internal_note="INTERNAL-TOO: second choice")
    session.commit()
    path = status_path(app, application)

    for headers in ({}, HTMX, JSON):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert "INTERNAL" not in response.text
        assert "salary" not in response.text
    data = client.get(path, headers=JSON).json
    assert [entry["kind"] for entry in data["timeline"]] == ["note", "created"]
    assert data["latest_note"]["text"] == "We are reading applications this week."


def test_note_text_is_shown_as_text_never_as_markup(app, client, session, people):
    """Is markup in a recruiter's note escaped rather than run on the candidate's page?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    post_update(session=session, application=application, author=recruiter,
                public_note='<script>alert("x")</script><b onmouseover="y">hi</b>')
    session.commit()
    html = client.get(status_path(app, application)).text
    assert "<script>alert" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_closed_application_says_so_and_promises_nothing(app, client, session, people, clock):
    """Does a closed application say it is closed, show no promise and never turn overdue?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    clock.shift(timedelta(hours=2))
    post_update(session=session, application=application, author=recruiter,
                stage_key="not_selected", public_note="Thank you, and good luck.")
    session.commit()
    path = status_path(app, application)

    clock.move_to(datetime(2027, 2, 1, 9, tzinfo=UTC), tick=False)  # long after any promise
    response = client.get(path)
    words = text_of(response.text)
    assert "Not selected" in words
    assert "None planned: this application is closed." in words
    assert "Promised by" not in words
    assert "was due on" not in words
    assert "You will hear from us" not in words
    assert "is-closed" in response.text

    data = client.get(path, headers=JSON).json
    assert data["is_open"] is False
    assert data["outcome"] == "not_selected"
    assert data["stage"]["key"] == "not_selected"
    assert data["promised_by"] is None
    assert data["overdue"] is False


# --- how it is served ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["page", "card", "json", "not_found"])
def test_status_responses_carry_private_headers(app, client, session, people, variant):
    """Is every status response uncacheable, unindexed, referrer-safe and under a strict CSP?"""
    _, _, job = people
    application = make_application(session, job=job)
    path = status_path(app, application)
    if variant == "not_found":
        path = path[:-3]
    headers = {"card": HTMX, "json": JSON}.get(variant, {})

    response = client.get(path, headers=headers)

    assert response.status_code == (404 if variant == "not_found" else 200)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert "noindex" in response.headers["X-Robots-Tag"]
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert "frame-ancestors" in csp


def test_page_has_no_inline_script_style_or_third_party_resource(app, client, session, people):
    """Does the page need nothing the CSP forbids: inline scripts, inline styles, other hosts?"""
    _, _, job = people
    html = client.get(status_path(app, make_application(session, job=job))).text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert " style=" not in html
    assert re.findall(r"\bon[a-z]+=", html) == []
    for url in re.findall(r'\b(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#")) and not url.startswith("//"), url


def database_snapshot(app) -> dict:
    """Every row of every table the database has."""
    with get_engine(app).connect() as connection:
        tables = MetaData()
        tables.reflect(bind=connection)
        return {
            name: sorted((tuple(row) for row in connection.execute(table.select())), key=repr)
            for name, table in tables.tables.items()
        }


@contextmanager
def recorded_statements(app):
    """The SQL statements the app's connections send to the database inside the block.

    Recorded by the driver itself, so statements run on a bare driver cursor (the status
    page's reads, the poll shortcut) count as much as SQLAlchemy's own: the pool is emptied
    first, and each new connection reports what it runs (SQLite's trace callback, a psycopg
    cursor class that notes each ``execute``)."""
    statements: list[str] = []
    engine = get_engine(app)

    class RecordingCursor(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            statements.append(str(query))
            return super().execute(query, *args, **kwargs)

    def record(dbapi_connection, _record):
        if engine.dialect.name == "sqlite":
            dbapi_connection.set_trace_callback(statements.append)
        else:
            dbapi_connection.cursor_factory = RecordingCursor

    engine.dispose()
    event.listen(engine, "connect", record)
    try:
        yield statements
    finally:
        event.remove(engine, "connect", record)
        engine.dispose()


def test_get_never_writes_to_the_database(app, client, session, people, clock):
    """Can opening a status link (page, card, JSON, poll, a dead link) change any row?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    post_update(session=session, application=application, author=recruiter, public_note="Hi")
    session.commit()
    path = status_path(app, application)
    before = database_snapshot(app)
    assert before["application"] and before["update"]
    clock.shift(timedelta(days=2))

    with recorded_statements(app) as statements:
        etag = client.get(path).headers["ETag"]
        client.get(path, headers={"If-None-Match": etag})
        client.get(path, headers=HTMX)
        client.get(path, headers=JSON)
        client.get(path[:-2])
        client.head(path)

    assert statements
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements), statements
    assert database_snapshot(app) == before


def test_htmx_request_gets_only_the_card(app, client, session, people):
    """Does an htmx request get the card partial alone, marked as varying on HX-Request?"""
    _, _, job = people
    path = status_path(app, make_application(session, job=job))

    card = client.get(path, headers=HTMX)
    page = client.get(path)

    assert card.status_code == 200
    assert "<html" not in card.text
    assert "<head" not in card.text
    assert card.text.lstrip().startswith('<section id="status"')
    assert "Application received" in card.text
    vary = {v.strip() for v in card.headers["Vary"].split(",")}
    assert "HX-Request" in vary
    assert "HX-Request" in {v.strip() for v in page.headers["Vary"].split(",")}
    assert "<html" in page.text
    assert card.headers["ETag"] != page.headers["ETag"]


def test_card_polls_itself_every_minute(app, client, session, people):
    """Does the status card ask htmx to refresh it every 60 seconds from its own URL?"""
    _, _, job = people
    path = status_path(app, make_application(session, job=job))
    html = client.get(path).text
    assert 'hx-trigger="every 60s"' in html
    assert f'hx-get="{path}"' in html
    assert 'hx-swap="outerHTML"' in html


def test_unchanged_status_answers_304(app, client, session, people):
    """Does a GET with If-None-Match equal to the page's ETag get 304 with an empty body?"""
    _, _, job = people
    path = status_path(app, make_application(session, job=job))
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    second = client.get(path, headers={"If-None-Match": etag})

    assert second.status_code == 304
    assert second.data == b""
    assert second.headers["ETag"] == etag
    assert second.headers["Cache-Control"] == "no-store"
    assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_star_if_none_match_gets_the_page_not_a_304(app, client, session, people):
    """Does "If-None-Match: *" (which matches anything) still get the full status, not a 304?"""
    _, _, job = people
    path = status_path(app, make_application(session, job=job))

    response = client.get(path, headers={"If-None-Match": "*"})

    assert response.status_code == 200
    assert "Data Engineer" in response.text


def test_first_poll_after_page_load_is_answered_304(app, client, session, people):
    """Does the card's first htmx poll, sending the ETag embedded in the page, get a 304?"""
    _, _, job = people
    path = status_path(app, make_application(session, job=job))
    page = client.get(path).text
    embedded = re.search(r'data-etag="([^"]+)"', page).group(1).replace("&#34;", '"')

    poll = client.get(path, headers={**HTMX, "If-None-Match": embedded})

    assert poll.status_code == 304


def test_new_update_breaks_the_etag(app, client, session, people, clock):
    """After a new update, does the old ETag get a 200 with the new note instead of a 304?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    path = status_path(app, application)
    etag = client.get(path).headers["ETag"]

    clock.shift(timedelta(minutes=5))
    post_update(session=session, application=application, author=recruiter,
                public_note="Good news: the client wants to meet you.")
    session.commit()
    response = client.get(path, headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert "Good news: the client wants to meet you." in response.text
    assert response.headers["ETag"] != etag
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_internal_note_leaves_the_etag_alone(app, client, session, people, clock):
    """Does an internal-only note (invisible to the candidate) keep the poll at 304?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    path = status_path(app, application)
    etag = client.get(path).headers["ETag"]
    clock.shift(timedelta(minutes=5))
    post_update(session=session, application=application, author=recruiter,
                internal_note="Called the client, no answer.")
    session.commit()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_etag_changes_with_the_day(app, client, session, people, clock):
    """Does the next day's poll get a fresh page, since "N days ago" has changed?"""
    _, _, job = people
    path = status_path(app, make_application(session, job=job))
    etag = client.get(path).headers["ETag"]
    clock.shift(timedelta(days=1))
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Last update yesterday" in text_of(response.text)


def test_revoked_link_poll_is_404_not_304(app, client, session, people):
    """Does a poll with a valid old ETag on a revoked link get 404 rather than 304?"""
    _, _, job = people
    application = make_application(session, job=job)
    path = status_path(app, application)
    etag = client.get(path).headers["ETag"]
    revoke_link(session=session, application=application)
    session.commit()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 404


def test_poll_and_page_query_counts(app, client, session, people):
    """Does a 304 poll cost exactly one query, and a full page, card or JSON at most two?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    post_update(session=session, application=application, author=recruiter, public_note="Hi")
    session.commit()
    path = status_path(app, application)
    etag = client.get(path).headers["ETag"]  # warm up: the engine's first connection

    with recorded_statements(app) as poll:
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    with recorded_statements(app) as page:
        assert client.get(path).status_code == 200
    with recorded_statements(app) as card:
        assert client.get(path, headers=HTMX).status_code == 200
    with recorded_statements(app) as as_json:
        assert client.get(path, headers=JSON).status_code == 200

    assert len(poll) == 1, poll
    assert 1 <= len(page) <= 2, page
    assert 1 <= len(card) <= 2, card
    assert 1 <= len(as_json) <= 2, as_json


# --- JSON ---------------------------------------------------------------------------------------


def test_json_status(app, client, session, people):
    """Does Accept: application/json give the status as JSON with every documented key?"""
    recruiter, company, job = people
    application = make_application(session, job=job, at=datetime(2026, 10, 28, 9, tzinfo=UTC))
    post_update(session=session, application=application, author=recruiter,
                public_note="The client meets on Thursday.", internal_note="secret",
                at=datetime(2026, 10, 30, 10, tzinfo=UTC))
    session.commit()

    response = client.get(status_path(app, application), headers=JSON)

    assert response.status_code == 200
    assert response.is_json
    data = response.json
    assert data["client"] == {"slug": "nordljus", "name": "Nordljus AB"}
    assert data["job"] == {"title": "Data Engineer"}
    assert data["stage"]["key"] == "applied"
    assert data["stage"]["label"] == "Application received"
    assert data["latest_note"]["text"] == "The client meets on Thursday."
    assert data["latest_note"]["author"] == "Rita"
    assert datetime.fromisoformat(data["latest_note"]["date"]) == datetime(
        2026, 10, 30, 10, tzinfo=UTC
    )
    assert datetime.fromisoformat(data["updated_at"]) == datetime(2026, 10, 30, 10, tzinfo=UTC)
    assert date.fromisoformat(data["promised_by"]) == date(2026, 11, 6)
    assert data["overdue"] is False
    assert [(e["kind"], e["note"]) for e in data["timeline"]] == [
        ("note", "The client meets on Thursday."),
        ("created", None),
    ]
    assert "secret" not in response.text
    assert "email" not in data  # nothing personal beyond what the page shows
    assert application.email not in response.text


def test_json_overdue_follows_the_clock(app, client, session, people, clock):
    """Does the JSON's "overdue" flip to true once the promised date has passed?"""
    _, _, job = people
    path = status_path(app, make_application(session, job=job))  # promised by 9 November

    before = client.get(path, headers=JSON).json
    clock.move_to(datetime(2026, 11, 12, 9, tzinfo=UTC), tick=False)
    after = client.get(path, headers=JSON).json

    assert before["overdue"] is False
    assert before["promised_by"] == "2026-11-09"
    assert after["overdue"] is True
    assert after["days_overdue"] == 3
    assert after["latest_note"] is None
