"""Career-page widgets: ``/embed.js`` and ``/embed/<slug>/lookup|badge|status``.

Each widget is a small page made to live in an iframe on the client's own site: it may be
framed by that client's listed origins only (``frame-ancestors``), sets no cookie (third-party
cookies are blocked in many browsers, and the widgets need none), and its forms are guarded by
the Origin / Sec-Fetch-Site check instead of a CSRF cookie. The host page tells the frame its
origin (``?parent=``); the frame posts its height there only when the client listed it.
"""

import hashlib
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask_babel import gettext as _
from sqlmodel import select

from portal.core import clock
from portal.core.db import get_session
from portal.core.origins import normalise_origin
from portal.core.tokens import LinkExpired, LinkInvalid, read_status_token
from portal.models import LANGUAGES, Client
from portal.services import InputError
from portal.services.badge import WINDOW_DAYS, BadgeCache, compute_badge
from portal.services.lookup import send_status_links
from portal.services.recruiters import normalise_email
from portal.services.status import etag_for, expired_link_contact, load_status
from portal.web.capability import PRIVATE_HEADERS, unchanged_response
from portal.web.extensions import csrf, htmx, limiter
from portal.web.framing import content_security_policy, cross_site_post

bp = Blueprint("embed", __name__)

BADGE_CACHE_CONTROL = "public, max-age=600"


def _client() -> Client | None:
    """The client named in the URL (once per request; also for error pages and headers)."""
    if "embed_client" not in g:
        slug = (request.view_args or {}).get("slug")
        g.embed_client = (
            get_session().exec(select(Client).where(Client.slug == slug)).first() if slug else None
        )
    return g.embed_client


def _client_or_404() -> Client:
    client = _client()
    if client is None:
        abort(404)
    return client


def _language(client: Client | None) -> str:
    chosen = request.values.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return client.default_language if client else "en"


def _parent_origin(client: Client | None) -> str | None:
    """The host page's origin when the client listed it: where the frame may post its height."""
    try:
        origin = normalise_origin(request.values.get("parent", ""))
    except InputError:
        return None
    return origin if client and origin in (client.embed_origins or []) else None


def _return_to() -> str:
    # "page": the form on the expired-link page, answered as a full page rather than a widget.
    return "page" if request.values.get("return_to") == "page" else "embed"


def _render(template: str, partial: str, status: int = 200, **context):
    """The widget page, or only its swappable part for htmx; never cacheable, never a cookie."""
    client = _client()
    context.setdefault("return_to", _return_to())
    layout = "embed/page.html" if context["return_to"] == "page" else "embed/layout.html"
    body = render_template(
        partial if htmx else template, layout=layout, embed_client=client,
        parent_origin=_parent_origin(client), lang=g.language, **context,
    )
    return body, status, {**PRIVATE_HEADERS, "Vary": "HX-Request"}


@bp.after_request
def _framing_headers(response):
    """Framed by this client's origins only (with none listed: by nobody)."""
    if request.endpoint != "embed.script":
        client = _client()
        origins = list(client.embed_origins or []) if client else []
        response.headers["Content-Security-Policy"] = content_security_policy(origins)
        response.headers["Referrer-Policy"] = "strict-origin"
    return response


@bp.errorhandler(404)
def not_found_response(_error=None):
    g.language = _language(_client())
    return _render("embed/message.html", "embed/_message.html", 404, kind="not_found")


@bp.errorhandler(429)
def _rate_limited(_error):
    g.language = _language(_client())
    return _render("embed/message.html", "embed/_message.html", 429, kind="limited")


@bp.get("/embed.js")
def script():
    """The loader a career page includes: it puts an iframe where its script tag stands."""
    source = current_app.extensions.get("portal.embed_js")
    if source is None:
        source = (Path(current_app.static_folder) / "embed.js").read_bytes()
        current_app.extensions["portal.embed_js"] = source
    response = Response(source, mimetype="application/javascript")
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.set_etag(hashlib.blake2b(source, digest_size=12).hexdigest())
    return response.make_conditional(request)


def _limit_per_ip() -> str:
    return current_app.config["LOOKUP_LIMIT_PER_IP"]  # PORTAL_LOOKUP_LIMIT_PER_IP


def _limit_per_address() -> str:
    return current_app.config["LOOKUP_LIMIT_PER_ADDRESS"]  # PORTAL_LOOKUP_LIMIT_PER_ADDRESS


