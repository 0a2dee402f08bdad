"""The whole benchmark: every performance target of the portal, measured against its target.

    .venv/bin/python bench/run.py                                   # 1,000,000 applications
    .venv/bin/python bench/run.py --applications 100000 --duration 5   # a quick run
    .venv/bin/python bench/run.py --databases sqlite --keep

For each database (a SQLite file under bench/.data/, reused when it already holds exactly N
applications; a PostgreSQL database ``portal_bench_<N>`` created on ``--postgres`` and dropped
afterwards unless ``--keep``), it seeds N applications with ``portal seed``, starts gunicorn
for the portal and for bench/bare_app.py with the same settings, and runs ``wrk`` in turn:

* the status page for random applications (a Lua script picks each request's token from
  ``--tokens`` pre-minted links spread over all N rows, so no cache of one page is measured),
* the htmx poll with nothing new (If-None-Match with each link's current ETag -> 304),
* the bare route, through the same kind of Lua script, before each of them.

Each wrk run also notes the CPU time per request of the server's workers and, when
PostgreSQL runs on this machine, of PostgreSQL. A third gunicorn serves the portal with the
status page's rendering replaced by a constant string of the same size
(bench/unrendered_app.py): how far the page could get if its templates cost nothing.

Then the recruiter list (first page of 50 and its capped count, in-process through the
service functions, at N and at 10,000 applications, with the query plans checked for full
scans), ``portal remind`` and ``portal retention run`` under ``/usr/bin/time -v``, the outbox
(bench/outbox_throughput.py) and the RSS of the gunicorn workers after 100,000 requests.
Prints one table per database: measured, target, met.
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from status_page import free_port, gunicorn, wait_until_up  # noqa: E402

SECRET = "bench-secret-key-0123456789"  # noqa: S105 - a throwaway bench key
BASE = "http://bench.example"
SMALL = 10_000

LUA = r"""
local paths, etags = {}, {}
for line in io.lines("%(list)s") do
  local path, etag = line:match("^(%%S+)%%s*(%%S*)$")
  paths[#paths + 1] = path
  etags[#etags + 1] = etag
end
local extra = %(headers)s
local with_etag = %(with_etag)s
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
end
function request()
  local i = math.random(#paths)
  local headers = {}
  for k, v in pairs(extra) do headers[k] = v end
  if with_etag then headers["If-None-Match"] = etags[i] end
  return wrk.format("GET", paths[i], headers)
end
"""


@dataclass
class Row:
    name: str
    measured: str
    target: str
    met: bool | None  # None: not measured

    def cells(self) -> tuple[str, str, str, str]:
        met = {True: "yes", False: "NO", None: "-"}[self.met]
        return self.name, self.measured, self.target, met


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def portal_env(url: str) -> dict:
    return {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_SECRET_KEY": SECRET,
            "PORTAL_BASE_URL": BASE, "PYTHONPATH": str(ROOT), "FLASK_APP": "portal"}


def flask_cli(url: str, *args: str, timed: bool = False, check: bool = True):
    command = [sys.executable, "-m", "flask", "--app", "portal", *args]
    if timed:
        command = ["/usr/bin/time", "-v", *command]
    return subprocess.run(command, env=portal_env(url), capture_output=True, text=True,
                          check=check, cwd=ROOT)


def application_count(url: str) -> int | None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM application"))
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def seeded(url: str, count: int) -> str:
    """Seed ``url`` with ``count`` applications unless it already holds exactly that many."""
    existing = application_count(url)
    if existing == count:
        flask_cli(url, "db", "upgrade")  # a database seeded by an earlier release
        tidy(url)
        return f"reused ({count:,} applications)"
    if existing:
        raise SystemExit(f"{url} holds {existing:,} applications, not {count:,}: remove it")
    log(f"seeding {count:,} applications into {url}")
    result = flask_cli(url, "seed", "--applications", str(count), timed=True)
    seconds = _elapsed(result.stderr)
    return f"{seconds:.0f} s ({count / seconds:,.0f} applications/s)"


def tidy(url: str) -> None:
    """Vacuum and analyse a reused database, as autovacuum would have by now: each run's
    ``portal remind`` measurement rewrites some 190,000 rows, and on PostgreSQL the next run's
    recruiter list would otherwise step over those dead row versions (3 ms -> 7 ms)."""
    from sqlalchemy import create_engine

    from portal.cli.seed import refresh_statistics

    engine = create_engine(url)
    refresh_statistics(engine)
    engine.dispose()


def _elapsed(time_output: str) -> float:
    raw = re.search(r"Elapsed \(wall clock\) time.*: ([\d:.]+)", time_output).group(1)
    seconds = 0.0
    for part in raw.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _max_rss_mb(time_output: str) -> float:
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_output)
               .group(1)) / 1024


def postgres_database(server: str, name: str, create: bool) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                   {"n": name})
        if not exists and create:
            connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def mint_links(url: str, count: int, tokens: int, workdir: Path) -> tuple[Path, Path, int]:
    """Files of random status paths, and of card paths with their current ETag."""
    from portal import create_app
    from portal.core import clock
    from portal.core.db import get_engine, get_session
    from portal.core.tokens import make_status_token
    from portal.services.status import etag_for, version_stamp

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "BASE_URL": BASE})
    rng = random.Random(7)  # noqa: S311 - picking rows, not secrets
    ids = [rng.randint(1, count) for _ in range(tokens)]
    pages, polls = workdir / "pages.txt", workdir / "polls.txt"
    with app.app_context():
        session = get_session()
        today, build = clock.today(), app.config["BUILD_ID"]
        with pages.open("w") as page_file, polls.open("w") as poll_file:
            for application_id in ids:
                # Seeded links are at version 1; revoked ones (version > 1) are skipped.
                path = f"/s/{make_status_token(application_id, 1)}"
                stamp = version_stamp(session=session, application_id=application_id,
                                      token_version=1)
                if stamp is None:
                    continue
                page_file.write(path + "\n")
                etag = etag_for(stamp, today=today, variant="card", build=build)
                poll_file.write(f"{path} {etag}\n")
    get_engine(app).dispose()
    return pages, polls, len(ids)


def lua_script(workdir: Path, name: str, list_file: Path, headers: dict, with_etag: bool) -> Path:
    table = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    script = workdir / f"{name}.lua"
    script.write_text(LUA % {"list": list_file, "headers": table,
                             "with_etag": "true" if with_etag else "false"})
    return script


def wrk(base: str, script: Path, duration: int, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
               str(script), base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _latency(output, "50%"), "p99": _latency(output, "99%"),
        "requests": requests, "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _latency(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def check_sample(port: int, pages: Path, polls: Path) -> None:
    """A few real requests: pages answer 200, polls with their ETag answer 304."""
    page_lines = pages.read_text().split()[:5]
    for path in page_lines:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:  # noqa: S310
            assert response.status == 200, response.status
    for line in polls.read_text().splitlines()[:5]:
        path, etag = line.split(" ")
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"If-None-Match": etag, "HX-Request": "true"}
        )
        try:
            urllib.request.urlopen(request)  # noqa: S310 - loopback
        except urllib.error.HTTPError as answer:
            if answer.code == 304:
                continue
            raise
        raise AssertionError("an unchanged poll was answered with a full page")


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return sizes


def workers_cpu_seconds(master: subprocess.Popen) -> float:
    """CPU time (user + system) the master's worker processes have used so far."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return sum(_cpu_seconds(int(pid)) for pid in children)


def postgres_cpu_seconds() -> float | None:
    """CPU time of this machine's PostgreSQL processes so far; None if none runs here."""
    total, found = 0.0, False
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith("postgres"):
                    total += _cpu_seconds(int(entry.name))
                    found = True
            except OSError:
                continue  # gone meanwhile
    return total if found else None


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured_wrk(base: str, script: Path, duration: int, connections: int,
                 master: subprocess.Popen) -> dict:
    """``wrk``, plus the CPU microseconds per request of the server's workers and (when it
    runs on this machine) of PostgreSQL."""
    workers, database = workers_cpu_seconds(master), postgres_cpu_seconds()
    run = wrk(base, script, duration, connections)
    requests = max(run["requests"], 1)
    run["worker_us"] = (workers_cpu_seconds(master) - workers) / requests * 1e6
    after = postgres_cpu_seconds()
    run["postgres_us"] = (after - database) / requests * 1e6 if database is not None else None
    return run


def web_rows(url: str, args, workdir: Path) -> tuple[list[Row], dict]:
    pages, polls, _ = mint_links(url, args.applications, args.tokens, workdir)
    env = portal_env(url)
    app_port, bare_port, unrendered_port = free_port(), free_port(), free_port()
    servers = [
        gunicorn("portal:create_app()", app_port, args.workers, env, ROOT),
        gunicorn("bare_app:create_app()", bare_port, args.workers, env, HERE),
        gunicorn("unrendered_app:create_app()", unrendered_port, args.workers, env, HERE),
    ]
    bare_list = workdir / "bare.txt"
    bare_list.write_text("/\n")
    bare_script = lua_script(workdir, "bare", bare_list, {}, False)
    page_script = lua_script(workdir, "page", pages, {}, False)
    poll_script = lua_script(workdir, "poll", polls, {"HX-Request": "true"}, True)
    served = 0
    try:
        wait_until_up(f"http://127.0.0.1:{app_port}/healthz")
        wait_until_up(f"http://127.0.0.1:{bare_port}/")
        wait_until_up(f"http://127.0.0.1:{unrendered_port}/healthz")
        check_sample(app_port, pages, polls)
        app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        unrendered_base = f"http://127.0.0.1:{unrendered_port}"
        # Warm them up (imports, templates, connections) before measuring.
        wrk(app_base, page_script, 2, args.connections)
        wrk(bare_base, bare_script, 2, args.connections)
        wrk(unrendered_base, page_script, 2, args.connections)
        runs = {}
        for name, script in (("page", page_script), ("poll", poll_script)):
            log(f"wrk: bare route, then {name}")
            runs[f"bare/{name}"] = measured_wrk(bare_base, bare_script, args.duration,
                                                args.connections, servers[1])
            runs[name] = measured_wrk(app_base, script, args.duration, args.connections,
                                      servers[0])
            served += runs[name]["requests"]
        log("wrk: bare route, then the page without its rendering (the ceiling)")
        runs["bare/unrendered"] = measured_wrk(bare_base, bare_script, args.duration,
                                               args.connections, servers[1])
        runs["unrendered"] = measured_wrk(unrendered_base, page_script, args.duration,
                                          args.connections, servers[2])
        # Memory after --rss-requests requests in all: keep loading pages and polls in turn.
        scripts = [page_script, poll_script]
        while served < args.rss_requests:
            run = wrk(app_base, scripts[0], 10, args.connections)
            scripts.reverse()
            served += run["requests"]
        rss = worker_rss_mb(servers[0])
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
    page, poll, unrendered = runs["page"], runs["poll"], runs["unrendered"]
    page_ratio = page["rps"] / runs["bare/page"]["rps"]
    poll_ratio = poll["rps"] / runs["bare/poll"]["rps"]
    unrendered_ratio = unrendered["rps"] / runs["bare/unrendered"]["rps"]

    def cpu(run, bare):
        text = f"; worker CPU {run['worker_us']:,.0f} vs {bare['worker_us']:,.0f} us/request"
        if run["postgres_us"] is not None and run["postgres_us"] >= 1:
            text += f", PostgreSQL {run['postgres_us']:,.0f} us/request"
        return text

    def errors(run):
        extra = f", errors {run['errors']}" if run["errors"] else ""
        return extra + (f", socket errors {run['socket_errors']}" if run["socket_errors"] else "")

    rows = [
        Row("status page vs bare",
            f"{page_ratio:.0%} ({page['rps']:,.0f} vs {runs['bare/page']['rps']:,.0f} req/s"
            f"{errors(page)}{cpu(page, runs['bare/page'])})", ">= 50%",
            page_ratio >= 0.5 and not page["errors"]),
        Row("  the same page, rendering free",
            f"{unrendered_ratio:.0%} ({unrendered['rps']:,.0f} vs "
            f"{runs['bare/unrendered']['rps']:,.0f} req/s{errors(unrendered)}"
            f"{cpu(unrendered, runs['bare/unrendered'])})", "(what bounds it)", None),
        Row("304 poll vs bare",
            f"{poll_ratio:.0%} ({poll['rps']:,.0f} vs {runs['bare/poll']['rps']:,.0f} req/s"
            f"{errors(poll)}{cpu(poll, runs['bare/poll'])})", ">= 80%",
            poll_ratio >= 0.8 and not poll["errors"]),
        Row("status page p99 (p50)",
            f"{page['p99']:.1f} ms ({page['p50']:.1f} ms), {args.connections} connections",
            "< 50 ms", page["p99"] < 50),
        Row("worker RSS after requests",
            f"{max(rss):.0f} MB max of {len(rss)} workers after {served:,} requests",
            "< 150 MB", max(rss) < 150 and served >= args.rss_requests),
    ]
    return rows, runs


def desk_times(url: str, repeats: int = 15) -> tuple[dict, dict]:
    """Server time of the recruiter list's first page (rows + capped count), and its plans."""
    from sqlalchemy import select, text

    from portal import create_app
    from portal.core.db import get_engine, get_session
    from portal.models import Client
    from portal.services.desk import _ROWS, DeskFilter, _filtered, _ordered, count_desk, list_desk

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "BASE_URL": BASE})
    results, plans = {}, {}
    with app.app_context():
        session = get_session()
        client_id = session.scalar(select(Client.id).order_by(Client.id))
        stage_key = "interview"
        filters = {
            "filters off": DeskFilter(),
            "filters on": DeskFilter(client_id=client_id, stage_key=stage_key),
        }
        for label, desk_filter in filters.items():
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                page = list_desk(session=session, desk_filter=desk_filter, limit=50)
                count_desk(session=session, desk_filter=desk_filter)
                timings.append((time.perf_counter() - started) * 1000)
                session.rollback()
            assert len(page.rows) == 50, len(page.rows)
            # And the second page through the cursor, which must not be slower (no OFFSET).
            second = []
            for _ in range(repeats):
                started = time.perf_counter()
                list_desk(session=session, desk_filter=desk_filter, cursor=page.next_cursor,
                          limit=50)
                second.append((time.perf_counter() - started) * 1000)
            results[label] = (statistics.median(timings), statistics.median(second))
            statement, _ = _ordered(_filtered(_ROWS, desk_filter), "open", None)
            compiled = statement.limit(51).compile(
                dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}
            )
            explain = "EXPLAIN QUERY PLAN " if session.bind.dialect.name == "sqlite" else (
                "EXPLAIN ")
            plan = "\n".join(
                str(row[-1]) for row in session.execute(text(explain + str(compiled)))
            )
            plans[label] = plan
    get_engine(app).dispose()
    return results, plans


