"""Outgoing webhooks: events written with their change, signed deliveries to a real HTTP
receiver (verified with the ``standardwebhooks`` package), retries, and SSRF refusals."""

import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import select
from standardwebhooks import Webhook

from portal.core.clock import now, today
from portal.models import Application, WebhookDelivery, WebhookEndpoint
from portal.services import InputError
from portal.services.api_tokens import create_token
from portal.services.applications import create_application
from portal.services.candidate_actions import ask_question, new_request_key, withdraw
from portal.services.reminders import emit_lapsed_promises
from portal.services.webhooks import EVENT_TYPES, create_endpoint, normalise_url
from portal.worker.outbox import run_worker
from portal.worker.webhooks import deliver_due
from tests.factories import PASSWORD, make_application, make_job, make_recruiter
from tests.helpers import free_port


class Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent and answers ``status``."""

    def __init__(self, port: int = 0, status: int = 204):
        self.requests: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/portal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WEBHOOKS_ALLOW_PRIVATE": True, "WEBHOOK_TIMEOUT_SECONDS": 3}


def endpoint_for(db, url: str, events=EVENT_TYPES) -> WebhookEndpoint:
    endpoint = create_endpoint(session=db, url=url, events=list(events), allow_private=True)
    db.commit()
    return endpoint


def deliveries(db, endpoint_id: int | None = None) -> list[WebhookDelivery]:
    db.rollback()
    db.expire_all()
    statement = select(WebhookDelivery).order_by(WebhookDelivery.id)
    if endpoint_id is not None:
        statement = statement.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.exec(statement))


def verified(receiver: Receiver, secret: str) -> list[dict]:
    """Every received body, each checked with the standardwebhooks package."""
    hook = Webhook(secret)
    return [hook.verify(request["body"], request["headers"]) for request in receiver.requests]


def test_every_event_reaches_a_real_receiver_signed(app, client, db, receiver):
    endpoint = endpoint_for(db, receiver.url)
    job = make_job(db, auto_notice_days=None)
    token = create_token(session=db, name="ats", scope="write", created_by=None)
    db.commit()
    headers = {"Authorization": f"Bearer {token.secret}"}
    created = client.post("/api/v1/applications", headers=headers,
                          json={"job_id": job.id, "name": "Åsa", "email": "asa@example.com"})
    application_id = created.get_json()["id"]
    client.post(f"/api/v1/applications/{application_id}/updates", headers=headers,
                json={"stage": "interview", "public_note": "Välkommen!"})
    application = db.get(Application, application_id)
    ask_question(session=db, application=application, text="När hör jag av er?",
                 request_key=new_request_key())
    db.commit()
    # The promise lapses: a week later, the remind run queues promise.lapsed once.
    later = today() + timedelta(days=30)
    assert emit_lapsed_promises(engine=db.get_bind(), today=later) == 1
    assert emit_lapsed_promises(engine=db.get_bind(), today=later) == 0
    db.refresh(application)
    withdraw(session=db, application=application, request_key=new_request_key(),
             reason="Tog ett annat jobb")
    db.commit()

    report = run_worker(app, once=True)

    assert report.webhooks_delivered == 5, report.errors
    events = verified(receiver, endpoint.secret)
    assert [e["type"] for e in events] == [
        "application.created", "application.updated", "candidate.asked", "promise.lapsed",
        "candidate.withdrew",
    ]
    assert all(e["data"]["application"]["id"] == application_id for e in events)
    assert events[1]["data"]["update"]["stage"] == "interview"
    assert events[2]["data"]["update"]["public_note"] == "När hör jag av er?"
    assert events[4]["data"]["application"]["is_open"] is False
    first = receiver.requests[0]["headers"]
    assert first["webhook-id"].startswith("msg_")
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]+=*", first["webhook-signature"])
    assert first["Content-Type"] == "application/json"
    assert receiver.requests[0]["path"] == "/hooks/portal"
    assert {d.status for d in deliveries(db)} == {"delivered"}


def test_a_tampered_body_fails_verification(app, db, receiver):
    endpoint = endpoint_for(db, receiver.url)
    make_application(db)
    run_worker(app, once=True)
    request = receiver.requests[0]
    with pytest.raises(Exception):  # noqa: B017 - standardwebhooks raises its own error types
        Webhook(endpoint.secret).verify(request["body"].replace("}", " }", 1), request["headers"])


def test_only_subscribed_events_are_queued_in_the_same_transaction(db, receiver):
    endpoint_for(db, receiver.url, events=["application.updated"])
    job = make_job(db)
    make_application(db, job=job)
    assert deliveries(db) == []  # application.created was not chosen
    # A change that rolls back leaves no event behind.
    create_application(session=db, job_id=job.id, name="Bo", email="bo@example.com")
    db.rollback()
    assert deliveries(db) == []


def test_a_receiver_that_is_down_gets_the_delivery_later(app, db):
    port = free_port()
    endpoint = endpoint_for(db, f"http://127.0.0.1:{port}/hook")
    make_application(db)

    report = run_worker(app, once=True)
    assert report.webhooks_retrying == 1
    (delivery,) = deliveries(db)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()
    assert delivery.next_attempt_at > now()

    # Not due yet: nothing happens.
    assert run_worker(app, once=True).webhooks_delivered == 0
    receiver = Receiver(port=port)
    try:
        delivery.next_attempt_at = now() - timedelta(seconds=1)  # the backoff has passed
        db.add(delivery)
        db.commit()
        assert run_worker(app, once=True).webhooks_delivered == 1
        (delivery,) = deliveries(db)
        assert delivery.status == "delivered" and delivery.attempts == 2
        assert delivery.last_status == 204
        (event,) = verified(receiver, endpoint.secret)
        assert event["type"] == "application.created"
        assert receiver.requests[0]["headers"]["webhook-id"] == delivery.message_id
    finally:
        receiver.close()


def test_error_answers_and_redirects_are_retried_and_finally_fail(app, db, receiver):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 2
    endpoint_for(db, receiver.url)
    make_application(db)
    receiver.status = 302
    run_worker(app, once=True)
    (delivery,) = deliveries(db)
    assert delivery.status == "pending" and delivery.last_status == 302
    assert "redirects are not followed" in delivery.last_error
    receiver.status = 500
    delivery.next_attempt_at = now()
    db.add(delivery)
    db.commit()
    assert run_worker(app, once=True).webhooks_failed == 1
    (delivery,) = deliveries(db)
    assert delivery.status == "failed" and delivery.attempts == 2 and delivery.last_status == 500


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://localhost:8080/hook", "http://10.1.2.3/hook",
    "http://192.168.0.10/hook", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook", "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/hook",
    "http://224.0.0.1/hook", "http://100.64.0.1/hook",
])
def test_private_addresses_are_refused_at_registration(url):
    with pytest.raises(InputError) as refused:
        normalise_url(url, allow_private=False)
    assert refused.value.field == "url" and "refused" in refused.value.message


@pytest.mark.parametrize("url", [
    "ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "example.com/hook",
    "https://user:pw@example.com/hook", "https://example.com:99999/hook",
])
def test_only_plain_http_and_https_urls_are_accepted(url):
    with pytest.raises(InputError):
        normalise_url(url, allow_private=True)


def test_private_address_refused_on_the_admin_page_outside_development(app, client, db):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    admin = make_recruiter(db, admin=True)
    client.post("/admin/login", data={"email": admin.email, "password": PASSWORD})
    response = client.post("/admin/webhooks", data={
        "url": "http://127.0.0.1:8000/hook", "events": ["application.created"],
    })
    assert response.status_code == 422
    assert "loopback, private" in response.get_data(as_text=True)
    assert db.exec(select(WebhookEndpoint)).all() == []


def test_private_address_refused_at_delivery_time(app, db, receiver):
    endpoint_for(db, receiver.url)  # registered while private addresses were allowed
    make_application(db)
    report = deliver_due(engine=db.get_bind(), allow_private=False, max_attempts=5, timeout=3)
    assert report.retrying == 1 and receiver.requests == []
    (delivery,) = deliveries(db)
    assert delivery.last_error.startswith("refused:")


def test_admin_registers_an_endpoint_and_sees_its_secret_and_deliveries(app, client, db,
                                                                        receiver):
    admin = make_recruiter(db, admin=True)
    client.post("/admin/login", data={"email": admin.email, "password": PASSWORD})
    response = client.post("/admin/webhooks", data={
        "url": receiver.url, "description": "ATS", "events": ["application.created"],
    })
    assert response.status_code == 303
    endpoint = db.exec(select(WebhookEndpoint)).one()
    assert endpoint.secret.startswith("whsec_") and endpoint.events == ["application.created"]
    make_application(db)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert endpoint.secret in page and "pending" in page
    run_worker(app, once=True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "delivered" in page and "HTTP 204" in page
    listing = client.get("/admin/webhooks").get_data(as_text=True)
    assert "1 delivered, 0 pending, 0 failed" in listing
    # Switch it off: later events are not queued for it.
    client.post(response.headers["Location"], data={"events": ["application.created"],
                                                    "description": "ATS"})
    make_application(db)
    assert len(deliveries(db)) == 1


def test_event_bodies_are_json_with_type_timestamp_and_data(db, receiver):
    endpoint_for(db, receiver.url)
    application = make_application(db)
    (delivery,) = deliveries(db)
    body = json.loads(delivery.payload)
    assert body["type"] == "application.created"
    assert body["data"]["application"]["email"] == application.email
    assert "status_url" not in body["data"]["application"]
