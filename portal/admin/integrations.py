"""Admin pages for integrations: API tokens (shown once) and webhook endpoints with deliveries."""

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
from sqlalchemy import func, select

from portal.auth.views import signed_in_only
from portal.core.db import get_session
from portal.models import ApiScope, WebhookDelivery
from portal.services import InputError, NotFound
from portal.services.api_tokens import create_token, list_tokens, revoke_token
from portal.services.webhooks import (
    EVENT_TYPES,
    create_endpoint,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    retry_delivery,
    rotate_secret,
    update_endpoint,
)
from portal.web.actor import request_actor
from portal.web.i18n import form_errors
from portal.worker.webhooks import allow_private_addresses

bp = Blueprint("integrations", __name__, url_prefix="/admin")


signed_in_only(bp, admins=True)  # tokens and webhooks hand out the agency's data


def _no_store(html: str, status: int = 200):
    """Pages with secrets on them are not kept in any cache."""
    return html, status, {"Cache-Control": "no-store"}


# ---- API tokens ---------------------------------------------------------------------------

@bp.get("/api-tokens")
def api_tokens():
    """Every token with its scope and last use, and the form for a new one."""
    return _no_store(render_template(
        "admin/api_tokens.html", tokens=list_tokens(session=get_session()), form={}, errors={},
        new_token=None, scopes=list(ApiScope),
    ))


@bp.post("/api-tokens")
def create_api_token():
    """Make a token and show it, this once."""
    session = get_session()
    form = request.form.to_dict()
    try:
        new = create_token(session=session, name=form.get("name", ""),
                           scope=form.get("scope", ""), created_by=current_user.id,
                           actor=request_actor())
    except InputError as error:
        session.rollback()
        return _no_store(render_template(
            "admin/api_tokens.html", tokens=list_tokens(session=session), form=form,
            errors=form_errors(error), new_token=None, scopes=list(ApiScope),
        ), 422)
    session.commit()
    return _no_store(render_template(
        "admin/api_tokens.html", tokens=list_tokens(session=session), form={}, errors={},
        new_token=new, scopes=list(ApiScope),
    ), 201)


@bp.post("/api-tokens/<id:token_id>/revoke")
def revoke_api_token(token_id: int):
    """Revoke a token: requests with it fail from now on."""
    session = get_session()
    try:
        token = revoke_token(session=session, token_id=token_id, actor=request_actor())
    except NotFound:
        abort(404)
    session.commit()
    flash(_("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for("integrations.api_tokens"), code=303)


# ---- webhooks -----------------------------------------------------------------------------

def _endpoint_or_404(endpoint_id: int):
    try:
        return get_endpoint(session=get_session(), endpoint_id=endpoint_id)
    except NotFound:
        abort(404)


def _delivery_counts(session) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    for endpoint_id, status, count in rows:
        counts.setdefault(endpoint_id, {})[status] = count
    return counts


@bp.route("/webhooks", methods=["GET", "POST"])
def webhooks():
    """Registered endpoints, and the form to register one."""
    session = get_session()
    errors: dict[str, str] = {}
    form: dict = {"events": list(EVENT_TYPES)}
    if request.method == "POST":
        form = {"url": request.form.get("url", ""),
                "description": request.form.get("description", ""),
                "events": request.form.getlist("events")}
        try:
            endpoint = create_endpoint(
                session=session, url=form["url"], events=form["events"],
                description=form["description"],
                allow_private=allow_private_addresses(current_app), created_by=current_user.id,
                actor=request_actor(),
            )
        except InputError as error:
            session.rollback()
            errors.update(form_errors(error))
        else:
            session.commit()
            flash(_("Endpoint added. Give its signing secret to the receiving system."),
                  "success")
            return redirect(url_for("integrations.webhook", endpoint_id=endpoint.id), code=303)
    return render_template(
        "admin/webhooks.html", endpoints=list_endpoints(session=session), form=form,
        errors=errors, event_types=EVENT_TYPES, counts=_delivery_counts(session),
    ), 422 if errors else 200


@bp.route("/webhooks/<id:endpoint_id>", methods=["GET", "POST"])
def webhook(endpoint_id: int):
    """One endpoint: its secret, events, switch, and its recent deliveries."""
    session = get_session()
    endpoint = _endpoint_or_404(endpoint_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            update_endpoint(
                session=session, endpoint=endpoint, events=request.form.getlist("events"),
                is_active=request.form.get("is_active") == "on",
                description=request.form.get("description", ""), actor=request_actor(),
            )
        except InputError as error:
            session.rollback()
            errors.update(form_errors(error))
            endpoint = _endpoint_or_404(endpoint_id)
        else:
            session.commit()
            flash(_("Endpoint saved."), "success")
            return redirect(url_for("integrations.webhook", endpoint_id=endpoint.id), code=303)
    return _no_store(render_template(
        "admin/webhook.html", endpoint=endpoint, event_types=EVENT_TYPES, errors=errors,
        deliveries=list_deliveries(session=session, endpoint_id=endpoint.id),
    ), 422 if errors else 200)


@bp.post("/webhooks/<id:endpoint_id>/secret")
def rotate_webhook_secret(endpoint_id: int):
    """Replace the signing secret (the receiver must be given the new one)."""
    session = get_session()
    endpoint = _endpoint_or_404(endpoint_id)
    rotate_secret(session=session, endpoint=endpoint, actor=request_actor())
    session.commit()
    flash(_("New signing secret made; deliveries from now on are signed with it."), "success")
    return redirect(url_for("integrations.webhook", endpoint_id=endpoint.id), code=303)


@bp.post("/webhooks/<id:endpoint_id>/deliveries/<id:delivery_id>/retry")
def retry_webhook_delivery(endpoint_id: int, delivery_id: int):
    """Send a delivery again at the next worker round."""
    session = get_session()
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        abort(404)
    retry_delivery(session=session, delivery=delivery)
    session.commit()
    flash(_("Delivery %(id)s will be sent again.", id=delivery.id), "success")
    return redirect(url_for("integrations.webhook", endpoint_id=endpoint_id), code=303)
