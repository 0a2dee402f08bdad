"""Status links: signed, expiring, revocable, rotatable capabilities that never cause a 5xx."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from portal import create_app
from portal.core.db import get_engine
from portal.core.tokens import (
    STATUS_LINK_SALT,
    LinkClaim,
    LinkExpired,
    LinkInvalid,
    make_status_token,
    read_status_token,
    status_url_for,
)
from portal.models import Client
from portal.services.applications import revoke_link
from tests.factories import make_application, make_job, make_recruiter
from tests.helpers import BASE_URL

MINTED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@contextmanager
def built_app(app_config, **overrides):
    """A second app over the same database, e.g. with other keys or a shorter link lifetime."""
    other = create_app({**app_config, **overrides})
    try:
        yield other
    finally:
        get_engine(other).dispose()


def token_for(app, application) -> str:
    with app.test_request_context():
        return make_status_token(application.id, application.token_version)


def open_link(app, token: str, **kwargs):
    return app.test_client().get(f"/s/{token}", **kwargs)


def job_client_name(session, job) -> str:
    return session.get(Client, job.client_id).name


def replace_char(text: str, index: int) -> str:
    """``text`` with one base64 character changed into another."""
    new = "A" if text[index] != "A" else "B"
    return text[:index] + new + text[index + 1 :]


# --- round trip -------------------------------------------------------------------------------


def test_token_round_trip(app):
    """Does a freshly minted token read back as the same application id and link version?"""
    with app.app_context():
        token = make_status_token(42, 7)
        assert read_status_token(token) == LinkClaim(application_id=42, token_version=7)


def test_token_is_url_safe_and_carries_no_readable_email(app, session):
    """Is a status token made of URL-safe characters only, with no personal data in clear?"""
    application = make_application(session, email="lena.berg@mail.example")
    token = token_for(app, application)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "lena" not in token.lower()


def test_status_url_opens_the_page(app, client, session):
    """Does the URL from status_url_for open the candidate's page?"""
    application = make_application(session)
    with app.test_request_context():
        url = status_url_for(application.id, application.token_version)
    assert url.startswith(f"{BASE_URL}/s/")
    response = client.get(url.removeprefix(BASE_URL))
    assert response.status_code == 200
    assert "Application received" in response.text


# --- tampering ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "index"),
    [("payload", 0), ("payload", 3), ("timestamp", 1), ("signature", 0), ("signature", 10)],
)
def test_tampered_token_is_refused(app, client, session, part, index):
    """Does changing one character of a token's payload, time or signature make it invalid?"""
    application = make_application(session)
    token = token_for(app, application)
    parts = dict(zip(("payload", "timestamp", "signature"), token.split("."), strict=True))
    parts[part] = replace_char(parts[part], index)
    tampered = ".".join(parts.values())
    assert tampered != token
    with app.app_context(), pytest.raises(LinkInvalid):
        read_status_token(tampered)
    response = client.get(f"/s/{tampered}")
    assert response.status_code == 404
    assert "This link does not work" in response.text
    assert "Backend Engineer" not in response.text


def test_token_for_another_application_cannot_be_forged_by_editing_the_id(app, client, session):
    """Can someone reach another application by swapping the id in a token's payload?"""
    first = make_application(session)
    second = make_application(session)
    token = token_for(app, first)
    with app.app_context():
        other_payload = make_status_token(second.id, 1).split(".")[0]
    _, timestamp, signature = token.split(".")
    response = client.get(f"/s/{other_payload}.{timestamp}.{signature}")
    assert response.status_code == 404


def test_invalid_link_answers_404_json_for_json_clients(app, client, session):
    """Does a tampered link give a JSON 404 (not HTML, not 500) to an API-style client?"""
    application = make_application(session)
    token = replace_char(token_for(app, application), 2)
    response = client.get(f"/s/{token}", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "status": 404}


def test_unknown_application_id_is_404(app, client, session):
    """Does a genuine token for an application that does not exist answer 404?"""
    make_application(session)
    with app.app_context():
        token = make_status_token(999_999, 1)
    assert client.get(f"/s/{token}").status_code == 404


