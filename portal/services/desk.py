"""The recruiter's desk: open applications by urgency, filtered, with keyset pagination."""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select, tuple_
from sqlmodel import Session

from portal.core.ids import is_id
from portal.models import Application, Client, Job, Stage

STATUSES = ("open", "closed", "all")


@dataclass(frozen=True)
class DeskFilter:
    client_id: int | None = None
    job_id: int | None = None
    stage_key: str | None = None
    query: str = ""
    status: str = "open"

    @property
    def is_active(self) -> bool:
        return bool(self.client_id or self.job_id or self.stage_key or self.query) or (
            self.status != "open"
        )


@dataclass(frozen=True)
class DeskRow:
    id: int
    name: str
    email: str
    language: str
    is_open: bool
    promised_by: date | None
    last_update_at: datetime
    job_id: int
    job_title: str
    client_name: str
    stage_key: str
    stage_label: dict
    unsubscribed_at: datetime | None = None


@dataclass(frozen=True)
class DeskPage:
    rows: list[DeskRow]
    next_cursor: str | None


def _encode_cursor(values: list) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> list | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    if not (isinstance(values, list) and len(values) == 3):
        return None
    last_id = values[2]  # a forged id beyond the columns would be a database error
    if isinstance(last_id, bool) or not isinstance(last_id, int) or not is_id(last_id):
        return None
    return values


_ROWS = (
    select(
        Application.id, Application.name, Application.email, Application.language,
        Application.is_open, Application.promised_by, Application.last_update_at,
        Job.id, Job.title, Client.name, Stage.key, Stage.label, Application.unsubscribed_at,
    )
    .join(Job, Job.id == Application.job_id)
    .join(Client, Client.id == Application.client_id)
    .join(Stage, Stage.id == Application.stage_id)
)


def desk_row(*, session: Session, application_id: int) -> DeskRow | None:
    """One application as the desk lists it."""
    row = session.execute(_ROWS.where(Application.id == application_id)).first()
    return DeskRow(*row) if row else None


def list_desk(
    *, session: Session, desk_filter: DeskFilter, cursor: str | None = None, limit: int = 50
) -> DeskPage:
    """One page of the desk in urgency order: overdue first, due soonest, oldest news."""
    statement = _filtered(_ROWS, desk_filter)
    statement, order_key = _ordered(statement, desk_filter.status, _decode_cursor(cursor))
    rows = [DeskRow(*row) for row in session.execute(statement.limit(limit + 1))]
    next_cursor = _encode_cursor(order_key(rows[limit - 1])) if len(rows) > limit else None
    return DeskPage(rows=rows[:limit], next_cursor=next_cursor)


def _ordered(statement, status: str, after: list | None):
    if status == "open":
        # Open applications always carry a promise, so the order needs no NULL handling.
        if after:
            try:
                promised, updated, last_id = (
                    date.fromisoformat(after[0]), datetime.fromisoformat(after[1]), after[2]
                )
            except (TypeError, ValueError):
                promised = None
            if promised:
                statement = statement.where(
                    tuple_(Application.promised_by, Application.last_update_at, Application.id)
                    > tuple_(promised, updated, last_id)
                )
        statement = statement.order_by(
            Application.promised_by, Application.last_update_at, Application.id
        )
        return statement, lambda row: [
            row.promised_by.isoformat(), row.last_update_at.isoformat(), row.id
        ]
    if after:
        try:
            updated, last_id = datetime.fromisoformat(after[1]), after[2]
            statement = statement.where(
                or_(
                    Application.last_update_at < updated,
                    and_(Application.last_update_at == updated, Application.id < last_id),
                )
            )
        except (TypeError, ValueError):
            pass
    statement = statement.order_by(Application.last_update_at.desc(), Application.id.desc())
    return statement, lambda row: [None, row.last_update_at.isoformat(), row.id]


# Beyond this many matches the desk says "more than 1,000" instead of counting: an exact
# count walks every matching row (a million of them, unfiltered), a page of 50 walks 51.
COUNT_LIMIT = 1000


def count_desk(
    *, session: Session, desk_filter: DeskFilter, limit: int | None = COUNT_LIMIT
) -> int:
    """How many applications match the filter (for "N matching"), counted up to ``limit + 1``:
    a result above ``limit`` means "more than ``limit``"."""
    statement = _filtered(select(Application.id), desk_filter)
    if limit is not None:
        statement = statement.limit(limit + 1)
    return session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()


def _filtered(statement, desk_filter: DeskFilter):
    """Apply the desk's filters to a statement over Application."""
    if desk_filter.status == "open":
        statement = statement.where(Application.is_open.is_(True))
    elif desk_filter.status == "closed":
        statement = statement.where(Application.is_open.is_(False))
    if desk_filter.client_id:
        statement = statement.where(Application.client_id == desk_filter.client_id)
    if desk_filter.job_id:
        statement = statement.where(Application.job_id == desk_filter.job_id)
    if desk_filter.stage_key:
        # A membership test, not a join: the count then runs on the application indexes alone.
        statement = statement.where(
            Application.stage_id.in_(select(Stage.id).where(Stage.key == desk_filter.stage_key))
        )
    if desk_filter.query:
        escaped = desk_filter.query.lower().replace("\\", "\\\\")
        escaped = escaped.replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        statement = statement.where(
            or_(
                func.lower(Application.name).like(pattern, escape="\\"),
                func.lower(Application.email).like(pattern, escape="\\"),
            )
        )
    return statement


def stage_keys_in_use(*, session: Session, language: str = "en") -> list[tuple[str, str]]:
    """Distinct stage keys with their label in ``language`` (else English), for the filter."""
    rows = session.execute(select(Stage.key, Stage.label).order_by(Stage.position)).all()
    seen: dict[str, str] = {}
    for key, label in rows:
        label = label or {}
        seen.setdefault(key, label.get(language) or label.get("en") or key)
    return list(seen.items())
