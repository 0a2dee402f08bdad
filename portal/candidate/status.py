"""The candidate's status page, ``/s/<token>``: HTML, the htmx card, or JSON; never writes."""

from flask import Blueprint, current_app, g, render_template, request
from sqlmodel import select

from portal.core import clock
from portal.core.db import get_session, run_read
from portal.core.tokens import LinkExpired, LinkInvalid, read_status_token, read_unsubscribe_token
from portal.models import Application, Client
from portal.services.applications import unsubscribe
from portal.services.status import (
    etag_for,
    expired_link_contact,
    load_status,
    status_json,
)
from portal.web.capability import PRIVATE_HEADERS, unchanged_response
from portal.web.extensions import csrf, htmx
from portal.web.localized import render_localized

bp = Blueprint("candidate", __name__)

# What a status response must say about itself, whatever its form. Cookie: flask-login reads
# the session after every Flask request (so Flask would add it), and a page without an
# application speaks a signed-in recruiter's language; said here, every answer says the same.


def _variant() -> str:
    if "json" not in request.headers.get("Accept", ""):
        return "card" if htmx else "page"  # the common case, without parsing Accept
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if best == "application/json":
        return "json"
    return "card" if htmx else "page"


@bp.get("/s/<path:token>")
def status(token: str):
    """Where the candidate stands: stage, latest note, last update and the next promise."""
    try:
        claim = read_status_token(token)
    except LinkExpired as expired:
        return expired_response(expired.application_id, expired.token_version)
    except LinkInvalid:
        return not_found_response()
    today = clock.today()
    variant = _variant()
    build = current_app.config["BUILD_ID"]
    unchanged = unchanged_response(
        claim, variant=variant, today=today, build=build, not_found=not_found_response
    )
    if unchanged is not None:
        return unchanged
    raw = current_app.config["FAST_PATHS"]  # off: SQLAlchemy's result processing
    view = run_read(lambda connection: load_status(
        connection=connection, application_id=claim.application_id,
        token_version=claim.token_version, raw=raw,
    ))
    if view is None:
        return not_found_response()
    etag = etag_for(view.version_stamp, today=today, variant=variant, build=build)
    headers = {**PRIVATE_HEADERS, "ETag": etag}
    if variant == "json":
        return status_json(view, today=today), 200, headers
    g.language = view.language
    template = "candidate/_status_card.html" if variant == "card" else "candidate/status.html"
    # The card polls as an htmx request, so it carries the ETag its polls will be answered with.
    card_etag = etag if variant == "card" else etag_for(
        view.version_stamp, today=today, variant="card", build=build
    )
    body = render_localized(
        template, view.language, view=view, today=today, token=token, etag=card_etag,
        poll_seconds=current_app.config["STATUS_POLL_SECONDS"],
    )
    return body, 200, headers


def not_found_response():
    headers = {**PRIVATE_HEADERS}
    if _variant() == "json":
        return {"error": "not_found", "status": 404}, 404, headers
    return render_template("candidate/link_not_found.html"), 404, headers


def expired_response(application_id: int | None, token_version: int | None):
    contact = None
    if application_id is not None and token_version is not None:
        # A revoked link says nothing about the application, expired or not.
        contact = expired_link_contact(
            session=get_session(), application_id=application_id, token_version=token_version
        )
    if contact is not None:
        g.language = contact.language
    headers = {**PRIVATE_HEADERS}
    if _variant() == "json":
        return {"error": "expired", "status": 410}, 410, headers
    max_age = current_app.config["LINK_MAX_AGE_DAYS"]
    body = render_template("candidate/link_expired.html", contact=contact, max_age=max_age)
    return body, 410, headers


@bp.route("/u/<path:token>", methods=["GET", "POST"])
@csrf.exempt  # authorised by the signed token; mail clients POST here (RFC 8058 one-click)
def unsubscribe_page(token: str):
    """GET asks for confirmation (link scanners change nothing); POST stops the emails."""
    try:
        application_id = read_unsubscribe_token(token)
    except (LinkInvalid, LinkExpired):
        return not_found_response()
    session = get_session()
    application = session.get(Application, application_id)
    if application is None:
        return not_found_response()
    g.language = application.language
    done = application.unsubscribed_at is not None
    if request.method == "POST":
        unsubscribe(session=session, application_id=application_id)
        session.commit()
        done = True
    client_name = session.scalar(select(Client.name).where(Client.id == application.client_id))
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}
    return render_template(
        "candidate/unsubscribe.html", done=done, client_name=client_name
    ), 200, headers
