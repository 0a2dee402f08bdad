"""Every screen of the portal, in every state worth checking, for the browser checks.

``PAGES`` is a plain list: each ``Page`` names a screen, the URL to open (``{placeholders}``
are filled from the ``World`` of test data, ``{lang}`` with the language under test), whether a
recruiter must be signed in, and an optional ``then`` step that drives the page into a state
(e.g. submitting a form empty to show its validation errors). To check a new screen, append a
``Page`` here: the accessibility, reflow and console/CSP checks all pick it up.

A candidate page's language is the application's, so each candidate URL names the application
in the language under test (``{new}`` is the new application in that language). Pages without an
application get ``?lang=`` (the candidate's explicit choice) and Accept-Language; desk pages
are opened by a recruiter whose language is the one under test.
"""

import contextlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from portal import create_app
from portal.core.db import get_engine, get_session
from portal.core.tokens import make_status_token, make_unsubscribe_token
from portal.services.applications import unsubscribe
from portal.services.candidate_actions import new_request_key, withdraw
from portal.services.updates import post_update
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter
from tests.helpers import BACKEND, TEST_CONFIG

LANGS = ("en", "sv")
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}


def _submit(page) -> None:
    """Send the page's main form as it is (empty or prefilled), to show its errors."""
    page.locator("main form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state()


def _submit_update_empty(page) -> None:
    page.fill("#promised_by", "")
    page.locator(".update-form button[type=submit]").click()
    page.locator(".form-errors").wait_for()


def _bad_login(page) -> None:
    page.fill("#email", "nobody@agency.example")
    page.fill("#password", "wrong password")
    page.locator("main button[type=submit]").click()
    page.locator("#login-error").wait_for()


def _bad_settings(page) -> None:
    page.fill("#accent_color", "#eeeeee")
    page.fill("#embed_origins", "http://careers.example.com/jobs")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.locator(".form-errors").wait_for()


def _bad_lookup(page) -> None:
    page.fill("#email", "not an address")
    page.locator("main button[type=submit], form button[type=submit]").first.click()
    page.locator(".error, [role=alert]").first.wait_for()


def _bulk_preview(page) -> None:
    """Tick the first row and preview a "No news yet" to it."""
    page.locator("input.bulk-select").first.check()
    page.select_option("#action", "no_news")
    page.locator("#bulk-form button[type=submit]").click()
    page.locator(".bulk-preview").wait_for()


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    desk: bool = False  # opened by a signed-in recruiter
    then: object = None  # a step run after the page has loaded
    status: int | None = None  # the expected HTTP status, when not 200
    # The languages the screen exists in (the API reference is English for developers).
    langs: tuple[str, ...] = LANGS


PAGES = [
    # The candidate's status page in each state, in the application's language.
    Page("status: new", "/s/{new}"),
    Page("status: with notes", "/s/{noted}"),
    Page("status: overdue", "/s/{overdue}"),
    Page("status: closed", "/s/{closed}"),
    Page("status: withdrawn", "/s/{withdrawn}"),
    Page("status: after a candidate action", "/s/{new}?done=question"),
    Page("status: expired link", "/s/{expired}", status=410),
    Page("status: link not found", "/s/not-a-real-link?lang={lang}", status=404),
    Page("candidate: withdraw", "/s/{new}/withdraw"),
    Page("candidate: unsubscribe", "/u/{unsubscribe}"),
    # The embeddable widgets, as their frames load them.
    Page("embed: lookup", "/embed/{slug}/lookup?lang={lang}"),
    Page("embed: lookup with error", "/embed/{slug}/lookup?lang={lang}", then=_bad_lookup),
    Page("embed: badge", "/embed/{slug}/badge?lang={lang}"),
    Page("embed: status", "/embed/{slug}/status/{new}"),
    Page("embed: status without a link", "/embed/{slug}/status?lang={lang}"),
    # Sign-in.
    Page("login", "/admin/login?lang={lang}"),
    Page("login with error", "/admin/login?lang={lang}", then=_bad_login),
    # The recruiter's desk and setup screens.
    Page("desk: list", "/admin/", desk=True),
    Page("desk: list filtered", "/admin/?client={client_id}&stage=applied&status=all", desk=True),
    Page("desk: list searched", "/admin/?q=Sofia", desk=True),
    Page("desk: list, nothing found", "/admin/?q=nobody-by-this-name", desk=True),
    Page("desk: application", "/admin/applications/{new_id}", desk=True),
    Page("desk: application, update errors", "/admin/applications/{new_id}", desk=True,
         then=_submit_update_empty),
    Page("desk: closed application", "/admin/applications/{closed_id}", desk=True),
    Page("desk: new application", "/admin/applications/new", desk=True),
    Page("desk: new application errors", "/admin/applications/new", desk=True, then=_submit),
    Page("setup: clients", "/admin/clients", desk=True),
    Page("setup: new client", "/admin/clients/new", desk=True),
    Page("setup: new client errors", "/admin/clients/new", desk=True, then=_submit),
    Page("setup: client settings", "/admin/clients/{client_id}", desk=True),
    Page("setup: client settings errors", "/admin/clients/{client_id}", desk=True,
         then=_bad_settings),
    Page("setup: jobs", "/admin/jobs", desk=True),
    Page("setup: new job", "/admin/jobs/new", desk=True),
    Page("setup: new job errors", "/admin/jobs/new", desk=True, then=_submit),
    Page("desk: your settings", "/admin/me", desk=True),
    Page("desk: change password", "/admin/password", desk=True),
    Page("desk: change password errors", "/admin/password", desk=True, then=_submit),
    Page("desk: bulk update preview", "/admin/", desk=True, then=_bulk_preview),
    Page("desk: CSV import", "/admin/applications/import", desk=True),
    Page("desk: CSV import errors", "/admin/applications/import", desk=True, then=_submit),
    # Admin screens of the security, privacy and integration work.
    Page("setup: recruiters", "/admin/recruiters", desk=True),
    Page("setup: new recruiter", "/admin/recruiters/new", desk=True),
    Page("setup: new recruiter errors", "/admin/recruiters/new", desk=True, then=_submit),
    Page("setup: audit log", "/admin/audit", desk=True),
    Page("setup: retention", "/admin/retention", desk=True),
    Page("integrations: API tokens", "/admin/api-tokens", desk=True),
    Page("integrations: webhooks", "/admin/webhooks", desk=True),
    Page("integrations: webhooks errors", "/admin/webhooks", desk=True, then=_submit),
    Page("API reference", "/api/v1/docs?lang={lang}", langs=("en",)),
    Page("candidate: ask for erasure", "/s/{new}/erase"),
    Page("page not found", "/no-such-page?lang={lang}", status=404),
]


@dataclass
class World:
    """The test data every page in ``PAGES`` needs, and the server that shows it."""

    base: str
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # by language
    recruiters: dict[str, str] = field(default_factory=dict)  # email by language

    def url(self, page: Page, lang: str) -> str:
        return self.base + page.url.format(lang=lang, **self.values[lang])


def _database_url(tmp_path) -> tuple[str, object]:
    """A migrated database of its own for a module; returns the URL and a cleanup."""
    if BACKEND == "postgresql":
        from tests.helpers import PG_SERVER

        name = f"portal_pages_{uuid.uuid4().hex[:10]}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))

        def drop():
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        return f"{PG_SERVER}/{name}", drop
    path = tmp_path / "pages.sqlite3"
    return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)


