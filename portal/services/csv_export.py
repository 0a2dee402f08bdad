"""Exporting the desk's current filter as a CSV file that Excel and LibreOffice open as-is.

Choices, and why:

* UTF-8 with a byte-order mark: without it Excel reads UTF-8 as the Windows code page and
  "Åsa Öberg" turns into "Ã…sa Ã–berg". LibreOffice honours the mark too.
* Semicolons by default: Excel splits a double-clicked CSV on the *list separator* of the
  computer's region, and in Sweden (and most of Europe, where the comma is the decimal mark)
  that is a semicolon; a comma file opens there as one long column. English-region Excel wants
  commas, so ``delimiter="comma"`` is offered (the desk's "Export (comma)" link, the CLI's
  ``--delimiter comma``). A ``sep=;`` first line would make both work but makes Excel ignore the
  byte-order mark, which breaks å, ä and ö, so it is not used. The portal's own import accepts
  either.
* Formula injection: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  would run as a formula in a spreadsheet (a candidate can type their own name), so such text
  cells get a leading apostrophe, which spreadsheets show as plain text (OWASP's advice). Only
  text the portal did not make is touched; ids and day counts are numbers.
* Status links are bearer credentials (whoever has one sees the candidate's status), so they
  are left out unless asked for.
* Rows are fetched in batches from a server-side cursor and written row by row: the response
  and the CLI's output are streamed, never built in memory.
"""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import Session

from portal.core.clock import local_zone, today
from portal.core.errors import N_
from portal.core.i18n import translate
from portal.core.tokens import candidate_link
from portal.models import Application, Client, Job, Stage
from portal.services.audit import Actor, record_by
from portal.services.desk import DeskFilter, _filtered

DELIMITERS = {"semicolon": ";", "comma": ","}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


def safe_cell(value):
    """A cell value that a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


COLUMNS = (
    N_("id"), N_("name"), N_("email"), N_("language"), N_("client"), N_("job"), N_("stage"),
    N_("last update"), N_("next update"), N_("overdue days"), N_("created"),
)
LINK_COLUMN = N_("status link")


def header(*, with_links: bool, language: str = "en") -> list[str]:
    """The column titles in ``language`` (the reader's: the desk's, or English for the CLI)."""
    columns = [translate(title, language) for title in COLUMNS]
    if with_links:
        columns.insert(7, translate(LINK_COLUMN, language))
    return columns


def record_export(
    *, session: Session, desk_filter: DeskFilter, with_links: bool, actor: Actor | None
) -> None:
    """Audit an export (``applications.exported``) before its rows are read: the filter
    without the search text (a search may be a name), and whether status links go along."""
    record_by(actor, session=session, action="applications.exported",
              detail={"filter": {k: v for k, v in vars(desk_filter).items()
                                 if v and k != "query"},
                      "searched": bool(desk_filter.query),
                      "links": with_links})


def _local(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive UTC values
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")


def export_rows(
    *, session: Session, desk_filter: DeskFilter, with_links: bool = False,
    day: date | None = None, language: str = "en",
) -> Iterator[list]:
    """The header (in ``language``), then one row per application the filter shows (oldest id
    first)."""
    day = day or today()
    yield header(with_links=with_links, language=language)
    statement = (
        select(
            Application.id, Application.name, Application.email, Application.language,
            Client.name, Job.title, Stage.label, Stage.key, Application.is_open,
            Application.promised_by, Application.last_update_at, Application.created_at,
            Application.token_version, Client.status_page_url,
        )
        .join(Job, Job.id == Application.job_id)
        .join(Client, Client.id == Application.client_id)
        .join(Stage, Stage.id == Application.stage_id)
        .order_by(Application.id)
        .execution_options(yield_per=BATCH)
    )
    for row in session.execute(_filtered(statement, desk_filter)):
        (app_id, name, email, language, client, job, label, key, is_open, promised_by,
         last_update, created, token_version, status_page_url) = row
        late = is_open and promised_by is not None and promised_by < day
        overdue = (day - promised_by).days if late else ""
        cells = [
            app_id, safe_cell(name), safe_cell(email), language, safe_cell(client),
            safe_cell(job), safe_cell((label or {}).get("en") or key),
            _local(last_update), promised_by.isoformat() if is_open and promised_by else "",
            overdue, _local(created),
        ]
        if with_links:
            cells.insert(7, candidate_link(app_id, token_version, status_page_url))
        yield cells


def csv_chunks(rows: Iterator[list], *, delimiter: str = ";") -> Iterator[bytes]:
    """The rows as CSV bytes (UTF-8 with a byte-order mark, CRLF line ends), a few at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    yield "\ufeff".encode()
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % 100 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
