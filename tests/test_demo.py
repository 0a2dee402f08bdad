"""The demo: believable seed data, and `portal demo` printing logins and links, then serving."""

import os
import queue
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing, contextmanager
from email import message_from_bytes
from email.policy import default as default_policy
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.cli.demo import CLIENTS, DEMO_PASSWORD, seed_demo
from portal.core.clock import today
from portal.models import Application, Client, Job, Stage, Update
from tests.helpers import free_port

PORTAL = Path(sys.executable).parent / "portal"
STARTUP_SECONDS = 30
LOGIN_LINE = re.compile(r"^Recruiter login: (\S+@\S+) / (\S+)")
# "  Sofia Ek (sv, Nordvik Energi AB, Ansökan mottagen, open): http://..."
LINK_LINE = re.compile(r"^\s+.+ \((en|sv), (.+?), (.+?), (open|overdue|closed)\): (\S+)$")


# --- the seed data -------------------------------------------------------------------------


def test_seed_demo_builds_a_believable_agency(session):
    """Does the demo seed give clients, jobs and 20+ applications in many states and languages?"""
    seed_demo(session)
    session.commit()

    def count(model) -> int:
        return session.execute(select(func.count()).select_from(model)).scalar_one()

    assert count(Client) >= 2
    assert count(Job) >= 3
    assert count(Application) >= 20
    stages = session.execute(
        select(Stage.key).join(Application, Application.stage_id == Stage.id).distinct()
    ).scalars().all()
    assert len(stages) >= 4
    languages = set(session.execute(select(Application.language)).scalars())
    assert {"en", "sv"} <= languages
    without_timeline = session.execute(
        select(func.count()).select_from(Application).where(
            ~select(Update.id).where(
                Update.application_id == Application.id, Update.is_public.is_(True)
            ).exists()
        )
    ).scalar_one()
    assert without_timeline == 0
    with_history = session.execute(
        select(func.count(func.distinct(Update.application_id))).where(Update.kind != "created")
    ).scalar_one()
    assert with_history >= count(Application) // 2
    overdue = session.execute(
        select(func.count()).select_from(Application).where(
            Application.is_open.is_(True), Application.promised_by < today()
        )
    ).scalar_one()
    assert overdue >= 1
    assert session.execute(
        select(func.count()).select_from(Application).where(Application.is_open.is_(False))
    ).scalar_one() >= 1


# --- `portal demo` as a real process -------------------------------------------------------


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


@contextmanager
def running_demo(tmp_path: Path, database: Path, *, base_url: str | None = None,
                 extra_env: dict | None = None):
    """Start `portal demo`, yield (port, printed lines up to "Serving on"), always stop it."""
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PORTAL_", "FLASK_"))}
    env.update({"PORTAL_DATABASE_URL": f"sqlite:///{database}", "PYTHONUNBUFFERED": "1"})
    if base_url:
        env["PORTAL_BASE_URL"] = base_url
    env.update(extra_env or {})
    log = tmp_path / f"demo-{port}.stderr"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [str(PORTAL), "demo", "--port", str(port), "--host", "127.0.0.1"],
            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True)
        reader.start()
        try:
            printed = []
            deadline = time.monotonic() + STARTUP_SECONDS
            while not printed or not printed[-1].startswith("Serving on"):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"no 'Serving on' within {STARTUP_SECONDS}s: {printed}")
                try:
                    line = lines.get(timeout=remaining)
                except queue.Empty:
                    continue
                if line is None:
                    pytest.fail(f"demo exited early: {printed}\n{log.read_text()}")
                printed.append(line)
            wait_until_up(port)
            yield port, printed
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            reader.join(timeout=10)
            process.stdout.close()


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def fetch(url: str, opener=None) -> tuple[int, str, str]:
    """(status, final URL, body) of a GET."""
    with (opener or urllib.request.build_opener()).open(url, timeout=10) as answer:
        return answer.status, answer.geturl(), answer.read().decode()


def application_count(database: Path) -> int:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute("SELECT count(*) FROM application").fetchone()[0]