@contextlib.contextmanager
def serve_world(tmp_path, **config):
    """Build the data for every page, in English and Swedish, and serve it on a free port."""
    from portal.core.migrate import upgrade_database

    url, cleanup = _database_url(tmp_path)
    # Generous lookup limits: every page is opened many times (the limiter itself is shared
    # by every app in the process, so it must not be switched off here).
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url, "WTF_CSRF_ENABLED": True,
                      "LOOKUP_LIMIT_PER_IP": "10000/minute",
                      "LOOKUP_LIMIT_PER_ADDRESS": "10000/minute", **config})
    upgrade_database(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    world = World(base=base)
    with app.app_context():
        _seed(get_session(), world)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield world
    finally:
        server.shutdown()
        thread.join(timeout=5)
        get_engine(app).dispose()
        cleanup()


def _seed(session, world: World) -> None:
    admin_by_lang = {
        lang: make_recruiter(session, admin=True, language=lang,
                             name="Anna Lindqvist" if lang == "sv" else "Emma Clarke")
        for lang in LANGS
    }
    client = make_client(session, name="Brightline Logistik AB", slug="brightline",
                         default_language="sv")
    client.embed_origins = ["http://localhost:8001"]
    session.commit()
    past = datetime.now(UTC) - timedelta(days=30)
    for lang in LANGS:
        owner = admin_by_lang[lang]
        job = make_job(session, client=client, owner=owner,
                       title="Drifttekniker" if lang == "sv" else "Operations Engineer")
        names = {"sv": ("Sofia Ek", "Johan Berg", "Maja Lind", "Erik Holm", "Lina Åberg",
                        "Oskar Nyberg"),
                 "en": ("Sofia Green", "James Hart", "Mia Stone", "Eric Hall", "Lena Price",
                        "Oliver Ward")}[lang]
        new = make_application(session, job=job, name=names[0], language=lang)
        noted = make_application(session, job=job, name=names[1], language=lang)
        post_update(session=session, application=noted, author=owner, stage_key="interview",
                    public_note={"sv": "Kunden vill träffa dig på tisdag klockan tio.",
                                 "en": "The client would like to meet you on Tuesday at ten."}
                    [lang])
        overdue = make_application(session, job=job, name=names[2], language=lang, at=past)
        closed = make_application(session, job=job, name=names[3], language=lang)
        post_update(session=session, application=closed, author=owner, stage_key="not_selected",
                    public_note={"sv": "Tack för ditt intresse. Vi gick vidare med andra.",
                                 "en": "Thank you for your interest. We went ahead with others."}
                    [lang])
        withdrawn = make_application(session, job=job, name=names[4], language=lang)
        withdraw(session=session, application=withdrawn, request_key=new_request_key())
        expired = make_application(session, job=job, name=names[5], language=lang)
        unsubscribe(session=session, application_id=new.id)
        session.commit()
        with time_machine.travel(datetime.now(UTC) - timedelta(days=400), tick=False):
            expired_token = make_status_token(expired.id, expired.token_version)

        def token(application):
            return make_status_token(application.id, application.token_version)

        world.values[lang] = {
            "new": token(new), "noted": token(noted), "overdue": token(overdue),
            "closed": token(closed), "withdrawn": token(withdrawn), "expired": expired_token,
            "unsubscribe": make_unsubscribe_token(noted.id), "slug": client.slug,
            "client_id": str(client.id), "new_id": str(new.id), "closed_id": str(closed.id),
        }
        world.recruiters[lang] = owner.email


def sign_in(context, world: World, lang: str) -> None:
    """Sign the browser context in as the recruiter who works in ``lang``."""
    page = context.new_page()
    page.goto(f"{world.base}/admin/login")
    page.fill("#email", world.recruiters[lang])
    page.fill("#password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{world.base}/admin/")
    page.close()


# Registered in every page before its own scripts: CSP violations end up in a list to read.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
