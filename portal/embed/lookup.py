"""Lookup: a candidate types their email address and gets links to their open applications.

The requester learns nothing from the answer: the view says the same thing whether or not the
address is known, and this module does the same work on both paths (one query, the links signed
and the email rendered), so the two take about the same time. Only a known address gets a row
in the outbox: one email listing every open application of that address with this client, in
the language of the most recent one.
"""

from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from portal.core.tokens import candidate_link
from portal.mail.notifications import mail_domain
from portal.models import Application, Client, Job, OutboxMessage, Stage
from portal.services.outbox import enqueue_email


@dataclass(frozen=True)
class LinkedApplication:
    job_title: str
    stage_label: str
    url: str


@dataclass(frozen=True)
class _OpenApplication:
    application_id: int | None
    token_version: int
    language: str
    job_title: str
    stage_label: dict
    stage_key: str
    email: str


def _open_applications(session: Session, client: Client, email: str) -> list[_OpenApplication]:
    # Newest first: the first one decides the email's language.
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
    return [_OpenApplication(*row) for row in session.execute(statement)]


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
    found = _open_applications(session, client, email)
    listed = found or [
        _OpenApplication(None, 1, client.default_language, "-", {}, "-", email)  # stand-in
    ]
    newest = listed[0]
    language = newest.language
    with force_locale(language):
        links = [
            LinkedApplication(
                job_title=item.job_title,
                stage_label=item.stage_label.get(language) or item.stage_label.get("en")
                or item.stage_key,
                url=status_link(client, item.application_id or 0, item.token_version),
            )
            for item in listed
        ]
        subject = _("Your application status links: %(client)s", client=client.name)
        context = {
            "language": language, "subject": subject, "client_name": client.name,
            "applications": links,
        }
        text = render_template("email/lookup.txt", **context)
        html = render_template("email/lookup.html", **context)
    # The same statements either way: SAVEPOINT, INSERT, then RELEASE or ROLLBACK TO.
    savepoint = session.begin_nested()
    message = enqueue_email(
        session=session, purpose="lookup", to_address=newest.email, subject=subject,
        body_text=text, body_html=html, domain=mail_domain(),
        application_id=newest.application_id, headers={"Auto-Submitted": "auto-replied"},
    )
    if not found:
        savepoint.rollback()
        return None
    savepoint.commit()
    return message
