"""Bulk updates from the desk list: select, preview the recipients, confirm, one transaction.

Without JavaScript: the list's bulk form posts to the preview page, whose confirm form posts
the exact ids that were previewed; the result comes back as flash messages after a redirect
to the same filtered list. With htmx: the preview appears under the bulk form and the confirm
swaps the refreshed list, with the result on top.
"""


from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.views import signed_in_only
from portal.core import clock
from portal.core.db import get_session
from portal.models import Client, Job, Recruiter, Stage
from portal.services import InputError
from portal.services.applications import default_promise
from portal.services.bulk import (
    MAX_BULK,
    BulkAction,
    BulkRequest,
    apply_bulk,
    ids_matching,
    plan_bulk,
)
from portal.services.desk import (
    COUNT_LIMIT,
    STATUSES,
    DeskFilter,
    count_desk,
    list_desk,
    stage_keys_in_use,
)
from portal.services.promises import parse_promise_date
from portal.services.updates import no_news_note
from portal.web.actor import request_actor
from portal.web.extensions import htmx
from portal.web.i18n import error_text, form_errors
from portal.web.ids import parse_id

bp = Blueprint("desk_bulk", __name__, url_prefix="/admin/bulk")

PREVIEW_NAMES = 50
RESULT_SKIPS = 20


signed_in_only(bp)


def action_choices() -> list[tuple[str, str]]:
    return [
        (BulkAction.NO_NEWS, _("“No news yet” (each candidate in their own language)")),
        (BulkAction.STAGE, _("Move to a stage")),
        (BulkAction.NOTE, _("Note to the candidates")),
        (BulkAction.PROMISE, _("New date for the next update")),
    ]


def _form_filter() -> DeskFilter:
    """The desk filter the bulk form was sent from (hidden ``filter_*`` fields)."""
    form = request.form
    status = form.get("filter_status", "open")
    return DeskFilter(
        client_id=parse_id(form.get("filter_client")), job_id=parse_id(form.get("filter_job")),
        stage_key=form.get("filter_stage") or None,
        query=form.get("filter_q", "").strip()[:100],
        status=status if status in STATUSES else "open",
    )


def filter_args(desk_filter: DeskFilter) -> dict:
    """The desk list's query string for a filter (for links and redirects back)."""
    args = {
        "q": desk_filter.query or None, "client": desk_filter.client_id,
        "job": desk_filter.job_id, "stage": desk_filter.stage_key,
        "status": desk_filter.status if desk_filter.status != "open" else None,
    }
    return {key: value for key, value in args.items() if value}


def _ids(raw_values: list[str]) -> list[int]:
    ids: list[int] = []
    for raw in raw_values:
        for part in raw.split(","):
            number = parse_id(part)
            if number is not None:
                ids.append(number)
    return list(dict.fromkeys(ids))


def _bulk_request() -> BulkRequest:
    form = request.form
    action = form.get("action", "")
    return BulkRequest(
        action=action,
        stage_key=(form.get("to_stage") or None) if action == BulkAction.STAGE else None,
        public_note=form.get("public_note", "").strip() or None,
        internal_note=form.get("internal_note", "").strip() or None,
        promised_by=parse_promise_date(request.form.get("promised_by")),
    )


def _selected_ids(desk_filter: DeskFilter) -> list[int]:
    """The ids the recruiter chose: ticked rows, this page's rows, or the whole filter."""
    scope = request.form.get("scope", "selected")
    if scope == "filter":
        return ids_matching(session=get_session(), desk_filter=desk_filter)
    if scope == "page":
        return _ids(request.form.getlist("page_ids"))
    return _ids(request.form.getlist("selected"))


def _form_values() -> dict:
    keys = ("action", "to_stage", "public_note", "internal_note", "promised_by", "scope")
    return {key: request.form.get(key, "") for key in keys}


def bulk_context(session) -> dict:
    """What the list's bulk form needs (the desk list adds it to its own context)."""
    return {"actions": action_choices(),
            "stage_choices": stage_keys_in_use(session=session, language=str(get_locale())),
            "max_bulk": MAX_BULK, "count_limit": COUNT_LIMIT}


def _render(template: str, **context):
    return render_template(
        template, today=clock.today(), **bulk_context(get_session()), **context,
    )