def _address_key() -> str:
    """The rate-limit key of the typed address: normalised, so case and spaces do not matter."""
    typed = request.form.get("email", "")[:320]
    try:
        address = normalise_email(typed)
    except InputError:
        address = typed.strip()  # malformed: refused anyway, but still counted
    return "lookup-address:" + address.lower()


@bp.route("/embed/<slug>/lookup", methods=["GET", "POST"])
@csrf.exempt  # no cookie to protect: cross_site_post() refuses other sites' forms instead
@limiter.limit(_limit_per_ip, methods=["POST"], exempt_when=cross_site_post)
@limiter.limit(
    _limit_per_address, key_func=_address_key, methods=["POST"], exempt_when=cross_site_post
)
def lookup(slug: str):
    """Check my application status: an email address in, links by email out.

    The answer is the same whether or not the address is known.
    """
    client = _client_or_404()
    g.language = _language(client)
    if request.method == "GET":
        return _render("embed/lookup.html", "embed/_lookup.html")
    if cross_site_post():
        return _render("embed/message.html", "embed/_message.html", 403, kind="cross_site")
    typed = request.form.get("email", "")[:320]
    try:
        email = normalise_email(typed)
    except InputError:
        error = _("Please enter a valid email address, like name@example.com.")
        return _render("embed/lookup.html", "embed/_lookup.html", 422, email=typed, error=error)
    session = get_session()
    send_status_links(session=session, client=client, email=email)
    session.commit()
    return _render("embed/lookup.html", "embed/_lookup.html", sent=True)


@bp.get("/embed/<slug>/status")
def status_without_token(slug: str):
    """The status widget on a page opened without a token: the lookup form instead."""
    client = _client_or_404()
    g.language = _language(client)
    return _render("embed/lookup.html", "embed/_lookup.html")


@bp.get("/embed/<slug>/status/<path:token>")
def status(slug: str, token: str):
    """The candidate's status card, white-labelled, for a token of this client's application."""
    client = _client_or_404()
    try:
        claim = read_status_token(token)
    except LinkExpired as expired:
        return expired_response(client, expired)
    except LinkInvalid:
        return not_found_response()
    session = get_session()
    today = clock.today()
    build = current_app.config["BUILD_ID"]
    # The slug is part of the ETag: a 304 is only ever answered for the client that rendered it.
    card_variant = f"embed-card:{client.slug}"
    variant = card_variant if htmx else f"embed-page:{client.slug}"
    unchanged = unchanged_response(
        claim, variant=variant, today=today, build=build, not_found=not_found_response
    )
    if unchanged is not None:
        return unchanged
    view = load_status(
        session=session, application_id=claim.application_id, token_version=claim.token_version
    )
    if view is None or view.client_slug != client.slug:
        return not_found_response()
    g.language = view.language
    etag = etag_for(view.version_stamp, today=today, variant=variant, build=build)
    card_etag = etag_for(
        view.version_stamp, today=today, variant=card_variant, build=build
    )
    body, code, headers = _render(
        "embed/status.html", "candidate/_status_card.html", view=view, today=today, token=token,
        etag=card_etag, poll_seconds=current_app.config["STATUS_POLL_SECONDS"],
        card_url=request.path,
    )
    return body, code, {**headers, "ETag": etag}


def expired_response(client: Client, expired: LinkExpired):
    """An expired link in the widget: say so, and offer a fresh one by email right there."""
    contact = None
    if expired.application_id is not None and expired.token_version is not None:
        contact = expired_link_contact(
            session=get_session(), application_id=expired.application_id,
            token_version=expired.token_version,
        )
    same_client = contact is not None and contact.client_slug == client.slug
    g.language = contact.language if same_client else _language(client)
    return _render("embed/lookup.html", "embed/_lookup.html", 410, expired=True)


@bp.get("/embed/<slug>/badge")
def badge(slug: str):
    """The client's feedback promise in public figures (no personal data; cached)."""
    client = _client_or_404()
    g.language = _language(client)
    today = clock.today()
    cache = current_app.extensions.setdefault("portal.badge_cache", BadgeCache())
    figures = cache.get(
        client.id, today,
        lambda: compute_badge(session=get_session(), client_id=client.id, today=today),
    )
    body, code, headers = _render(
        "embed/badge.html", "embed/badge.html", figures=figures, window_days=WINDOW_DAYS
    )
    return body, code, {**headers, "Cache-Control": BADGE_CACHE_CONTROL}
