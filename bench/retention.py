"""Retention run at scale: anonymise a million closed applications, timing it and its memory.

    .venv/bin/python bench/retention.py                       # fresh SQLite file, 1,000,000
    .venv/bin/python bench/retention.py --count 200000
    .venv/bin/python bench/retention.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432  # scratch PostgreSQL DB

It migrates a fresh database, makes one client and job with the real services, then fills
``--count`` applications (set-based INSERT ... SELECT: every other one closed 800 days ago),
each with two updates carrying notes and one outbox email. It times ``run_retention`` (the code
``portal retention run`` calls) and prints the count, seconds and the process's peak memory
before and after the run (flat memory: the run loads no ORM objects).
"""

import argparse
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.core.db import get_engine, get_session  # noqa: E402
from portal.core.migrate import upgrade_database  # noqa: E402
from portal.services.catalog import create_client, create_job  # noqa: E402
from portal.services.privacy import run_retention  # noqa: E402


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(session, *, count: int, job_id: int, client_id: int, stage_id: int, postgres: bool):
    old = datetime.now(UTC) - timedelta(days=800)
    numbers = (
        "SELECT g AS n FROM generate_series(1, :count) AS g" if postgres else
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :count) "
        "SELECT n FROM seq"
    )
    params = {"count": count, "job": job_id, "client": client_id, "stage": stage_id,
              "old": old, "now": datetime.now(UTC)}
    falsy, truthy = ("false", "true") if postgres else ("0", "1")
    session.execute(text(
        "INSERT INTO application (job_id, client_id, stage_id, name, email, language, is_open,"
        " token_version, last_update_at, created_at, updated_at) "
        f"SELECT :job, :client, :stage, 'Candidate ' || n, 'c' || n || '@mail.example', 'sv',"
        f" CASE WHEN n % 2 = 0 THEN {falsy} ELSE {truthy} END, 1,"
        " CASE WHEN n % 2 = 0 THEN :old ELSE :now END, :old, :old "
        f"FROM ({numbers}) AS numbers"), params)
    session.execute(text(
        'INSERT INTO "update" (application_id, kind, stage_id, public_note, internal_note,'
        " is_public, created_at) "
        f"SELECT a.id, k.kind, :stage, 'Note to ' || a.name, 'Internal about ' || a.name,"
        f" {truthy}, a.created_at FROM application a "
        "CROSS JOIN (SELECT 'created' AS kind UNION ALL SELECT 'note') AS k"), params)
    session.execute(text(
        "INSERT INTO outboxmessage (channel, purpose, message_id, application_id, to_address,"
        " subject, body_text, headers, status, attempts, next_attempt_at, created_at) "
        "SELECT 'email', 'acknowledgement', '<' || a.id || '@bench>', a.id, a.email,"
        " 'Hello ' || a.name, 'Dear ' || a.name, '{}', 'sent', 1, a.created_at, a.created_at"
        " FROM application a"), params)
    session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    scratch = None
    if args.database_url:
        scratch = f"portal_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(f"{args.database_url}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch}"'))
        url = f"{args.database_url}/{scratch}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
    try:
        upgrade_database(app)
        with app.app_context():
            session = get_session()
            client = create_client(session=session, name="Bench AB", slug="bench")
            job = create_job(session=session, client_id=client.id, title="Bench job",
                             promise_days=5)
            session.commit()
            stage_id = session.execute(
                text("SELECT id FROM stage WHERE job_id = :j AND key = 'not_selected'"),
                {"j": job.id}).scalar_one()
            started = time.perf_counter()
            fill(session, count=args.count, job_id=job.id, client_id=client.id,
                 stage_id=stage_id, postgres=bool(args.database_url))
            print(f"filled {args.count} applications in {time.perf_counter() - started:.1f} s")
            before = peak_mib()
            started, cpu = time.perf_counter(), time.process_time()
            result = run_retention(session=session, days=730, today=date.today())
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            # CPU time of this process: on a shared machine the wall time also counts waiting.
            print(f"{result.summary()} in {seconds:.1f} s ({cpu:.1f} s CPU in this process);"
                  f" peak memory {before:.0f} MiB before, {peak_mib():.0f} MiB after")
            started = time.perf_counter()
            again = run_retention(session=session, days=730, today=date.today())
            print(f"second run: {again.summary()} in {time.perf_counter() - started:.1f} s")
    finally:
        get_engine(app).dispose()
        if scratch:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
