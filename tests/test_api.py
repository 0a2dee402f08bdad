"""The REST API: tokens and scopes, resources, idempotency, pagination and problem responses."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from portal.models import ApiToken, Application, IdempotencyRecord, OutboxMessage, Update
from portal.services.api_tokens import create_token
from tests.factories import make_application, make_job, make_recruiter
from tests.helpers import count, sign_in

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def _token(db, scope: str) -> str:
    new = create_token(session=db, name=f"{scope} token", scope=scope)
    db.commit()
    return new.secret


@pytest.fixture
def write_headers(db):
    return {"Authorization": f"Bearer {_token(db, 'write')}"}


@pytest.fixture
def read_headers(db):
    return {"Authorization": f"Bearer {_token(db, 'read')}"}


@pytest.fixture
def job(db):
    return make_job(db)


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("http://portal.test/api/v1/docs#problem-")
    assert body["title"] and body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


# --- authentication and scopes -------------------------------------------------------------

def test_requests_without_a_token_get_401_with_a_bearer_challenge(client):
    response = client.get("/api/v1/clients")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Set-Cookie" not in response.headers


def test_an_unknown_token_gets_401(client):
    response = client.get("/api/v1/clients", headers={"Authorization": "Bearer ptk_nope"})
    assert_problem(response, 401)


def test_a_read_token_may_get_but_not_post(client, read_headers, job):
    assert client.get("/api/v1/jobs", headers=read_headers).status_code == 200
    response = client.post("/api/v1/applications", headers=read_headers,
                           json={"job_id": job.id, "name": "Ada", "email": "ada@example.com"})
    assert_problem(response, 403)


def test_a_revoked_token_stops_working_at_once(client, db):
    secret = _token(db, "write")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/clients", headers=headers).status_code == 200
    token = db.exec(select(ApiToken)).one()
    assert token.last_used_at is not None
    from portal.services.api_tokens import revoke_token

    revoke_token(session=db, token_id=token.id)
    db.commit()
    assert_problem(client.get("/api/v1/clients", headers=headers), 401)


def test_only_a_hash_of_the_token_is_stored(db):
    new = create_token(session=db, name="x", scope="read")
    db.commit()
    stored = db.get(ApiToken, new.token.id)
    assert new.secret not in (stored.secret_hash, stored.prefix)
    assert len(stored.secret_hash) == 64 and new.secret.startswith(stored.prefix)


def test_the_api_sets_no_cookie_and_a_desk_session_does_not_authenticate(client, db, job):
    admin = make_recruiter(db, admin=True)
    sign_in(client, admin.email)
    assert client.get("/admin/").status_code == 200  # signed in to the desk
    response = client.get("/api/v1/jobs")
    assert_problem(response, 401)
    assert "Set-Cookie" not in response.headers
    response = client.post("/api/v1/applications",
                           json={"job_id": job.id, "name": "Ada", "email": "ada@example.com"})
    assert_problem(response, 401)  # no CSRF hole either: cookies alone never reach the API
    assert "Set-Cookie" not in response.headers


# --- resources -----------------------------------------------------------------------------

def test_create_application_returns_id_and_status_url_and_queues_the_acknowledgement(
    client, db, write_headers, job
):
    response = client.post(
        "/api/v1/applications", headers=write_headers,
        json={"job_id": job.id, "name": "Åsa Öberg", "email": "asa@example.com",
              "language": "sv"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/applications/{body['id']}"
    assert body["status_url"].startswith("http://portal.test/s/")
    assert body["name"] == "Åsa Öberg" and body["stage"] == "applied" and body["is_open"]
    messages = db.exec(select(OutboxMessage).where(OutboxMessage.application_id == body["id"]))
    assert [m.purpose for m in messages] == ["acknowledgement"]
    again = client.get(response.headers["Location"], headers=write_headers).get_json()
    # The status link is minted per response (its signature carries the time): same page.
    assert again.pop("status_url").rsplit(".", 2)[0] == body.pop("status_url").rsplit(".", 2)[0]
    assert again == body


def test_duplicate_candidate_for_a_job_is_a_422_naming_email(client, write_headers, job):
    payload = {"job_id": job.id, "name": "Ada", "email": "ada@example.com"}
    assert client.post("/api/v1/applications", headers=write_headers,
                       json=payload).status_code == 201
    response = client.post("/api/v1/applications", headers=write_headers, json=payload)
    assert_problem(response, 422, "email")


def test_every_bad_field_is_named_in_one_answer(client, write_headers, job):
    response = client.post("/api/v1/applications", headers=write_headers,
                           json={"job_id": job.id, "name": "", "email": "not-an-email"})
    body = assert_problem(response, 422)
    messages = {error["field"]: error["message"] for error in body["errors"]}
    assert set(messages) == {"name", "email"}
    assert messages["email"].startswith("not a valid email address (")


def test_unknown_job_and_stage_are_422_naming_the_field(client, write_headers, job):
    response = client.post("/api/v1/applications", headers=write_headers,
                           json={"job_id": 999999, "name": "Ada", "email": "a@example.com"})
    assert_problem(response, 422, "job_id")
    response = client.post("/api/v1/applications", headers=write_headers,
                           json={"job_id": job.id, "name": "Ada", "email": "a@example.com",
                                 "stage": "nope"})
    assert_problem(response, 422, "stage")


def test_jobs_come_with_their_stages(client, read_headers, job):
    body = client.get(f"/api/v1/jobs/{job.id}", headers=read_headers).get_json()
    assert body["id"] == job.id
    assert [s["key"] for s in body["stages"]][:2] == ["applied", "screening"]
    clients = client.get("/api/v1/clients", headers=read_headers).get_json()
    assert [c["id"] for c in clients["data"]] == [job.client_id]


def test_post_updates_go_through_the_desk_rules(client, db, write_headers, job):
    application = make_application(db, job=job)
    url = f"/api/v1/applications/{application.id}/updates"
    emails_before = count(db, OutboxMessage, OutboxMessage.application_id == application.id)
    response = client.post(url, headers=write_headers,
                           json={"stage": "interview", "public_note": "Let us meet."})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["kind"] == "stage_change"
    assert response.get_json()["stage"] == "interview"
    response = client.post(url, headers=write_headers, json={"internal_note": "Strong."})
    assert response.get_json()["is_public"] is False
    response = client.post(url, headers=write_headers, json={"no_news": True})
    assert response.get_json()["kind"] == "no_news"
    # A stage change and "no news" email the candidate; the internal note does not.
    assert count(db, OutboxMessage, OutboxMessage.application_id == application.id) == (
        emails_before + 2
    )
    history = client.get(url, headers=write_headers).get_json()["data"]
    assert [u["kind"] for u in history] == ["created", "stage_change", "internal", "no_news"]
    assert history[1]["public_note"] == "Let us meet."


def test_update_refusals_name_the_field(client, db, write_headers, job):
    application = make_application(db, job=job)
    url = f"/api/v1/applications/{application.id}/updates"
    assert_problem(client.post(url, headers=write_headers, json={}), 422, "public_note")
    assert_problem(client.post(url, headers=write_headers,
                               json={"no_news": True, "public_note": "x"}), 422, "public_note")
    assert_problem(client.post(url, headers=write_headers,
                               json={"promised_by": "2001-01-01"}), 422, "promised_by")
    assert_problem(client.post(url, headers=write_headers,
                               json={"promised_by": "not a date"}), 422, "promised_by")
    assert_problem(client.post("/api/v1/applications/999999/updates", headers=write_headers,
                               json={"internal_note": "x"}), 404)


# --- pagination and filters ----------------------------------------------------------------

def test_cursor_pagination_visits_every_application_once(client, db, read_headers, job):
    ids = [make_application(db, job=job).id for _ in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/applications", headers=read_headers,
                          query_string=query).get_json()
        seen += [a["id"] for a in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3


def test_filters(client, db, write_headers, job):
    other_job = make_job(db)
    first = make_application(db, job=job)
    make_application(db, job=job)
    make_application(db, job=other_job)
    client.post(f"/api/v1/applications/{first.id}/updates", headers=write_headers,
                json={"stage": "interview"})

    def ids(**query):
        response = client.get("/api/v1/applications", headers=write_headers, query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [a["id"] for a in response.get_json()["data"]]

    assert len(ids(job_id=job.id)) == 2
    assert len(ids(client_id=other_job.client_id)) == 1
    assert ids(stage="interview") == [first.id]
    assert len(ids(open="true")) == 3 and ids(open="false") == []


def test_bad_query_parameters_are_400_naming_them(client, read_headers):
    assert_problem(client.get("/api/v1/applications?limit=0", headers=read_headers), 400,
                   "limit")
    assert_problem(client.get("/api/v1/applications?cursor=bogus", headers=read_headers), 400,
                   "cursor")
    assert_problem(client.get("/api/v1/applications?job_id=x", headers=read_headers), 400,
                   "job_id")


# --- idempotency ---------------------------------------------------------------------------

def test_the_same_key_twice_creates_one_application_and_replays_the_answer(
    client, db, write_headers, job
):
    headers = {**write_headers, "Idempotency-Key": "create-ada-1"}
    payload = {"job_id": job.id, "name": "Ada", "email": "ada@example.com"}
    first = client.post("/api/v1/applications", headers=headers, json=payload)
    again = client.post("/api/v1/applications", headers=headers, json=payload)
    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(db, Application) == 1
    assert count(db, OutboxMessage) == 1  # one acknowledgement, not two


def test_the_same_key_with_another_body_is_refused(client, db, write_headers, job):
    headers = {**write_headers, "Idempotency-Key": "k"}
    client.post("/api/v1/applications", headers=headers,
                json={"job_id": job.id, "name": "Ada", "email": "ada@example.com"})
    response = client.post("/api/v1/applications", headers=headers,
                           json={"job_id": job.id, "name": "Bo", "email": "bo@example.com"})
    assert_problem(response, 422, "Idempotency-Key")
    assert count(db, Application) == 1


def test_a_refused_request_is_remembered_too_without_its_writes(client, db, write_headers, job):
    headers = {**write_headers, "Idempotency-Key": "bad-one"}
    payload = {"job_id": job.id, "name": "Ada", "email": "ada@example.com", "stage": "nope"}
    first = client.post("/api/v1/applications", headers=headers, json=payload)
    again = client.post("/api/v1/applications", headers=headers, json=payload)
    assert first.status_code == again.status_code == 422
    assert first.get_data() == again.get_data()
    assert count(db, Application) == 0 and count(db, IdempotencyRecord) == 1


def test_keys_belong_to_their_token(client, db, job):
    one = {"Authorization": f"Bearer {_token(db, 'write')}", "Idempotency-Key": "same"}
    two = {"Authorization": f"Bearer {_token(db, 'write')}", "Idempotency-Key": "same"}
    client.post("/api/v1/applications", headers=one,
                json={"job_id": job.id, "name": "Ada", "email": "ada@example.com"})
    client.post("/api/v1/applications", headers=two,
                json={"job_id": job.id, "name": "Bo", "email": "bo@example.com"})
    assert count(db, Application) == 2


def test_a_key_is_remembered_for_a_day_then_forgotten(client, db, write_headers, job, runner):
    headers = {**write_headers, "Idempotency-Key": "daily"}
    payload = {"job_id": job.id, "name": "Ada", "email": "ada@example.com"}
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        assert client.post("/api/v1/applications", headers=headers, json=payload
                           ).status_code == 201
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        replay = client.post("/api/v1/applications", headers=headers, json=payload)
        assert replay.headers.get("Idempotent-Replayed") == "true"
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        # A new request now: Ada already applied, which is the answer this time.
        again = client.post("/api/v1/applications", headers=headers, json=payload)
        assert "Idempotent-Replayed" not in again.headers and again.status_code == 422
        assert count(db, IdempotencyRecord) == 1 and count(db, Application) == 1
    with time_machine.travel(start + timedelta(hours=50), tick=False):
        assert runner.invoke(args=["retention", "run"]).exit_code == 0
        assert count(db, IdempotencyRecord) == 0  # the stored answers name the candidate


def test_a_malformed_key_is_a_400(client, write_headers, job):
    response = client.post("/api/v1/applications",
                           headers={**write_headers, "Idempotency-Key": "x" * 256},
                           json={"job_id": job.id, "name": "Ada", "email": "a@example.com"})
    assert_problem(response, 400, "Idempotency-Key")


@pytest.mark.parametrize("path", ["applications", "updates"])
def test_concurrent_duplicates_create_exactly_one(app, db, write_headers, job, path):
    application = make_application(db, job=job)
    url = ("/api/v1/applications" if path == "applications"
           else f"/api/v1/applications/{application.id}/updates")
    payload = ({"job_id": job.id, "name": "Ada", "email": "ada@example.com"}
               if path == "applications" else {"public_note": "Hello from the API"})
    headers = {**write_headers, "Idempotency-Key": f"race-{path}"}
    before_apps = count(db, Application)
    before_updates = count(db, Update)
    barrier = threading.Barrier(6)
    responses = []

    def send():
        with app.test_client() as own:
            barrier.wait()
            responses.append(own.post(url, headers=headers, json=payload))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(responses) == 6
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 6, [r.get_data(as_text=True) for r in responses]
    assert len({r.get_data() for r in responses}) == 1
    if path == "applications":
        assert count(db, Application) == before_apps + 1
    else:
        assert count(db, Update) == before_updates + 1


# --- problems ------------------------------------------------------------------------------

def test_problem_responses_for_each_status(app, client, write_headers, job):
    assert_problem(client.get("/api/v1/nothing-here", headers=write_headers), 404)
    assert_problem(client.get("/api/v1/applications/999999", headers=write_headers), 404)
    # Beyond the id columns' range (PostgreSQL would refuse to compare): still a plain 404.
    for path in ("/api/v1/applications/3000000000", "/api/v1/clients/9223372036854775807",
                 "/api/v1/jobs/2147483648", "/api/v1/applications/3000000000/updates"):
        assert_problem(client.get(path, headers=write_headers), 404)
    assert_problem(client.get("/api/v1/applications?client_id=3000000000",
                              headers=write_headers), 400, "client_id")
    response = client.delete("/api/v1/applications", headers=write_headers)
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]
    assert_problem(client.post("/api/v1/applications", headers=write_headers,
                               data={"job_id": job.id}), 415, "Content-Type")
    assert_problem(client.post("/api/v1/applications", headers=write_headers,
                               data="{nope", content_type="application/json"), 400, "body")
    assert_problem(client.post("/api/v1/applications", headers=write_headers, json=[1]),
                   422, "body")
    big = {"job_id": job.id, "name": "x" * (2 * 1024 * 1024), "email": "a@example.com"}
    assert_problem(client.post("/api/v1/applications", headers=write_headers, json=big), 413)
    body = assert_problem(client.post("/api/v1/applications", headers=write_headers,
                                      json={"job_id": job.id, "name": "\x00",
                                            "email": "a@example.com", "extra": 1}), 422)
    assert {e["field"] for e in body["errors"]} == {"name", "extra"}


def test_server_errors_are_problems_too(app, client, db, write_headers, job, monkeypatch):
    import portal.api.views as views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(views, "_client", broken)
    body = assert_problem(client.get("/api/v1/clients", headers=write_headers), 500)
    assert "boom" not in body["detail"]


def test_rate_limit_per_token_with_retry_after(make_app, db):
    client = make_app(API_RATE_LIMIT="3/minute").test_client()
    one = {"Authorization": f"Bearer {_token(db, 'read')}"}
    two = {"Authorization": f"Bearer {_token(db, 'read')}"}
    for _ in range(3):
        assert client.get("/api/v1/clients", headers=one).status_code == 200
    response = client.get("/api/v1/clients", headers=one)
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 61
    # Another token has its own allowance.
    assert client.get("/api/v1/clients", headers=two).status_code == 200


# --- the document and the reference page ---------------------------------------------------

def test_openapi_document_is_3_1_and_describes_every_route(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://portal.test/api/v1"}]
    paths = document["paths"]
    assert set(paths) == {
        "/clients", "/clients/{client_id}", "/jobs", "/jobs/{job_id}", "/applications",
        "/applications/{application_id}", "/applications/{application_id}/updates",
    }
    create = paths["/applications"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/ApplicationIn"
    )
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"]]
    assert create["responses"]["422"]["content"]["application/problem+json"]
    assert "Problem" in document["components"]["schemas"]


def test_reference_page_explains_token_application_and_update_with_curl(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "portal api-tokens create" in html
    assert "curl -sS -X POST http://portal.test/api/v1/applications " in html
    assert "http://portal.test/api/v1/applications/42/updates" in html
    assert "Idempotency-Key" in html and 'id="problem-rate-limited"' in html
    assert "<script>" not in html and "cdn" not in html.lower()
    for op_id in ("create_application_view", "post_update_view", "list_applications"):
        assert f'id="{op_id}"' in html


# --- admin pages and CLI -------------------------------------------------------------------

def test_admin_creates_a_token_shown_once_lists_and_revokes_it(client, db):
    admin = make_recruiter(db, admin=True)
    sign_in(client, admin.email)
    response = client.post("/admin/api-tokens", data={"name": "ATS sync", "scope": "write"})
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    import re

    secret = re.search(r'value="(ptk_[^"]+)"', html).group(1)
    assert client.get("/api/v1/clients",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert "ATS sync" in listing and secret not in listing and secret[:12] in listing
    token = db.exec(select(ApiToken)).one()
    assert token.created_by == admin.id
    client.post(f"/admin/api-tokens/{token.id}/revoke")
    assert client.get("/api/v1/clients",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked" in client.get("/admin/api-tokens").get_data(as_text=True)


def test_token_form_errors_name_the_field(client, db):
    sign_in(client, make_recruiter(db, admin=True).email)
    response = client.post("/admin/api-tokens", data={"name": " ", "scope": "write"})
    assert response.status_code == 422
    assert 'id="name-error"' in response.get_data(as_text=True)


def test_recruiters_who_are_not_admins_cannot_see_tokens_or_webhooks(client, db):
    sign_in(client, make_recruiter(db).email)
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.get("/admin/webhooks").status_code == 403
    assert client.post("/admin/api-tokens", data={"name": "x", "scope": "write"}).status_code \
        == 403


def test_cli_creates_lists_and_revokes_tokens(runner, client):
    result = runner.invoke(args=["api-tokens", "create", "Nightly export", "--scope", "read"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("ptk_")
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/jobs", headers=headers).status_code == 200
    listing = runner.invoke(args=["api-tokens", "list"]).output
    assert "Nightly export" in listing and "read" in listing and secret not in listing
    token_id = listing.split("\t", 1)[0]
    assert runner.invoke(args=["api-tokens", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/jobs", headers=headers).status_code == 401
    assert runner.invoke(args=["api-tokens", "revoke", "999"]).exit_code != 0
    bad = runner.invoke(args=["api-tokens", "create", "x", "--scope", "admin"])
    assert bad.exit_code != 0


def test_access_log_redaction_hides_bearer_tokens_and_secrets():
    from portal.web.access_log import redact

    line = 'GET /api/v1/jobs?token=ptk_abcDEF123-_x HTTP/1.1 "Bearer ptk_abcDEF123-_x"'
    assert "abcDEF123" not in redact(line)
    assert "whsec_" in redact("whsec_c2VjcmV0") and "c2VjcmV0" not in redact("whsec_c2VjcmV0")
