"""What every email shares: the language it is written in, its text + HTML pair, its links,
signature and headers. The ``portal.mail`` modules compose each email with these.

An email is written in its reader's language, given explicitly (``in_language``), never the
language of the request that caused it: a recruiter's click in the Swedish desk can email an
English-speaking candidate. Links come from ``BASE_URL``, never a Host header.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlmodel import Session

from portal.core.tokens import candidate_link, make_unsubscribe_token
from portal.models import LANGUAGES, Application, Client, Job, Recruiter


def mail_domain() -> str:
    """The domain of ``MAIL_FROM``, used in Message-IDs."""
    address = parseaddr(current_app.config["MAIL_FROM"])[1]
    return address.rpartition("@")[2] or "localhost"


@contextmanager
def in_language(language: str) -> Iterator[None]:
    """Translate (``_``, templates) in ``language`` inside the block, whatever the request's."""
    with force_locale(language if language in LANGUAGES else "en"):
        yield


def render_pair(name: str, **context) -> tuple[str, str]:
    """``templates/email/<name>.txt`` and ``.html`` (call inside ``in_language``)."""
    return (
        render_template(f"email/{name}.txt", **context),
        render_template(f"email/{name}.html", **context),
    )


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else name


def candidate_context(application: Application, job: Job, client: Client) -> dict:
    """What every email to a candidate about their application shows."""
    base = current_app.config["BASE_URL"]
    return {
        "language": application.language,
        "first_name": first_name(application.name),
        "job_title": job.title,
        "client_name": client.name,
        "status_url": candidate_link(
            application.id, application.token_version, client.status_page_url
        ),
        "unsubscribe_url": f"{base}/u/{make_unsubscribe_token(application.id)}",
    }


def unsubscribe_headers(unsubscribe_url: str) -> dict:
    # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" here.
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def signature_for(author: Recruiter | None, client: Client) -> str:
    if author is None:
        return _("Sent automatically by the %(client)s application portal", client=client.name)
    return _("Best regards,\n%(name)s", name=author.name)


def active_owner(session: Session, job: Job) -> Recruiter | None:
    """The job's owner, unless there is none or their login is switched off."""
    owner = session.get(Recruiter, job.owner_id) if job.owner_id else None
    return owner if owner is not None and owner.is_active else None
