"""Career-page widgets: framing rules, no cookies, the lookup (enumeration, rate limits), the
feedback-promise badge and the white-label status widget.

CSRF protection is on here, as in production: the widgets' forms must work without it.
"""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import event
from sqlmodel import select

from portal.core.db import get_engine
from portal.core.tokens import read_status_token, status_url_for
from portal.models import OutboxMessage, Stage, Update, UpdateKind
from portal.services.badge import BadgeCache, BadgeFigures, compute_badge
from portal.services.updates import post_no_news_update, post_update
from portal.web.access_log import redact
from tests.factories import make_application, make_client, make_job, make_recruiter
from tests.helpers import BASE_URL, NOW, text_of

ROOT = Path(__file__).resolve().parent.parent
ACME_ORIGINS = ["https://careers.acme.example", "http://127.0.0.1:8001"]
GLOBEX_ORIGINS = ["https://jobs.globex.example"]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def acme(session):
    """A client whose career sites may frame the widgets."""
    client = make_client(session, name="Acme AB", slug="acme", default_language="en")
    client.embed_origins = list(ACME_ORIGINS)
    session.add(client)
    session.commit()
    return client


@pytest.fixture
def globex(session):
    """Another client, with origins of its own."""
    client = make_client(session, name="Globex AB", slug="globex", default_language="en")
    client.embed_origins = list(GLOBEX_ORIGINS)
    session.add(client)
    session.commit()
    return client


@pytest.fixture
def acme_job(session, acme):
    return make_job(session, client=acme, title="Data Engineer",
                    owner=make_recruiter(session, name="Rita Berg"))


def token_of(app, application) -> str:
    with app.test_request_context():
        return status_url_for(application.id, application.token_version).rsplit("/s/", 1)[1]


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"frame-ancestors ([^;]+)", policy).group(1)


def lookup(client, email: str, slug: str = "acme", **kwargs):
    return client.post(f"/embed/{slug}/lookup", data={"email": email, **kwargs.pop("data", {})},
                       **kwargs)


def lookup_emails(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(
        select(OutboxMessage).where(OutboxMessage.purpose == "lookup").order_by(OutboxMessage.id)
    ))


# --- framing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["lookup", "badge", "status", "status/{token}", "nope/x"])
def test_widgets_may_be_framed_by_their_clients_origins_only(app, client, session, acme, globex,
                                                            acme_job, path):
    """Does each widget list exactly its client's origins as frame-ancestors (never *)?"""
    application = make_application(session, job=acme_job)
    path = path.format(token=token_of(app, application))

    response = client.get(f"/embed/acme/{path}")

    if path == "nope/x":  # no widget there: the app's own 404, framed by nobody
        assert response.status_code == 404
        assert frame_ancestors(response) == "'none'"
        return
    assert response.status_code == 200
    assert frame_ancestors(response).split() == ACME_ORIGINS
    assert "*" not in response.headers["Content-Security-Policy"]
    assert "globex" not in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert "X-Frame-Options" not in response.headers


def test_a_client_without_origins_is_framed_by_nobody(client, session):
    """With no origins listed, do the widgets say frame-ancestors 'none'?"""
    make_client(session, slug="initech")
    for path in ("lookup", "badge", "status"):
        response = client.get(f"/embed/initech/{path}")
        assert response.status_code == 200
        assert frame_ancestors(response) == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_login_page_and_unknown_client_are_never_framed(client):
    """Are /admin/login and an unknown client's widget unframeable (and the latter a 404)?"""
    assert frame_ancestors(client.get("/admin/login")) == "'none'"
    response = client.get("/embed/no-such-client/lookup")
    assert response.status_code == 404
    assert frame_ancestors(response) == "'none'"
    assert "Not found" in response.text


def test_frame_posts_its_height_only_to_a_listed_parent(client, acme, globex):
    """Is the host page's origin given to the frame only when the client listed it?"""
    listed = client.get("/embed/acme/lookup?parent=http%3A%2F%2F127.0.0.1%3A8001")
    assert 'data-parent-origin="http://127.0.0.1:8001"' in listed.text
    for parent in ("https://jobs.globex.example", "https://evil.example", "*", "null", ""):
        response = client.get("/embed/acme/lookup", query_string={"parent": parent})
        assert "data-parent-origin" not in response.text, parent
        # Without a listed parent, the frame gets the client's own list (as in its CSP) to
        # check the browser's ancestorOrigins against.
        assert f'data-embed-origins="{" ".join(ACME_ORIGINS)}"' in response.text


