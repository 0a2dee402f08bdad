"""What a candidate may see of their application: the status page's data (the hot path).

Two queries build the whole page; a conditional poll needs one narrow query and no rendering.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from portal.models import Application, Client, Job, Recruiter, Stage, Update, UpdateKind
from portal.services.branding import ClientBrand

# Entries the candidate wrote themselves: in their timeline, never their "latest message".
CANDIDATE_KINDS = frozenset(
    {UpdateKind.CANDIDATE_MESSAGE, UpdateKind.QUESTION, UpdateKind.STILL_INTERESTED,
     UpdateKind.WITHDRAWAL}
)


@dataclass(frozen=True)
class TimelineEntry:
    created_at: datetime
    kind: str
    note: str | None
    stage_key: str | None
    stage_label: str | None
    author_first_name: str | None
    promised_by: date | None


@dataclass(frozen=True)
class StatusView:
    application_id: int
    token_version: int
    language: str
    client_slug: str
    client_name: str
    job_title: str
    stage_key: str
    stage_label: str
    stage_guidance: str
    is_open: bool
    outcome: str | None
    promised_by: date | None
    last_update_at: datetime
    applied_at: datetime
    recruiter_first_name: str | None
    reminded_at: datetime | None
    version_stamp: str
    timeline: tuple[TimelineEntry, ...]
    # Logo and accent colour for the page header (no logo bytes: those come from /brand/).
    client_brand: ClientBrand | None = None

    @property
    def latest_note(self) -> TimelineEntry | None:
        """The newest entry that carries a note to the candidate (not one of their own)."""
        return next(
            (e for e in self.timeline if e.note and e.kind not in CANDIDATE_KINDS), None
        )

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.promised_by is not None and self.promised_by < today

    def days_overdue(self, today: date) -> int:
        return (today - self.promised_by).days if self.is_overdue(today) else 0


def _stamp(*parts) -> str:
    return "|".join(str(part) for part in parts)


# Statements are built once with a bound parameter, so SQLAlchemy compiles each only once,
# and they run on the session's Core connection (no ORM identity map on the hot path).
_APPLICATION_ID = bindparam("application_id")

_HEAD = (
    select(
        Application.token_version, Application.updated_at, Application.reminded_at,
        Job.updated_at, Client.updated_at,
    )
    .join(Job, Job.id == Application.job_id)
    .join(Client, Client.id == Application.client_id)
    .where(Application.id == _APPLICATION_ID)
)


def version_stamp(
    *, session: Session | None = None, application_id: int, token_version: int,
    connection: Connection | None = None,
) -> str | None:
    """What the candidate's view depends on, in one narrow query; None for a dead link.

    Runs on ``connection`` when given (the status page's autocommit read connection), else on
    the session's."""
    connection = connection if connection is not None else session.connection()
    row = connection.execute(_HEAD, {"application_id": application_id}).first()
    if row is None or row[0] != token_version:
        return None
    return _stamp(application_id, *row)


_PAGE = (
    select(
        Application.token_version, Application.updated_at, Application.reminded_at,
        Job.updated_at, Client.updated_at, Application.language, Application.is_open,
        Application.promised_by, Application.last_update_at, Application.created_at,
        Client.slug, Client.name, Job.title, Stage.key, Stage.label, Stage.guidance,
        Stage.outcome, Recruiter.name, Client.logo_type, Client.accent_color,
    )
    .join(Job, Job.id == Application.job_id)
    .join(Client, Client.id == Application.client_id)
    .join(Stage, Stage.id == Application.stage_id)
    .outerjoin(Recruiter, Recruiter.id == Job.owner_id)
    .where(Application.id == _APPLICATION_ID)
)

_TIMELINE = (
    select(
        Update.created_at, Update.kind, Update.public_note, Stage.key, Stage.label,
        Recruiter.name, Update.promised_by,
    )
    .outerjoin(Stage, Stage.id == Update.stage_id)
    .outerjoin(Recruiter, Recruiter.id == Update.author_id)
    .where(Update.application_id == _APPLICATION_ID, Update.is_public.is_(True))
    .order_by(Update.created_at.desc(), Update.id.desc())
)


def _first_name(name: str | None) -> str | None:
    return name.split()[0] if name and name.strip() else None


def load_status(
    *, session: Session | None = None, application_id: int, token_version: int,
    language: str | None = None, connection: Connection | None = None,
) -> StatusView | None:
    """The candidate's view of the application, or None when the link is revoked or unknown."""
    connection = connection if connection is not None else session.connection()
    params = {"application_id": application_id}
    row = connection.execute(_PAGE, params).first()
    if row is None or row[0] != token_version:
        return None
    (
        _, app_updated, reminded_at, job_updated, client_updated, app_language, is_open,
        promised_by,
        last_update_at, applied_at, client_slug, client_name, job_title, stage_key,
        stage_label, stage_guidance, outcome, owner_name, logo_type, accent_color,
    ) = row
    language = language or app_language
    timeline_rows = connection.execute(_TIMELINE, params).all()
    timeline = tuple(
        TimelineEntry(
            created_at=created_at, kind=kind, note=note, stage_key=key,
            stage_label=(label.get(language) or label.get("en")) if label else None,
            author_first_name=_first_name(author),
            promised_by=entry_promise,
        )
        for created_at, kind, note, key, label, author, entry_promise in timeline_rows
    )
    return StatusView(
        application_id=application_id, token_version=token_version, language=language,
        client_slug=client_slug, client_name=client_name, job_title=job_title,
        stage_key=stage_key,
        stage_label=stage_label.get(language) or stage_label.get("en") or stage_key,
        stage_guidance=stage_guidance.get(language) or stage_guidance.get("en") or "",
        is_open=is_open, outcome=outcome, promised_by=promised_by,
        last_update_at=last_update_at, applied_at=applied_at,
        recruiter_first_name=_first_name(owner_name),
        reminded_at=reminded_at,
        version_stamp=_stamp(application_id, token_version, app_updated, reminded_at,
                             job_updated, client_updated),
        timeline=timeline,
        client_brand=ClientBrand(
            slug=client_slug, name=client_name, logo_type=logo_type,
            accent_color=accent_color, updated_at=client_updated,
        ),
    )


def etag_for(stamp: str, *, today: date, language: str, variant: str, build: str) -> str:
    """A strong ETag over everything the rendered status depends on (the date included)."""
    digest = hashlib.blake2b(
        _stamp(stamp, today, language, variant, build).encode(), digest_size=12
    ).hexdigest()
    return f'"{digest}"'


def status_json(view: StatusView, *, today: date) -> dict:
    """The JSON form of the candidate's status."""
    latest = view.latest_note
    return {
        "application_id": view.application_id,
        "client": {"slug": view.client_slug, "name": view.client_name},
        "job": {"title": view.job_title},
        "stage": {
            "key": view.stage_key,
            "label": view.stage_label,
            "what_happens_now": view.stage_guidance,
        },
        "is_open": view.is_open,
        "outcome": view.outcome,
        "language": view.language,
        "latest_note": (
            {
                "text": latest.note, "date": latest.created_at.isoformat(),
                "author": latest.author_first_name,
            }
            if latest else None
        ),
        "updated_at": view.last_update_at.isoformat(),
        "applied_at": view.applied_at.isoformat(),
        "promised_by": view.promised_by.isoformat() if view.promised_by else None,
        "overdue": view.is_overdue(today),
        "days_overdue": view.days_overdue(today),
        "reminded_at": (
            view.reminded_at.isoformat() if view.reminded_at and view.is_overdue(today) else None
        ),
        "timeline": [
            {
                "date": entry.created_at.isoformat(), "kind": entry.kind, "note": entry.note,
                "stage": (
                    {"key": entry.stage_key, "label": entry.stage_label}
                    if entry.stage_key else None
                ),
                "author": entry.author_first_name,
                "promised_by": entry.promised_by.isoformat() if entry.promised_by else None,
            }
            for entry in view.timeline
        ],
    }


@dataclass(frozen=True)
class ExpiredLinkContact:
    language: str
    client_name: str
    job_title: str
    recruiter_name: str | None
    recruiter_email: str | None
    # For the page's "email me a fresh link" form (the client's lookup flow).
    client_slug: str | None = None


def expired_link_contact(
    *, session: Session, application_id: int, token_version: int
) -> ExpiredLinkContact | None:
    """Who can send a fresh link, for the page that explains an expired one (None if revoked)."""
    row = session.execute(
        select(Application.language, Client.name, Job.title, Recruiter.name, Recruiter.email,
               Client.slug)
        .join(Job, Job.id == Application.job_id)
        .join(Client, Client.id == Application.client_id)
        .outerjoin(Recruiter, Recruiter.id == Job.owner_id)
        .where(Application.id == application_id, Application.token_version == token_version)
    ).first()
    return ExpiredLinkContact(*row) if row else None
