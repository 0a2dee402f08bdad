"""Lookup: a candidate types their email address and gets links to their open applications.

The requester learns nothing from the answer: the view says the same thing whether or not the
address is known, and this module does the same work on both paths (one query, the links signed
and the email rendered), so the two take about the same time. Only a known address gets a row
in the outbox: one email listing every open application of that address with this client, in
the language of the most recent one (composed by ``portal.mail.candidate``).
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from portal.core.tokens import candidate_link
from portal.mail.candidate import LinkedApplication, queue_status_links
from portal.models import Application, Client, Job, OutboxMessage, Stage


@dataclass(frozen=True)
class OpenApplication:
    application_id: int | None
    token_version: int
    language: str
    job_title: str
    stage_label: dict
    stage_key: str
    email: str


def open_applications(*, session: Session, client: Client, email: str) -> list[OpenApplication]:
    """The open applications of ``email`` (any case) with ``client``, newest first."""
    statement = (
        select(Application.id, Application.token_version, Application.language, Job.title,
               Stage.label, Stage.key, Application.email)
        .join(Job, Job.id == Application.job_id)
        .join(Stage, Stage.id == Application.stage_id)
        .where(
            Application.client_id == client.id,
            Application.is_open.is_(True),
            func.lower(Application.email) == email.lower(),
        )
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
    return [OpenApplication(*row) for row in session.execute(statement)]


def status_link(client: Client, application_id: int, token_version: int) -> str:
    """The candidate's link: the client's white-label status page if it has one, else ours."""
    return candidate_link(application_id, token_version, client.status_page_url)


def send_status_links(*, session: Session, client: Client, email: str) -> OutboxMessage | None:
    """Queue one email with links to every open application of ``email`` with ``client``.

    ``email`` is already normalised; the match ignores case. Returns the queued message, or
    None when the address has no open application with this client. The caller commits.

    Both paths do the same work, so their timing tells nothing: for an unknown address the
    email is rendered for a stand-in application and inserted inside a savepoint that is then
    rolled back instead of released (on PostgreSQL the commit still flushes the log, as it does
    for a real row).
    """
    found = open_applications(session=session, client=client, email=email)
    listed = found or [
        OpenApplication(None, 1, client.default_language, "-", {}, "-", email)  # stand-in
    ]
    newest = listed[0]
    language = newest.language  # the newest application decides the email's language
    links = [
        LinkedApplication(
            job_title=item.job_title,
            stage_label=item.stage_label.get(language) or item.stage_label.get("en")
            or item.stage_key,
            url=status_link(client, item.application_id or 0, item.token_version),
        )
        for item in listed
    ]
    # The same statements either way: SAVEPOINT, INSERT, then RELEASE or ROLLBACK TO.
    savepoint = session.begin_nested()
    message = queue_status_links(
        session=session, client=client, to_address=newest.email, language=language,
        applications=links, application_id=newest.application_id,
    )
    if not found:
        savepoint.rollback()
        return None
    savepoint.commit()
    return message