@pytest.mark.parametrize(
    "payload",
    [[0, 1], [-3, 1], [True, 1], ["1", 1], [1], [1, 1, 1], {"id": 1}, "1", None, [1.0, 1]],
    ids=repr,
)
def test_token_with_our_key_but_a_foreign_payload_shape_is_invalid(app, client, session, payload):
    """Does a correctly signed token whose payload is not [id, version] count as invalid?"""
    make_application(session)  # application 1 exists: only the payload's shape can refuse it
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=STATUS_LINK_SALT)
    token = serializer.dumps(payload)
    with app.app_context(), pytest.raises(LinkInvalid):
        read_status_token(token)
    assert client.get(f"/s/{token}").status_code == 404


def test_token_made_with_another_salt_is_refused(app, client, session):
    """Can a token signed with our key for another purpose (salt) open a status page?"""
    application = make_application(session)
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other")
    token = serializer.dumps([application.id, application.token_version])
    with app.app_context(), pytest.raises(LinkInvalid):
        read_status_token(token)
    assert client.get(f"/s/{token}").status_code == 404


def test_flask_session_style_token_is_refused(app, client, session):
    """Can a value signed by Flask's own session serializer be used as a status link?"""
    application = make_application(session)
    serializer = app.session_interface.get_signing_serializer(app)
    token = serializer.dumps([application.id, application.token_version])
    assert client.get(f"/s/{token}").status_code == 404


# --- expiry -------------------------------------------------------------------------------------


def test_link_opens_until_its_maximum_age(app_config, session):
    """Does a link still open 29 days after it was sent when links live 30 days?"""
    application = make_application(session, at=MINTED_AT)
    with built_app(app_config, LINK_MAX_AGE_DAYS=30) as short_lived:
        with time_machine.travel(MINTED_AT, tick=False):
            token = token_for(short_lived, application)
        with time_machine.travel(MINTED_AT + timedelta(days=29), tick=False):
            assert open_link(short_lived, token).status_code == 200


def test_expired_link_answers_410_naming_whom_to_ask(app_config, session):
    """Does a 31-day-old link (30-day lifetime) say it expired, for which job, and whom to ask?"""
    recruiter = make_recruiter(session, name="Rita Berg", email="rita.berg@agency.example")
    job = make_job(session, owner=recruiter, title="Data Engineer")
    application = make_application(session, job=job, at=MINTED_AT)
    with built_app(app_config, LINK_MAX_AGE_DAYS=30) as short_lived:
        with time_machine.travel(MINTED_AT, tick=False):
            token = token_for(short_lived, application)
        with time_machine.travel(MINTED_AT + timedelta(days=31), tick=False):
            with short_lived.app_context():
                with pytest.raises(LinkExpired) as expired:
                    read_status_token(token)
                assert expired.value.application_id == application.id
            response = open_link(short_lived, token)
            json_response = open_link(short_lived, token, headers={"Accept": "application/json"})
    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert "30 days" in response.text
    assert "Data Engineer" in response.text
    assert job_client_name(session, job) in response.text
    assert "mailto:rita.berg@agency.example" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert json_response.status_code == 410
    assert json_response.json == {"error": "expired", "status": 410}


def test_expired_link_page_speaks_the_candidates_language(app_config, session):
    """Is the expired-link page of a Swedish candidate written in Swedish?"""
    application = make_application(session, language="sv", at=MINTED_AT)
    with built_app(app_config, LINK_MAX_AGE_DAYS=30) as short_lived:
        with time_machine.travel(MINTED_AT, tick=False):
            token = token_for(short_lived, application)
        with time_machine.travel(MINTED_AT + timedelta(days=31), tick=False):
            response = open_link(short_lived, token)
    assert response.status_code == 410
    assert '<html lang="sv">' in response.text
    assert "This link has expired" not in response.text


def test_revoked_link_does_not_reveal_the_application_once_expired(app_config, session):
    """Does a revoked link, once it has also expired, still keep the job and client to itself?"""
    job = make_job(session, title="Secret Project Lead")
    application = make_application(session, job=job, at=MINTED_AT)
    with built_app(app_config, LINK_MAX_AGE_DAYS=30) as short_lived:
        with time_machine.travel(MINTED_AT, tick=False):
            token = token_for(short_lived, application)
        revoke_link(session=session, application=application)
        session.commit()
        with time_machine.travel(MINTED_AT + timedelta(days=31), tick=False):
            response = open_link(short_lived, token)
    assert response.status_code in (404, 410)
    assert "Secret Project Lead" not in response.text
    assert job_client_name(session, job) not in response.text


