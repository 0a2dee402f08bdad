"""Time of one bulk "No news yet" to 1,000 applications, as the desk's confirm button sends it.

    .venv/bin/python bench/bulk_update.py                      # fresh SQLite file
    .venv/bin/python bench/bulk_update.py --count 2000
    .venv/bin/python bench/bulk_update.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432  # scratch PostgreSQL DB

Creates ``--count`` open applications (half Swedish, half English, in two jobs) through the
real service, then times ``apply_bulk`` plus the commit in one request context (what the view
does), and checks that exactly one outbox message and one timeline entry per application were
written.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._scratch import scratch_app  # noqa: E402
from portal.core.db import get_session  # noqa: E402
from portal.models import OutboxMessage, Update, UpdateKind  # noqa: E402
from portal.services.applications import create_application  # noqa: E402
from portal.services.bulk import BulkRequest, apply_bulk  # noqa: E402
from portal.services.catalog import create_client, create_job  # noqa: E402
from portal.services.recruiters import create_recruiter  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="applications (1000)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (scratch database)")
    args = parser.parse_args()
    with scratch_app(args.database_url) as app:
        with app.app_context():
            session = get_session()
            recruiter = create_recruiter(session=session, email="rita@agency.example",
                                         name="Rita Rekryterare", password="bench password")  # noqa: S106
            client = create_client(session=session, name="Åkesson Bygg AB")
            jobs = [create_job(session=session, client_id=client.id, title=title,
                               owner_id=recruiter.id) for title in ("Lagerchef", "Säljare")]
            ids = [
                create_application(
                    session=session, job_id=jobs[n % 2].id, name=f"Kandidat {n} Öberg",
                    email=f"kandidat{n}@mail.example", language="sv" if n % 2 else "en",
                    notify=False,
                ).id
                for n in range(args.count)
            ]
            session.commit()
            recruiter_id = recruiter.id
        with app.test_request_context():
            session = get_session()
            author = session.get(type(recruiter), recruiter_id)
            started, cpu = time.perf_counter(), time.process_time()
            result = apply_bulk(session=session, ids=ids, request=BulkRequest(action="no_news"),
                                author=author)
            session.commit()
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            messages = session.scalar(select(func.count()).select_from(OutboxMessage))
            entries = session.scalar(select(func.count()).select_from(Update)
                                     .where(Update.kind == UpdateKind.NO_NEWS))
            dialect = session.get_bind().dialect.name
    print(f"database: {dialect}")
    print(f"bulk “No news yet” to {result.updated} applications: {elapsed:.2f} s "
          f"({result.updated / elapsed:.0f} applications/s), one transaction; "
          f"{cpu:.2f} s CPU in this process")
    print(f"load average while it ran: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"outbox messages: {messages}, timeline entries: {entries}")
    if not messages == entries == args.count:
        sys.exit("expected one message and one entry per application")


if __name__ == "__main__":
    main()
