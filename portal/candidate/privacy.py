"""The candidate's data rights from their status page: download everything, ask for erasure.

``/s/<token>/my-data`` downloads a JSON file of everything held about the application (internal
notes and the emails sent included). ``/s/<token>/erase`` asks for erasure: it emails the
candidate a short-lived confirmation link (``/erase/<token>``) whose GET only shows a button,
so link scanners in mail systems cannot erase anything; the POST anonymises the application
and revokes its links. Like the other candidate forms these are cookieless: the signed token
authorises, ``Origin`` / ``Sec-Fetch-Site`` refuse other sites' forms.
"""


from flask import Blueprint, current_app, g, render_template, request

from portal.candidate.actions import application_for_token, refuse_cross_site
from portal.candidate.status import not_found_response
from portal.core.db import get_session
from portal.core.tokens import LinkExpired, LinkInvalid, read_erasure_token
from portal.models import Application, Client, Job
from portal.services.privacy import (
    anonymise_application,
    send_erasure_confirmation,
)
from portal.web.actor import candidate_actor
from portal.web.capability import PRIVATE_HEADERS, personal_data_download
from portal.web.extensions import csrf, limiter

bp = Blueprint("privacy", __name__)
csrf.exempt(bp)  # cookieless: the signed token plus the Origin check, as for candidate actions


@bp.get("/s/<path:token>/my-data")
def my_data(token: str):
    """Everything held about this application, as a JSON file (GDPR art. 15 and 20)."""
    application = application_for_token(token)
    return personal_data_download(get_session(), application, actor=candidate_actor())


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
    application = application_for_token(token)
    job, client = _names(application)
    sent = False
    if request.method == "POST":
        refuse_cross_site()
        session = get_session()
        send_erasure_confirmation(session=session, application=application,
                                  actor=candidate_actor())
        session.commit()
        sent = True
    body = render_template(
        "candidate/erase_request.html", token=token, job=job, client=client, sent=sent,
        hours=current_app.config["ERASURE_LINK_HOURS"],
    )
    return body, 200, PRIVATE_HEADERS


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
        refuse_cross_site()
        anonymise_application(session=session, application_id=application.id,
                              actor=candidate_actor())
        session.commit()
        return _erasure_page("done", 200, client=client)
    return _erasure_page("confirm", 200, token=token, job=job, client=client)


def _erasure_page(state: str, status: int, **context):
    body = render_template("candidate/erase_confirm.html", state=state, **context)
    return body, status, PRIVATE_HEADERS
