"""Importing candidates from a spreadsheet's CSV file into one job.

The file is read as a stream (a 10,000-row file never sits in memory as rows): its encoding is
found by one pass over the bytes (UTF-8 with or without a byte-order mark; UTF-16 with one, as
Excel's "Unicode text"; otherwise Windows-1252, what older Excel versions write, with a notice),
the delimiter by looking at the header line (Swedish Excel writes semicolons, others commas or
tabs). Rows are numbered the way the spreadsheet numbers them: the header is row 1, the first
candidate row 2, and a cell with line breaks inside quotes stays one row.

Every row goes through ``create_application``, the same function the desk's "new application"
form uses, so each imported candidate gets the same acknowledgement email. Problems are collected
per row and column and never stop the import of the other rows; a dry run checks everything the
same way and writes nothing. A candidate whose email already applied for the job is reported
and skipped, so importing the same file twice creates no duplicates.

The "note" column is stored as an internal note: notes in an ATS export are the recruiter's own
remarks, and sending them to candidates unasked would be a leak.
"""

import codecs
import contextlib
import csv
import io
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlmodel import Session, func, select

from portal.models import LANGUAGES, Application, Client, Recruiter
from portal.services import N_, InputError, Message
from portal.services.applications import create_application
from portal.services.audit import Actor, record_by
from portal.services.catalog import get_job, job_stages
from portal.services.recruiters import normalise_email
from portal.services.updates import MAX_NOTE_LENGTH, post_update

# Header names per column, compared after lower-casing and collapsing spaces, dashes and
# underscores (so "E-post", "e post" and "E_POST" all mean the email column).
COLUMN_ALIASES = {
    "name": ("name", "namn", "full name", "fullständigt namn", "candidate", "candidate name",
             "kandidat", "kandidatens namn", "sökande", "applicant", "för och efternamn"),
    "email": ("email", "e mail", "e post", "epost", "email address", "e post adress",
              "epostadress", "e postadress", "mail", "mejl", "mejladress"),
    "language": ("language", "språk", "sprak", "lang", "locale"),
    "stage": ("stage", "steg", "step", "fas", "phase", "process step"),
    "note": ("note", "notes", "first note", "anteckning", "anteckningar", "kommentar",
             "comment", "comments", "notering"),
}
REQUIRED = ("name", "email")
LANGUAGE_ALIASES = {
    "en": "en", "eng": "en", "english": "en", "engelska": "en", "en-gb": "en", "en-us": "en",
    "sv": "sv", "se": "sv", "swe": "sv", "swedish": "sv", "svenska": "sv", "svensk": "sv",
    "sv-se": "sv",
}
DELIMITERS = (";", ",", "\t")
# Bytes Windows-1252 leaves undefined: a file with them is read as Latin-1 instead.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")
COMMIT_EVERY = 500
ENCODING_LABELS = {"utf-8-sig": N_("UTF-8 (with BOM)"), "utf-8": "UTF-8", "utf-16": "UTF-16",
                   "cp1252": "Windows-1252", "latin-1": "Latin-1"}


class ImportFileError(InputError):
    """The file as a whole cannot be read (encoding, header): nothing was imported."""

    def __init__(self, message: str, **params):
        super().__init__("file", message, **params)


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: Message  # English; a view shows it with ``error_text``


@dataclass
class ImportReport:
    dry_run: bool
    job_id: int
    rows: int = 0  # candidate rows read (blank rows not counted)
    imported: int = 0  # imported, or that would be in a dry run
    problems: list[Problem] = field(default_factory=list)
    notices: list[Message] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","
    ignored_columns: list[str] = field(default_factory=list)
    application_ids: list[int] = field(default_factory=list)

    @property
    def encoding_label(self) -> Message:
        return Message(ENCODING_LABELS.get(self.encoding, self.encoding))

    @property
    def skipped_rows(self) -> int:
        return len({problem.row for problem in self.problems})


# --- reading the file ------------------------------------------------------------------------


def detect_encoding(binary: BinaryIO) -> str:
    """The file's text encoding, found in one streaming pass; the stream is rewound."""
    start = binary.read(4)
    binary.seek(0)
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    holes = False
    valid = True
    for chunk in iter(lambda: binary.read(1 << 16), b""):
        if valid:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                valid = False
        holes = holes or not _CP1252_HOLES.isdisjoint(chunk)
        if not valid and holes:
            break
    if valid:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            valid = False
    binary.seek(0)
    if valid:
        return "utf-8"
    return "latin-1" if holes else "cp1252"


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter the header line uses most (outside quotes); a comma when it has none."""
    outside = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _normal_header(raw: str) -> str:
    text = raw.replace("\ufeff", "").strip().strip("*:").strip().lower()
    return re.sub(r"[\s_\-]+", " ", text)


_ALIAS_LOOKUP = {_normal_header(alias): column
                 for column, aliases in COLUMN_ALIASES.items() for alias in aliases}


def map_header(cells: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Which cell holds which column, the header text of each, and the ignored headers."""
    positions: dict[str, int] = {}
    titles: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(cells):
        column = _ALIAS_LOOKUP.get(_normal_header(cell))
        if column and column not in positions:
            positions[column] = index
            titles[column] = cell.replace("\ufeff", "").strip()
        elif cell.strip():
            ignored.append(cell.strip())
    missing = [column for column in REQUIRED if column not in positions]
    if missing:
        found = ", ".join(f"“{c.strip()}”" for c in cells if c.strip()) or Message(
            N_("nothing"))
        raise ImportFileError(
            N_("The first row must name the columns; no %(missing)s column was found "
               "(found: %(found)s). Use e.g. name, email, language, stage, note "
               "(or namn, e-post, språk, steg, anteckning)."),
            missing=_either(missing), found=found,
        )
    return positions, titles, ignored