def test_embed_js_is_a_cacheable_script_without_eval(client):
    """Is /embed.js served as JavaScript, cacheable for an hour, with no eval and no cookie?"""
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert "Set-Cookie" not in response.headers
    assert "eval(" not in response.text and "new Function" not in response.text
    assert client.get("/embed.js", headers={"If-None-Match": response.headers["ETag"]}
                      ).status_code == 304


# --- no cookies -------------------------------------------------------------------------------


def test_no_embed_response_sets_a_cookie(app, client, session, acme, acme_job):
    """Does no widget answer, GET or POST, found or not, refused or limited, set a cookie?"""
    app.config["LOOKUP_LIMIT_PER_IP"] = "100/minute"
    app.config["LOOKUP_LIMIT_PER_ADDRESS"] = "2/hour"
    application = make_application(session, job=acme_job, email="ann@mail.example")
    token = token_of(app, application)
    responses = [
        client.get("/embed.js"),
        client.get("/embed/acme/lookup"),
        client.get("/embed/acme/badge"),
        client.get("/embed/acme/status"),
        client.get(f"/embed/acme/status/{token}"),
        client.get(f"/embed/acme/status/{token}", headers={"HX-Request": "true"}),
        client.get("/embed/acme/status/not-a-token"),
        client.get("/embed/nobody/badge"),
        lookup(client, "ann@mail.example"),
        lookup(client, "nobody@mail.example"),
        lookup(client, "not an address"),
        lookup(client, "ann@mail.example", headers={"Origin": "https://evil.example"}),
        lookup(client, "ann@mail.example", data={"return_to": "page"}),
        lookup(client, "ann@mail.example"),  # the third for this address: limited
    ]
    assert [r.status_code for r in responses] == [
        200, 200, 200, 200, 200, 200, 404, 404, 200, 200, 422, 403, 200, 429,
    ]
    for response in responses:
        assert response.headers.getlist("Set-Cookie") == [], response.request.path
    assert client.get_cookie("session") is None


# --- lookup -----------------------------------------------------------------------------------


def test_lookup_form_asks_for_an_email_address(client, acme):
    """Does the lookup widget show an email field and the button, in the client's language?"""
    response = client.get("/embed/acme/lookup")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert 'type="email"' in response.text
    assert "Check my application status" in text_of(response.text)
    assert 'class="embed' in response.text and "candidate-header" not in response.text
    assert "csrf_token" not in response.text


def test_lookup_answer_is_the_same_for_known_and_unknown_addresses(client, session, acme,
                                                                   acme_job):
    """Do a known and an unknown address get the same status, headers and words?"""
    make_application(session, job=acme_job, email="ann@mail.example")

    known = lookup(client, "ann@mail.example")
    unknown = lookup(client, "nobody@mail.example")

    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data
    assert sorted(known.headers.items()) == sorted(unknown.headers.items())
    assert "we have just sent it an email" in text_of(known.text)


def test_lookup_emails_links_to_this_clients_open_applications_only(app, client, session, acme,
                                                                     globex, acme_job):
    """Does one email list the address's open applications with this client, and no others?"""
    other_job = make_job(session, client=acme, title="Platform Engineer")
    closed_job = make_job(session, client=acme, title="Closed Position")
    globex_job = make_job(session, client=globex, title="Globex Job")
    first = make_application(session, job=acme_job, email="Ann.Ek@Mail.example",
                             at=datetime(2026, 10, 1, tzinfo=UTC))
    newest = make_application(session, job=other_job, email="ann.ek@mail.example",
                              language="sv", at=datetime(2026, 10, 20, tzinfo=UTC))
    closed = make_application(session, job=closed_job, email="ann.ek@mail.example")
    post_update(session=session, application=closed, author=None, stage_key="not_selected")
    make_application(session, job=globex_job, email="ann.ek@mail.example")
    session.commit()

    response = lookup(client, "ANN.EK@mail.example")

    assert response.status_code == 200
    [email] = lookup_emails(session)
    assert email.to_address == "ann.ek@mail.example"
    assert email.application_id == newest.id  # on the desk, with the newest application
    assert email.headers == {"Auto-Submitted": "auto-replied"}
    assert '<html lang="sv">' in email.body_html  # the newest application's language
    assert "Data Engineer" in email.body_text and "Platform Engineer" in email.body_text
    assert "Closed Position" not in email.body_text and "Globex" not in email.body_text
    urls = re.findall(r"http://portal\.test/s/(\S+)", email.body_text)
    with app.app_context():
        ids = {read_status_token(token).application_id for token in urls}
    assert ids == {first.id, newest.id}


