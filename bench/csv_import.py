"""Time of a 10,000-row CSV import into one job (acknowledgement emails included).

    .venv/bin/python bench/csv_import.py                      # fresh SQLite file
    .venv/bin/python bench/csv_import.py --rows 2000
    .venv/bin/python bench/csv_import.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432  # scratch PostgreSQL DB

Writes a Swedish-Excel style file (UTF-8 with BOM, semicolons, å/ä/ö, a quoted line break in
some notes) to a temporary folder, then times a dry run and the real import through
``import_csv`` — the same function ``portal applications import`` calls.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._scratch import scratch_app  # noqa: E402
from portal.core.db import get_session  # noqa: E402
from portal.models import Application, OutboxMessage  # noqa: E402
from portal.services.catalog import create_client, create_job  # noqa: E402
from portal.services.csv_import import import_csv  # noqa: E402


def write_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("Namn;E-post;Språk;Steg;Anteckning\r\n")
        for n in range(rows):
            day = n % 28 + 1
            note = f'"Från mässan i Göteborg;\r\nring efter {day} maj"' if n % 10 == 0 else ""
            stage = "Intervju" if n % 3 == 0 else ""
            out.write(f"Åsa Öberg-Ek {n};asa.{n}@mail.example;{'sv' if n % 2 else 'en'};"
                      f"{stage};{note}\r\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="candidate rows (10000)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (scratch database)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, scratch_app(args.database_url) as app:
        path = Path(folder) / "kandidater.csv"
        write_file(path, args.rows)
        with app.test_request_context():
            session = get_session()
            client = create_client(session=session, name="Åkesson Bygg AB")
            job = create_job(session=session, client_id=client.id, title="Lagerchef")
            session.commit()
            timings, cpu = {}, {}
            for dry_run in (True, False):
                with path.open("rb") as binary:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    report = import_csv(session=session, binary=binary, job_id=job.id,
                                        dry_run=dry_run)
                    timings[dry_run] = time.perf_counter() - started
                    cpu[dry_run] = time.process_time() - cpu_started
            applications = session.scalar(select(func.count()).select_from(Application))
            messages = session.scalar(select(func.count()).select_from(OutboxMessage))
            dialect = session.get_bind().dialect.name
    print(f"database: {dialect}; file: {path.name}, {args.rows} rows, "
          f"{report.encoding}, delimiter {report.delimiter!r}")
    print(f"dry run: {timings[True]:.2f} s")
    print(f"import: {timings[False]:.2f} s ({args.rows / timings[False]:.0f} rows/s, "
          f"{cpu[False]:.2f} s CPU in this process); "
          f"{report.imported} imported, {report.skipped_rows} skipped")
    print(f"load average while it ran: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"applications: {applications}, acknowledgements queued: {messages}")
    if not applications == messages == args.rows:
        sys.exit("expected one application and one acknowledgement per row")


if __name__ == "__main__":
    main()