@dataclass
class _Source:
    records: Iterator[list[str]]
    encoding: str
    delimiter: str
    text: io.TextIOWrapper

    def release(self) -> None:
        """Let go of the binary stream without closing it (the caller owns it)."""
        with contextlib.suppress(ValueError):  # already detached or closed
            self.text.detach()


def open_records(binary: BinaryIO) -> _Source:
    """A lazy iterator over the file's records (header first), with encoding and delimiter."""
    encoding = detect_encoding(binary)
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        header_line = text.readline()
    except UnicodeDecodeError as error:
        raise ImportFileError(N_("The file cannot be read as text (%(error)s)."), error=error) \
            from None
    if not header_line.strip():
        text.detach()
        raise ImportFileError(N_("The file is empty."))
    if "\x00" in header_line:
        text.detach()
        raise ImportFileError(N_("This is not a CSV file (it contains binary data)."))
    delimiter = _sniff_delimiter(header_line)
    lines = itertools.chain([header_line], text)
    return _Source(
        csv.reader(lines, delimiter=delimiter, strict=False), encoding, delimiter, text
    )


# --- checking and importing ------------------------------------------------------------------


def _unprotect(cell: str) -> str:
    """Undo the apostrophe an export puts before text that looks like a formula."""
    if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return cell[1:]
    return cell


def _language(raw: str, default: str) -> str | None:
    value = raw.strip().lower()
    if not value:
        return default
    return LANGUAGE_ALIASES.get(value)


def _stage_lookup(stages) -> dict[str, str]:
    """Stage key for each key and each label in every language, lower-cased."""
    lookup: dict[str, str] = {}
    for stage in stages:
        lookup.setdefault(stage.key.lower(), stage.key)
        for label in (stage.label or {}).values():
            if label:
                lookup.setdefault(label.strip().lower(), stage.key)
    return lookup