def full_scan(plan: str) -> bool:
    """A plan that reads the applications table without an index, or sorts all of it."""
    return bool(re.search(r"SCAN application(?! USING)|Seq Scan on application|"
                          r"USE TEMP B-TREE FOR ORDER BY", plan))


def desk_rows(url: str, small_url: str) -> list[Row]:
    big, big_plans = desk_times(url)
    small, _ = desk_times(small_url)
    rows = []
    for label in big:
        first, second = big[label]
        ratio = first / small[label][0]
        scans = full_scan(big_plans[label])
        rows.append(Row(
            f"recruiter list, {label}",
            f"{first:.1f} ms (next page {second:.1f} ms; at {SMALL:,}: {small[label][0]:.1f} ms, "
            f"x{ratio:.2f}){'; FULL SCAN in plan' if scans else ''}",
            "< 30 ms, <= 1.5x", first < 30 and ratio <= 1.5 and not scans,
        ))
    return rows


def remind_row(url: str) -> Row:
    from sqlalchemy import create_engine, text

    # Digests are once a day: clear the bench database's earlier digests to measure a full run.
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM digestlog"))
        connection.execute(text("DELETE FROM outboxmessage WHERE purpose = 'digest'"))
        connection.execute(text("UPDATE application SET reminded_at = NULL "
                                "WHERE reminded_at IS NOT NULL AND is_open"))
    engine.dispose()
    result = flask_cli(url, "remind", timed=True)
    seconds, rss = _elapsed(result.stderr), _max_rss_mb(result.stderr)
    summary = result.stdout.splitlines()[0] if result.stdout else ""
    digests = re.search(r"Digests queued: (\d+) \((\d+) overdue, (\d+) due", summary)
    detail = (f"{digests.group(1)} digests over {digests.group(2)} overdue + "
              f"{digests.group(3)} due" if digests else summary)
    return Row("portal remind", f"{seconds:.1f} s, peak RSS {rss:.0f} MB ({detail})",
               "< 60 s, flat memory", seconds < 60 and rss < 200)


