"""``/api/v1``: clients, jobs, applications and updates for an ATS or a script.

Bearer tokens only: no cookie, session or CSRF token is read or set here. Writes go through the
same service functions as the desk, so emails, webhook events and history behave the same.
"""

import base64
import binascii
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from pydantic import BaseModel, ValidationError
from sqlmodel import select
from werkzeug.exceptions import HTTPException

from portal.api import idempotency
from portal.api.problems import ApiError, field_error, from_http_exception, problem_response
from portal.api.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationPage,
    ApplicationQuery,
    ClientOut,
    ClientPage,
    JobOut,
    JobPage,
    ListQuery,
    StageOut,
    UpdateIn,
    UpdateOut,
    UpdatePage,
)
from portal.api.spec import OPERATIONS, Operation, build_document
from portal.core.db import get_session
from portal.core.ids import is_id, parse_id_text
from portal.core.tokens import status_url_for
from portal.models import ApiScope, ApiToken, Application, Client, Job, Recruiter, Stage, Update
from portal.services import InputError, NotFound
from portal.services.api_tokens import authenticate
from portal.services.applications import create_application
from portal.services.audit import Actor
from portal.services.updates import post_no_news_update, post_update
from portal.web.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
PUBLIC_ENDPOINTS = {"api.openapi_document", "api.docs"}
M = TypeVar("M", bound=BaseModel)


# ---- authentication and rate limits -------------------------------------------------------

def current_token() -> ApiToken | None:
    """The request's valid token (looked up once per request), or None."""
    if "api_token" not in g:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        token = None
        if scheme.lower() == "bearer" and secret.strip():
            token = authenticate(session=get_session(), secret=secret.strip())
        g.api_token = token
    return g.api_token


def _rate_key() -> str:
    token = current_token()
    if token is None:
        return f"api-anonymous:{get_remote_address()}"
    # The id names the token; the hash's first characters keep counts apart when several
    # databases share one limiter storage (the tests, or a shared redis).
    return f"api-token:{token.id}:{token.secret_hash[:12]}"


def _rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]  # PORTAL_API_RATE_LIMIT


limiter.limit(_rate_limit, key_func=_rate_key)(bp)


@bp.before_request
def _authenticate() -> None:
    g.language = "en"  # never consult the (cookie) session for a locale
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = current_token()
    if token is None:
        given = "Authorization" in request.headers
        raise ApiError(
            401,
            "The API token is unknown or revoked." if given else
            "Send an API token as `Authorization: Bearer <token>`.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    operation = _OPERATION_BY_ENDPOINT.get(request.endpoint)
    if operation and operation.scope == ApiScope.WRITE and token.scope != ApiScope.WRITE:
        raise ApiError(403, f"The token {token.name!r} may only read; this needs a write token.")


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return problem_response(error)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded):
    current = limiter.current_limit
    retry_after = 1
    if current is not None:
        retry_after = max(1, int(current.reset_at - time.time()) + 1)
    return problem_response(
        ApiError(429, f"Rate limit of {error.description} per token reached; "
                      f"retry in {retry_after} seconds.",
                 headers={"Retry-After": str(retry_after)})
    )


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return from_http_exception(error)


# ---- declaring operations -----------------------------------------------------------------

_OPERATION_BY_ENDPOINT: dict[str, Operation] = {}


def operation(method: str, rule: str, *, summary: str, tag: str, response: type[BaseModel],
              status: int = 200, body: type[BaseModel] | None = None,
              query: type[BaseModel] | None = None, response_headers: dict | None = None):
    """Route a view and describe it in the OpenAPI document (one declaration for both)."""

    def decorator(view: Callable) -> Callable:
        scope = ApiScope.WRITE if method == "POST" else ApiScope.READ
        op = Operation(
            method=method, rule=rule, endpoint=view.__name__, summary=summary,
            description=(view.__doc__ or "").strip(), tag=tag, scope=scope, response=response,
            status=status, body=body, query=query, response_headers=response_headers or {},
        )
        OPERATIONS.append(op)
        _OPERATION_BY_ENDPOINT[f"api.{view.__name__}"] = op
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=[method])
        return view

    return decorator


