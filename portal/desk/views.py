"""The recruiter's desk: the urgency list, an application's page, and posting updates."""

from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.views import signed_in_only
from portal.core import clock
from portal.core.db import get_session
from portal.core.tokens import status_url_for
from portal.desk.bulk import bulk_context
from portal.mail.compose import mail_domain
from portal.models import Application, OutboxMessage, Recruiter
from portal.services import InputError, NotFound
from portal.services.applications import (
    application_context,
    create_application,
    default_promise,
    get_application,
    revoke_link,
)
from portal.services.catalog import job_stages, list_clients, list_jobs
from portal.services.desk import (
    STATUSES,
    DeskFilter,
    count_desk,
    desk_row,
    list_desk,
)
from portal.services.emails import messages_for_application, resend
from portal.services.promises import parse_promise_date
from portal.services.updates import application_timeline, post_no_news_update, post_update
from portal.web.actor import request_actor
from portal.web.extensions import htmx
from portal.web.i18n import error_text, form_errors
from portal.web.ids import parse_id

bp = Blueprint("desk", __name__, url_prefix="/admin")


signed_in_only(bp)


def _int_arg(name: str) -> int | None:
    return parse_id(request.values.get(name))


def _desk_filter() -> DeskFilter:
    status = request.args.get("status", "open")
    return DeskFilter(
        client_id=_int_arg("client"), job_id=_int_arg("job"),
        stage_key=(request.args.get("stage") or None),
        query=request.args.get("q", "").strip()[:100],
        status=status if status in STATUSES else "open",
    )


@bp.get("/")
def index():
    """Open applications, most urgent first, with filters and search."""
    session = get_session()
    desk_filter = _desk_filter()
    page = list_desk(
        session=session, desk_filter=desk_filter, cursor=request.args.get("after"),
        limit=int(current_app.config["DESK_PAGE_SIZE"]),
    )
    context = {
        "page": page, "desk_filter": desk_filter, "today": clock.today(),
        "total": count_desk(session=session, desk_filter=desk_filter),
        "after": request.args.get("after"), **bulk_context(session),
    }
    if htmx and htmx.target == "desk-results":
        return render_template("desk/_results.html", **context), 200, {"Vary": "HX-Request"}
    return render_template(
        "desk/index.html", clients=list_clients(session=session),
        jobs=list_jobs(session=session), **context,
    ), 200, {"Vary": "HX-Request"}


def _load(application_id: int) -> Application:
    try:
        return get_application(session=get_session(), application_id=application_id)
    except NotFound:
        abort(404)


def _detail_context(application: Application, *, errors=None, form=None, message=None) -> dict:
    session = get_session()
    job, client, stage = application_context(session=session, application=application)
    return {
        "application": application, "job": job, "client": client, "stage": stage,
        "stages": job_stages(session=session, job_id=job.id),
        "owner": session.get(Recruiter, job.owner_id) if job.owner_id else None,
        "timeline": application_timeline(session=session, application_id=application.id),
        "emails": messages_for_application(session=session, application_id=application.id),
        "status_url": status_url_for(application.id, application.token_version),
        "default_promise": default_promise(job=job, client=client),
        "today": clock.today(), "errors": errors or {}, "form": form or {},
        "message": message, "swapped": bool(htmx),
    }


@bp.get("/applications/<id:application_id>")
def application(application_id: int):
    """One application: its status, full timeline, link, and the update form."""
    context = _detail_context(_load(application_id))
    return render_template("desk/application.html", **context)


def _submitted_promise() -> date | None:
    """The promise typed in the form; the untouched prefilled default only counts when the
    update tells the candidate something (an internal note alone leaves the promise as it is)."""
    promise = parse_promise_date(request.form.get("promised_by"))
    prefilled = request.form.get("promised_by_default", "")
    tells_candidate = request.form.get("public_note", "").strip() or (
        request.form.get("stage") and request.form.get("stage") != request.form.get("stage_now")
    )
    if promise and prefilled == promise.isoformat() and not tells_candidate:
        return None
    return promise


