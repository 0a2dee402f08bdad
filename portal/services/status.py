"""What a candidate may see of their application: the status page's data (the hot path).

Two queries build the whole page; a conditional poll needs one narrow query and no rendering.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import DBAPIError
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


# The status page's queries are compiled once per dialect to the driver's own SQL and run
# without SQLAlchemy's result processing: on the hot path that processing (types, rows,
# execution contexts) cost three times the queries themselves. The few conversions the page
# needs are the functions below, which take what either driver returns (SQLite: text and
# integers; psycopg: dates, aware datetimes, booleans and decoded JSON).
_APPLICATION_ID = bindparam("application_id")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _moment(value) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (as the models hand it out)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


@lru_cache(maxsize=1024)
def _decoded(text: str) -> dict:
    return json.loads(text)


def _labels(value) -> dict:
    """A JSON column of labels per language ({"en": ..., "sv": ...}); do not modify it."""
    if isinstance(value, str):
        return _decoded(value)  # the same few stage labels on every page: decoded once
    return value or {}


def _instant(value) -> int | None:
    """A stored timestamp as microseconds since the epoch: the same number whichever driver
    or type read it, so the ETag of a poll and of a page agree."""
    moment = _moment(value)
    return None if moment is None else (moment - _EPOCH) // _MICROSECOND


@dataclass(frozen=True)
class DriverSQL:
    """A statement compiled for one dialect: its SQL and how to pass ``application_id``."""

    sql: str
    positional: bool

    def params(self, application_id: int):
        return (application_id,) if self.positional else {"application_id": application_id}


_COMPILED: dict[tuple[str, str], DriverSQL] = {}


def driver_sql(name: str, dialect) -> DriverSQL:
    """``name``'s statement (see ``_STATEMENTS``) compiled for ``dialect``, once."""
    key = (dialect.name, name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        statement = _STATEMENTS[name].compile(dialect=dialect)
        if statement.positional:
            assert statement.positiontup == ["application_id"], statement.positiontup  # noqa: S101
        compiled = _COMPILED[key] = DriverSQL(str(statement), statement.positional)
    return compiled


def named_rows(cursor) -> list[dict]:
    """A driver cursor's rows as mappings by column name (the statements label every column),
    so no reader depends on the order of the select list."""
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _rows(connection: Connection, name: str, application_id: int, *, raw: bool = True) -> list:
    """The statement's rows as mappings by column name.

    ``raw`` (the fast path): on the driver cursor of ``connection``. A driver error is raised
    as SQLAlchemy raises it (``DBAPIError``), with the connection invalidated when the error
    means the database went away, so ``run_read`` retries as for any other query. Otherwise
    through SQLAlchemy's own execution and result processing (``Result.mappings()``)."""
    if not raw:
        return connection.execute(
            _STATEMENTS[name], {"application_id": application_id}
        ).mappings().all()
    statement = driver_sql(name, connection.dialect)
    params = statement.params(application_id)
    dbapi_connection = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(statement.sql, params)
        return named_rows(cursor)
    except connection.dialect.loaded_dbapi.Error as error:
        gone = connection.dialect.is_disconnect(error, dbapi_connection, cursor)
        if gone:
            connection.invalidate(error)
        raise DBAPIError.instance(
            statement.sql, params, error, connection.dialect.loaded_dbapi.Error,
            connection_invalidated=gone, dialect=connection.dialect,
        ) from error
    finally:
        cursor.close()


# What the version stamp is made of, in the stamp's order (a ``head`` or ``page`` row).
STAMP_COLUMNS = ("application_updated_at", "reminded_at", "job_updated_at", "client_updated_at")


def stamp_of(application_id: int, token_version: int, row) -> str | None:
    """The version stamp from a ``head`` or ``page`` row (a mapping by column name, values as
    the driver returned them); None when the row is missing or the link revoked."""
    if row is None or row["token_version"] != token_version:
        return None
    return _stamp(
        application_id, token_version, *(_instant(row[name]) for name in STAMP_COLUMNS)
    )


def version_stamp(
    *, session: Session | None = None, application_id: int, token_version: int,
    connection: Connection | None = None, raw: bool = True,
) -> str | None:
    """What the candidate's view depends on, in one narrow query; None for a dead link.

    Runs on ``connection`` when given (the status page's autocommit read connection), else on
    the session's; ``raw=False`` reads through SQLAlchemy's result processing instead of the
    driver cursor (same stamp). (The poll shortcut, ``portal.web.fast_poll``, runs the same SQL
    on a bare driver connection.)"""
    connection = connection if connection is not None else session.connection()
    rows = _rows(connection, "head", application_id, raw=raw)
    return stamp_of(application_id, token_version, rows[0] if rows else None)


# Each statement's select list, by the name its readers use: the one place a column is named.
_HEAD_COLUMNS = {
    "token_version": Application.token_version,
    "application_updated_at": Application.updated_at,
    "reminded_at": Application.reminded_at,
    "job_updated_at": Job.updated_at,
    "client_updated_at": Client.updated_at,
}
_PAGE_COLUMNS = {
    **_HEAD_COLUMNS,
    "language": Application.language,
    "is_open": Application.is_open,
    "promised_by": Application.promised_by,
    "last_update_at": Application.last_update_at,
    "applied_at": Application.created_at,
    "client_slug": Client.slug,
    "client_name": Client.name,
    "job_title": Job.title,
    "stage_key": Stage.key,
    "stage_label": Stage.label,
    "stage_guidance": Stage.guidance,
    "outcome": Stage.outcome,
    "owner_name": Recruiter.name,
    "logo_type": Client.logo_type,
    "accent_color": Client.accent_color,
}
_TIMELINE_COLUMNS = {
    "created_at": Update.created_at,
    "kind": Update.kind,
    "note": Update.public_note,
    "stage_key": Stage.key,
    "stage_label": Stage.label,
    "author_name": Recruiter.name,
    "promised_by": Update.promised_by,
}


def _select(columns: dict):
    return select(*(column.label(name) for name, column in columns.items()))


_HEAD = (
    _select(_HEAD_COLUMNS)
    .join(Job, Job.id == Application.job_id)
    .join(Client, Client.id == Application.client_id)
    .where(Application.id == _APPLICATION_ID)
)

_PAGE = (
    _select(_PAGE_COLUMNS)
    .join(Job, Job.id == Application.job_id)
    .join(Client, Client.id == Application.client_id)
    .join(Stage, Stage.id == Application.stage_id)
    .outerjoin(Recruiter, Recruiter.id == Job.owner_id)
    .where(Application.id == _APPLICATION_ID)
)

_TIMELINE = (
    _select(_TIMELINE_COLUMNS)
    .select_from(Update)
    .outerjoin(Stage, Stage.id == Update.stage_id)
    .outerjoin(Recruiter, Recruiter.id == Update.author_id)
    .where(Update.application_id == _APPLICATION_ID, Update.is_public.is_(True))
    .order_by(Update.created_at.desc(), Update.id.desc())
)

_STATEMENTS = {"head": _HEAD, "page": _PAGE, "timeline": _TIMELINE}


def _first_name(name: str | None) -> str | None:
    return name.split()[0] if name and name.strip() else None


def _label(labels: dict, language: str) -> str | None:
    return labels.get(language) or labels.get("en")


def load_status(
    *, session: Session | None = None, application_id: int, token_version: int,
    language: str | None = None, connection: Connection | None = None, raw: bool = True,
) -> StatusView | None:
    """The candidate's view of the application, or None when the link is revoked or unknown.

    ``raw`` (the default, the fast path): the two queries run on the driver cursor; False:
    through SQLAlchemy's result processing. Both give the same view."""
    connection = connection if connection is not None else session.connection()
    rows = _rows(connection, "page", application_id, raw=raw)
    row = rows[0] if rows else None
    stamp = stamp_of(application_id, token_version, row)
    if stamp is None:
        return None
    language = language or row["language"]
    timeline = tuple(
        TimelineEntry(
            created_at=_moment(entry["created_at"]), kind=entry["kind"], note=entry["note"],
            stage_key=entry["stage_key"],
            stage_label=(
                _label(_labels(entry["stage_label"]), language)
                if entry["stage_label"] is not None else None
            ),
            author_first_name=_first_name(entry["author_name"]),
            promised_by=_day(entry["promised_by"]),
        )
        for entry in _rows(connection, "timeline", application_id, raw=raw)
    )
    return StatusView(
        application_id=application_id, token_version=token_version, language=language,
        client_slug=row["client_slug"], client_name=row["client_name"],
        job_title=row["job_title"], stage_key=row["stage_key"],
        stage_label=_label(_labels(row["stage_label"]), language) or row["stage_key"],
        stage_guidance=_label(_labels(row["stage_guidance"]), language) or "",
        is_open=bool(row["is_open"]), outcome=row["outcome"],
        promised_by=_day(row["promised_by"]),
        last_update_at=_moment(row["last_update_at"]), applied_at=_moment(row["applied_at"]),
        recruiter_first_name=_first_name(row["owner_name"]),
        reminded_at=_moment(row["reminded_at"]),
        version_stamp=stamp,
        timeline=timeline,
        client_brand=ClientBrand(
            slug=row["client_slug"], name=row["client_name"], logo_type=row["logo_type"],
            accent_color=row["accent_color"], updated_at=_moment(row["client_updated_at"]),
        ),
    )


def etag_for(stamp: str, *, today: date, variant: str, build: str) -> str:
    """A strong ETag over everything the rendered status depends on: the version stamp (the last
    change of the application, its job and client, and its reminder), the date, the variant
    (page, card, json) and the build."""
    digest = hashlib.blake2b(_stamp(stamp, today, variant, build).encode(),
                             digest_size=12).hexdigest()
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
