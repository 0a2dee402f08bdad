"""A client's logo and theme stylesheet, ``/brand/<slug>/...``: public, cacheable, cookieless.

Pages link them with ``?v=<updated_at>``, so a day's caching never shows an old logo or
colour for long: a change makes a new URL. The CSP forbids inline styles, hence a stylesheet
per client rather than ``style="..."`` in the page.
"""

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, abort, request, url_for
from sqlmodel import select

from portal.core.db import get_session
from portal.models import Client
from portal.services.branding import STORED_COLOUR, ClientBrand

bp = Blueprint("brand", __name__, url_prefix="/brand")

CACHE_FOR = "public, max-age=86400"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def brand_version(updated_at: datetime | None) -> str:
    """``updated_at`` in microseconds since 1970: the cache-busting version of brand assets."""
    if updated_at is None:
        return "0"
    if updated_at.tzinfo is None:  # SQLite hands back naive UTC values
        updated_at = updated_at.replace(tzinfo=UTC)
    return str((updated_at - _EPOCH) // timedelta(microseconds=1))


@bp.app_template_global()
def logo_url(client: Client | ClientBrand | None) -> str | None:
    """The client's logo URL with a version, or None without a logo."""
    if client is None or not client.logo_type:
        return None
    return url_for("brand.logo", slug=client.slug, v=brand_version(client.updated_at))


@bp.app_template_global()
def theme_url(client: Client | ClientBrand | None) -> str | None:
    """The client's theme stylesheet URL with a version, or None without an accent colour."""
    if client is None or not client.accent_color:
        return None
    return url_for("brand.theme", slug=client.slug, v=brand_version(client.updated_at))


def _cached(response: Response, etag: str) -> Response:
    response.headers["Cache-Control"] = CACHE_FOR
    response.set_etag(etag)
    return response.make_conditional(request)


@bp.get("/<slug>/logo")
def logo(slug: str):
    """The client's logo, as stored, with the type its bytes were recognised as."""
    row = get_session().exec(
        select(Client.logo, Client.logo_type, Client.updated_at).where(Client.slug == slug)
    ).first()
    if row is None or not row[0] or not row[1]:
        abort(404)
    data, mime, updated_at = row
    response = Response(data, mimetype=mime)
    response.headers["Content-Disposition"] = "inline"
    # Opened on its own, the image is a document: give it nothing to run with.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; frame-ancestors 'none'; sandbox"
    )
    return _cached(response, f"logo-{brand_version(updated_at)}")


@bp.get("/<slug>/theme.css")
def theme(slug: str):
    """The client's accent colour as a CSS custom property (empty without one)."""
    row = get_session().exec(
        select(Client.accent_color, Client.updated_at).where(Client.slug == slug)
    ).first()
    if row is None:
        abort(404)
    colour, updated_at = row
    # Stored colours were checked on the way in; check again, as this text becomes CSS.
    body = f":root{{--accent:{colour}}}\n" if colour and STORED_COLOUR.match(colour) else ""
    response = Response(body, mimetype="text/css")
    return _cached(response, f"theme-{brand_version(updated_at)}")