def sign_in(port: int, email: str, password: str) -> tuple[str, str]:
    """Sign in through the real form (CSRF token and cookie); returns (final URL, page)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    login_url = f"http://127.0.0.1:{port}/admin/login"
    _, _, form = fetch(login_url, opener)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": token})
    with opener.open(login_url, data=body.encode(), timeout=10) as answer:
        assert answer.status == 200
        return answer.geturl(), answer.read().decode()


@pytest.mark.slow
def test_demo_prints_logins_and_links_that_work_and_reuses_its_database(tmp_path):
    """Does `portal demo` print a login and working links, and reuse its database next time?"""
    database = tmp_path / "demo.sqlite3"
    with running_demo(tmp_path, database) as (port, printed):
        output = "\n".join(printed)
        assert "seeded just now" in output
        logins = [LOGIN_LINE.match(line).groups() for line in printed if LOGIN_LINE.match(line)]
        assert logins
        assert all(password == DEMO_PASSWORD for _, password in logins)
        local = f"http://127.0.0.1:{port}/s/"
        links = [LINK_LINE.match(line) for line in printed if local in line]
        assert len(links) >= 3
        assert all(links)
        assert f"Recruiter desk: http://127.0.0.1:{port}/admin/" in printed

        _language, client_name, _stage, _state, url = links[0].groups()
        status, _, page = fetch(url)
        assert status == 200
        titles = next(jobs for name, _, _, jobs in CLIENTS if name == client_name)
        assert any(title in page for title, _, _ in titles)

        final_url, desk_page = sign_in(port, *logins[0])
        assert urllib.parse.urlsplit(final_url).path == "/admin/"
        # The first printed login is Anna, who works in Swedish: her desk is in Swedish.
        assert '<html lang="sv">' in desk_page
        assert "Ansökningar" in desk_page
        assert "Sign in to the status desk" not in desk_page
    seeded = application_count(database)
    assert seeded >= 20

    with running_demo(tmp_path, database) as (port, printed):
        output = "\n".join(printed)
        assert "reused" in output
        assert "seeded just now" not in output
        assert any(LOGIN_LINE.match(line) for line in printed)
        links = [line for line in printed if f"http://127.0.0.1:{port}/s/" in line]
        assert len(links) >= 3
        assert fetch(links[-1].rsplit(" ", 1)[-1])[0] == 200
    assert application_count(database) == seeded


@pytest.mark.slow
def test_demo_links_use_the_configured_base_url(tmp_path):
    """With PORTAL_BASE_URL set, do the printed links start with it (and still open here)?"""
    base_url = "https://jobs.example.com"
    with running_demo(tmp_path, tmp_path / "demo.sqlite3", base_url=base_url) as (port, printed):
        links = [LINK_LINE.match(line) for line in printed if "/s/" in line]
        assert len(links) >= 3
        assert all(link and link[5].startswith(f"{base_url}/s/") for link in links)
        assert not any("127.0.0.1" in line for line in printed if "/s/" in line)
        assert f"Recruiter desk: {base_url}/admin/" in printed
        path = links[0][5].removeprefix(base_url)
        assert fetch(f"http://127.0.0.1:{port}{path}")[0] == 200


@pytest.mark.slow
def test_demo_delivers_the_acknowledgement_and_keeps_tokens_out_of_its_log(tmp_path):
    """Does the demo's background worker write a new candidate's acknowledgement as an .eml
    file, and does its access log show status links as /s/<redacted>?"""
    database = tmp_path / "demo.sqlite3"
    outbox = tmp_path / "outbox"
    extra = {"PORTAL_OUTBOX_FOLDER": str(outbox)}
    with running_demo(tmp_path, database, extra_env=extra) as (port, printed):
        assert any(str(outbox) in line for line in printed if line.startswith("Emails:"))
        url = next(LINK_LINE.match(line) for line in printed if "/s/" in line)[5]
        assert fetch(url)[0] == 200
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("PORTAL_", "FLASK_"))}
        env.update({"PORTAL_DATABASE_URL": f"sqlite:///{database}", "PORTAL_DEMO": "1",
                    "FLASK_DEBUG": "1", **extra})
        subprocess.run(
            [str(PORTAL), "applications", "add", "--job", "1", "--name", "Nora Nyström",
             "--email", "nora@mail.example", "--language", "sv"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
        )
        deadline = time.monotonic() + 20
        while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.25)
        files = list(outbox.glob("*.eml"))
        assert len(files) == 1
        email = message_from_bytes(files[0].read_bytes(), policy=default_policy)
        assert email["To"] == "nora@mail.example"
        assert email["Subject"].startswith("Vi har tagit emot din ansökan")

    log = (tmp_path / f"demo-{port}.stderr").read_text()
    assert "/s/<redacted>" in log
    assert url.rsplit("/", 1)[-1] not in log
