"""GDPR: the candidate's export and erasure, admins' export and erasure, and retention."""

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import func, select

from portal import create_app
from portal.core.db import get_engine
from portal.core.tokens import make_erasure_token, make_status_token
from portal.models import Application, AuditEvent, OutboxMessage, Update, WebhookDelivery
from portal.services.privacy import (
    ANONYMISED_EMAIL,
    ANONYMISED_NAME,
    anonymise_application,
    run_retention,
)
from portal.services.updates import post_update
from portal.services.webhooks import create_endpoint
from tests.factories import make_application, make_job, make_recruiter
from tests.helpers import SAME_ORIGIN, IsolatedCliRunner, reload, sign_in, status_path


@pytest.fixture
def people(session):
    admin = make_recruiter(session, admin=True, name="Ada Admin")
    recruiter = make_recruiter(session, name="Rita Recruiter")
    return admin, recruiter


@pytest.fixture
def application(session, people):
    _, recruiter = people
    job = make_job(session, owner=recruiter, title="Data Engineer")
    application = make_application(session, job=job, name="Sam Lind", email="sam@mail.example")
    post_update(session=session, application=application, author=recruiter,
                stage_key="screening", public_note="We liked your CV, Sam.",
                internal_note="Strong SQL; ask about notice period", promised_by=None)
    session.commit()
    return application


def audit(session) -> list[AuditEvent]:
    session.rollback()
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


# --- the candidate's export -----------------------------------------------------------------


def test_status_page_offers_download_and_erasure(app, client, application):
    page = client.get(status_path(app, application))
    assert "Download everything we hold about you" in page.text
    assert "/my-data" in page.text and "/erase" in page.text


def test_candidate_downloads_everything_held_including_internal_notes(
    app, client, session, application
):
    """Does the JSON hold name, email, every note (internal too) and the emails sent?"""
    response = client.get(status_path(app, application) + "/my-data")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    data = json.loads(response.data)
    assert data["application"]["name"] == "Sam Lind"
    assert data["application"]["email"] == "sam@mail.example"
    notes = [u["internal_note"] for u in data["updates"]]
    assert "Strong SQL; ask about notice period" in notes
    assert "We liked your CV, Sam." in [u["note_to_candidate"] for u in data["updates"]]
    assert data["emails"] and all(e["to"] == "sam@mail.example" for e in data["emails"])
    assert any("Data Engineer" in e["subject"] for e in data["emails"])
    events = audit(session)
    assert events[-1].action == "gdpr.export" and events[-1].application_id == application.id


def test_export_with_a_bad_or_revoked_token_is_404(app, client, session, application):
    path = status_path(app, application)
    assert client.get("/s/garbage/my-data").status_code == 404
    application = reload(session, Application, application.id)
    application.token_version += 1
    session.add(application)
    session.commit()
    assert client.get(path + "/my-data").status_code == 404


# --- the candidate's erasure ----------------------------------------------------------------


def erasure_link(session) -> str:
    session.rollback()
    message = session.exec(
        select(OutboxMessage).where(OutboxMessage.purpose == "erasure_confirmation")
    ).one()
    return re.search(r"http://portal\.test(/erase/\S+)", message.body_text)[1]


def test_erasure_request_emails_a_confirmation_link_and_changes_nothing(
    app, client, session, application
):
    path = status_path(app, application)
    page = client.get(path + "/erase")
    assert page.status_code == 200 and "Erase your data?" in page.text
    response = client.post(path + "/erase", headers=SAME_ORIGIN)
    assert response.status_code == 200 and "Check your email" in response.text
    link = erasure_link(session)
    message = session.exec(select(OutboxMessage).where(
        OutboxMessage.purpose == "erasure_confirmation")).one()
    assert message.to_address == "sam@mail.example"
    assert link in message.body_html
    assert reload(session, Application, application.id).name == "Sam Lind"
    # A mail scanner following the link (GET) erases nothing.
    confirm = client.get(link)
    assert confirm.status_code == 200 and "Yes, erase my data" in confirm.text
    assert confirm.headers["Cache-Control"] == "no-store"
    assert reload(session, Application, application.id).anonymised_at is None