def _after_change(application: Application, message: str, *, row: bool = False):
    """htmx: re-render the changed part in place; plain browsers: 303 back to the page."""
    if htmx:
        if row:
            return _desk_row(application, message)
        context = _detail_context(application, message=message)
        return render_template("desk/_application_live.html", **context)
    flash(message, "success")
    back = request.form.get("back")
    if back == "desk":
        return redirect(url_for("desk.index"), code=303)
    return redirect(url_for("desk.application", application_id=application.id), code=303)


def _desk_row(application: Application, message: str):
    row = desk_row(session=get_session(), application_id=application.id)
    return render_template("desk/_row.html", row=row, today=clock.today(), message=message)


def _failed(application: Application, error: InputError):
    form = request.form.to_dict()
    context = _detail_context(
        application, errors=form_errors(error), form=form
    )
    template = "desk/_application_live.html" if htmx else "desk/application.html"
    return render_template(template, **context), 422


@bp.post("/applications/<id:application_id>/updates")
def post_application_update(application_id: int):
    """Post an update: new stage, note to the candidate, internal note, next promise."""
    application = _load(application_id)
    session = get_session()
    author = session.get(Recruiter, current_user.id)
    try:
        post_update(
            session=session, application=application, author=author, actor=request_actor(),
            stage_key=request.form.get("stage") or None,
            public_note=request.form.get("public_note"),
            internal_note=request.form.get("internal_note"),
            promised_by=_submitted_promise(),
        )
    except InputError as error:
        session.rollback()
        return _failed(application, error)
    session.commit()
    return _after_change(application, _("Update posted."))


@bp.post("/applications/<id:application_id>/no-news")
def post_no_news(application_id: int):
    """One click: tell the candidate there is no news yet, and move the promise."""
    application = _load(application_id)
    session = get_session()
    author = session.get(Recruiter, current_user.id)
    in_list = request.form.get("back") == "desk"
    try:
        post_no_news_update(session=session, application=application, author=author,
                            actor=request_actor())
    except InputError as error:
        session.rollback()
        if in_list:
            abort(409, error_text(error.message))
        return _failed(application, error)
    session.commit()
    return _after_change(application, _("“No news yet” sent."), row=in_list)


@bp.post("/applications/<id:application_id>/emails/<id:message_id>/resend")
def resend_email(application_id: int, message_id: int):
    """Queue an email about this application again (a new delivery, same content)."""
    application = _load(application_id)
    session = get_session()
    message = session.get(OutboxMessage, message_id)
    if message is None or message.application_id != application.id:
        abort(404)
    resend(session=session, message=message, domain=mail_domain(), actor=request_actor())
    session.commit()
    return _after_change(
        application, _("“%(subject)s” queued to be sent again.", subject=message.subject)
    )


@bp.post("/applications/<id:application_id>/link")
def revoke_application_link(application_id: int):
    """Revoke the current status link and make a new one."""
    application = _load(application_id)
    session = get_session()
    revoke_link(session=session, application=application, actor=request_actor())
    session.commit()
    return _after_change(
        application, _("Old link revoked. The new link is below; send it on.")
    )


@bp.route("/applications/new", methods=["GET", "POST"])
def new_application():
    """Add a candidate to a job."""
    session = get_session()
    errors: dict[str, str] = {}
    form = request.form.to_dict() if request.method == "POST" else {
        "job_id": request.args.get("job", "")
    }
    if request.method == "POST":
        try:
            application = create_application(
                session=session, job_id=_int_arg("job_id") or 0,
                name=form.get("name", ""), email=form.get("email", ""),
                language=form.get("language") or None, author_id=current_user.id,
                actor=request_actor(),
            )
        except (InputError, NotFound) as error:
            session.rollback()
            errors.update(form_errors(error) if isinstance(error, InputError)
                          else {"job_id": error_text(str(error))})
        else:
            session.commit()
            flash(_("Application added for %(name)s.", name=application.name), "success")
            return redirect(
                url_for("desk.application", application_id=application.id), code=303
            )
    jobs = list_jobs(session=session)
    status = 422 if errors else 200
    return render_template(
        "desk/application_new.html", jobs=jobs, errors=errors, form=form
    ), status

