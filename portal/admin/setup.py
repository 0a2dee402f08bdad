"""Setting up the work: clients (hiring companies) and jobs with their stage pipelines."""

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

from portal.auth.views import admin_required, signed_in_only
from portal.core.db import get_session
from portal.models import LANGUAGES, Client, Outcome
from portal.services import N_, InputError, NotFound
from portal.services.branding import remove_client_logo, set_client_logo, update_client_settings
from portal.services.catalog import create_client, create_job, get_client, list_clients, list_jobs
from portal.services.pipelines import DEFAULT_PIPELINE, StageSpec
from portal.services.recruiters import list_recruiters
from portal.web.actor import request_actor
from portal.web.i18n import form_errors
from portal.web.ids import parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")
EXTRA_STAGE_ROWS = 3


signed_in_only(bp, admins=True)  # clients and jobs are the agency admin's


@bp.get("/clients")
def clients():
    """Every client."""
    return render_template("admin/clients.html", clients=list_clients(session=get_session()))


@bp.route("/clients/new", methods=["GET", "POST"])
def new_client():
    """Add a hiring company."""
    form = request.form.to_dict() if request.method == "POST" else {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = get_session()
        try:
            client = create_client(
                session=session, name=form.get("name", ""), slug=form.get("slug", ""),
                country=form.get("country", "SE"),
                default_language=form.get("default_language", "sv"), actor=request_actor(),
            )
        except InputError as error:
            session.rollback()
            errors.update(form_errors(error))
        else:
            session.commit()
            flash(_("Client %(name)s added.", name=client.name), "success")
            return redirect(url_for("admin.new_job", client=client.id), code=303)
    return render_template(
        "admin/client_new.html", form=form, errors=errors, languages=LANGUAGES
    ), 422 if errors else 200


EMBED_WIDGETS = (
    ("lookup", N_("Check my application status"),
     N_("Candidates enter their email address and get their status links by email.")),
    ("badge", N_("Feedback-promise badge"),
     N_("The client's record on promised updates over the last 90 days, in public figures.")),
    ("status", N_("White-label status page"),
     N_("Shows a candidate's status on the client's own status page (or the lookup without a "
        "link).")),
)
OUTCOME_NAMES = {
    "hired": N_("hired"), "not_selected": N_("not selected"), "withdrawn": N_("withdrawn"),
    "closed": N_("closed"),
}
SETTINGS_FIELDS = (
    "name", "country", "default_language", "accent_color", "privacy_url", "embed_origins",
    "status_page_url",
)


def _client_or_404(client_id: int) -> Client:
    try:
        return get_client(session=get_session(), client_id=client_id)
    except NotFound:
        abort(404)


def _settings_form(client: Client) -> dict[str, str]:
    values = {field: getattr(client, field) or "" for field in SETTINGS_FIELDS}
    values["embed_origins"] = "\n".join(client.embed_origins or [])
    return values


def embed_snippets(client: Client) -> list[dict[str, str]]:
    """The script tag for each widget, ready to paste into the client's career page."""
    base = current_app.config["BASE_URL"]
    return [
        {
            "widget": widget, "title": _(title), "about": _(about),
            "code": f'<script src="{base}/embed.js" data-client="{client.slug}" '
                    f'data-widget="{widget}" async></script>',
        }
        for widget, title, about in EMBED_WIDGETS
    ]


@bp.route("/clients/<id:client_id>", methods=["GET", "POST"])
def client_settings(client_id: int):
    """A client's branding, URLs, embed origins and the script tags for its career page."""
    client = _client_or_404(client_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        admin_required()  # branding and framing rights are the agency admin's
        form = request.form.to_dict()
        session = get_session()
        try:
            update_client_settings(
                session=session, client=client, name=form.get("name", ""),
                accent_color=form.get("accent_color", ""),
                privacy_url=form.get("privacy_url", ""),
                embed_origins_text=form.get("embed_origins", ""),
                status_page_url=form.get("status_page_url", ""),
                default_language=form.get("default_language", ""),
                country=form.get("country", ""), actor=request_actor(),
            )
        except InputError as error:
            errors.update(form_errors(error))
        upload = request.files.get("logo")
        if upload is not None and upload.filename:
            try:
                set_client_logo(
                    session=session, client=client, data=upload.read(), filename=upload.filename
                )
            except InputError as error:
                errors.update(form_errors(error))
        if not errors:
            session.commit()
            flash(_("Settings for %(name)s saved.", name=client.name), "success")
            return redirect(url_for("admin.client_settings", client_id=client.id), code=303)
        session.rollback()  # all or nothing: a bad logo keeps good settings unsaved too
    else:
        form = _settings_form(client)
    return render_template(
        "admin/client_settings.html", client=client, form=form, errors=errors,
        languages=LANGUAGES, snippets=embed_snippets(client),
        can_edit=current_user.is_admin,
    ), 422 if errors else 200


@bp.post("/clients/<id:client_id>/logo/remove")
def remove_logo(client_id: int):
    """Remove a client's logo."""
    admin_required()
    client = _client_or_404(client_id)
    session = get_session()
    remove_client_logo(session=session, client=client, actor=request_actor())
    session.commit()
    flash(_("Logo of %(name)s removed.", name=client.name), "success")
    return redirect(url_for("admin.client_settings", client_id=client.id), code=303)


@bp.get("/jobs")
def jobs():
    """Every job with its client."""
    return render_template("admin/jobs.html", jobs=list_jobs(session=get_session()))


def _stage_rows_from_form() -> list[dict]:
    rows = []
    index = 0
    while f"stage-{index}-key" in request.form and index < 40:
        prefix = f"stage-{index}-"
        rows.append(
            {
                "key": request.form.get(prefix + "key", "").strip(),
                "label_en": request.form.get(prefix + "label_en", ""),
                "label_sv": request.form.get(prefix + "label_sv", ""),
                "guidance_en": request.form.get(prefix + "guidance_en", ""),
                "guidance_sv": request.form.get(prefix + "guidance_sv", ""),
                "outcome": request.form.get(prefix + "outcome", ""),
            }
        )
        index += 1
    return rows


def _default_stage_rows() -> list[dict]:
    rows = [
        {
            "key": spec.key, "label_en": spec.label.get("en", ""),
            "label_sv": spec.label.get("sv", ""), "guidance_en": spec.guidance.get("en", ""),
            "guidance_sv": spec.guidance.get("sv", ""), "outcome": spec.outcome or "",
        }
        for spec in DEFAULT_PIPELINE
    ]
    return rows + [dict.fromkeys(rows[0], "") for _ in range(EXTRA_STAGE_ROWS)]


def _specs(rows: list[dict]) -> list[StageSpec]:
    specs = []
    for row in rows:
        if not row["key"]:
            continue
        outcome = row["outcome"] if row["outcome"] in set(Outcome) else None
        specs.append(
            StageSpec(
                key=row["key"],
                label={"en": row["label_en"], "sv": row["label_sv"]},
                guidance={"en": row["guidance_en"], "sv": row["guidance_sv"]},
                is_terminal=outcome is not None, outcome=outcome,
            )
        )
    return specs


@bp.route("/jobs/new", methods=["GET", "POST"])
def new_job():
    """Add a job: client, title, owner, promise interval and its stage pipeline."""
    session = get_session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form.to_dict()
        stage_rows = _stage_rows_from_form()
        try:
            job = create_job(
                session=session,
                client_id=parse_id(form.get("client_id")) or 0,
                title=form.get("title", ""),
                owner_id=parse_id(form.get("owner_id")),
                promise_days=_promise_days(form.get("promise_days", "")),
                stages=_specs(stage_rows),
                auto_notice_days=_auto_notice_days(form.get("auto_notice_days", "")),
                actor=request_actor(),
            )
        except InputError as error:
            session.rollback()
            errors.update(form_errors(error))
        else:
            session.commit()
            flash(_("Job %(title)s added.", title=job.title), "success")
            return redirect(url_for("desk.new_application", job=job.id), code=303)
    else:
        form = {"client_id": request.args.get("client", ""), "promise_days": "5"}
        stage_rows = _default_stage_rows()
    return render_template(
        "admin/job_new.html", form=form, errors=errors, stage_rows=stage_rows,
        clients=list_clients(session=session), recruiters=list_recruiters(session=session),
        outcomes=list(Outcome), outcome_names={key: _(name) for key, name in OUTCOME_NAMES.items()},
    ), 422 if errors else 200


def _auto_notice_days(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise InputError(
            "auto_notice_days", N_("a whole number of business days, or empty")
        ) from None


def _promise_days(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InputError("promise_days", N_("a whole number of business days")) from None