def test_confirmed_erasure_anonymises_keeps_figures_and_revokes_links(
    app, client, session, application
):
    path = status_path(app, application)
    before = reload(session, Application, application.id)
    stage_id, created, promised = before.stage_id, before.created_at, before.promised_by
    client.post(path + "/erase", headers=SAME_ORIGIN)
    link = erasure_link(session)
    response = client.post(link, headers=SAME_ORIGIN)
    assert response.status_code == 200 and "Your data has been erased" in response.text
    after = reload(session, Application, application.id)
    assert (after.name, after.email) == (ANONYMISED_NAME, ANONYMISED_EMAIL)
    assert after.anonymised_at is not None and after.unsubscribed_at is not None
    assert (after.stage_id, after.created_at, after.promised_by) == (stage_id, created, promised)
    updates = session.exec(select(Update).where(Update.application_id == application.id)).all()
    assert len(updates) == 2
    assert all(u.public_note is None and u.internal_note is None for u in updates)
    assert all(u.created_at is not None for u in updates)
    for message in session.exec(select(OutboxMessage).where(
            OutboxMessage.application_id == application.id)):
        assert "Sam" not in message.subject + message.body_text + (message.body_html or "")
        assert message.to_address == ANONYMISED_EMAIL
        assert message.status != "queued"
    # The link is dead, and the confirmation link is single use.
    assert client.get(path).status_code == 404
    again = client.post(link, headers=SAME_ORIGIN)
    assert "Your data has been erased" in again.text
    assert [e.action for e in audit(session)][-2:] == ["gdpr.erasure_requested", "gdpr.erasure"]


def test_erasure_link_expires(app_config, app, client, session, application):
    with app.test_request_context():
        token = make_erasure_token(application.id, application.token_version)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        response = client.get(f"/erase/{token}")
        assert response.status_code == 410
        assert client.post(f"/erase/{token}", headers=SAME_ORIGIN).status_code == 410
    assert reload(session, Application, application.id).anonymised_at is None


def test_erasure_link_dies_when_the_status_link_is_renewed(app, client, session, application):
    with app.test_request_context():
        token = make_erasure_token(application.id, application.token_version)
    application = reload(session, Application, application.id)
    application.token_version += 1
    session.add(application)
    session.commit()
    assert client.post(f"/erase/{token}", headers=SAME_ORIGIN).status_code == 410
    assert reload(session, Application, application.id).anonymised_at is None


def test_status_token_is_no_erasure_token_and_back(app, client, application):
    """A token minted for one purpose never works for another."""
    with app.test_request_context():
        status = make_status_token(application.id, application.token_version)
        erasure = make_erasure_token(application.id, application.token_version)
    assert client.get(f"/erase/{status}").status_code == 404
    assert client.get(f"/s/{erasure}").status_code == 404


def test_erasure_page_speaks_swedish(app, client, session, people):
    application = make_application(session, language="sv")
    path = status_path(app, application)
    page = client.get(path + "/erase")
    assert page.status_code == 200
    assert 'lang="sv"' in page.text


# --- admins ---------------------------------------------------------------------------------


def test_admin_exports_on_request_and_it_is_audited(client, session, people, application):
    admin, _ = people
    sign_in(client, admin.email)
    page = client.get(f"/admin/applications/{application.id}")
    assert "Download all data about this candidate" in page.text
    response = client.post(f"/admin/applications/{application.id}/export")
    assert response.status_code == 200
    assert json.loads(response.data)["application"]["email"] == "sam@mail.example"
    event = audit(session)[-1]
    assert (event.action, event.actor_id, event.application_id) == (
        "gdpr.export", admin.id, application.id)


def test_erasure_reaches_the_recruiters_email_and_the_webhook_events(
    app, client, session, people, application
):
    """The candidate's question is quoted in an email to the recruiter and in a webhook event;
    after erasure neither holds it, and neither is sent any more."""
    endpoint = create_endpoint(session=session, url="http://127.0.0.1:9/hooks",
                               events=["candidate.asked"], allow_private=True)
    session.commit()
    path = status_path(app, application)
    asked = client.post(path + "/question", headers=SAME_ORIGIN,
                        data={"question": "Sam here: is remote work possible?",
                              "request_key": "erasure-test-key-0123456789"})
    assert asked.status_code == 303
    session.rollback()
    notice = session.exec(select(OutboxMessage).where(
        OutboxMessage.about_application_id == application.id)).one()
    assert notice.recruiter_id is not None and "remote work" in notice.body_text
    event = session.exec(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id)).one()
    assert "remote work" in event.payload and event.status == "pending"

    assert anonymise_application(session=session, application_id=application.id)
    session.commit()
    session.expire_all()
    notice = session.get(OutboxMessage, notice.id)
    assert (notice.status, notice.body_text, notice.body_html) == ("failed", "", None)
    assert "Sam" not in notice.subject
    event = session.get(WebhookDelivery, event.id)
    assert (event.status, event.payload) == ("failed", "{}")


def test_admin_erasure_needs_the_typed_word_and_is_audited(client, session, people, application):
    admin, _ = people
    sign_in(client, admin.email)
    url = f"/admin/applications/{application.id}/erase"
    assert client.post(url, data={"confirm": ""}).status_code == 303
    assert reload(session, Application, application.id).anonymised_at is None
    assert client.post(url, data={"confirm": "erase"}).status_code == 303
    assert reload(session, Application, application.id).name == ANONYMISED_NAME
    event = audit(session)[-1]
    assert (event.action, event.actor_id) == ("gdpr.erasure", admin.id)
    page = client.get(f"/admin/applications/{application.id}")
    assert "Anonymised on" in page.text and "Sam Lind" not in page.text


