"""Scale-out: two app processes (gunicorn, two ports) on one PostgreSQL database, with the rate
limits in Redis. Both serve the same answers, concurrent updates through both never lose one,
and a rate limit counts requests to either process.

PostgreSQL only (SQLite is a one-machine database: several processes on one file is not a
scale-out), and Redis on 127.0.0.1:6379.
"""

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlmodel import func, select

from portal.core.tokens import make_status_token
from portal.models import Application, Update, UpdateKind
from tests.factories import make_application, make_client, make_job, make_recruiter
from tests.helpers import BACKEND, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "scale-out-test-secret-key"  # noqa: S105 - a throwaway test key


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(
        BACKEND != "postgresql",
        reason="scale-out needs PostgreSQL (PORTAL_TEST_DATABASE=postgresql): several app "
               "processes share one server database, not one SQLite file",
    ),
    pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379"),
]


def _wait_up(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}; see its log")
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).read()  # noqa: S310 - loopback
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{base} did not come up")


@pytest.fixture
def two_processes(database_url, tmp_path):
    """Two gunicorn servers of the portal on one database and one Redis (own key prefix)."""
    prefix = f"portal-test-{uuid.uuid4().hex[:10]}"
    env = {
        "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
        "PORTAL_DATABASE_URL": database_url, "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_BASE_URL": "http://portal.test",
        "PORTAL_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "PORTAL_RATELIMIT_KEY_PREFIX": prefix,
        "PORTAL_LOOKUP_LIMIT_PER_IP": "3/minute",
    }
    servers, bases = [], []
    logs = []
    for n in range(2):
        port = free_port()
        logs.append((tmp_path / f"gunicorn-{n}.log").open("wb"))
        servers.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind",
             f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "portal:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=logs[-1],
        ))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, server in zip(bases, servers, strict=True):
            _wait_up(base, server)
        yield bases
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        for log in logs:
            log.close()
        import redis

        connection = redis.Redis(host="127.0.0.1", port=6379)
        for key in connection.scan_iter(f"{prefix}*"):
            connection.delete(key)
        connection.close()


def _token(app_config, application_id: int) -> str:
    from portal import create_app

    app = create_app({**app_config, "SECRET_KEY": SECRET})
    with app.app_context():
        return make_status_token(application_id, 1)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _request(url: str, data: dict | None = None, headers: dict | None = None):
    body = urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
    try:
        with _opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read().decode()


def _without_form_keys(html: str) -> str:
    return re.sub(r'name="request_key" value="[^"]+"', "", html)


def _arrange(session, app_config):
    owner = make_recruiter(session)
    client = make_client(session)
    job = make_job(session, client=client, owner=owner)
    application = make_application(session, job=job)
    session.commit()
    return client, application, _token(app_config, application.id)


def test_both_processes_serve_the_same_status(two_processes, session, app_config):
    _client, application, token = _arrange(session, app_config)
    pages = [_request(f"{base}/s/{token}") for base in two_processes]
    assert [status for status, _, _ in pages] == [200, 200]
    assert pages[0][1]["ETag"] == pages[1][1]["ETag"]
    assert _without_form_keys(pages[0][2]) == _without_form_keys(pages[1][2])
    # And a poll with that ETag is "nothing new" on either process.
    for base in two_processes:
        status, _, _ = _request(f"{base}/s/{token}", headers={"If-None-Match": pages[0][1]["ETag"]})
        assert status == 304


def test_concurrent_updates_through_both_processes_are_all_kept(
    two_processes, session, app_config
):
    _client, application, token = _arrange(session, app_config)
    per_process = 15

    def ask(n: int):
        base = two_processes[n % 2]
        return _request(f"{base}/s/{token}/question", {
            "question": f"Question number {n}", "request_key": uuid.uuid4().hex[:24],
            "return_to": "page",
        })

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(ask, range(2 * per_process)))
    assert [status for status, _, _ in answers] == [303] * (2 * per_process), [
        (status, body[:300]) for status, _, body in answers if status != 303
    ]

    session.expire_all()
    questions = session.scalars(
        select(Update.public_note).where(
            Update.application_id == application.id, Update.kind == UpdateKind.QUESTION
        )
    ).all()
    assert sorted(questions) == sorted(f"Question number {n}" for n in range(2 * per_process))
    entries = session.scalar(
        select(func.count()).select_from(Update).where(Update.application_id == application.id)
    )
    assert entries == 1 + 2 * per_process  # "application received" and every question
    # Both processes now show the same, complete timeline.
    pages = [_request(f"{base}/s/{token}") for base in two_processes]
    assert pages[0][1]["ETag"] == pages[1][1]["ETag"]
    for _, _, html in pages:
        assert all(f"Question number {n}" in html for n in range(2 * per_process))
    refreshed = session.get(Application, application.id)
    assert refreshed.updated_at >= refreshed.created_at


def test_rate_limits_count_requests_to_either_process(two_processes, session, app_config):
    client, _application, _token_ = _arrange(session, app_config)
    url = f"/embed/{client.slug}/lookup"
    statuses = []
    for n in range(4):  # the limit is 3 a minute per client IP, whichever process answers
        base = two_processes[n % 2]
        status, _, _ = _request(f"{base}{url}", {"email": f"someone{n}@mail.example"})
        statuses.append(status)
    assert statuses[:3] == [200, 200, 200], statuses
    assert statuses[3] == 429, statuses