def retention_row(url: str) -> Row:
    probe = flask_cli(url, "retention", "--help", check=False)
    if probe.returncode != 0:
        return Row("portal retention run", "skipped: no `portal retention` command on this "
                   "branch", "< 60 s, flat memory", None)
    result = flask_cli(url, "retention", "run", timed=True, check=False)
    if result.returncode != 0:
        return Row("portal retention run", f"failed: {result.stderr.strip()[-200:]}",
                   "< 60 s, flat memory", False)
    seconds, rss = _elapsed(result.stderr), _max_rss_mb(result.stderr)
    return Row("portal retention run", f"{seconds:.1f} s, peak RSS {rss:.0f} MB",
               "< 60 s, flat memory", seconds < 60 and rss < 200)


def outbox_row(server: str | None) -> Row:
    command = [sys.executable, str(HERE / "outbox_throughput.py"), "--count", "3000"]
    if server:
        command += ["--database-url", server]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    match = re.search(r"throughput: (\d+) messages/s", result.stdout)
    if result.returncode != 0 or not match:
        return Row("outbox, one worker", f"failed: {result.stderr.strip()[-200:]}",
                   ">= 200 msg/s", False)
    rate = int(match.group(1))
    return Row("outbox, one worker", f"{rate} msg/s into aiosmtpd", ">= 200 msg/s", rate >= 200)


