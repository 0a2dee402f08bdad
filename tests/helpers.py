"""Plain helpers shared by the test modules (fixtures live in conftest.py, records in
factories.py): the test configuration and database backend, sign-in, page text, status
paths, free ports and a real SMTP server. Test modules import from here, never from each
other or from conftest."""

import asyncio
import contextlib
import contextvars
import email
import os
import re
import socket
import threading
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from html import unescape

from aiosmtpd.controller import Controller
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine, func, text
from sqlmodel import Session, select

from portal.core.tokens import status_url_for
from tests.factories import PASSWORD

# --- configuration --------------------------------------------------------------------------

PG_SERVER = os.environ.get(
    "PORTAL_TEST_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
BACKEND = os.environ.get("PORTAL_TEST_DATABASE", "sqlite")
BASE_URL = "http://portal.test"

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "BASE_URL": BASE_URL,
    "WTF_CSRF_ENABLED": False,
}

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # Monday 2 November 2026; the frozen clock's
SAME_ORIGIN = {"Origin": BASE_URL, "Sec-Fetch-Site": "same-origin"}
HTMX = {"HX-Request": "true"}
JSON = {"Accept": "application/json"}


@contextlib.contextmanager
def postgresql_database(prefix: str):
    """A PostgreSQL database of its own on the test server (its URL), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class IsolatedCliRunner(FlaskCliRunner):
    """Runs each command in a fresh context, so it pushes its own app context (as in a shell)
    instead of borrowing the test's."""

    def invoke(self, *args, **kwargs):
        return contextvars.Context().run(super().invoke, *args, **kwargs)


# --- requests and pages ---------------------------------------------------------------------


def login(client, email: str, password: str = PASSWORD, environ_base: dict | None = None,
          **form):
    """Post the sign-in form (extra ``form`` fields such as ``next`` or ``csrf_token``, from
    ``environ_base``'s address); returns the response, whatever it is."""
    extra = {"environ_base": environ_base} if environ_base else {}
    return client.post("/admin/login", data={"email": email, "password": password, **form},
                       **extra)


def sign_in(client, email: str, **kwargs):
    """Sign in and insist it worked (the form's 303 to the desk); returns the response."""
    response = login(client, email, **kwargs)
    assert response.status_code == 303, response.text
    return response


def text_of(html: str) -> str:
    """The words of an HTML text: tags removed, entities decoded, white space collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def status_path(app, application) -> str:
    """The path of the candidate's status link, as their email gives it."""
    with app.test_request_context():
        url = status_url_for(application.id, application.token_version)
    assert url.startswith(BASE_URL + "/"), url
    return url.removeprefix(BASE_URL)


# --- the database ---------------------------------------------------------------------------


def count(session: Session, model, *where) -> int:
    """How many rows of ``model`` (matching ``where``) the database has now."""
    session.rollback()
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def reload(session: Session, model, ident: int):
    """The row as the database has it now (after the views' commits)."""
    session.rollback()
    session.expire_all()
    return session.get(model, ident)


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message as the SMTP server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]

    def part(self, content_type: str) -> str:
        """The text of the body part of this type."""
        found = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        assert found is not None and found.get_content_type() == content_type
        return found.get_content()


class RecordingHandler:
    """aiosmtpd handler: keeps every message it accepts, or refuses DATA when told to."""

    def __init__(self):
        self.received: list[Received] = []
        self.refusal: str | None = None  # e.g. "451 4.3.0 Try again later"
        self.delay = 0.0  # seconds to think before answering DATA
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refusal:
            return self.refusal
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
        return "250 2.0.0 Message accepted"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a fixed free port; ``stop()`` leaves nothing listening there,
    ``start()`` brings it back on the same port (with the same record of messages)."""

    def __init__(self, port: int):
        self.port = port
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, server_hostname="smtp.test"
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def message_id_counts(self) -> Counter:
        return Counter(received.message_id for received in self.received)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()