def test_recruiter_cannot_export_or_erase(client, session, people, application):
    _, recruiter = people
    sign_in(client, recruiter.email)
    assert "Download all data" not in client.get(f"/admin/applications/{application.id}").text
    assert client.post(f"/admin/applications/{application.id}/export").status_code == 403
    assert client.post(f"/admin/applications/{application.id}/erase",
                       data={"confirm": "erase"}).status_code == 403


# --- retention ------------------------------------------------------------------------------


def closed_application(session, job, *, closed_on: date, name: str):
    moment = datetime(closed_on.year, closed_on.month, closed_on.day, 10, tzinfo=UTC)
    application = make_application(session, job=job, name=name, at=moment - timedelta(days=20))
    post_update(session=session, application=application, author=None, stage_key="not_selected",
                public_note=f"Thank you {name}", internal_note="meh", promised_by=None, at=moment)
    session.commit()
    return application


def test_retention_run_anonymises_only_old_closed_applications(runner, session, people):
    _, recruiter = people
    job = make_job(session, owner=recruiter)
    today = date.today()
    old = closed_application(session, job, closed_on=today - timedelta(days=800), name="Old One")
    recent = closed_application(session, job, closed_on=today - timedelta(days=100),
                                name="Recent One")
    open_one = make_application(session, job=job, name="Open One",
                                at=datetime.now(UTC) - timedelta(days=1000))
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    cutoff = (today - timedelta(days=730)).isoformat()
    assert dry.output.strip() == f"Would anonymise 1 application closed before {cutoff}"
    assert reload(session, Application, old.id).name == "Old One"
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"Anonymised 1 application closed before {cutoff}"
    assert reload(session, Application, old.id).name == ANONYMISED_NAME
    assert reload(session, Application, recent.id).name == "Recent One"
    assert reload(session, Application, open_one.id).name == "Open One"
    again = runner.invoke(args=["retention", "run"])
    assert again.output.strip() == f"Anonymised 0 applications closed before {cutoff}"
    assert audit(session)[-1].action == "retention.run"


def test_retention_keeps_the_figures_of_promise_statistics(session, people):
    """Are update dates, promised dates, kinds and stages unchanged after anonymising?"""
    _, recruiter = people
    job = make_job(session, owner=recruiter)
    old = closed_application(session, job, closed_on=date.today() - timedelta(days=900),
                             name="Figure Keeper")

    def figures():
        session.rollback()
        rows = session.exec(select(Update.created_at, Update.promised_by, Update.kind,
                                   Update.stage_id).where(Update.application_id == old.id)
                            .order_by(Update.id)).all()
        app_row = session.get(Application, old.id)
        return rows, app_row.stage_id, app_row.created_at, app_row.last_update_at

    before = figures()
    result = run_retention(session=session, days=730, today=date.today(), batch_size=1)
    assert result.count == 1
    assert figures() == before


def test_retention_batches_cover_every_id_range(session, people):
    _, recruiter = people
    job = make_job(session, owner=recruiter)
    old_day = date.today() - timedelta(days=800)
    made = [closed_application(session, job, closed_on=old_day, name=f"Batch {n}")
            for n in range(7)]
    result = run_retention(session=session, days=730, today=date.today(), batch_size=2)
    assert result.count == 7
    session.rollback()
    names = session.exec(select(Application.name).where(
        Application.id.in_([a.id for a in made]))).all()
    assert set(names) == {ANONYMISED_NAME}
    left = session.exec(select(func.count()).select_from(Application).where(
        Application.name.like("Batch%"))).one()
    assert left == 0


def test_retention_days_come_from_the_configuration(app_config, session, people, monkeypatch):
    _, recruiter = people
    job = make_job(session, owner=recruiter)
    closed_application(session, job, closed_on=date.today() - timedelta(days=40), name="Forty")
    monkeypatch.setenv("PORTAL_RETENTION_DAYS", "30")
    app = create_app(app_config)
    app.test_cli_runner_class = IsolatedCliRunner  # its own app context, not the test's
    try:
        result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run"])
        assert "Would anonymise 1 application" in result.output
    finally:
        get_engine(app).dispose()


def test_admin_retention_page_counts_and_runs(client, session, people):
    admin, recruiter = people
    job = make_job(session, owner=recruiter)
    closed_application(session, job, closed_on=date.today() - timedelta(days=800), name="Due")
    sign_in(client, admin.email)
    page = client.get("/admin/retention")
    assert "1 application closed before" in page.text
    response = client.post("/admin/retention", follow_redirects=True)
    assert "Anonymised 1 application" in response.text
