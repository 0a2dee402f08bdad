"""A non-editable install (the wheel) carries templates, static files and catalogs."""

import os
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )
    return next(out.glob("*.whl"))


def test_wheel_contains_assets(wheel):
    """Are templates, static files, compiled Swedish catalog and migrations in the wheel?"""
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "portal/templates/candidate/status.html",
        "portal/static/vendor/htmx.min.js",
        "portal/static/portal.css",
        "portal/translations/sv/LC_MESSAGES/messages.mo",
        "portal/migrations/env.py",
        "portal/gunicorn_config.py",
    ):
        assert expected in names, expected
    assert not any(name.startswith(("tests/", "templates/", "static/")) for name in names)


@pytest.mark.slow
def test_installed_wheel_serves_pages_under_gunicorn(wheel, tmp_path):
    """Does gunicorn serve a status page from the installed wheel, not from the checkout?"""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True, timeout=300,
    )
    port = free_port()
    database = tmp_path / "wheel.sqlite3"
    env = {
        **os.environ,
        # The wheel first; the venv's site-packages (dependencies) after it.
        "PYTHONPATH": str(site),
        "PORTAL_DATABASE_URL": f"sqlite:///{database}",
        "PORTAL_SECRET_KEY": "wheel-test-secret",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("PORTAL_TEST_DATABASE", None)
    work = tmp_path / "elsewhere"
    work.mkdir()
    python = [sys.executable, "-c"]
    where = subprocess.run(
        [*python, "import portal; print(portal.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert where.startswith(str(site)), where
    portal_cli = [*python, "from portal.cli import main; main()"]
    subprocess.run([*portal_cli, "db", "upgrade"], cwd=work, env=env, check=True,
                   capture_output=True, timeout=120)
    subprocess.run([*portal_cli, "recruiters", "add", "w@agency.example", "--name", "W T"],
                   cwd=work, env=env, check=True, input="a long password 123\n", text=True,
                   capture_output=True, timeout=60)
    result = subprocess.run(
        [*portal_cli, "applications", "add", "--job", "1", "--name", "X", "--email", "x@y.se"],
        cwd=work, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0 and "job" in result.stderr  # no job yet: a clean error
    subprocess.run(
        [*python, "from portal import create_app\n"
         "from portal.core.db import get_session\n"
         "from portal.services.catalog import create_client, create_job\n"
         "app = create_app()\n"
         "with app.app_context():\n"
         "    s = get_session(); c = create_client(session=s, name='Wheel AB')\n"
         "    create_job(session=s, client_id=c.id, title='Packager'); s.commit()\n"],
        cwd=work, env=env, check=True, timeout=60,
    )
    added = subprocess.run(
        [*portal_cli, "applications", "add", "--job", "1", "--name", "Wilma Wheel",
         "--email", "wilma@mail.example", "--language", "sv"],
        cwd=work, env=env, capture_output=True, text=True, check=True, timeout=60,
    )
    status_url = added.stdout.strip().splitlines()[-1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:portal.gunicorn_config",
         "--workers", "1", "--bind", f"127.0.0.1:{port}", "portal:create_app()"],
        cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        page = _get_when_up(status_url, server)
        assert '<html lang="sv">' in page
        assert "Ansökan mottagen" in page and "Packager" in page
        css = _get_when_up(f"http://127.0.0.1:{port}/static/vendor/htmx.min.js", server)
        assert "htmx" in css
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=20)
    assert "/s/<redacted>" in log
    assert status_url.rsplit("/", 1)[-1] not in log


def _get_when_up(url: str, server: subprocess.Popen, timeout: float = 60.0) -> str:
    """The page once the server answers (a loaded machine may take a while to start it); the
    server's own output when it died instead."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                return response.read().decode()
        except OSError:
            if server.poll() is not None:
                raise AssertionError(f"gunicorn exited: {server.communicate()[0]}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
