"""Admin-only pages: recruiters, the audit log, retention, and data requests on an application.

Every view here is for admins (403 for a recruiter); the route-by-route role table in
``tests/test_security_routes.py`` holds that for each endpoint.
"""

from datetime import UTC, date

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
from portal.models import LANGUAGES, Application, Recruiter
from portal.services import InputError
from portal.services.audit import ACTIONS, AuditFilter, list_events
from portal.services.privacy import anonymise_application, run_retention
from portal.services.recruiters import create_recruiter, list_recruiters, set_recruiter_access
from portal.web.actor import request_actor
from portal.web.capability import personal_data_download
from portal.web.i18n import form_errors
from portal.web.ids import parse_id

bp = Blueprint("security_admin", __name__, url_prefix="/admin")
AUDIT_PAGE_SIZE = 50


signed_in_only(bp, admins=True)


@bp.get("/recruiters")
def recruiters():
    """Every recruiter login, with role and state."""
    return render_template(
        "admin/recruiters.html", recruiters=list_recruiters(session=get_session())
    )


@bp.route("/recruiters/new", methods=["GET", "POST"])
def new_recruiter():
    """Add a recruiter login with a first password (they can change it themselves)."""
    form = request.form.to_dict() if request.method == "POST" else {"language": "en"}
    form.pop("password", None)  # never echoed back into the page
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = get_session()
        try:
            recruiter = create_recruiter(
                session=session, email=form.get("email", "")[:254],
                name=form.get("name", "")[:200], password=request.form.get("password", ""),
                admin=form.get("role") == "admin", language=form.get("language", "en"),
                actor=request_actor(),
            )
        except InputError as error:
            session.rollback()
            errors.update(form_errors(error))
        else:
            session.commit()
            flash(_("Recruiter %(name)s added.", name=recruiter.name), "success")
            return redirect(url_for("security_admin.recruiters"), code=303)
    return render_template(
        "admin/recruiter_new.html", form=form, errors=errors, languages=LANGUAGES
    ), 422 if errors else 200


@bp.post("/recruiters/<id:recruiter_id>")
def change_recruiter(recruiter_id: int):
    """Change a recruiter's role, or switch their login off or on (ends their sessions)."""
    session = get_session()
    recruiter = session.get(Recruiter, recruiter_id)
    if recruiter is None:
        abort(404)
    admin = request.form.get("role") == "admin"
    active = request.form.get("active") == "1"
    if recruiter.id == current_user.id and (not admin or not active):
        flash(_("You cannot take away your own admin role or switch off your own login."),
              "error")
        return redirect(url_for("security_admin.recruiters"), code=303)
    set_recruiter_access(session=session, recruiter=recruiter, admin=admin, active=active,
                         actor=request_actor())
    session.commit()
    flash(_("Access of %(name)s changed.", name=recruiter.name), "success")
    return redirect(url_for("security_admin.recruiters"), code=303)


def _date_arg(name: str, errors: dict) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("%(value)s is not a date like 2026-11-26", value=raw[:40])
        return None


@bp.get("/audit")
def audit():
    """The audit log, newest first: filter by actor, action, application and dates."""
    session = get_session()
    errors: dict[str, str] = {}
    audit_filter = AuditFilter(
        actor_id=parse_id(request.args.get("actor")),
        action=request.args.get("action") or None,
        application_id=parse_id(request.args.get("application")),
        since=_date_arg("since", errors), until=_date_arg("until", errors),
    )
    page = list_events(session=session, audit_filter=audit_filter,
                       cursor=request.args.get("after"), limit=AUDIT_PAGE_SIZE,
                       tz=clock.local_zone())
    people = list_recruiters(session=session)
    names = {person.id: person.name for person in people}
    query = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template(
        "admin/audit.html", page=page, names=names, recruiters=people, actions=ACTIONS,
        form=request.args, errors=errors, query=query, zone=clock.local_zone(), utc=UTC,
    ), 422 if errors else 200


@bp.route("/retention", methods=["GET", "POST"])
def retention():
    """How many closed applications are past the retention period; anonymise them now."""
    session = get_session()
    days = current_app.config["RETENTION_DAYS"]
    result = None
    if request.method == "POST":
        result = run_retention(session=session, days=days, today=clock.today(),
                               actor=request_actor())
        session.commit()
        flash(result.summary(), "success")
        return redirect(url_for("security_admin.retention"), code=303)
    due = run_retention(session=session, days=days, today=clock.today(), dry_run=True)
    return render_template("admin/retention.html", days=days, due=due, result=result)


def _application_or_404(application_id: int) -> Application:
    application = get_session().get(Application, application_id)
    if application is None:
        abort(404)
    return application


@bp.post("/applications/<id:application_id>/export")
def export_application_data(application_id: int):
    """Download everything held about the candidate, on their request (audited)."""
    session = get_session()
    application = _application_or_404(application_id)
    return personal_data_download(session, application, actor=request_actor())


@bp.post("/applications/<id:application_id>/erase")
def erase_application(application_id: int):
    """Anonymise the application on the candidate's request (audited); asks for a typed
    confirmation so a stray click cannot erase."""
    session = get_session()
    _application_or_404(application_id)
    if request.form.get("confirm", "").strip().lower() != "erase":
        flash(_('Nothing erased: type "erase" in the box to confirm.'), "error")
        return redirect(url_for("desk.application", application_id=application_id), code=303)
    if anonymise_application(session=session, application_id=application_id,
                             actor=request_actor()):
        session.commit()
        flash(_("The candidate's personal data has been erased and their links revoked."),
              "success")
    else:
        flash(_("This application was already anonymised."), "success")
    return redirect(url_for("desk.application", application_id=application_id), code=303)