def import_csv(
    *, session: Session, binary: BinaryIO, job_id: int, dry_run: bool,
    author: Recruiter | None = None, actor: Actor | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check (and unless ``dry_run``, import) every row; commits every few hundred rows.

    Audited by ``actor``: each application's ``application.created`` (and its note's
    ``application.update``) and, unless ``dry_run``, one ``applications.imported``.

    Raises ImportFileError when the file as a whole is unusable; row problems are reported.
    """
    job = get_job(session=session, job_id=job_id)
    client = session.get(Client, job.client_id)
    stages = job_stages(session=session, job_id=job.id)
    stage_keys = _stage_lookup(stages)
    # The session's identity map holds objects weakly: keeping these referenced lets every
    # row's create_application find them without asking the database again.
    loaded = [job, client, *stages, session.get(Recruiter, job.owner_id) if job.owner_id else None]
    source = open_records(binary)
    report = ImportReport(dry_run=dry_run, job_id=job.id, encoding=source.encoding,
                          delimiter=source.delimiter)
    if source.encoding in ("cp1252", "latin-1"):
        report.notices.append(
            Message(N_("The file is not UTF-8; it was read as Windows-1252 (what older Excel "
                       "versions save as “CSV”). Check that names with å, ä and ö look right; "
                       "if not, save it again as “CSV UTF-8”."))
        )
    try:
        return _import_rows(session=session, source=source, report=report, job=job,
                            client=client, stage_keys=stage_keys, author=author,
                            actor=actor, progress=progress)
    finally:
        source.release()
        loaded.clear()


def _import_rows(*, session, source: _Source, report: ImportReport, job, client, stage_keys,
                 author, actor, progress) -> ImportReport:
    dry_run = report.dry_run
    try:
        header = next(source.records)
    except StopIteration:
        raise ImportFileError(N_("The file is empty.")) from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise ImportFileError(N_("The file cannot be read (%(error)s)."), error=error) from None
    positions, titles, report.ignored_columns = map_header(header)
    existing = dict(
        session.execute(
            select(func.lower(Application.email), Application.id)
            .where(Application.job_id == job.id)
        ).all()
    )
    seen_in_file: dict[str, int] = {}
    pending = 0
    row_number = 1
    try:
        for cells in source.records:
            row_number += 1
            if not any(cell.strip() for cell in cells):
                continue
            report.rows += 1
            if progress and report.rows % COMMIT_EVERY == 0:
                progress(report.rows)
            values = {column: _unprotect(cells[index] if index < len(cells) else "")
                      for column, index in positions.items()}
            problems = _check_row(
                row_number, values, titles, client=client, stage_keys=stage_keys,
                existing=existing, seen_in_file=seen_in_file,
            )
            if isinstance(problems, list):
                report.problems.extend(problems)
                continue
            row = problems
            if dry_run:
                report.imported += 1
                continue
            try:
                application = create_application(
                    session=session, job_id=job.id, name=row.name, email=row.email,
                    language=row.language, stage_key=row.stage_key,
                    author_id=author.id if author else None,
                    check_duplicate=False,  # checked against ``existing`` and the file above
                    actor=actor,
                )
                if row.note:
                    post_update(session=session, application=application, author=author,
                                internal_note=row.note, actor=actor)
            except InputError as error:  # checked above already; kept as a safety net
                report.problems.append(Problem(row_number, titles.get(error.field, error.field),
                                               error.message))
                continue
            existing[row.email.lower()] = application.id
            report.imported += 1
            report.application_ids.append(application.id)
            pending += 1
            if pending >= COMMIT_EVERY:
                session.commit()
                pending = 0
    except (csv.Error, UnicodeDecodeError) as error:
        if dry_run:
            session.rollback()
        else:
            _record_import(session, actor, report)
            session.commit()
        raise ImportFileError(
            N_("Row %(row)d cannot be read (%(error)s); rows before it were %(done)s."),
            row=row_number, error=error,
            done=Message(N_("checked")) if dry_run else Message(N_("imported"))
        ) from None
    if dry_run:
        session.rollback()
    else:
        _record_import(session, actor, report)
        session.commit()
    if progress and report.rows >= COMMIT_EVERY:
        progress(report.rows)
    return report


def _record_import(session: Session, actor: Actor | None, report: ImportReport) -> None:
    record_by(actor, session=session, action="applications.imported",
              subject=f"job:{report.job_id}",
              detail={"imported": report.imported, "skipped": report.skipped_rows})


@dataclass(frozen=True)
class _Row:
    name: str
    email: str
    language: str
    stage_key: str | None
    note: str | None


def _check_row(
    row_number: int, values: dict[str, str], titles: dict[str, str], *, client: Client,
    stage_keys: dict[str, str], existing: dict[str, int], seen_in_file: dict[str, int],
) -> _Row | list[Problem]:
    problems: list[Problem] = []

    def problem(column: str, message: str, **params) -> None:
        problems.append(Problem(row_number, titles.get(column, column),
                                Message(message, **params)))

    name = " ".join(values.get("name", "").split())
    if not name:
        problem("name", N_("the name is empty"))
    elif len(name) > 120:
        problem("name", N_("at most 120 characters (this one has %(count)d)"), count=len(name))
    raw_email = values.get("email", "").strip()
    email = ""
    if not raw_email:
        problem("email", N_("the email address is empty"))
    else:
        try:
            email = normalise_email(raw_email)
        except InputError:
            problem("email", N_("“%(email)s” is not a valid email address"), email=raw_email)
    language = _language(values.get("language", ""), client.default_language)
    if language is None:
        problem("language", N_("unknown language “%(value)s” (use %(known)s)"),
                value=values["language"].strip(), known=", ".join(LANGUAGES))
    stage_key = None
    raw_stage = values.get("stage", "").strip()
    if raw_stage:
        stage_key = stage_keys.get(raw_stage.lower())
        if stage_key is None:
            known = ", ".join(sorted(set(stage_keys.values())))
            problem("stage", N_("unknown stage “%(value)s” for this job (known: %(known)s)"),
                    value=raw_stage, known=known)
    note = values.get("note", "").strip() or None
    if note and len(note) > MAX_NOTE_LENGTH:
        problem("note", N_("at most %(max)d characters (this one has %(count)d)"),
                max=MAX_NOTE_LENGTH, count=len(note))
    if email:
        key = email.lower()
        # The file's own duplicates first, so a dry run and a real run (which has imported
        # the first occurrence by then) report the same thing.
        if key in seen_in_file:
            problem("email", N_("%(email)s is already on row %(row)d of this file"),
                    email=email, row=seen_in_file[key])
        else:
            seen_in_file[key] = row_number
            if key in existing:
                problem("email",
                        N_("%(email)s already applied for this job (application %(id)d)"),
                        email=email, id=existing[key])
    if problems:
        return problems
    return _Row(name=name, email=email, language=language, stage_key=stage_key, note=note)


def describe_problems(problems: Iterable[Problem]) -> Iterator[Message]:
    """One line per problem: "row 7, email: ..." (the CLI prints these; the page shows them
    with ``error_text``)."""
    for problem in problems:
        yield Message(N_("row %(row)d, %(column)s: %(message)s"), row=problem.row,
                      column=problem.column, message=problem.message)


def _either(columns: list[str]):
    """ "name" or "name or email" (a message, so the page can say it in Swedish)."""
    if len(columns) == 1:
        return columns[0]
    return Message(N_("%(first)s or %(second)s"), first=", ".join(columns[:-1]),
                   second=columns[-1])

