"""Faults: the database server restarts under load, and the app recovers by itself.

A private, throwaway PostgreSQL cluster (initdb in a temporary folder, its own port on the
loopback, fsync off) is stopped and started again while clients keep loading the status page
and /healthz of a gunicorn-served portal. Requests may fail only while the server is down
(and /healthz then says 503); every request that starts after the server is back succeeds.
The machine's shared PostgreSQL server is never touched.

(SMTP down, nothing lost: tests/test_outbox_delivery.py::
test_smtp_down_keeps_messages_queued_and_backs_off_then_delivers_each_once.)
"""

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "faults-test-secret-key"  # noqa: S105 - a throwaway test key
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))

pytestmark = pytest.mark.skipif(
    not INITDB, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)


class PrivateCluster:
    """initdb + pg_ctl in a temporary folder; as the postgres user when run as root."""

    def __init__(self, folder: Path):
        self.bin = Path(INITDB[-1]).parent
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(folder, "postgres")

    def run(self, *command: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_postgres, *command], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> None:
        self.run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                 str(self.folder / "server.log"), "-w", "-t", "30", "start")

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster():
    folder = Path(tempfile.mkdtemp(prefix="portal-faults-"))
    folder.chmod(0o755)
    server = PrivateCluster(folder)
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _get(url: str, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            response.read()
            return response.status
    except urllib.error.HTTPError as answer:
        return answer.code
    except OSError:
        return 0  # no answer at all


def test_postgresql_restart_during_load_fails_only_while_down(cluster, tmp_path):
    from portal import create_app
    from portal.core.db import get_engine, get_session
    from portal.core.migrate import upgrade_database
    from portal.core.tokens import make_status_token
    from tests.factories import make_application

    config = {"DATABASE_URL": cluster.url, "SECRET_KEY": SECRET, "BASE_URL": "http://portal.test"}
    app = create_app(config)
    upgrade_database(app)
    with app.app_context():
        application = make_application(get_session())
        token = make_status_token(application.id, application.token_version)
    get_engine(app).dispose()

    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "PORTAL_DATABASE_URL": cluster.url, "PORTAL_SECRET_KEY": SECRET,
           "PORTAL_BASE_URL": "http://portal.test"}
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--timeout", "30", "--access-logfile", "/dev/null", "portal:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while _get(f"{base}/healthz") != 200:
                assert time.monotonic() < deadline and server.poll() is None, "no app"
                time.sleep(0.2)

            # An htmx poll with the card's ETag: 304 while nothing changes (the shortcut in
            # front of Flask), and through a restart just like the page.
            poll = {"HX-Request": "true"}
            with urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - loopback
                    f"{base}/s/{token}", headers=poll)) as card:
                poll["If-None-Match"] = card.headers["ETag"]
            assert _get(f"{base}/s/{token}", poll) == 304
            results: list[tuple[float, float, str, int]] = []
            stop = threading.Event()

            def load(path: str, headers: dict | None = None) -> None:
                label = "poll" if headers else path
                while not stop.is_set():
                    started = time.monotonic()
                    status = _get(f"{base}{path}", headers)
                    results.append((started, time.monotonic(), label, status))
                    time.sleep(0.01)

            clients = [threading.Thread(target=load, args=args, daemon=True)
                       for args in ((f"/s/{token}",), (f"/s/{token}",), ("/healthz",),
                                    (f"/s/{token}", poll))]
            for client in clients:
                client.start()
            time.sleep(2)
            stopping_at = time.monotonic()
            cluster.stop()
            down_at = time.monotonic()  # pg_ctl -w: the server is gone
            time.sleep(3)
            starting_at = time.monotonic()
            cluster.start()
            up_at = time.monotonic()  # pg_ctl -w: accepting connections
            time.sleep(4)
            stop.set()
            for client in clients:
                client.join(timeout=30)
        finally:
            server.terminate()
            server.wait(timeout=30)

    before = [r for r in results if r[1] < stopping_at]
    during = [r for r in results if r[0] >= down_at and r[1] <= starting_at]
    after = [r for r in results if r[0] >= up_at]
    assert before and during and after
    # Everything worked before the restart ...
    assert {status for _, _, path, status in before if path != "poll"} == {200}
    assert {status for _, _, path, status in before if path == "poll"} == {304}
    # ... failed while the server was down, /healthz saying so with a 503 ...
    assert {status for _, _, path, status in during if path == "/healthz"} == {503}
    page_errors = {status for _, _, path, status in during if path != "/healthz"}
    assert page_errors and 200 not in page_errors and 0 not in page_errors
    assert page_errors == {503}  # "try again shortly", not a 500
    # ... and everything started after it was back succeeded, without a restart of the app.
    failures_after = [(round(start - up_at, 2), path, status)
                      for start, _, path, status in after
                      if status != (304 if path == "poll" else 200)]
    assert failures_after == []
    assert server.returncode is not None
