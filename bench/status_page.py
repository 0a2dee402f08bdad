"""Benchmark the candidate's status page against a bare Flask route, both under gunicorn.

    .venv/bin/python bench/status_page.py [--database-url URL] [--duration 10] [--workers 2]

Seeds a database (the demo data unless one is given), starts gunicorn for the portal and for
bench/bare_app.py with the same settings, runs ``wrk`` against the bare route, the full status
page and an unchanged poll (If-None-Match -> 304), and prints requests/s, p50, p99 and the ratio
to the bare route. Also counts the SQL queries each kind of request costs.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - loopback only
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def gunicorn(app_spec: str, port: int, workers: int, env: dict, chdir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--error-logfile", "-",
         "--chdir", str(chdir), app_spec],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def wrk(url: str, duration: int, connections: int, headers: dict | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return {"rps": rate, "p50": _latency(output, "50%"), "p99": _latency(output, "99%"),
            "non2xx": int(m.group(1)) if (m := re.search(r"Non-2xx.*?(\d+)", output)) else 0}


def _latency(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def prepare(database_url: str | None, workdir: Path):
    """Migrate and seed the database; return (url, status path, ETag, queries)."""
    from sqlalchemy import event
    from sqlmodel import select

    from portal import create_app
    from portal.cli.demo import seed_demo
    from portal.core.db import get_engine, get_session
    from portal.core.migrate import upgrade_database
    from portal.core.tokens import status_url_for
    from portal.models import Application

    url = database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret",
                      "BASE_URL": "http://bench"})
    upgrade_database(app)
    with app.app_context():
        session = get_session()
        if session.scalar(select(Application.id).limit(1)) is None:
            seed_demo(session)
            session.commit()
        application_id = session.scalar(
            select(Application.id).where(Application.is_open.is_(True)).order_by(Application.id)
        )
        application = session.get(Application, application_id)
        path = status_url_for(application.id, application.token_version).removeprefix(
            "http://bench"
        )
    client = app.test_client()
    etag = client.get(path).headers["ETag"]
    counts = {}
    statements: list[str] = []
    event.listen(get_engine(app), "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    for label, headers in (("page", {}), ("poll", {"If-None-Match": etag})):
        statements.clear()
        client.get(path, headers=headers)
        counts[label] = len(statements)
    get_engine(app).dispose()
    return url, path, etag, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file with demo data")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    url, path, etag, counts = prepare(args.database_url, workdir)
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_SECRET_KEY": "bench-secret",
           "PORTAL_BASE_URL": "http://bench", "PYTHONPATH": str(ROOT)}
    app_port, bare_port = free_port(), free_port()
    servers = [
        gunicorn("portal:create_app()", app_port, args.workers, env, ROOT),
        gunicorn("bare_app:create_app()", bare_port, args.workers, env, ROOT / "bench"),
    ]
    try:
        wait_until_up(f"http://127.0.0.1:{app_port}/healthz")
        wait_until_up(f"http://127.0.0.1:{bare_port}/")
        runs = {
            "bare route": wrk(f"http://127.0.0.1:{bare_port}/", args.duration, args.connections),
            "status page": wrk(f"http://127.0.0.1:{app_port}{path}", args.duration,
                               args.connections),
            "poll, 304": wrk(f"http://127.0.0.1:{app_port}{path}", args.duration,
                             args.connections, {"If-None-Match": etag}),
        }
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
    dialect = url.split(":", 1)[0]
    print(f"database: {dialect}; gunicorn sync workers: {args.workers}; wrk: 2 threads, "
          f"{args.connections} connections, {args.duration} s; {os.cpu_count()} cores")
    print(f"queries per request: status page {counts['page']}, unchanged poll {counts['poll']}")
    print(f"{'endpoint':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs bare':>10}")
    bare = runs["bare route"]["rps"]
    for name, run in runs.items():
        print(f"{name:<14}{run['rps']:>10.0f}{run['p50']:>10.2f}{run['p99']:>10.2f}"
              f"{run['rps'] / bare:>10.0%}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