@bp.post("/preview")
def preview():
    """Name every recipient (the first 50 and a count) before anything is sent."""
    session = get_session()
    desk_filter = _form_filter()
    form = _form_values()
    errors: dict[str, str] = {}
    ids: list[int] = []
    plan = None
    bulk = None
    try:
        bulk = _bulk_request()
        bulk.validate()
        ids = _selected_ids(desk_filter)
        if not ids:
            raise InputError("selection", _("Select at least one application."))
        plan = plan_bulk(session=session, ids=ids, request=bulk)
        if not plan.targets:
            errors["selection"] = _("None of the selected applications can get this update.")
    except InputError as error:
        errors.update(form_errors(error))
    valid = plan is not None and bulk is not None and not errors
    context = {
        "desk_filter": desk_filter, "filter_args": filter_args(desk_filter), "form": form,
        "errors": errors, "plan": plan, "bulk": bulk, "preview_names": PREVIEW_NAMES,
        "ids": ",".join(str(a.id) for a in plan.targets) if plan else "",
        **(_described(plan, bulk) if valid else {}),
    }
    status = 422 if errors else 200
    if htmx:
        return _render("desk/_bulk_preview.html", **context), status
    return _render("desk/bulk_preview.html", **context), status


def _described(plan, bulk: BulkRequest) -> dict:
    """The preview's words: the action, the stage, the first recipients with their jobs, and
    the "no news yet" text as the first candidate of each language will read it."""
    by_id = {(type(item), item.id): item for item in plan.related}
    samples: dict[str, str] = {}
    if bulk.action == BulkAction.NO_NEWS:
        for application in plan.targets:
            if application.language not in samples:
                client = by_id[(Client, application.client_id)]
                job = by_id[(Job, application.job_id)]
                promise = bulk.promised_by or default_promise(job=job, client=client)
                samples[application.language] = no_news_note(
                    language=application.language, client=client, promise=promise
                )
    stage_label = ""
    if bulk.stage_key:
        stage = next((item for item in plan.related
                      if isinstance(item, Stage) and item.key == bulk.stage_key), None)
        stage_label = stage.label_in("en") if stage else bulk.stage_key
    return {
        "action_label": dict(action_choices()).get(bulk.action, bulk.action),
        "stage_label": stage_label,
        "samples": sorted(samples.items()),
        "recipients": [
            (a, by_id[(Job, a.job_id)], by_id[(Client, a.client_id)])
            for a in plan.targets[:PREVIEW_NAMES]
        ],
    }


@bp.post("/apply")
def apply():
    """Send the previewed update to the previewed applications, all in one transaction."""
    session = get_session()
    desk_filter = _form_filter()
    ids = _ids(request.form.getlist("ids"))
    author = session.get(Recruiter, current_user.id)
    try:
        bulk = _bulk_request()
        if not ids:
            raise InputError("selection", _("Select at least one application."))
        result = apply_bulk(session=session, ids=ids, request=bulk, author=author,
                            actor=request_actor())
    except InputError as error:
        session.rollback()
        errors = form_errors(error)
        if htmx:
            return _render(
                "desk/_bulk_preview.html", desk_filter=desk_filter,
                filter_args=filter_args(desk_filter), form=_form_values(),
                errors=errors, plan=None, ids="", preview_names=PREVIEW_NAMES,
                bulk=None,
            ), 422
        flash(" ".join(errors.values()), "error")
        return redirect(url_for("desk.index", **filter_args(desk_filter)), code=303)
    except Exception:
        session.rollback()
        raise
    session.commit()
    summary = _summary(result)
    skipped_lines = [
        _("%(name)s (%(email)s): %(reason)s", name=s.application.name,
          email=s.application.email, reason=error_text(s.reason))
        for s in result.skipped[:RESULT_SKIPS]
    ]
    more = len(result.skipped) - RESULT_SKIPS
    if more > 0:
        skipped_lines.append(ngettext("and %(num)d more", "and %(num)d more", more))
    if htmx:
        page = list_desk(session=session, desk_filter=desk_filter, limit=_page_size())
        return _render(
            "desk/_results.html", page=page, desk_filter=desk_filter,
            total=count_desk(session=session, desk_filter=desk_filter), after=None,
            bulk_summary=summary, bulk_skipped=skipped_lines,
        ), 200, {"Vary": "HX-Request"}
    flash(summary, "success")
    for line in skipped_lines:
        flash(line, "warning")
    return redirect(url_for("desk.index", **filter_args(desk_filter)), code=303)


def _page_size() -> int:
    return int(current_app.config["DESK_PAGE_SIZE"])


def _summary(result) -> str:
    text = ngettext(
        "Updated %(num)d application.", "Updated %(num)d applications.", result.updated
    )
    if result.emailed:
        text += " " + ngettext(
            "%(num)d email queued.", "%(num)d emails queued.", result.emailed
        )
    if result.skipped:
        text += " " + ngettext(
            "%(num)d skipped:", "%(num)d skipped:", len(result.skipped)
        )
    if result.missing:
        text += " " + ngettext(
            "%(num)d no longer exists.", "%(num)d no longer exist.", result.missing
        )
    return text
