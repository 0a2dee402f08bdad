"""Health check and configuration: /healthz, the secret-key guard, PORTAL_* variables, BASE_URL."""

import os
import re
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from portal import create_app
from portal.core.config import DEV_SECRET_KEY, InsecureSecretKeyError
from portal.core.db import get_engine
from portal.core.tokens import make_status_token, status_url_for
from tests.factories import PASSWORD, make_application, make_recruiter

UNREACHABLE_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:1/nope"


@contextmanager
def built_app(config: dict, **kwargs):
    """An app from ``config`` whose engine is disposed afterwards."""
    app = create_app(config, **kwargs)
    try:
        yield app
    finally:
        get_engine(app).dispose()


@pytest.fixture
def clean_env(monkeypatch):
    """No PORTAL_* or FLASK_* variables from the shell that runs the tests."""
    for name in list(os.environ):
        if name.startswith(("PORTAL_", "FLASK_")):
            monkeypatch.delenv(name)
    return monkeypatch


# --- /healthz -----------------------------------------------------------------------------------


def test_healthz_reports_a_reachable_database(app, client):
    """Does /healthz answer 200 JSON saying the database is reachable, and which one?"""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    body = response.json
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert app.config["DATABASE_URL"].startswith(body["database"]["dialect"])
    assert body["database"]["latency_ms"] >= 0
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("where", ["postgres_port_1", "sqlite_directory"])
def test_healthz_reports_an_unreachable_database_as_503(app_config, tmp_path, where):
    """With a database that cannot be reached, does /healthz answer 503 JSON (not a 500)?"""
    url = UNREACHABLE_POSTGRES if where == "postgres_port_1" else f"sqlite:///{tmp_path}"
    with built_app({**app_config, "DATABASE_URL": url}) as broken:
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    assert response.json["status"] == "unavailable"
    assert response.json["database"]["ok"] is False
    assert response.json["database"]["error"] == "OperationalError"
    # Nothing about where the database lives or who logs in to it.
    assert "127.0.0.1" not in response.text
    assert "postgres@" not in response.text
    assert str(tmp_path) not in response.text
    assert response.headers["Cache-Control"] == "no-store"


# --- the development secret key -----------------------------------------------------------------


def test_development_key_is_refused_in_production(clean_env, database_url):
    """Does create_app refuse to run with the published development key outside tests/demo?"""
    with pytest.raises(InsecureSecretKeyError, match="PORTAL_SECRET_KEY"):
        create_app({"DATABASE_URL": database_url})
    with pytest.raises(InsecureSecretKeyError):
        create_app({"DATABASE_URL": database_url, "SECRET_KEY": DEV_SECRET_KEY})


@pytest.mark.parametrize("value", ["0", "false", "no"])
def test_flask_debug_switched_off_still_refuses_the_development_key(clean_env, database_url,
                                                                    value):
    """Does FLASK_DEBUG=0 (debug explicitly off) still refuse the development key?"""
    clean_env.setenv("FLASK_DEBUG", value)
    with pytest.raises(InsecureSecretKeyError):
        create_app({"DATABASE_URL": database_url})


def test_development_key_is_accepted_for_the_demo(clean_env, database_url):
    """Is the development key accepted by the demo (create_app(demo=True) or PORTAL_DEMO)?"""
    with built_app({"DATABASE_URL": database_url}, demo=True) as demo:
        assert demo.config["DEMO"] is True
        assert demo.config["SECRET_KEY"] == DEV_SECRET_KEY
    clean_env.setenv("PORTAL_DEMO", "true")
    with built_app({"DATABASE_URL": database_url}) as demo:
        assert demo.config["DEMO"] is True


def test_development_key_is_accepted_in_debug_and_tests(clean_env, database_url):
    """Is the development key accepted when debugging (FLASK_DEBUG=1) or testing?"""
    with built_app({"DATABASE_URL": database_url, "TESTING": True}) as testing:
        assert testing.testing
    clean_env.setenv("FLASK_DEBUG", "1")
    with built_app({"DATABASE_URL": database_url}) as debugging:
        assert debugging.debug


def test_a_real_secret_key_is_accepted_in_production(clean_env, database_url):
    """Does a production app with its own secret key start (and stay out of testing mode)?"""
    clean_env.setenv("PORTAL_SECRET_KEY", "a-long-random-production-key")
    with built_app({"DATABASE_URL": database_url}) as production:
        assert production.config["SECRET_KEY"] == "a-long-random-production-key"
        assert not production.testing
        assert not production.debug


# --- PORTAL_* environment variables -------------------------------------------------------------


def test_portal_environment_variables_are_honoured(clean_env, database_url, session):
    """Are PORTAL_BASE_URL, PORTAL_LINK_MAX_AGE_DAYS and the keys read from the environment?"""
    application = make_application(session)
    clean_env.setenv("PORTAL_BASE_URL", "https://status.agency.example/")
    clean_env.setenv("PORTAL_LINK_MAX_AGE_DAYS", "30")
    clean_env.setenv("PORTAL_SECRET_KEY", "env-key")
    clean_env.setenv("PORTAL_SECRET_KEY_FALLBACKS", "old-a, old-b")
    clean_env.setenv("PORTAL_DATABASE_URL", database_url)

    with built_app(None) as from_env:
        config = from_env.config
        assert config["BASE_URL"] == "https://status.agency.example"
        assert config["LINK_MAX_AGE_DAYS"] == 30
        assert config["SECRET_KEY"] == "env-key"
        assert config["SECRET_KEY_FALLBACKS"] == ["old-a", "old-b"]
        assert config["DATABASE_URL"] == database_url
        assert config["SESSION_COOKIE_SECURE"] is True  # an https base URL: secure cookies
        with from_env.test_request_context():
            url = status_url_for(application.id, application.token_version)
        assert url.startswith("https://status.agency.example/s/")
        token = url.rsplit("/", 1)[1]
        assert from_env.test_client().get(f"/s/{token}").status_code == 200

    old_key = {"DATABASE_URL": database_url, "SECRET_KEY": "old-b", "TESTING": True}
    with built_app(old_key) as old, old.app_context():
        old_token = make_status_token(application.id, application.token_version)
    with built_app(None) as from_env:
        assert from_env.test_client().get(f"/s/{old_token}").status_code == 200


