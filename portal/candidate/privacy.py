"""The candidate's data rights from their status page: download everything, ask for erasure.

``/s/<token>/my-data`` downloads a JSON file of everything held about the application (internal
notes and the emails sent included). ``/s/<token>/erase`` asks for erasure: it emails the
candidate a short-lived confirmation link (``/erase/<token>``) whose GET only shows a button,
so link scanners in mail systems cannot erase anything; the POST anonymises the application
and revokes its links. Like the other candidate forms these are cookieless: the signed token
authorises, ``Origin`` / ``Sec-Fetch-Site`` refuse other sites' forms.
"""

import json

from flask import Blueprint, Response, current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.candidate.actions import _application, _refuse_cross_site
from portal.candidate.status import PRIVATE_HEADERS, not_found_response
from portal.core.db import get_session
from portal.core.tokens import LinkExpired, LinkInvalid, make_erasure_token, read_erasure_token
from portal.mail.notifications import mail_domain, render_pair
from portal.models import Application, Client, Job
from portal.services.audit import record
from portal.services.outbox import enqueue_email
from portal.services.privacy import anonymise_application, export_application
from portal.web.extensions import csrf, limiter

bp = Blueprint("privacy", __name__)
csrf.exempt(bp)  # cookieless: the signed token plus the Origin check, as for candidate actions


def export_response(session, application: Application) -> Response:
    """The export as a JSON download that no cache keeps."""
    data = export_application(session=session, application=application)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers.update(PRIVATE_HEADERS)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="application-{application.id}-data.json"'
    )
    return response


@bp.get("/s/<path:token>/my-data")
def my_data(token: str):
    """Everything held about this application, as a JSON file (GDPR art. 15 and 20)."""
    application = _application(token)
    session = get_session()
    record(session=session, action="gdpr.export", application_id=application.id,
           detail={"by": "candidate"})
    session.commit()
    return export_response(session, application)


def _erasure_limit() -> str:
    return current_app.config.get("ERASURE_REQUEST_LIMIT", "3/hour")


def _application_key() -> str:
    return "erasure:" + request.path


def _names(application: Application) -> tuple[Job, Client]:
    session = get_session()
    return session.get(Job, application.job_id), session.get(Client, application.client_id)


@bp.route("/s/<path:token>/erase", methods=["GET", "POST"])
@limiter.limit(_erasure_limit, key_func=_application_key, methods=["POST"])
def request_erasure(token: str):
    """GET explains what erasure means; POST emails the candidate a confirmation link."""
    application = _application(token)
    job, client = _names(application)
    sent = False
    if request.method == "POST":
        _refuse_cross_site()
        session = get_session()
        queue_erasure_confirmation(session=session, application=application, job=job,
                                   client=client)
        record(session=session, action="gdpr.erasure_requested", application_id=application.id,
               detail={"by": "candidate"})
        session.commit()
        sent = True
    body = render_template(
        "candidate/erase_request.html", token=token, job=job, client=client, sent=sent,
        hours=current_app.config["ERASURE_LINK_HOURS"],
    )
    return body, 200, PRIVATE_HEADERS


def queue_erasure_confirmation(*, session, application: Application, job: Job, client: Client):
    """The email with the confirmation link, in the candidate's language; sent even when they
    stopped the update emails, since they asked for this one."""
    url = f"{current_app.config['BASE_URL']}/erase/" + make_erasure_token(
        application.id, application.token_version
    )
    hours = current_app.config["ERASURE_LINK_HOURS"]
    with force_locale(application.language):
        subject = _("Confirm the erasure of your data: %(job)s at %(client)s",
                    job=job.title, client=client.name)
        text, html = render_pair(
            "erasure_confirmation", language=application.language, subject=subject,
            first_name=(application.name.split() or [""])[0], job_title=job.title,
            client_name=client.name, erasure_url=url, hours=hours,
        )
    return enqueue_email(
        session=session, purpose="erasure_confirmation", to_address=application.email,
        subject=subject, body_text=text, body_html=html, domain=mail_domain(),
        application_id=application.id, headers={"Auto-Submitted": "auto-generated"},
    )


@bp.route("/erase/<path:token>", methods=["GET", "POST"])
@csrf.exempt
def confirm_erasure(token: str):
    """GET shows the confirm button (changes nothing); POST anonymises the application."""
    try:
        claim = read_erasure_token(token)
    except LinkExpired:
        return _erasure_page("expired", 410)
    except LinkInvalid:
        return not_found_response()
    session = get_session()
    application = session.get(Application, claim.application_id)
    if application is None:
        return not_found_response()
    g.language = application.language
    if application.anonymised_at is not None:
        return _erasure_page("done", 200)
    if application.token_version != claim.token_version:
        return _erasure_page("expired", 410)  # the links were renewed since: ask again
    job, client = _names(application)
    if request.method == "POST":
        _refuse_cross_site()
        anonymise_application(session=session, application_id=application.id)
        record(session=session, action="gdpr.erasure", application_id=claim.application_id,
               detail={"by": "candidate"})
        session.commit()
        return _erasure_page("done", 200, client=client)
    return _erasure_page("confirm", 200, token=token, job=job, client=client)


def _erasure_page(state: str, status: int, **context):
    body = render_template("candidate/erase_confirm.html", state=state, **context)
    return body, status, PRIVATE_HEADERS