def test_lookup_links_go_to_the_white_label_status_page(app, client, session, acme, acme_job):
    """With a status page URL, do the links open it with the token in the fragment?"""
    acme.status_page_url = "https://careers.acme.example/status"
    session.add(acme)
    session.commit()
    application = make_application(session, job=acme_job, email="ann@mail.example")

    lookup(client, "ann@mail.example")

    [email] = lookup_emails(session)
    [token] = re.findall(r"https://careers\.acme\.example/status#t=(\S+)", email.body_text)
    with app.app_context():
        assert read_status_token(token).application_id == application.id
    assert "portal.test/s/" not in email.body_text


def test_lookup_of_an_unknown_address_queues_nothing(client, session, acme, acme_job):
    """Does an address without open applications with this client get no email at all?"""
    make_application(session, job=acme_job, email="ann@mail.example")
    assert lookup(client, "bob@mail.example").status_code == 200
    assert lookup(client, "ann@mail.example", slug="acme").status_code == 200
    assert [e.to_address for e in lookup_emails(session)] == ["ann@mail.example"]


def test_malformed_address_is_refused_with_what_was_typed(client, session, acme):
    """Is a malformed address answered 422 with a friendly message and the typed value kept?"""
    response = lookup(client, "ann@@mail")
    assert response.status_code == 422
    assert 'value="ann@@mail"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert "Please enter a valid email address" in response.text
    assert lookup_emails(session) == []


def test_lookup_inside_htmx_answers_with_the_partial(client, acme):
    """Does an htmx submit get only the swappable part, and say it varies on HX-Request?"""
    response = lookup(client, "ann@mail.example", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and "we have just sent it an email" in response.text
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"},
                                     {"Sec-Fetch-Site": "cross-site"}])
def test_cross_site_lookup_is_refused(client, session, acme, acme_job, headers):
    """Is a lookup posted from another site's page refused (403, friendly) and not acted on?"""
    make_application(session, job=acme_job, email="ann@mail.example")
    response = lookup(client, "ann@mail.example", headers=headers)
    assert response.status_code == 403
    assert "This form was sent from another website" in text_of(response.text)
    assert lookup_emails(session) == []


def test_lookup_from_the_frame_itself_is_accepted(client, acme):
    """Is the widget's own form (same origin, inside a cross-site frame) accepted?"""
    headers = {"Origin": BASE_URL, "Sec-Fetch-Site": "same-origin"}
    assert lookup(client, "ann@mail.example", headers=headers).status_code == 200


def _statements_of_lookup(app, client, email: str) -> list[str]:
    """The SQL statements one lookup sends to the database, savepoint names and the
    savepoint's end (released or rolled back) made alike."""
    sent: list[str] = []

    def note(connection, cursor, statement, parameters, context, executemany):
        statement = re.sub(r"sa_savepoint_\d+", "sa_savepoint", " ".join(statement.split()))
        sent.append(re.sub(r"^(RELEASE|ROLLBACK TO) SAVEPOINT", "END SAVEPOINT", statement))

    engine = get_engine(app)
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = lookup(client, email)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 200
    return sent


def test_known_and_unknown_addresses_do_the_same_database_work(app, client, session, acme,
                                                               acme_job):
    """Does a lookup for an unknown address send the database the very statements a known
    address's does (the email's INSERT too, inside a savepoint rolled back), so that its
    timing tells nothing? (How fast either is, is the bench's business, not this test's.)"""
    app.config["LOOKUP_LIMIT_PER_IP"] = "10000/hour"
    app.config["LOOKUP_LIMIT_PER_ADDRESS"] = "10000/hour"
    make_application(session, job=acme_job, email="ann@mail.example")
    lookup(client, "warm@mail.example")  # first requests load caches: not the steady state

    known = _statements_of_lookup(app, client, "ann@mail.example")
    unknown = _statements_of_lookup(app, client, "nobody@mail.example")

    assert known == unknown
    assert any(s.startswith(f"INSERT INTO {OutboxMessage.__tablename__} ") for s in known)
    assert "END SAVEPOINT sa_savepoint" in known
    assert len(lookup_emails(session)) == 1  # only the known address's email was kept


