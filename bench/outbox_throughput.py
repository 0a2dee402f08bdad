"""Outbox throughput: queued emails one worker delivers per second into a local SMTP server.

    .venv/bin/python bench/outbox_throughput.py                      # fresh SQLite file
    .venv/bin/python bench/outbox_throughput.py --count 5000
    .venv/bin/python bench/outbox_throughput.py \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432  # scratch PostgreSQL DB

It starts aiosmtpd on 127.0.0.1 and a free port (in this process, on its own thread: it shares
the GIL with the worker, so the figure is a floor), migrates a fresh database (SQLite in a
temporary folder; with ``--database-url`` a scratch database created on that PostgreSQL server
and dropped afterwards), queues ``--count`` copies of a real acknowledgement email in one
transaction with ``enqueue_email``, then times one ``deliver_due`` round with ``SmtpTransport``
(one SMTP connection, ``--batch-size`` messages per transaction) and prints messages/second.
"""

import argparse
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.core.db import get_engine, get_session  # noqa: E402
from portal.core.migrate import upgrade_database  # noqa: E402
from portal.mail.outbox import enqueue_email  # noqa: E402
from portal.models import MessageStatus, OutboxMessage  # noqa: E402
from portal.services.applications import create_application  # noqa: E402
from portal.services.catalog import create_client, create_job  # noqa: E402
from portal.worker.outbox import SmtpTransport, deliver_due  # noqa: E402

MAIL_FROM = "Bench portal <no-reply@portal.bench>"


class CountingHandler:
    """Accepts every message and counts it (no parsing: the portal's side is measured)."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.count += 1
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def scratch_postgres(server_url: str) -> tuple[str, callable]:
    """Create an empty database on the server; returns its URL and a function that drops it."""
    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def queue_messages(app, count: int) -> None:
    """One real acknowledgement (rendered by the portal), then copies of it up to ``count``."""
    with app.app_context():
        session = get_session()
        client = create_client(session=session, name="Bench AB", slug="bench")
        job = create_job(session=session, client_id=client.id, title="Backend Engineer")
        application = create_application(
            session=session, job_id=job.id, name="Bea Bench", email="bea@mail.example",
            language="en",
        )
        session.commit()
        template = session.scalars(
            select(OutboxMessage).where(OutboxMessage.application_id == application.id)
        ).one()
        for n in range(count - 1):
            enqueue_email(
                session=session, purpose=template.purpose,
                to_address=f"candidate{n}@mail.example", subject=template.subject,
                body_text=template.body_text, body_html=template.body_html,
                domain="portal.bench", application_id=application.id,
                headers=dict(template.headers),
            )
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="messages to queue (2000)")
    parser.add_argument("--batch-size", type=int, default=50, help="messages per transaction")
    parser.add_argument(
        "--database-url", help="a PostgreSQL server URL (a scratch database is made on it)"
    )
    args = parser.parse_args()

    drop = None
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url:
            url, drop = scratch_postgres(args.database_url)
        else:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        handler = CountingHandler()
        port = free_port()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="smtp.bench"
        )
        controller.start()
        app = create_app({
            "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key",
            "BASE_URL": "http://portal.bench", "MAIL_FROM": MAIL_FROM,
        })
        engine = get_engine(app)
        try:
            upgrade_database(app)
            started = time.perf_counter()
            queue_messages(app, args.count)
            queued_in = time.perf_counter() - started

            transport = SmtpTransport(f"smtp://127.0.0.1:{port}")
            started = time.perf_counter()
            report = deliver_due(
                engine=engine, transport=transport, from_address=MAIL_FROM, max_attempts=8,
                batch_size=args.batch_size,
            )
            elapsed = time.perf_counter() - started

            with Session(engine) as session:
                sent = session.scalar(
                    select(func.count()).where(OutboxMessage.status == MessageStatus.SENT)
                )
        finally:
            engine.dispose()
            controller.stop()
            if drop:
                drop()

    print(f"database: {engine.dialect.name}, batch size {args.batch_size}")
    print(f"queued {args.count} messages in one transaction in {queued_in:.2f} s")
    print(
        f"delivered {report.sent} (server received {handler.count}, rows sent {sent}, "
        f"retrying {report.retrying}, failed {report.failed}) in {elapsed:.2f} s"
    )
    print(f"throughput: {report.sent / elapsed:.0f} messages/s")
    if not report.sent == handler.count == sent == args.count:
        sys.exit("not every message was delivered exactly once")


if __name__ == "__main__":
    main()