def print_table(title: str, rows: list[Row]) -> None:
    cells = [("measure", "measured", "target", "met"), *(row.cells() for row in rows)]
    widths = [max(len(cell[i]) for cell in cells) for i in range(4)]
    print(f"\n{title}")
    for n, cell in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def bench_database(kind: str, args, workdir: Path) -> None:
    cleanups = []
    if kind == "sqlite":
        data = HERE / ".data"
        data.mkdir(exist_ok=True)
        url = f"sqlite:///{data / f'bench-{args.applications}.sqlite3'}"
        small_url = f"sqlite:///{data / f'bench-{SMALL}.sqlite3'}"
    else:
        suffix = "" if args.keep else f"_{uuid.uuid4().hex[:6]}"
        url, drop = postgres_database(args.postgres, f"portal_bench_{args.applications}{suffix}",
                                      True)
        small_url, drop_small = postgres_database(args.postgres, f"portal_bench_{SMALL}{suffix}",
                                                  True)
        if not args.keep:
            cleanups += [drop, drop_small]
    try:
        seeding = seeded(url, args.applications)
        seeded(small_url, SMALL)
        log(f"{kind}: web")
        rows, _ = web_rows(url, args, workdir)
        log(f"{kind}: recruiter list")
        rows += desk_rows(url, small_url)
        log(f"{kind}: remind, retention, outbox")
        rows += [remind_row(url), retention_row(url),
                 outbox_row(args.postgres if kind == "postgresql" else None)]
        rows.insert(0, Row(f"portal seed --applications {args.applications}", seeding,
                           "a few minutes", None))
    finally:
        for cleanup in cleanups:
            cleanup()
    load = os.getloadavg()
    print_table(
        f"{kind}: {args.applications:,} applications; gunicorn {args.workers} sync workers; "
        f"wrk 2 threads, {args.connections} connections, {args.duration} s, {args.tokens:,} "
        f"random links; {os.cpu_count()} cores; load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}", rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=20_000, help="distinct random links")
    parser.add_argument("--rss-requests", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432",
                        help="PostgreSQL server URL")
    parser.add_argument("--keep", action="store_true",
                        help="keep (and reuse) the PostgreSQL bench databases")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    print(json.dumps({"uptime": subprocess.run(["uptime"], capture_output=True, text=True)
                      .stdout.strip()}))
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        for kind in args.databases.split(","):
            bench_database(kind.strip(), args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({"uptime": subprocess.run(["uptime"], capture_output=True, text=True)
                      .stdout.strip()}))


if __name__ == "__main__":
    main()