# --- revocation ---------------------------------------------------------------------------------


def test_revoked_link_no_longer_opens_but_the_new_one_does(app, client, session):
    """Can a revoked link still be opened? (No: 404, while the new link opens.)"""
    application = make_application(session)
    old_token = token_for(app, application)
    assert client.get(f"/s/{old_token}").status_code == 200

    new_version = revoke_link(session=session, application=application)
    session.commit()
    assert new_version == 2
    new_token = token_for(app, application)

    old = client.get(f"/s/{old_token}")
    assert old.status_code == 404
    assert "Backend Engineer" not in old.text
    assert client.get(f"/s/{old_token}", headers={"If-None-Match": '"x"'}).status_code == 404
    assert client.get(f"/s/{new_token}").status_code == 200


def test_second_revocation_kills_the_link_made_after_the_first(app, client, session):
    """Does every revocation void all earlier links, not only the very first one?"""
    application = make_application(session)
    revoke_link(session=session, application=application)
    session.commit()
    second = token_for(app, application)
    revoke_link(session=session, application=application)
    session.commit()
    assert client.get(f"/s/{second}").status_code == 404
    assert client.get(f"/s/{token_for(app, application)}").status_code == 200


# --- key rotation -------------------------------------------------------------------------------


def test_link_signed_with_a_retired_key_still_opens(app_config, session):
    """Does a link sent before a key rotation still open when the old key is a fallback?"""
    application = make_application(session)
    with built_app(app_config, SECRET_KEY="old-key") as before:
        old_token = token_for(before, application)
    with built_app(app_config, SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"]) as after:
        assert open_link(after, old_token).status_code == 200
    with built_app(app_config, SECRET_KEY="new-key") as forgot_fallback:
        assert open_link(forgot_fallback, old_token).status_code == 404


def test_new_links_are_signed_with_the_new_key(app_config, session):
    """After a rotation, are new links signed with the new key (unknown to an old-key app)?"""
    application = make_application(session)
    with built_app(app_config, SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"]) as after:
        new_token = token_for(after, application)
        assert open_link(after, new_token).status_code == 200
    with built_app(app_config, SECRET_KEY="old-key") as before:
        assert open_link(before, new_token).status_code == 404
    with built_app(app_config, SECRET_KEY="new-key") as only_new:
        assert open_link(only_new, new_token).status_code == 200


# --- arbitrary input ----------------------------------------------------------------------------

_URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


@pytest.fixture
def valid_token(app, session) -> str:
    """A working link, so that truncations of a real token and junk before it get tried too."""
    return token_for(app, make_application(session))


@settings(
    max_examples=200,
    deadline=None,
    database=None,  # examples hold tokens of one run's database: never replay them
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_text_as_token_answers_404_or_410_never_5xx(app, valid_token, data):
    """Can any string at /s/<string> make the status page fail? (Only 404 or 410, never 5xx.)"""
    text = data.draw(
        st.one_of(
            st.text(),
            st.text(alphabet=_URL_SAFE + "/%", min_size=1),
            st.tuples(st.text(alphabet=_URL_SAFE + "/%", min_size=1, max_size=8),
                      st.integers(min_value=500, max_value=5_000)).map(lambda t: t[0] * t[1]),
            st.integers(min_value=0, max_value=len(valid_token) - 1).map(
                lambda n: valid_token[:n]
            ),
            st.text(min_size=1).map(lambda extra: extra + valid_token),
        ),
        label="token",
    )
    client = app.test_client()
    # Only the real link may open (itsdangerous ignores some characters around a token).
    allowed = (200, 404, 410) if valid_token in text else (404, 410)
    response = client.get("/s/" + quote(text, safe=""), follow_redirects=True)
    assert response.status_code in allowed, (text, response.status_code)
    json_response = client.get(
        "/s/" + quote(text, safe="/"), headers={"Accept": "application/json"},
        follow_redirects=True,
    )
    assert json_response.status_code in allowed, (text, json_response.status_code)
    assert json_response.is_json
