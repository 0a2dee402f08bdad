"""CSV in and out of the desk: the import page and the export of the list's current filter."""

from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    current_app,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import Session
from werkzeug.exceptions import RequestEntityTooLarge

from portal.auth.views import signed_in_only
from portal.core import clock
from portal.core.db import get_engine, get_session
from portal.desk.views import _desk_filter
from portal.models import Recruiter
from portal.services import NotFound
from portal.services.catalog import list_jobs
from portal.services.csv_export import DELIMITERS, csv_chunks, export_rows, record_export
from portal.services.csv_import import ImportFileError, describe_problems, import_csv
from portal.web.actor import request_actor
from portal.web.extensions import csrf
from portal.web.i18n import error_text
from portal.web.ids import parse_id

bp = Blueprint("csv_views", __name__, url_prefix="/admin/applications")

# A web import runs inside one request (gunicorn gives a request 30 s): bigger files go
# through ``portal applications import``, which streams any size and shows progress.
DEFAULT_IMPORT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_IMPORT_MAX_ROWS = 2000
PROBLEMS_SHOWN = 500


signed_in_only(bp)


def _limits() -> tuple[int, int]:
    config = current_app.config
    return (int(config.get("IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES)),
            int(config.get("IMPORT_MAX_ROWS", DEFAULT_IMPORT_MAX_ROWS)))


def _too_large(max_bytes: int, max_rows: int) -> str:
    return _(
        "The file is too large for the web page: at most %(size)d KiB and %(rows)d rows. "
        "Split it, or import it with the command “portal applications import FILE --job ID”, "
        "which takes files of any size.", size=max_bytes // 1024, rows=max_rows,
    )


@bp.route("/import", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, after the upload limit is raised for this request
def import_page():
    """Upload a CSV file into a job: a dry run lists every problem; a real run imports."""
    session = get_session()
    max_bytes, max_rows = _limits()
    errors: dict[str, str] = {}
    report = None
    form = {"job_id": request.args.get("job", ""), "dry_run": "1"}
    status = 200
    if request.method == "POST":
        # The global limit (MAX_CONTENT_LENGTH) is for ordinary forms; an upload may be larger.
        request.max_content_length = max_bytes + 8 * 1024  # the form's other fields
        try:
            if current_app.config.get("WTF_CSRF_ENABLED", True):
                csrf.protect()
            form = {"job_id": request.form.get("job_id", ""),
                    "dry_run": request.form.get("dry_run", "")}
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            errors["file"] = _too_large(max_bytes, max_rows)
            upload = None
            status = 413
        job_id = parse_id(form["job_id"])
        if not errors:
            if job_id is None:
                errors["job_id"] = _("Choose the job to import into.")
            if upload is None or not upload.filename:
                errors["file"] = _("Choose a CSV file.")
        if not errors:
            report, error = _run_import(upload.stream, job_id, bool(form["dry_run"]), max_rows)
            if error:
                errors[error[0]] = error[1]
                report = None
        if errors and status == 200:
            status = 422
    shown = report.problems[:PROBLEMS_SHOWN] if report else []
    problems = [error_text(line) for line in describe_problems(shown)]
    return render_template(
        "desk/import.html", jobs=list_jobs(session=session), form=form, errors=errors,
        report=report, problems=problems, problems_shown=PROBLEMS_SHOWN,
        max_kib=max_bytes // 1024, max_rows=max_rows,
    ), status


def _run_import(stream, job_id: int, dry_run: bool, max_rows: int):
    """The report, or (field, message) when the file or the job cannot be used."""
    session = get_session()
    author = session.get(Recruiter, current_user.id)
    actor = request_actor()
    try:
        check = import_csv(session=session, binary=stream, job_id=job_id, dry_run=True)
        if check.rows > max_rows:
            return None, ("file", _too_large(*_limits()))
        if dry_run:
            return check, None
        stream.seek(0)
        report = import_csv(session=session, binary=stream, job_id=job_id, dry_run=False,
                            author=author, actor=actor)
        session.commit()
        return report, None
    except ImportFileError as error:
        return None, ("file", error_text(error.message))
    except NotFound:
        return None, ("job_id", _("That job does not exist (any more)."))


def _stream(desk_filter, *, delimiter: str, with_links: bool, language: str) -> Iterator[str]:
    """The CSV text, read through a session of its own: Flask tears the request down (and
    closes the request's session) when the view returns, before the server sends the body, so
    the stream owns its session and closes it, with its server-side cursor, when it ends or
    the client goes away."""
    with Session(get_engine()) as session:
        rows = export_rows(session=session, desk_filter=desk_filter, with_links=with_links,
                           language=language)
        yield from csv_chunks(rows, delimiter=delimiter)


@bp.get("/export.csv")
def export():
    """The desk list's current filter as a CSV file, streamed row by row."""
    desk_filter = _desk_filter()
    delimiter = DELIMITERS.get(request.args.get("delimiter", ""), ";")
    with_links = request.args.get("links") == "1"
    session = get_session()
    record_export(session=session, desk_filter=desk_filter, with_links=with_links,
                  actor=request_actor())
    session.commit()
    # The column titles are in the recruiter's language.
    language = str(get_locale())
    filename = f"applications-{clock.today().isoformat()}.csv"
    return Response(
        stream_with_context(_stream(desk_filter, delimiter=delimiter, with_links=with_links,
                                    language=language)),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )

