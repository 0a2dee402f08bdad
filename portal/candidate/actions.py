"""Candidate actions, ``/s/<token>/...``: ask a question, "still interested", withdraw, language.

Cookieless, so they work inside a cross-site iframe with third-party cookies blocked: each POST
is authorised by the signed token in its URL and refused when Origin / Sec-Fetch-Site say
another site sent it; a one-time key in every form makes a double submit create one entry.
After a change, 303 back to the page the form was on (``return_to``: the status page or the
embedded status widget) with ``?done=<action>``, which the actions partial shows as a status
message: no flash, since a flash needs the session cookie.
"""

from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import select

from portal.candidate.status import expired_response, not_found_response
from portal.core import clock
from portal.core.db import get_session
from portal.core.origins import normalise_origin
from portal.core.tokens import LinkExpired, LinkInvalid, read_status_token
from portal.models import Application, Client, Job, Recruiter
from portal.services import InputError
from portal.services.candidate_actions import (
    MAX_QUESTION_LENGTH,
    MAX_REASON_LENGTH,
    ActionRefused,
    ask_question,
    choose_language,
    new_request_key,
    say_still_interested,
    withdraw,
    withdrawal_stage,
)
from portal.services.status import etag_for, load_status
from portal.web.capability import PRIVATE_HEADERS
from portal.web.extensions import csrf
from portal.web.framing import content_security_policy, cross_site_post

bp = Blueprint("candidate_actions", __name__)
csrf.exempt(bp)  # no cookie, so no CSRF token: the signed URL plus the Origin check instead

RETURN_TO = ("page", "embed")
# How each refusal is answered: a form the candidate can fix, or a state that forbids it.
REFUSAL_STATUS = {"empty": 422, "too_long": 422, "unknown_language": 422,
                  "closed": 409, "cannot_withdraw": 409, "expired_form": 400}


@bp.app_template_global("new_request_key")
def _new_request_key() -> str:
    """A fresh one-time key for a form (templates: ``new_request_key()``)."""
    return new_request_key()


@bp.app_template_global("action_limits")
def _action_limits() -> dict:
    """The length limits the forms announce and enforce with ``maxlength``."""
    return {"question": MAX_QUESTION_LENGTH, "reason": MAX_REASON_LENGTH}


def application_for_token(token: str) -> Application:
    """The application a live token names, in the candidate's language; 404 / 410 otherwise."""
    try:
        claim = read_status_token(token)
    except LinkExpired as expired:
        abort(make_response(expired_response(expired.application_id, expired.token_version)))
    except LinkInvalid:
        abort(make_response(not_found_response()))
    application = get_session().get(Application, claim.application_id)
    if application is None or application.token_version != claim.token_version:
        abort(make_response(not_found_response()))
    g.language = application.language
    return application


def refuse_cross_site() -> None:
    """403 for a POST another site's page sent: the token alone must not be enough."""
    if cross_site_post():
        body = render_template("candidate/action_refused.html")
        abort(make_response(body, 403, PRIVATE_HEADERS))


def _return_to() -> str:
    value = request.values.get("return_to")
    return value if value in RETURN_TO else "page"


def _client(application: Application) -> Client:
    return get_session().get(Client, application.client_id)


def _parent_origin(client: Client) -> str | None:
    """The career page around the widget (``parent``), when the client listed it: the widget's
    frame posts its height there, so the value must survive every form and redirect."""
    try:
        origin = normalise_origin(request.values.get("parent", ""))
    except InputError:
        return None
    return origin if origin in (client.embed_origins or []) else None


def _page_url(token: str, client: Client, return_to: str, *, done: str | None = None) -> str:
    """The status page or the status widget the candidate came from."""
    if return_to == "embed":
        path = f"/embed/{client.slug}/status/{token}"
        query = {"done": done, "parent": _parent_origin(client)}
    else:
        path = url_for("candidate.status", token=token)
        query = {"done": done}
    query = {name: value for name, value in query.items() if value}
    return f"{path}?{urlencode(query)}" if query else path


def _layout_context(client: Client, return_to: str) -> dict:
    """Inside the widget, pages use its frame (no portal chrome, height posted to the host)."""
    if return_to != "embed":
        return {"layout": "base.html"}
    layout = current_app.jinja_env.select_template(["embed/layout.html", "base.html"])
    return {"layout": layout, "embed_client": client, "parent_origin": _parent_origin(client),
            "lang": g.language}


def _headers(client: Client, return_to: str) -> dict:
    """Private headers; pages shown inside the widget may be framed by the client's origins."""
    if return_to != "embed":
        return dict(PRIVATE_HEADERS)
    policy = content_security_policy(list(client.embed_origins or []))
    return {**PRIVATE_HEADERS, "Content-Security-Policy": policy}


def _back(token: str, application: Application, done: str, *, anchor: str = ""):
    url = _page_url(token, _client(application), _return_to(), done=done) + anchor
    response = redirect(url, code=303)
    response.headers.update(PRIVATE_HEADERS)
    return response


