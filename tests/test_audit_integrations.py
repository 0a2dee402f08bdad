"""The audit trail covers the bulk, CSV and API paths too: who, what, from where — and no
candidate's personal data in the details."""

import io
import json

import pytest
from sqlmodel import select

from portal.models import AuditEvent
from portal.services.api_tokens import create_token
from tests.factories import PASSWORD, make_application, make_job, make_recruiter

ADDRESS = {"environ_base": {"REMOTE_ADDR": "192.0.2.44"}}


def audit(session, action: str) -> list[AuditEvent]:
    session.rollback()
    return list(session.exec(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def assert_no_personal_data(event: AuditEvent, *values: str) -> None:
    text = json.dumps(event.detail)
    for value in values:
        assert value not in text


@pytest.fixture
def signed_in(client, session):
    admin = make_recruiter(session, admin=True, name="Ada Admin")
    job = make_job(session, owner=admin)
    # From the address the later requests come from: strong session protection binds to it.
    response = client.post("/admin/login", data={"email": admin.email, "password": PASSWORD},
                           **ADDRESS)
    assert response.status_code == 303
    return admin, job


def test_bulk_update_is_recorded_with_its_applications(client, session, signed_in):
    admin, job = signed_in
    people = [make_application(session, job=job, name=f"Person {n}",
                               email=f"p{n}@mail.example") for n in range(3)]
    ids = ",".join(str(p.id) for p in people)
    response = client.post("/admin/bulk/apply", data={
        "scope": "selected", "filter_status": "open", "action": "no_news", "ids": ids,
    }, **ADDRESS)
    assert response.status_code == 303
    [event] = audit(session, "application.bulk_update")
    assert event.actor_id == admin.id and event.ip_address == "192.0.2.44"
    assert sorted(event.detail["application_ids"]) == sorted(p.id for p in people)
    assert event.detail["updated"] == 3
    assert_no_personal_data(event, "p0@mail.example", "Person 0")


def test_csv_import_and_export_are_recorded(client, session, signed_in, runner, tmp_path):
    admin, job = signed_in
    data = "name;email;language\nÅsa Öst;asa@mail.example;sv\n".encode("utf-8-sig")
    response = client.post("/admin/applications/import", data={
        "job_id": str(job.id), "file": (io.BytesIO(data), "people.csv"),
    }, content_type="multipart/form-data", **ADDRESS)
    assert response.status_code == 200, response.text
    [imported] = audit(session, "applications.imported")
    assert imported.actor_id == admin.id and imported.subject == f"job:{job.id}"
    assert imported.detail == {"imported": 1, "skipped": 0}


    result = runner.invoke(args=["applications", "export", "--output", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    [exported] = audit(session, "applications.exported")
    assert exported.actor_label == "command line" and exported.detail["links"] is False


def test_api_writes_name_the_token(client, session):
    owner = make_recruiter(session, admin=True)
    job = make_job(session, owner=owner)
    new = create_token(session=session, name="ATS sync", scope="write", created_by=owner.id)
    session.commit()
    headers = {"Authorization": f"Bearer {new.secret}"}
    created = client.post("/api/v1/applications", headers=headers, json={
        "job_id": job.id, "name": "Jane Doe", "email": "jane@mail.example", "language": "en",
    }, **ADDRESS)
    assert created.status_code == 201, created.text
    application_id = created.json["id"]
    posted = client.post(f"/api/v1/applications/{application_id}/updates", headers=headers,
                         json={"no_news": True}, **ADDRESS)
    assert posted.status_code == 201, posted.text
    [made] = audit(session, "application.created")
    [no_news] = audit(session, "application.no_news")
    for event in (made, no_news):
        assert event.application_id == application_id
        assert event.actor_id == owner.id
        assert event.actor_label == f"API token {new.token.id}: ATS sync"
        assert event.ip_address == "192.0.2.44" and event.detail["via"] == "api"


def test_token_and_webhook_administration_is_recorded(client, session, signed_in):
    admin, _job = signed_in
    created = client.post("/admin/api-tokens", data={"name": "Nightly", "scope": "read"},
                          **ADDRESS)
    assert created.status_code == 201
    [made] = audit(session, "api_token.created")
    token_id = int(made.subject.split(":")[1])
    assert made.actor_id == admin.id and made.detail == {"scope": "read"}
    assert client.post(f"/admin/api-tokens/{token_id}/revoke", **ADDRESS).status_code == 303
    assert audit(session, "api_token.revoked")[0].subject == f"api_token:{token_id}"