# --- rate limits ------------------------------------------------------------------------------


def test_lookups_are_limited_per_ip_with_a_friendly_page(app, client, session, acme):
    """Does the fourth lookup in a minute from one IP get the friendly 429 page in the widget?"""
    app.config["LOOKUP_LIMIT_PER_IP"] = "3/minute"
    for number in range(3):
        assert lookup(client, f"person{number}@mail.example").status_code == 200

    limited = lookup(client, "another@mail.example", data={"parent": "http://127.0.0.1:8001"})

    assert limited.status_code == 429
    assert "Please try again later" in text_of(limited.text)
    assert 'class="embed"' in limited.text  # the widget's own layout, not a bare text
    assert 'data-parent-origin="http://127.0.0.1:8001"' in limited.text
    assert frame_ancestors(limited).split() == ACME_ORIGINS
    assert limited.headers.getlist("Set-Cookie") == []
    # Another IP is not affected.
    other = lookup(client, "another@mail.example", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_lookups_are_limited_per_address(app, client, session, acme):
    """Is one address limited even when the requests come from different IPs?"""
    app.config["LOOKUP_LIMIT_PER_ADDRESS"] = "3/hour"
    for number, spelling in enumerate(["ann@mail.example", "ANN@mail.example",
                                       " ann@MAIL.example "]):
        response = lookup(client, spelling, environ_base={"REMOTE_ADDR": f"10.0.0.{number}"})
        assert response.status_code == 200

    limited = lookup(client, "Ann@Mail.Example", environ_base={"REMOTE_ADDR": "10.0.0.7"},
                     headers={"HX-Request": "true"})

    assert limited.status_code == 429
    assert "Please try again later" in limited.text and "<html" not in limited.text
    assert lookup(client, "bob@mail.example",
                  environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200


def test_refused_cross_site_posts_do_not_count_against_the_limits(app, client, acme):
    """Can another site burn a candidate's lookups? (Its refused posts are not counted.)"""
    app.config["LOOKUP_LIMIT_PER_ADDRESS"] = "1/hour"
    for _ in range(3):
        response = lookup(client, "ann@mail.example", headers={"Origin": "https://evil.example"})
        assert response.status_code == 403
    assert lookup(client, "ann@mail.example").status_code == 200


SERVE = """
from werkzeug.serving import make_server
from portal import create_app
server = make_server("127.0.0.1", 0, create_app(), threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""
REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.mark.slow
def test_per_address_limit_holds_across_two_processes_with_redis(database_url, session, acme,
                                                                 tmp_path):
    """With Redis storage, does the per-address limit count requests to both app processes?"""
    redis = pytest.importorskip("redis")
    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        store.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")
    prefix = f"portal-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_SECRET_KEY": "x" * 32,
        "PORTAL_BASE_URL": "http://127.0.0.1", "PORTAL_RATELIMIT_STORAGE_URI": REDIS_URL,
        "PORTAL_RATELIMIT_KEY_PREFIX": prefix, "PORTAL_LOOKUP_LIMIT_PER_IP": "1000/hour",
        "PORTAL_LOOKUP_LIMIT_PER_ADDRESS": "3/hour",
    }
    processes = []
    try:
        for number in range(2):
            with (tmp_path / f"app{number}.log").open("w") as log:
                processes.append(subprocess.Popen(
                    [sys.executable, "-c", SERVE], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                    stderr=log, text=True,
                ))
        ports = [int(process.stdout.readline()) for process in processes]

        def post(port: int, email: str) -> tuple[int, str]:
            data = urllib.parse.urlencode({"email": email}).encode()
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/embed/acme/lookup", data=data, timeout=10
                ) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        first, second = ports
        assert [post(port, "ann@mail.example")[0] for port in (first, second, first)] == [200] * 3
        status, body = post(second, "ann@mail.example")
        assert status == 429
        assert "Please try again later" in body
        assert post(second, "bob@mail.example")[0] == 200
        assert any(prefix in key.decode() for key in store.scan_iter(f"*{prefix}*"))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)
        store.close()


# --- status widget ----------------------------------------------------------------------------


def test_status_widget_shows_the_candidates_card_in_their_language(app, client, session, acme,
                                                                   acme_job):
    """Does the widget show the same card as /s/<token>, in the candidate's language?"""
    application = make_application(session, job=acme_job, language="sv")
    post_update(session=session, application=application, author=None, stage_key="interview",
                public_note="Välkommen på intervju.")
    session.commit()
    token = token_of(app, application)

    response = client.get(f"/embed/acme/status/{token}?parent=https%3A%2F%2Fcareers.acme.example")

    assert response.status_code == 200
    assert '<html lang="sv" class="embed-frame">' in response.text
    assert "Intervju" in response.text and "Välkommen på intervju." in response.text
    assert 'id="status"' in response.text
    assert f'hx-get="/embed/acme/status/{token}"' in response.text
    assert 'data-parent-origin="https://careers.acme.example"' in response.text
    assert response.headers["Cache-Control"] == "no-store"
    if 'id="actions"' in response.text:  # the candidate actions partial, when present
        assert 'name="return_to" value="embed"' in response.text


def test_status_widget_polls_with_the_card_and_304(app, client, session, acme, acme_job):
    """Does an htmx poll get the card alone, and an unchanged one a 304?"""
    application = make_application(session, job=acme_job)
    path = f"/embed/acme/status/{token_of(app, application)}"
    card = client.get(path, headers={"HX-Request": "true"})
    assert card.status_code == 200 and card.text.lstrip().startswith("<section id=\"status\"")
    etag = re.search(r'data-etag="([^"]+)"', card.text).group(1).replace("&#34;", '"')
    assert etag == card.headers["ETag"]
    again = client.get(path, headers={"HX-Request": "true", "If-None-Match": etag})
    assert again.status_code == 304


def test_status_widget_of_another_clients_application_is_not_found(app, client, session, acme,
                                                                   globex, acme_job):
    """Does globex's widget refuse a token of an acme application, saying nothing about it?"""
    application = make_application(session, job=acme_job)
    token = token_of(app, application)
    response = client.get(f"/embed/globex/status/{token}")
    assert response.status_code == 404
    assert "Data Engineer" not in response.text and "Acme" not in response.text
    assert frame_ancestors(response).split() == GLOBEX_ORIGINS
    etag_probe = client.get(f"/embed/globex/status/{token}", headers={"If-None-Match": "*"})
    assert etag_probe.status_code == 404


def test_status_widget_without_or_with_a_bad_token(client, acme):
    """Does the status widget show the lookup without a token, and not-found for a bad one?"""
    assert "Check my application status" in client.get("/embed/acme/status").text
    bad = client.get("/embed/acme/status/WzEsMV0.bad.token")
    assert bad.status_code == 404
    assert "We could not find" in bad.text


def test_expired_link_in_the_widget_offers_a_fresh_one(app_config, app, client, session, acme,
                                                       acme_job):
    """Does an expired token in the widget say so and offer the lookup form right there?"""
    application = make_application(session, job=acme_job, at=NOW - timedelta(days=400))
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        token = token_of(app, application)
    response = client.get(f"/embed/acme/status/{token}")
    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert 'action="/embed/acme/lookup"' in response.text


def test_expired_link_page_emails_a_fresh_link_without_cookies(app, client, session, acme,
                                                               acme_job):
    """Does the expired-link page's form, with no JavaScript or cookie, queue a fresh link?"""
    application = make_application(session, job=acme_job, email="ann@mail.example",
                                   at=NOW - timedelta(days=400))
    with time_machine.travel(NOW - timedelta(days=400), tick=False):
        token = token_of(app, application)
    page = client.get(f"/s/{token}")
    assert page.status_code == 410
    form = re.search(r'<form method="post" action="([^"]+)" class="fresh-link-form">', page.text)
    assert form and form.group(1) == "/embed/acme/lookup"
    assert 'name="return_to" value="page"' in page.text
    assert "Email me a fresh link" in page.text

    answer = lookup(client, "ann@mail.example", data={"return_to": "page", "lang": "en"},
                    headers={"Origin": BASE_URL})

    assert answer.status_code == 200
    assert 'class="candidate-header"' in answer.text  # a full page, not the widget
    assert "we have just sent it an email" in text_of(answer.text)
    assert answer.headers.getlist("Set-Cookie") == []
    [email] = lookup_emails(session)
    assert email.to_address == "ann@mail.example"


def test_widget_tokens_are_redacted_in_the_access_log():
    """Are status tokens in widget URLs (and status links) written as <redacted>?"""
    line = ('127.0.0.1 - - "GET /embed/acme/status/WzEsMV0.awgEug.mFrV?parent=x HTTP/1.1" 200 '
            '"GET /s/WzEsMV0.awgEug.mFrV/question HTTP/1.1"')
    assert redact(line) == ('127.0.0.1 - - "GET /embed/acme/status/<redacted>?parent=x '
                            'HTTP/1.1" 200 "GET /s/<redacted>/question HTTP/1.1"')
    assert redact("GET /embed/acme/status HTTP/1.1") == "GET /embed/acme/status HTTP/1.1"


# --- badge ------------------------------------------------------------------------------------


def _at(day: int, month: int = 10, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def promise_history(session, acme, globex):
    """Applicants of acme with kept, broken and pending promises (today: Monday 2 November).

    - Anna: answered on time four times; her latest promise (4 Nov) is still ahead: kept.
    - Bo: first answer two days late, then on time, then nothing since 30 Oct: not kept.
    - Cai: never answered (only an internal note); promise 26 Oct lapsed: not kept.
    - Dana: withdrew before her promise fell due: kept, not answered.
    - Eli: applied today, promise ahead: kept, not answered.
    Not counted: Old (applied before the 90 days), and a globex applicant.
    """
    recruiter = make_recruiter(session, name="Rita Berg")
    job = make_job(session, client=acme, owner=recruiter, title="Data Engineer", promise_days=5)
    people = {}
    people["anna"] = anna = make_application(session, job=job, name="Anna Andersson",
                                             email="anna@mail.example", at=_at(5))
    assert anna.promised_by == date(2026, 10, 12)
    post_update(session=session, application=anna, author=recruiter, public_note="Read it.",
                promised_by=date(2026, 10, 16), at=_at(9))
    post_update(session=session, application=anna, author=recruiter, stage_key="interview",
                at=_at(15))  # promise: 22 Oct
    post_no_news_update(session=session, application=anna, author=recruiter, at=_at(22))
    assert anna.promised_by == date(2026, 10, 29)
    post_update(session=session, application=anna, author=recruiter, public_note="Soon.",
                at=_at(28))
    assert anna.promised_by == date(2026, 11, 4)

    people["bo"] = bo = make_application(session, job=job, name="Bo Berg",
                                         email="bo@mail.example", at=_at(12))
    assert bo.promised_by == date(2026, 10, 19)
    post_update(session=session, application=bo, author=recruiter, public_note="Late, sorry.",
                promised_by=date(2026, 10, 23), at=_at(21))
    post_update(session=session, application=bo, author=recruiter, public_note="News.",
                at=_at(23))
    assert bo.promised_by == date(2026, 10, 30)

    people["cai"] = cai = make_application(session, job=job, name="Cai Carlsson",
                                           email="cai@mail.example", at=_at(19))
    post_update(session=session, application=cai, author=recruiter,
                internal_note="Client has not looked yet.", at=_at(20))
    assert cai.promised_by == date(2026, 10, 26)

    people["dana"] = dana = make_application(session, job=job, name="Dana Dahl",
                                             email="dana@mail.example", at=_at(27))
    withdrawn = session.exec(
        select(Stage).where(Stage.job_id == job.id, Stage.key == "withdrawn")
    ).one()
    session.add(Update(application_id=dana.id, kind=UpdateKind.WITHDRAWAL,
                       stage_id=withdrawn.id, is_public=True, created_at=_at(28)))
    dana.is_open, dana.stage_id, dana.promised_by = False, withdrawn.id, None
    session.add(dana)

    people["eli"] = make_application(session, job=job, name="Eli Ek", email="eli@mail.example",
                                     at=_at(2, month=11, hour=7))
    make_application(session, job=job, name="Olle Old", email="old@mail.example",
                     at=datetime(2026, 8, 3, 9, tzinfo=UTC))
    make_application(session, job=make_job(session, client=globex), name="Gun Globex",
                     email="gun@mail.example", at=_at(20))
    session.commit()
    return people


def test_badge_figures_are_exact(app, session, acme, promise_history):
    """Are share on time, median days between updates and answered exactly as defined?"""
    with time_machine.travel(NOW, tick=False), app.app_context():
        figures = compute_badge(session=session, client_id=acme.id, today=NOW.date())
    # Anna's gaps: 4, 6, 7, 6 days; Bo's: 9, 2 days -> median of 2 4 6 6 7 9 = 6.
    assert figures == BadgeFigures(since=date(2026, 8, 5), applicants=5, promised=5, kept=3,
                                   answered=2, median_days=6)
    assert figures.share_on_time == 60


def test_badge_moves_with_the_clock(app, session, acme, promise_history):
    """Eight days on, Anna's promise (4 Nov) and Eli's (9 Nov) have lapsed: do figures follow?"""
    later = NOW + timedelta(days=8)
    with time_machine.travel(later, tick=False), app.app_context():
        figures = compute_badge(session=session, client_id=acme.id, today=later.date())
    assert (figures.applicants, figures.kept, figures.share_on_time) == (5, 1, 20)
    far = NOW + timedelta(days=120)
    with time_machine.travel(far, tick=False), app.app_context():
        figures = compute_badge(session=session, client_id=acme.id, today=far.date())
    assert figures.applicants == 0 and figures.share_on_time is None


def test_badge_widget_shows_the_figures_without_personal_data(client, acme, promise_history):
    """Does the widget state the figures in words, explain them, and name nobody?"""
    with time_machine.travel(NOW, tick=False):
        response = client.get("/embed/acme/badge?lang=en")
    assert response.status_code == 200
    words = text_of(response.text)
    assert "Got every promised update on time 60% (3 of 5 applicants)" in words
    assert "Median time between updates 6 days" in words
    assert "Applicants answered 2 of 5" in words
    assert "How we count" in words
    assert "since 5 August 2026" in words
    for person in ("Anna", "Andersson", "Bo Berg", "Cai", "Dana", "Eli", "Rita", "@mail.example",
                   "Data Engineer"):
        assert person not in response.text
    assert response.headers["Cache-Control"] == "public, max-age=600"


def test_badge_speaks_the_clients_language_unless_asked(client, session, acme):
    """Is the badge in the client's default language, or the one asked for with ?lang=?"""
    acme.default_language = "sv"
    session.add(acme)
    session.commit()
    assert '<html lang="sv"' in client.get("/embed/acme/badge").text
    assert '<html lang="en"' in client.get("/embed/acme/badge?lang=en").text
    assert '<html lang="sv"' in client.get("/embed/acme/badge?lang=xx").text


def test_badge_is_cached_for_ten_minutes(app, client, session, acme, promise_history):
    """Does a new update show on the badge only once the cached figures are ten minutes old?"""
    with time_machine.travel(NOW, tick=False):
        assert "Applicants answered 2 of 5" in text_of(client.get("/embed/acme/badge").text)
        cai = promise_history["cai"]
        post_update(session=session, application=cai, author=None, public_note="Hi", at=NOW)
        session.commit()
        assert "Applicants answered 2 of 5" in text_of(client.get("/embed/acme/badge").text)
        cache = app.extensions["portal.badge_cache"]
        cache.clock = lambda: time.monotonic() + 601
        assert "Applicants answered 3 of 5" in text_of(client.get("/embed/acme/badge").text)


def test_badge_cache_keeps_figures_per_client_and_day():
    """Does the cache recompute for another client, another day, or after its lifetime?"""
    moments = iter([0, 1, 2, 3, 700])
    cache = BadgeCache(ttl=600, clock=lambda: next(moments))
    calls = []

    def compute(label):
        calls.append(label)
        return label

    today = date(2026, 11, 2)
    assert cache.get(1, today, lambda: compute("a")) == "a"
    assert cache.get(1, today, lambda: compute("b")) == "a"
    assert cache.get(2, today, lambda: compute("c")) == "c"
    assert cache.get(1, today + timedelta(days=1), lambda: compute("d")) == "d"
    assert cache.get(1, today, lambda: compute("e")) == "e"
    assert calls == ["a", "c", "d", "e"]
    assert set(cache._entries) == {(1, today)}


def test_no_news_counts_as_an_answer(app, session, acme):
    """Is an honest "no news yet" an answer that keeps the promise?"""
    job = make_job(session, client=acme)
    application = make_application(session, job=job, at=_at(5))
    post_no_news_update(session=session, application=application, author=None, at=_at(12))
    session.commit()
    with app.app_context():
        figures = compute_badge(session=session, client_id=acme.id, today=date(2026, 10, 13))
    assert (figures.answered, figures.kept, figures.median_days) == (1, 1, 7)
