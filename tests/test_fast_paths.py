"""The fast paths (``PORTAL_FAST_PATHS``) give the plain Flask path's answers, byte for byte.

Two apps share one database: one with ``FAST_PATHS`` on (the poll middleware, the per-language
template environments, the lean session, the driver-level reads), one with it off. Every state
of the status page, in English and Swedish, as the page, the htmx card and JSON, must come back
identical from both, with the same ETag and the same 304.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, request_started
from sqlalchemy import update

from portal.core.config import load_config
from portal.models import Application
from portal.services import status as status_service
from portal.services.branding import set_client_logo, update_client_settings
from portal.services.candidate_actions import withdraw
from portal.services.status import load_status, version_stamp
from portal.services.updates import post_update
from portal.web.fast_poll import UnchangedPoll
from portal.web.hotpath import LeanSessionInterface
from portal.web.localized import localized_environment
from tests.factories import make_application, make_client, make_job, png
from tests.helpers import HTMX, JSON, status_path

VARIANTS = {"page": {}, "card": HTMX, "json": JSON}
# The one random part of a page: each form's fresh idempotency key (candidate actions).
_REQUEST_KEY = re.compile(rb'(name="request_key" value=")[A-Za-z0-9_-]{16,64}"')


def _same_body(one: bytes, two: bytes) -> bool:
    keys = _REQUEST_KEY.findall(one)
    assert len(keys) == len(_REQUEST_KEY.findall(two))
    return _REQUEST_KEY.sub(rb'\1KEY"', one) == _REQUEST_KEY.sub(rb'\1KEY"', two)


def _note(session, application, recruiter, **fields):
    post_update(session=session, application=application, author=recruiter, **fields)
    session.commit()


def _open_with_note(session, application, recruiter, clock):
    clock.shift(timedelta(hours=1))
    _note(session, application, recruiter,
          public_note='We meet the client on Thursday. <b>"Soon"</b> & 100 %')


def _open_without_note(session, application, recruiter, clock):
    pass


def _overdue_and_reminded(session, application, recruiter, clock):
    # Applied 1 October: promised by 8 October; the reminder digest has gone out since.
    session.execute(update(Application).where(Application.id == application.id).values(
        reminded_at=datetime(2026, 10, 9, 6, tzinfo=UTC)))
    session.commit()


def _hired(session, application, recruiter, clock):
    clock.shift(timedelta(hours=1))
    _note(session, application, recruiter, stage_key="interview", public_note="See you Monday.")
    clock.shift(timedelta(hours=1))
    _note(session, application, recruiter, stage_key="hired", public_note="Welcome aboard!")


def _not_selected(session, application, recruiter, clock):
    clock.shift(timedelta(hours=2))
    _note(session, application, recruiter, stage_key="not_selected",
          public_note="Thank you, and good luck.")


def _withdrawn(session, application, recruiter, clock):
    clock.shift(timedelta(hours=2))
    withdraw(session=session, application=application, request_key=uuid.uuid4().hex,
             reason="I took another offer.")
    session.commit()


STATES = {
    "open-note": _open_with_note,
    "open-no-note": _open_without_note,
    "overdue-reminded": _overdue_and_reminded,
    "hired": _hired,
    "not-selected": _not_selected,
    "withdrawn": _withdrawn,
}


@pytest.fixture
def apps(app, make_app):
    """The fast app (the test's own ``app``, FAST_PATHS on by default) and a plain twin."""
    plain = make_app(FAST_PATHS=False)
    assert app.config["FAST_PATHS"] is True and plain.config["FAST_PATHS"] is False
    return app, plain


def _branded_job(session, recruiter):
    company = make_client(session, name="Ljusdal Trä AB", slug="ljusdal")
    update_client_settings(
        session=session, client=company, name=company.name, accent_color="#0b5d66",
        privacy_url="https://ljusdal.example/privacy", embed_origins_text="",
        status_page_url="", default_language="sv", country="SE",
    )
    set_client_logo(session=session, client=company, data=png(4, 2), filename="logo.png")
    session.commit()
    return make_job(session, client=company, owner=recruiter, title="Snickare")


def _compare(apps, path):
    """Each variant from both apps: identical status, headers and body; then each one's
    ETag answered 304 by both, identically."""
    fast, plain = (each.test_client() for each in apps)
    for name, headers in VARIANTS.items():
        one, two = fast.get(path, headers=headers), plain.get(path, headers=headers)
        assert one.status_code == two.status_code == 200, name
        assert list(one.headers.items()) == list(two.headers.items()), name
        assert _same_body(one.data, two.data), name
        poll = {**headers, "If-None-Match": one.headers["ETag"]}
        one, two = fast.get(path, headers=poll), plain.get(path, headers=poll)
        assert one.status_code == two.status_code == 304, name
        assert list(one.headers.items()) == list(two.headers.items()), name
        assert one.data == two.data == b"", name


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("state", list(STATES))
def test_every_state_is_the_same_with_and_without_fast_paths(
    apps, session, people, clock, state, language
):
    """Do the page, the card and the JSON of every state, in both languages, come back from
    the fast app exactly as from the plain one (body, headers, ETag and 304)?"""
    recruiter, _, job = people
    at = datetime(2026, 10, 1, 9, tzinfo=UTC) if state == "overdue-reminded" else None
    application = make_application(session, job=job, language=language, at=at)
    STATES[state](session, application, recruiter, clock)
    path = status_path(apps[0], application)

    _compare(apps, path)

    page = apps[1].test_client().get(path).text
    assert f'<html lang="{language}">' in page  # the state is what the test says it is
    data = apps[1].test_client().get(path, headers=JSON).json
    assert data["is_open"] is (state.startswith("open") or state == "overdue-reminded")
    assert data["overdue"] is (state == "overdue-reminded")


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_branded_client_is_the_same_with_and_without_fast_paths(
    apps, session, people, clock, language
):
    """Does a white-labelled client's page (logo, accent colour) agree on both paths?"""
    recruiter, _, _ = people
    application = make_application(session, job=_branded_job(session, recruiter),
                                   language=language)
    _open_with_note(session, application, recruiter, clock)
    path = status_path(apps[0], application)

    _compare(apps, path)
    assert "/brand/ljusdal" in apps[1].test_client().get(path).text


def test_the_next_day_is_the_same_with_and_without_fast_paths(apps, session, people, clock):
    """Does yesterday's ETag get today's page from both (a date in the ETag), identically?"""
    _, _, job = people
    application = make_application(session, job=job, language="sv")
    path = status_path(apps[0], application)
    etag = apps[0].test_client().get(path, headers=HTMX).headers["ETag"]
    clock.shift(timedelta(days=1))
    poll = {**HTMX, "If-None-Match": etag}
    one, two = (each.test_client().get(path, headers=poll) for each in apps)
    assert one.status_code == two.status_code == 200
    assert _same_body(one.data, two.data)
    assert one.headers["ETag"] == two.headers["ETag"] != etag


def test_off_means_the_plain_flask_path(apps, session, people):
    """With FAST_PATHS off: no poll middleware, Flask's own session interface, no per-language
    environments, and the 304 comes from the Flask view."""
    fast, plain = apps
    assert isinstance(fast.wsgi_app, UnchangedPoll)
    assert isinstance(fast.session_interface, LeanSessionInterface)
    assert not isinstance(plain.wsgi_app, UnchangedPoll)
    assert type(plain.session_interface) is type(Flask(__name__).session_interface)

    _, _, job = people
    path = status_path(plain, make_application(session, job=job))
    seen: list[str] = []

    def note(sender, **_):
        seen.append(sender.name)

    request_started.connect(note, plain)
    try:
        client = plain.test_client()
        for headers in VARIANTS.values():
            etag = client.get(path, headers=headers).headers["ETag"]
            assert client.get(path, headers={**headers, "If-None-Match": etag}).status_code == 304
    finally:
        request_started.disconnect(note, plain)
    assert len(seen) == 2 * len(VARIANTS)  # every 304 too went through Flask
    assert "portal.localized_envs" not in plain.extensions


def test_the_per_language_environment_leaves_the_apps_alone(app):
    """Does building the Swedish environment leave the app's own gettext untouched (the
    overlay's inherited ``install_gettext_callables`` would have changed the app's)?"""
    before = {name: app.jinja_env.globals[name] for name in ("gettext", "ngettext")}
    with app.test_request_context():
        swedish = localized_environment(app, "sv")
        assert swedish.from_string("{{ _('Your data') }}").render() == "Dina uppgifter"
        assert app.jinja_env.from_string("{{ _('Your data') }}").render() == "Your data"
    assert {name: app.jinja_env.globals[name] for name in before} == before


def test_columns_are_read_by_name_not_position(app, session, people, clock, monkeypatch):
    """Does the status page's view stay the same when its statements select their columns in
    another order (the driver read and SQLAlchemy's alike)?"""
    recruiter, _, job = people
    application = make_application(session, job=job)
    _hired(session, application, recruiter, clock)
    ids = {"application_id": application.id, "token_version": application.token_version}
    with app.app_context():
        expected = load_status(session=session, **ids)
        stamp = version_stamp(session=session, **ids)
        assert load_status(session=session, raw=False, **ids) == expected
        monkeypatch.setattr(status_service, "_COMPILED", {})
        for name, statement in status_service._STATEMENTS.items():
            columns = list(statement.selected_columns)
            monkeypatch.setitem(status_service._STATEMENTS, name,
                                statement.with_only_columns(*reversed(columns)))
        for raw in (True, False):
            assert load_status(session=session, raw=raw, **ids) == expected
            assert version_stamp(session=session, raw=raw, **ids) == stamp
    assert expected.stage_key == "hired" and expected.is_open is False
    assert expected.timeline[0].note == "Welcome aboard!"


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("1", True), ("yes", True), ("on", True),
    ("false", False), ("0", False), ("no", False), ("off", False), (None, True),
])
def test_portal_fast_paths_setting(monkeypatch, tmp_path, value, expected):
    """Is PORTAL_FAST_PATHS read as a yes/no value, true when unset?"""
    if value is None:
        monkeypatch.delenv("PORTAL_FAST_PATHS", raising=False)
    else:
        monkeypatch.setenv("PORTAL_FAST_PATHS", value)
    bare = Flask(__name__, instance_path=str(tmp_path))
    load_config(bare, None)
    assert bare.config["FAST_PATHS"] is expected


def test_portal_fast_paths_refuses_other_words(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_FAST_PATHS", "maybe")
    with pytest.raises(ValueError, match="PORTAL_FAST_PATHS"):
        load_config(Flask(__name__, instance_path=str(tmp_path)), None)
