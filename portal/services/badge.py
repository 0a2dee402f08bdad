"""The public feedback-promise badge: how well a client's recruiters kept their word lately.

Figures over the **applications received in the last 90 days** (applied on one of the 90 days
up to and including today, in the agency's time zone); no names, addresses or notes leave this
module, only counts.

Definitions (dates are calendar days in the agency's time zone):

- An **answer** is a public update from the recruiter's side: kind ``stage_change``, ``note``,
  ``no_news`` or ``system``. Internal notes and what candidates post themselves are not answers.
- A **promise** is the ``promised_by`` date set by a public update of those kinds or by the
  creation entry. A promise is **kept** when the next answer after the update that set it came
  on or before that date, or the application was closed (withdrawn, or moved to a final stage)
  on or before that date, or the date has not passed yet (today included) with no answer so far.
- **Share on time**: of the applications that were promised anything, the percentage whose every
  promise was kept, rounded down (a badge never rounds in its own favour).
- **Median days between updates**: the median, over all these applications together, of the
  days between one public update (the creation entry or an answer) and the next answer. Only
  completed gaps count: the wait since the last update is not in it (that is what the promise
  figure is for).
- **Answered**: applications with at least one answer after the creation entry.

The figures are cached per client and day for ``CACHE_SECONDS`` (see ``BadgeCache``).
"""

import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import select
from sqlmodel import Session

from portal.core.clock import local_date, local_zone
from portal.models import Application, Stage, Update, UpdateKind

WINDOW_DAYS = 90
CACHE_SECONDS = 600
ANSWER_KINDS = frozenset(
    {UpdateKind.STAGE_CHANGE, UpdateKind.NOTE, UpdateKind.NO_NEWS, UpdateKind.SYSTEM}
)
PROMISE_KINDS = ANSWER_KINDS | {UpdateKind.CREATED}


@dataclass(frozen=True)
class BadgeFigures:
    since: date
    applicants: int
    promised: int
    kept: int
    answered: int
    median_days: float | None

    @property
    def share_on_time(self) -> int | None:
        """Whole percent of promised applicants whose every promise was kept (rounded down)."""
        return (100 * self.kept) // self.promised if self.promised else None


@dataclass(frozen=True)
class _Entry:
    kind: str
    day: date
    promised_by: date | None
    closes: bool


def _window_start(today: date) -> tuple[date, datetime]:
    since = today - timedelta(days=WINDOW_DAYS - 1)
    midnight = datetime.combine(since, clock_time(0), tzinfo=local_zone())
    return since, midnight.astimezone(UTC)


def _kept_every_promise(entries: list[_Entry], today: date) -> bool | None:
    """True or False, or None when the application was never promised anything."""
    closed_on = min((e.day for e in entries if e.closes), default=None)
    chain = [e for e in entries if e.kind in PROMISE_KINDS]
    promised = False
    for index, entry in enumerate(chain):
        if entry.promised_by is None:
            continue
        promised = True
        due = entry.promised_by
        answer = next((e for e in chain[index + 1:] if e.kind in ANSWER_KINDS), None)
        if answer is not None and answer.day <= due:
            continue
        if closed_on is not None and closed_on <= due:
            continue
        if answer is None and due >= today:
            continue
        return False
    return True if promised else None


def compute_badge(*, session: Session, client_id: int, today: date) -> BadgeFigures:
    """The client's figures for the 90 days up to ``today`` (definitions: module docstring)."""
    since, start = _window_start(today)
    statement = (
        select(Update.application_id, Update.kind, Update.created_at, Update.promised_by,
               Stage.is_terminal)
        .join(Application, Application.id == Update.application_id)
        .outerjoin(Stage, Stage.id == Update.stage_id)
        .where(
            Application.client_id == client_id,
            Application.created_at >= start,
            Update.is_public.is_(True),
        )
        .order_by(Update.application_id, Update.created_at, Update.id)
    )
    histories: dict[int, list[_Entry]] = defaultdict(list)
    for application_id, kind, created_at, promised_by, terminal in session.execute(statement):
        closes = kind == UpdateKind.WITHDRAWAL or (bool(terminal) and kind != UpdateKind.CREATED)
        histories[application_id].append(
            _Entry(kind=kind, day=local_date(created_at), promised_by=promised_by, closes=closes)
        )
    promised = kept = answered = 0
    gaps: list[int] = []
    for entries in histories.values():
        verdict = _kept_every_promise(entries, today)
        if verdict is not None:
            promised += 1
            kept += verdict
        chain = [e for e in entries if e.kind in PROMISE_KINDS]
        if any(e.kind in ANSWER_KINDS for e in chain):
            answered += 1
        gaps.extend(
            (later.day - earlier.day).days
            for earlier, later in zip(chain, chain[1:], strict=False)
            if later.kind in ANSWER_KINDS
        )
    return BadgeFigures(
        since=since, applicants=len(histories), promised=promised, kept=kept,
        answered=answered, median_days=statistics.median(gaps) if gaps else None,
    )


class BadgeCache:
    """Badge figures per (client id, day), each kept for ``ttl`` seconds.

    In-process and per app: every worker computes a client's badge at most once per ten minutes
    (and again after midnight, as the day is part of the key). Nothing personal is cached.
    """

    def __init__(self, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[tuple[int, date], tuple[float, BadgeFigures]] = {}
        self._lock = threading.Lock()

    def get(
        self, client_id: int, today: date, compute: Callable[[], BadgeFigures]
    ) -> BadgeFigures:
        """The cached figures, or ``compute()``'s (stored for next time)."""
        key = (client_id, today)
        moment = self.clock()
        with self._lock:
            cached = self._entries.get(key)
        if cached is not None and cached[0] > moment:
            return cached[1]
        figures = compute()
        with self._lock:
            # Drop what has expired, so the cache stays as small as the number of clients.
            self._entries = {k: v for k, v in self._entries.items() if v[0] > moment}
            self._entries[key] = (moment + self.ttl, figures)
        return figures
