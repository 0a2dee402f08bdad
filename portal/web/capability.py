"""Responses behind a capability link (a status token in the URL), shared by the candidate's
pages, the embedded status widget, the poll shortcut and the admin's data export: never cached,
never indexed, the token never sent on as a referrer."""

import json

from flask import Response, current_app, request

from portal.core.db import run_read
from portal.models import Application
from portal.services.audit import Actor
from portal.services.privacy import export_application
from portal.services.status import etag_for, version_stamp

PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "strict-origin",
    "Vary": "Accept, HX-Request, Cookie",
}


def unchanged_response(claim, *, variant: str, today, build: str, not_found):
    """For a poll that sends its ETag: 304 when nothing changed (one narrow query and no
    rendering), ``not_found()`` for a dead link, or None to render the status as usual.

    Most unchanged polls never get here: ``portal.web.fast_poll`` answers them in front of Flask
    with this same 304. This path answers the rest (JSON polls, and any poll the shortcut
    passed on, e.g. while the database was unreachable)."""
    if not request.if_none_match or request.if_none_match.star_tag:
        return None  # "*" would match anything: no shortcut for it
    raw = current_app.config["FAST_PATHS"]
    stamp = run_read(lambda connection: version_stamp(
        connection=connection, application_id=claim.application_id,
        token_version=claim.token_version, raw=raw,
    ))
    if stamp is None:
        return not_found()
    etag = etag_for(stamp, today=today, variant=variant, build=build)
    if etag.strip('"') in request.if_none_match:
        return "", 304, {**PRIVATE_HEADERS, "ETag": etag}
    return None


def json_download(data: dict, filename: str) -> Response:
    """``data`` as a JSON file to save, with the private headers (a personal data export)."""
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers.update(PRIVATE_HEADERS)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def personal_data_download(session, application: Application, *, actor: Actor) -> Response:
    """Everything held about one application as a JSON file (audited for ``actor``, committed):
    the candidate's own download and the admin's on their request are this one response."""
    data = export_application(session=session, application=application, actor=actor)
    session.commit()
    return json_download(data, f"application-{application.id}-data.json")
