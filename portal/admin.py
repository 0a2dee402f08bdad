"""Setting up the work: clients (hiring companies) and jobs with their stage pipelines."""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import login_required

from portal.db import get_session
from portal.models import LANGUAGES, Outcome
from portal.services import InputError
from portal.services.catalog import create_client, create_job, list_clients, list_jobs
from portal.services.pipelines import DEFAULT_PIPELINE, StageSpec
from portal.services.recruiters import list_recruiters
from portal.web import parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")
EXTRA_STAGE_ROWS = 3


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every setup page needs a signed-in recruiter."""
    # The desk's screens are written in English for now; keep dates and relative times in
    # the same language as the words around them (the digest emails follow Recruiter.language).
    g.language = "en"


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
                default_language=form.get("default_language", "sv"),
            )
        except InputError as error:
            session.rollback()
            errors[error.field] = error.message
        else:
            session.commit()
            flash(f"Client {client.name} added.", "success")
            return redirect(url_for("admin.new_job", client=client.id), code=303)
    return render_template(
        "admin/client_new.html", form=form, errors=errors, languages=LANGUAGES
    ), 422 if errors else 200


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
            )
        except InputError as error:
            session.rollback()
            errors[error.field] = error.message
        else:
            session.commit()
            flash(f"Job {job.title} added.", "success")
            return redirect(url_for("desk.new_application", job=job.id), code=303)
    else:
        form = {"client_id": request.args.get("client", ""), "promise_days": "5"}
        stage_rows = _default_stage_rows()
    return render_template(
        "admin/job_new.html", form=form, errors=errors, stage_rows=stage_rows,
        clients=list_clients(session=session), recruiters=list_recruiters(session=session),
        outcomes=list(Outcome),
    ), 422 if errors else 200


def _auto_notice_days(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise InputError("auto_notice_days", "a whole number of business days, or empty") from None


def _promise_days(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InputError("promise_days", "a whole number of business days") from None
