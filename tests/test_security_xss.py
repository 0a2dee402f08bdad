"""XSS: HTML and script payloads in every field people type render as text on every page and
in every email (HTML and text parts)."""

import re

import pytest
from sqlmodel import select

from portal.core.tokens import make_erasure_token, make_status_token
from portal.models import OutboxMessage
from portal.services.catalog import create_client, create_job
from portal.services.pipelines import DEFAULT_PIPELINE, StageSpec
from portal.services.updates import post_update
from tests.factories import PASSWORD, make_application, make_recruiter
from tests.helpers import SAME_ORIGIN

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(2)</script>",
    "{{ 7*7 }}{% raw %}",
]
# What must never reach a page or an HTML email unescaped.
DANGEROUS = re.compile(r"<script>alert|<img src=x|<svg onload")


def stages_with(payload: str) -> list[StageSpec]:
    specs = []
    for spec in DEFAULT_PIPELINE:
        label = {"en": f"{spec.label['en']} {payload}", "sv": f"{spec.label['sv']} {payload}"}
        guidance = {"en": f"Guidance {payload}", "sv": f"Vägledning {payload}"}
        specs.append(StageSpec(key=spec.key, label=label, guidance=guidance,
                               is_terminal=spec.is_terminal, outcome=spec.outcome))
    return specs


@pytest.fixture(params=PAYLOADS, ids=[f"payload{n}" for n in range(len(PAYLOADS))])
def world(request, app, session):
    payload = request.param
    admin = make_recruiter(session, admin=True, name=f"Ada {payload}")
    company = create_client(session=session, name=f"Acme {payload}", slug="acme")
    session.commit()
    job = create_job(session=session, client_id=company.id, title=f"Engineer {payload}",
                     owner_id=admin.id, promise_days=5, stages=stages_with(payload))
    session.commit()
    application = make_application(session, job=job, name=f"Sam {payload}")
    post_update(session=session, application=application, author=admin, stage_key="screening",
                public_note=f"Note {payload}", internal_note=f"Internal {payload}")
    session.commit()
    with app.test_request_context():
        token = make_status_token(application.id, application.token_version)
        erasure = make_erasure_token(application.id, application.token_version)
    return {"payload": payload, "admin": admin, "client": company, "job": job,
            "application": application, "token": token, "erasure": erasure}


def assert_inert(html: str, where: str) -> None:
    found = DANGEROUS.search(html)
    assert found is None, f"{where}: unescaped {found.group()!r}"


def test_payloads_render_as_text_on_every_page(app, client, session, world):
    token, payload = world["token"], world["payload"]
    # The candidate asks a question with the payload, then withdraws with it as the reason.
    question = client.post(f"/s/{token}/question", headers=SAME_ORIGIN,
                           data={"question": f"Question {payload}", "request_key": "k" * 24})
    assert question.status_code == 303
    candidate_pages = [
        f"/s/{token}", f"/s/{token}/withdraw", f"/s/{token}/erase", f"/erase/{world['erasure']}",
        f"/embed/acme/status/{token}", "/embed/acme/lookup", "/embed/acme/badge",
    ]
    for path in candidate_pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.text, path)
    json_export = client.get(f"/s/{token}/my-data")
    assert payload in json_export.get_json()["application"]["name"]
    assert client.post("/admin/login", data={"email": world["admin"].email,
                                             "password": PASSWORD}).status_code == 303
    application_id = world["application"].id
    desk_pages = [
        "/admin/", f"/admin/?q={payload}", f"/admin/applications/{application_id}",
        "/admin/clients", f"/admin/clients/{world['client'].id}", "/admin/jobs",
        "/admin/jobs/new", "/admin/applications/new", "/admin/recruiters", "/admin/audit",
        f"/admin/audit?action={payload}", "/admin/retention", "/admin/password",
    ]
    for path in desk_pages:
        response = client.get(path)
        assert response.status_code in (200, 422), path
        assert_inert(response.text, path)
    page = client.get(f"/admin/applications/{application_id}").text
    assert "&lt;" in page or "&#34;" in page or "&#39;" in page or "{{ 7*7 }}{% raw %}" in page
    status_page = client.get(f"/s/{token}").text
    if "{{" in payload:  # no template evaluation of stored text: it comes back as typed
        assert "{{ 7*7 }}{% raw %}" in status_page
    # A form refused with the payload typed in keeps it, escaped.
    refused = client.post("/admin/applications/new", data={
        "job_id": str(world["job"].id), "name": payload, "email": f"bad {payload}"})
    assert refused.status_code == 422
    assert_inert(refused.text, "refused form")
    htmx = client.post(f"/admin/applications/{application_id}/updates",
                       data={"public_note": f"Again {payload}"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200
    assert_inert(htmx.text, "htmx fragment")


def test_payloads_are_text_in_every_email(app, client, session, world):
    token, payload = world["token"], world["payload"]
    client.post(f"/s/{token}/question", headers=SAME_ORIGIN,
                data={"question": f"Question {payload}", "request_key": "q" * 24})
    client.post(f"/s/{token}/erase", headers=SAME_ORIGIN)
    client.post(f"/s/{token}/withdraw", headers=SAME_ORIGIN,
                data={"reason": f"Reason {payload}", "request_key": "w" * 24})
    session.rollback()
    messages = session.exec(select(OutboxMessage)).all()
    purposes = {message.purpose for message in messages}
    assert {"acknowledgement", "update:stage_change", "erasure_confirmation",
            "withdrawal_confirmation", "candidate:question"} <= purposes
    for message in messages:
        assert message.body_html, message.purpose
        assert_inert(message.body_html, message.purpose)
    # The text parts are plain text: the payload appears as typed, never interpreted.
    texts = " ".join(m.body_text for m in messages)
    assert payload in texts