def test_json_list_of_fallback_keys_from_the_environment(clean_env, database_url):
    """Is PORTAL_SECRET_KEY_FALLBACKS accepted as a JSON list too?"""
    clean_env.setenv("PORTAL_SECRET_KEY", "env-key")
    clean_env.setenv("PORTAL_SECRET_KEY_FALLBACKS", '["old-a", "old-b"]')
    with built_app({"DATABASE_URL": database_url}) as from_env:
        assert from_env.config["SECRET_KEY_FALLBACKS"] == ["old-a", "old-b"]


def test_all_digit_secret_key_from_the_environment_still_signs_links(
    clean_env, database_url, session
):
    """Does an all-digit PORTAL_SECRET_KEY (parsed as a JSON number) still sign working links?"""
    clean_env.setenv("PORTAL_SECRET_KEY", "12345678901234567890")
    clean_env.setenv("PORTAL_SECRET_KEY_FALLBACKS", "987654321")
    application = make_application(session)
    with built_app({"DATABASE_URL": database_url}) as from_env:
        assert from_env.config["SECRET_KEY"] == "12345678901234567890"
        assert from_env.config["SECRET_KEY_FALLBACKS"] == ["987654321"]
        with from_env.test_request_context():
            url = status_url_for(application.id, application.token_version)
        response = from_env.test_client().get(urlsplit(url).path)
        assert response.status_code == 200


def test_test_config_overrides_the_environment(clean_env, app_config):
    """Does a test configuration win over PORTAL_* variables (defaults < environment < tests)?"""
    clean_env.setenv("PORTAL_BASE_URL", "https://from-env.example")
    clean_env.setenv("PORTAL_STATUS_POLL_SECONDS", "15")
    with built_app(app_config) as app:
        assert app.config["BASE_URL"] == "http://portal.test"
        assert app.config["STATUS_POLL_SECONDS"] == 15


def test_cli_prints_links_built_from_the_environments_base_url(clean_env, database_url, session):
    """Does `portal link` print a URL on PORTAL_BASE_URL that opens the status page?"""
    application = make_application(session)
    clean_env.setenv("PORTAL_BASE_URL", "https://jobs.agency.example")
    clean_env.setenv("PORTAL_SECRET_KEY", "env-key")
    with built_app({"DATABASE_URL": database_url}) as from_env, from_env.app_context():
        # The command runs in its own app's context, as under the `portal` script.
        result = from_env.test_cli_runner().invoke(args=["link", str(application.id)])
        assert result.exit_code == 0, result.output
        url = result.output.strip().splitlines()[-1]
        assert url.startswith("https://jobs.agency.example/s/")
        response = from_env.test_client().get(url.removeprefix("https://jobs.agency.example"))
        assert response.status_code == 200


# --- the Host header never makes links ----------------------------------------------------------


FORGED = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}


def test_forged_host_does_not_change_a_built_status_url(app, session):
    """Does a request with a forged Host header still build status URLs on BASE_URL?"""
    application = make_application(session)
    with app.test_request_context("/", headers=FORGED):
        url = status_url_for(application.id, application.token_version)
    assert url.startswith("http://portal.test/s/")
    assert "evil" not in url


def test_forged_host_does_not_change_the_link_on_the_desk(app, session):
    """Does the desk show the candidate's link on BASE_URL even with a forged Host header?"""
    recruiter = make_recruiter(session, email="desk@agency.example")
    application = make_application(session)
    desk = app.test_client()
    login = desk.post(
        "/admin/login", data={"email": recruiter.email, "password": PASSWORD},
        base_url="http://evil.example", headers={"X-Forwarded-Host": "evil.example"},
    )
    assert login.status_code == 303
    page = desk.get(
        f"/admin/applications/{application.id}", base_url="http://evil.example",
        headers={"X-Forwarded-Host": "evil.example"},
    )
    assert page.status_code == 200
    links = re.findall(r'id="status-url"[^>]*value="([^"]+)"', page.text)
    assert len(links) == 1
    assert links[0].startswith("http://portal.test/s/")
    assert "evil.example/s/" not in page.text


def test_cli_link_ignores_server_name(app_config, session):
    """Does `portal link` print BASE_URL links even when Flask's SERVER_NAME says otherwise?"""
    application = make_application(session)
    config = {**app_config, "SERVER_NAME": "internal.example:8000",
              "PREFERRED_URL_SCHEME": "https"}
    with built_app(config) as app, app.app_context():
        result = app.test_cli_runner().invoke(args=["link", str(application.id), "--revoke"])
    assert result.exit_code == 0, result.output
    assert "Earlier links revoked." in result.output
    assert result.output.strip().splitlines()[-1].startswith("http://portal.test/s/")