def refusal_text(refused: ActionRefused) -> str:
    """What went wrong, in the candidate's language."""
    if refused.code == "empty":
        return _("Please write your question before you send it.")
    if refused.code == "too_long":
        return _("Please shorten this to %(limit)d characters (it has %(length)d).",
                 limit=refused.params["limit"], length=refused.params["length"])
    if refused.code == "closed":
        return _("This application is closed, so it no longer takes messages.")
    if refused.code == "cannot_withdraw":
        return _("This application cannot be withdrawn on this page. Please send your "
                 "recruiter a question saying that you want to withdraw, and they will close it.")
    if refused.code == "unknown_language":
        return _("Please choose English or Swedish.")
    return _("This form is out of date. Please reload the page and try again.")


def _status_page(token: str, application: Application, *, action: str,
                 refused: ActionRefused, form: dict):
    """The status page again, with the message next to the form and what was typed kept."""
    session = get_session()
    view = load_status(session=session, application_id=application.id,
                       token_version=application.token_version)
    today = clock.today()
    etag = etag_for(view.version_stamp, today=today, variant="card",
                    build=current_app.config["BUILD_ID"])
    return_to = _return_to()
    client = _client(application)
    page = ["embed/status.html", "candidate/status.html"] if return_to == "embed" else (
        "candidate/status.html"
    )
    body = render_template(
        page, view=view, today=today, token=token, etag=etag,
        poll_seconds=current_app.config["STATUS_POLL_SECONDS"], return_to=return_to,
        card_url=_page_url(token, client, return_to),
        action_errors={action: refusal_text(refused)}, action_form=form,
        **_layout_context(client, return_to),
    )
    status = REFUSAL_STATUS.get(refused.code, 422)
    return body, status, _headers(client, return_to)


def _post(token: str, action: str, perform, *, form: dict | None = None, anchor: str = ""):
    """The shared shape of a candidate POST: check, act, commit, and go back (or explain).

    ``perform(session, application)`` does the action and returns the ``done`` word.
    """
    application = application_for_token(token)
    refuse_cross_site()
    session = get_session()
    try:
        done = perform(session, application)
    except ActionRefused as refused:
        session.rollback()
        return _status_page(token, application, action=action, refused=refused, form=form or {})
    session.commit()
    return _back(token, application, done, anchor=anchor)


@bp.post("/s/<path:token>/question")
def question(token: str):
    """The candidate asks the recruiter a question (at most 2,000 characters)."""
    text = request.form.get("question", "")

    def perform(session, application):
        ask_question(session=session, application=application, text=text,
                     request_key=request.form.get("request_key"))
        return "question"

    return _post(token, "question", perform, form={"question": text}, anchor="#actions")


@bp.post("/s/<path:token>/still-interested")
def still_interested(token: str):
    """The candidate tells the recruiter they are still interested."""

    def perform(session, application):
        say_still_interested(session=session, application=application,
                             request_key=request.form.get("request_key"))
        return "still-interested"

    return _post(token, "still_interested", perform, anchor="#actions")


@bp.post("/s/<path:token>/language")
def language(token: str):
    """The candidate's language for the status page and the emails."""

    def perform(session, application):
        choose_language(session=session, application=application,
                        language=request.form.get("language"),
                        request_key=request.form.get("request_key"))
        return "language"

    return _post(token, "language", perform)


@bp.route("/s/<path:token>/withdraw", methods=["GET", "POST"])
def withdraw_page(token: str):
    """GET asks for confirmation (and changes nothing); POST withdraws the application."""
    application = application_for_token(token)
    reason = request.form.get("reason", "")
    refused = None
    if request.method == "POST":
        refuse_cross_site()
        session = get_session()
        try:
            result = withdraw(session=session, application=application, reason=reason,
                              request_key=request.form.get("request_key"))
        except ActionRefused as error:
            session.rollback()
            refused = error
        else:
            session.commit()
            return _back(token, application, "withdrawn" if result.update else "closed")
    return _withdraw_form(token, application, reason=reason, refused=refused)


def _withdraw_form(token: str, application: Application, *, reason: str,
                   refused: ActionRefused | None):
    session = get_session()
    client = _client(application)
    job = session.get(Job, application.job_id)
    owner_name = session.scalar(select(Recruiter.name).where(Recruiter.id == job.owner_id)) or ""
    return_to = _return_to()
    body = render_template(
        "candidate/withdraw.html", token=token, return_to=return_to, client=client, job=job,
        is_open=application.is_open, owner_first_name=(owner_name.split() or [None])[0],
        can_withdraw=withdrawal_stage(session=session, job_id=job.id) is not None,
        back_url=_page_url(token, client, return_to), reason=reason,
        error=refusal_text(refused) if refused else None, **_layout_context(client, return_to),
    )
    status = REFUSAL_STATUS.get(refused.code, 422) if refused else 200
    return body, status, _headers(client, return_to)