def _json(model: BaseModel, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(model.model_dump_json(), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _errors(error: ValidationError, *, prefix: str = "") -> list[dict]:
    result = []
    for item in error.errors(include_url=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "value_error":  # our own validators' words, without pydantic's tag
            message = str(item["ctx"]["error"])
        result.append(field_error(prefix + location, message))
    return result


def _query(model: type[M]) -> M:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise ApiError(400, "Some query parameters are not valid.", errors=_errors(error)) from None


def _body(model: type[M]) -> M:
    if request.mimetype != "application/json":
        raise ApiError(
            415, "Send the body as JSON with `Content-Type: application/json`.",
            errors=[field_error("Content-Type", "must be application/json")],
        )
    raw = request.get_data(cache=True)
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise ApiError(400, "The body is not valid JSON.",
                           errors=[field_error("body", "not valid JSON")]) from None
        if any(item["type"] == "model_type" and not item["loc"] for item in error.errors()):
            raise ApiError(422, "The body must be a JSON object.",
                           errors=[field_error("body", "must be a JSON object")]) from None
        raise ApiError(422, "Some fields are not valid.", errors=_errors(error)) from None


def _cursor_after(query: ListQuery) -> int:
    if not query.cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(query.cursor + "=" * (-len(query.cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    after = parse_id_text(text[3:]) if text.startswith("id:") else None
    if after is None:
        raise ApiError(400, "The cursor is not one this API gave out.",
                       errors=[field_error("cursor", "use next_cursor from the previous page")])
    return after


def _next_cursor(rows: list, limit: int, last_id) -> str | None:
    if len(rows) <= limit:
        return None
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


# ---- representations ----------------------------------------------------------------------

def _client(client: Client) -> ClientOut:
    return ClientOut(id=client.id, slug=client.slug, name=client.name, country=client.country,
                     default_language=client.default_language)


def _stage(stage: Stage) -> StageOut:
    return StageOut(key=stage.key, position=stage.position, label=dict(stage.label or {}),
                    is_terminal=stage.is_terminal, outcome=stage.outcome)


def _jobs(jobs: list[Job]) -> list[JobOut]:
    stages: dict[int, list[Stage]] = {job.id: [] for job in jobs}
    if jobs:
        for stage in get_session().exec(
            select(Stage).where(Stage.job_id.in_(list(stages))).order_by(Stage.position)
        ):
            stages[stage.job_id].append(stage)
    return [
        JobOut(id=job.id, client_id=job.client_id, title=job.title, is_open=job.is_open,
               promise_days=job.promise_days, stages=[_stage(s) for s in stages[job.id]])
        for job in jobs
    ]


def _application(application: Application, stage_key: str) -> ApplicationOut:
    return ApplicationOut(
        id=application.id, job_id=application.job_id, client_id=application.client_id,
        name=application.name, email=application.email, language=application.language,
        stage=stage_key, is_open=application.is_open, promised_by=application.promised_by,
        status_url=status_url_for(application.id, application.token_version),
        last_update_at=application.last_update_at, created_at=application.created_at,
        updated_at=application.updated_at,
    )


def _update(update: Update, stage_key: str | None) -> UpdateOut:
    return UpdateOut(
        id=update.id, application_id=update.application_id, kind=update.kind, stage=stage_key,
        public_note=update.public_note, internal_note=update.internal_note,
        promised_by=update.promised_by, is_public=update.is_public,
        created_at=update.created_at,
    )


def _get(model, ident: int):
    """The row, or None; ids beyond the columns' range exist nowhere (and PostgreSQL would
    refuse to compare them)."""
    return get_session().get(model, ident) if is_id(ident) else None


def _load_application(application_id: int) -> Application:
    application = _get(Application, application_id)
    if application is None:
        raise ApiError(404, f"There is no application with id {application_id}.")
    return application


def _stage_key(stage_id: int | None) -> str | None:
    stage = get_session().get(Stage, stage_id) if stage_id else None
    return stage.key if stage else None


# ---- clients and jobs ---------------------------------------------------------------------

@operation("GET", "/clients", summary="List clients", tag="Clients", response=ClientPage,
           query=ListQuery)
def list_clients():
    """The hiring companies, oldest first."""
    query = _query(ListQuery)
    rows = list(get_session().exec(
        select(Client).where(Client.id > _cursor_after(query)).order_by(Client.id)
        .limit(query.limit + 1)
    ))
    page = rows[:query.limit]
    return _json(ClientPage(data=[_client(c) for c in page],
                            next_cursor=_next_cursor(rows, query.limit, page[-1].id if page
                                                     else None)))


@operation("GET", "/clients/<id:client_id>", summary="Get a client", tag="Clients",
           response=ClientOut)
def get_client(client_id: int):
    """One hiring company."""
    client = _get(Client, client_id)
    if client is None:
        raise ApiError(404, f"There is no client with id {client_id}.")
    return _json(_client(client))


@operation("GET", "/jobs", summary="List jobs with their stages", tag="Jobs", response=JobPage,
           query=ListQuery)
def list_jobs():
    """Every job with its stage pipeline (stage keys are what updates use), oldest first."""
    query = _query(ListQuery)
    rows = list(get_session().exec(
        select(Job).where(Job.id > _cursor_after(query)).order_by(Job.id).limit(query.limit + 1)
    ))
    page = rows[:query.limit]
    return _json(JobPage(data=_jobs(page),
                         next_cursor=_next_cursor(rows, query.limit, page[-1].id if page
                                                  else None)))


@operation("GET", "/jobs/<id:job_id>", summary="Get a job with its stages", tag="Jobs",
           response=JobOut)
def get_job(job_id: int):
    """One job and its stage pipeline, in order."""
    job = _get(Job, job_id)
    if job is None:
        raise ApiError(404, f"There is no job with id {job_id}.")
    return _json(_jobs([job])[0])


# ---- applications -------------------------------------------------------------------------

@operation("GET", "/applications", summary="List applications", tag="Applications",
           response=ApplicationPage, query=ApplicationQuery)
def list_applications():
    """Applications, oldest first, filtered by client, job, stage key and open/closed."""
    query = _query(ApplicationQuery)
    statement = (
        select(Application, Stage.key).join(Stage, Stage.id == Application.stage_id)
        .where(Application.id > _cursor_after(query))
    )
    if query.client_id is not None:
        statement = statement.where(Application.client_id == query.client_id)
    if query.job_id is not None:
        statement = statement.where(Application.job_id == query.job_id)
    if query.stage is not None:
        statement = statement.where(Stage.key == query.stage)
    if query.open is not None:
        statement = statement.where(Application.is_open.is_(query.open))
    rows = list(get_session().exec(statement.order_by(Application.id).limit(query.limit + 1)))
    page = rows[:query.limit]
    return _json(ApplicationPage(
        data=[_application(a, key) for a, key in page],
        next_cursor=_next_cursor(rows, query.limit, page[-1][0].id if page else None),
    ))


@operation("GET", "/applications/<id:application_id>", summary="Get an application",
           tag="Applications", response=ApplicationOut)
def get_application(application_id: int):
    """One application with its current stage, promise and the candidate's status URL."""
    application = _load_application(application_id)
    return _json(_application(application, _stage_key(application.stage_id)))


@operation("POST", "/applications", summary="Create an application", tag="Applications",
           response=ApplicationOut, status=201, body=ApplicationIn,
           response_headers={"Location": {"description": "The new application's URL.",
                                          "schema": {"type": "string"}}})
def create_application_view():
    """Register a candidate for a job. The candidate is emailed the acknowledgement with their
    status link, exactly as when a recruiter adds them in the desk. A second application with
    the same email for the same job is refused (422)."""
    session = get_session()

    def work() -> Response:
        data = _body(ApplicationIn)
        if session.get(Job, data.job_id) is None:
            raise ApiError(422, f"There is no job with id {data.job_id}.",
                           errors=[field_error("job_id", "no such job")])
        try:
            application = create_application(
                session=session, job_id=data.job_id, name=data.name, email=data.email,
                language=data.language, stage_key=data.stage, actor=_actor(),
            )
        except (InputError, NotFound) as error:
            raise _input_problem(error) from None
        location = url_for("api.get_application", application_id=application.id)
        return _json(_application(application, _stage_key(application.stage_id)), 201,
                     {"Location": location})

    return idempotency.run_post(session=session, token=current_token(), work=work)


def _actor() -> Actor:
    """The request's token as the audit trail's actor (its creator stands behind it)."""
    token = current_token()
    return Actor.api_token(token_id=token.id, name=token.name, created_by=token.created_by,
                           address=request.remote_addr)


def _input_problem(error: InputError | NotFound) -> ApiError:
    field = getattr(error, "field", "body")
    message = getattr(error, "message", str(error))
    return ApiError(422, f"{field}: {message}", errors=[field_error(field, message)])


# ---- updates ------------------------------------------------------------------------------

@operation("GET", "/applications/<id:application_id>/updates", summary="List updates",
           tag="Updates", response=UpdatePage, query=ListQuery)
def list_updates(application_id: int):
    """An application's history, oldest first, internal notes included."""
    _load_application(application_id)
    query = _query(ListQuery)
    rows = list(get_session().exec(
        select(Update, Stage.key).outerjoin(Stage, Stage.id == Update.stage_id)
        .where(Update.application_id == application_id, Update.id > _cursor_after(query))
        .order_by(Update.id).limit(query.limit + 1)
    ))
    page = rows[:query.limit]
    return _json(UpdatePage(
        data=[_update(u, key) for u, key in page],
        next_cursor=_next_cursor(rows, query.limit, page[-1][0].id if page else None),
    ))


@operation("POST", "/applications/<id:application_id>/updates", summary="Post an update",
           tag="Updates", response=UpdateOut, status=201, body=UpdateIn)
def post_update_view(application_id: int):
    """Post an update as in the desk: a stage change, a note to the candidate, an internal
    note, a new promise, or "no news yet". The candidate is emailed when the stage changes or
    they get a note; the update is signed by the job's owner."""
    session = get_session()

    def work() -> Response:
        application = _load_application(application_id)
        data = _body(UpdateIn)
        job = session.get(Job, application.job_id)
        author = session.get(Recruiter, job.owner_id) if job and job.owner_id else None
        try:
            if data.no_news:
                clash = [f for f in ("stage", "public_note", "internal_note")
                         if getattr(data, f)]
                if clash:
                    raise ApiError(
                        422, "no_news sends its own note; it cannot be combined with "
                             + ", ".join(clash) + ".",
                        errors=[field_error(f, "not allowed with no_news") for f in clash],
                    )
                update = post_no_news_update(
                    session=session, application=application, author=author,
                    promised_by=data.promised_by, actor=_actor(),
                )
            else:
                update = post_update(
                    session=session, application=application, author=author,
                    stage_key=data.stage, public_note=data.public_note,
                    internal_note=data.internal_note, promised_by=data.promised_by,
                    actor=_actor(),
                )
        except (InputError, NotFound) as error:
            raise _input_problem(error) from None
        return _json(_update(update, _stage_key(update.stage_id)), 201)

    return idempotency.run_post(session=session, token=current_token(), work=work)


# ---- the document and its reference page --------------------------------------------------

def document() -> dict:
    base = current_app.config["BASE_URL"]
    return build_document(base_url=base, docs_url=f"{base}/api/v1/docs")


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return document()


@bp.get("/docs")
def docs():
    """The API reference, rendered from the OpenAPI document."""
    from portal.api.reference import reference_context

    return render_template("api/docs.html", **reference_context(document()))
