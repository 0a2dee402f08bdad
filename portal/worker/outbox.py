"""Delivering the outbox: SMTP (STARTTLS when offered, or implicit TLS), or .eml files.

``portal outbox run`` drives ``deliver_due``; delivery is at least once: a message is marked
sent only after the SMTP server accepted it, and keeps its Message-ID across retries.
"""

import smtplib
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session

from portal.mail.outbox import claim_due, mark_failed_attempt, mark_sent
from portal.models import OutboxMessage


def build_email(message: OutboxMessage, *, from_address: str) -> EmailMessage:
    """The RFC 5322 message for an outbox row: multipart text + HTML, stable Message-ID."""
    email = EmailMessage()
    email["From"] = from_address
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message.message_id
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


class SmtpTransport:
    """One SMTP connection, reused across messages and reopened when it drops."""

    def __init__(self, url: str, timeout: float = 20.0):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"PORTAL_SMTP_URL must start with smtp:// or smtps://, not {url!r}")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587 if parts.username else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self._connection: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            connection.ehlo()
            if connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
        if self.username:
            connection.login(self.username, self.password or "")
        return connection

    def send(self, email: EmailMessage) -> None:
        if self._connection is None:
            self._connection = self._open()
        try:
            self._connection.send_message(email)
        except smtplib.SMTPServerDisconnected:
            self._connection = None
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except smtplib.SMTPException:
                pass
            except OSError:
                pass
            self._connection = None


class FileTransport:
    """Writes each email as an .eml file and says so (the demo, when no SMTP is configured)."""

    def __init__(self, folder: Path, echo: bool = True):
        self.folder = folder
        self.echo = echo
        folder.mkdir(parents=True, exist_ok=True)

    def send(self, email: EmailMessage) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        token = email["Message-ID"].strip("<>").split("@")[0].replace(".", "-")
        path = self.folder / f"{stamp}-{token}.eml"
        path.write_bytes(bytes(email))
        if self.echo:
            click.echo(f"Email to {email['To']}: {email['Subject']}  [{path}]")

    def close(self) -> None:
        """Nothing to close."""


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    # Webhook deliveries, sent by the same worker after the emails of each round.
    webhooks_delivered: int = 0
    webhooks_retrying: int = 0
    webhooks_failed: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def outbox_folder(app: Flask) -> Path:
    """Where .eml files go without SMTP: ``PORTAL_OUTBOX_FOLDER``, or instance/outbox."""
    return Path(app.config.get("OUTBOX_FOLDER") or Path(app.instance_path) / "outbox")


def transport_for(app: Flask):
    """SMTP when ``PORTAL_SMTP_URL`` is set, else .eml files in ``outbox_folder``."""
    url = app.config.get("SMTP_URL")
    if url:
        return SmtpTransport(url)
    return FileTransport(outbox_folder(app))


def deliver_due(
    *, engine: Engine, transport, from_address: str, max_attempts: int, batch_size: int = 50
) -> DeliveryReport:
    """Send every message that is due now; returns what happened."""
    report = DeliveryReport()
    # SQLite has no row locks and one writer: commit after each message so the web app never
    # waits for a slow SMTP server. PostgreSQL keeps the batch locked until it is all marked.
    commit_each = engine.dialect.name == "sqlite"
    with Session(engine, expire_on_commit=False) as session:
        while True:
            batch = claim_due(session=session, limit=batch_size)
            if not batch:
                break
            unreachable = False
            for message in batch:
                unreachable = _deliver_one(message, transport, from_address, max_attempts, report)
                if commit_each:
                    session.commit()
                if unreachable:
                    break  # the rest of the batch stays due, without an attempt counted
            session.commit()
            if unreachable:
                break  # the server cannot be reached: stop this round, retry later
            if report.attempted and report.retrying + report.failed == report.attempted:
                break  # the server is refusing everything: stop this round, retry later
    transport.close()
    return report


# Failures of the connection rather than of one message: the next message would only pay the
# connection timeout again.
CONNECTION_ERRORS = (OSError, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)


def _deliver_one(message, transport, from_address, max_attempts, report) -> bool:
    """Send one message and mark it; True when the server could not be reached at all."""
    try:
        transport.send(build_email(message, from_address=from_address))
    except (smtplib.SMTPException, OSError, ValueError) as error:
        mark_failed_attempt(message, f"{type(error).__name__}: {error}", max_attempts=max_attempts)
        if message.status == "failed":
            report.failed += 1
        else:
            report.retrying += 1
        report.errors.append(f"{message.id}: {error}")
        return isinstance(error, CONNECTION_ERRORS)
    mark_sent(message)
    report.sent += 1
    return False


def run_worker(app: Flask, *, once: bool, stop: threading.Event | None = None) -> DeliveryReport:
    """Deliver due emails and webhooks; with ``once`` stop when none are due, else poll."""
    from portal.core.db import get_engine
    from portal.worker.webhooks import run_once as run_webhooks_once

    total = DeliveryReport()
    stop = stop or threading.Event()
    poll = float(app.config["OUTBOX_POLL_SECONDS"])
    while not stop.is_set():
        report = deliver_due(
            engine=get_engine(app), transport=transport_for(app),
            from_address=app.config["MAIL_FROM"],
            max_attempts=int(app.config["OUTBOX_MAX_ATTEMPTS"]),
            batch_size=int(app.config["OUTBOX_BATCH_SIZE"]),
        )
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        total.errors.extend(report.errors)
        hooks = run_webhooks_once(app)
        total.webhooks_delivered += hooks.delivered
        total.webhooks_retrying += hooks.retrying
        total.webhooks_failed += hooks.failed
        total.errors.extend(hooks.errors)
        if once:
            break
        stop.wait(poll)
    return total
