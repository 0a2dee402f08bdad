"""Bulk updates from the desk list: preview, confirm, one transaction, every candidate emailed.

Through the test client with and without htmx headers, and at the service level for a batch
of 1,000 (exactly 1,000 emails and 1,000 timeline entries, or nothing at all on a failure).
"""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlmodel import Session, select

from portal.core.clock import now, today
from portal.models import Application, OutboxMessage, Stage, Update, UpdateKind
from portal.services.applications import create_application
from portal.services.bulk import BulkRequest, apply_bulk
from portal.services.updates import post_update
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter
from tests.helpers import HTMX, count, sign_in


@pytest.fixture
def desk(db, client):
    """A signed-in recruiter, a Swedish client with a job, four open candidates (two per
    language), one closed and one who turned emails off."""
    recruiter = make_recruiter(db, name="Rita Rekryterare")
    acme = make_client(db, name="Åkesson & Öberg AB", default_language="sv")
    job = make_job(db, client=acme, owner=recruiter, title="Lagerchef")
    people = [
        make_application(db, job=job, name="Åsa Öst", email="asa@mail.example", language="sv"),
        make_application(db, job=job, name="Erik Ek", email="erik@mail.example", language="sv"),
        make_application(db, job=job, name="Jane Doe", email="jane@mail.example", language="en"),
        make_application(db, job=job, name="John Roe", email="john@mail.example", language="en"),
    ]
    closed = make_application(db, job=job, name="Clo Sed", email="closed@mail.example")
    post_update(session=db, application=closed, author=recruiter, stage_key="not_selected")
    silent = make_application(db, job=job, name="Sil Ent", email="silent@mail.example")
    silent.unsubscribed_at = now()
    db.add(silent)
    db.commit()
    sign_in(client, recruiter.email)
    return {"recruiter": recruiter, "job": job, "people": people, "closed": closed,
            "silent": silent}


def bulk_form(**fields) -> dict:
    base = {"scope": "selected", "filter_status": "open", "action": "no_news"}
    return {**base, **fields}


def test_desk_list_has_labelled_checkboxes_and_the_bulk_form(desk, client):
    html = client.get("/admin/").text
    for person in desk["people"]:
        box = f'id="select-{person.id}" name="selected" value="{person.id}" form="bulk-form"'
        assert box in html and f'aria-label="Select {person.name}"' in html
    assert 'id="bulk-form"' in html and "All 5 applications on this page" in html
    assert '<label for="select-page"' in html and "desk-bulk.js" in html


def test_preview_names_recipients_and_sends_nothing(desk, db, client):
    people = desk["people"]
    outbox_before = count(db, OutboxMessage)
    response = client.post("/admin/bulk/preview", data=bulk_form(
        selected=[str(p.id) for p in people[:3]] + [str(desk["closed"].id)],
    ))
    assert response.status_code == 200
    html = unescape(response.text)
    assert "3 applications will be updated." in html
    assert "Åsa Öst <asa@mail.example>" in html and "Jane Doe <jane@mail.example>" in html
    assert "John Roe" not in html
    assert "Clo Sed <closed@mail.example>: closed; reopen it on its own page first" in html
    # The no-news text as each language will read it.
    assert "Jag hade hoppats få besked från Åkesson & Öberg AB" in html
    assert "I had hoped to hear from Åkesson & Öberg AB" in html
    ids = re.search(r'name="ids" value="([^"]*)"', response.text)[1]
    assert ids == ",".join(str(p.id) for p in people[:3])
    assert count(db, OutboxMessage) == outbox_before


def test_confirm_without_javascript_redirects_with_the_result(desk, db, client):
    people = desk["people"]
    outbox_before = count(db, OutboxMessage)
    ids = ",".join(str(p.id) for p in people) + f",{desk['closed'].id},{desk['silent'].id}"
    response = client.post(
        "/admin/bulk/apply", data=bulk_form(ids=ids, filter_job=str(desk["job"].id))
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/?job={desk['job'].id}"
    page = unescape(client.get(response.headers["Location"]).text)
    assert "Updated 5 applications. 4 emails queued. 1 skipped:" in page
    assert "Clo Sed (closed@mail.example): closed; reopen it on its own page first" in page
    assert count(db, OutboxMessage) == outbox_before + 4
    for person in people:
        assert count(db, Update, Update.application_id == person.id,
                     Update.kind == UpdateKind.NO_NEWS) == 1
    # Each candidate in their own language.
    messages = {m.to_address: m for m in db.exec(
        select(OutboxMessage).where(OutboxMessage.purpose == "update:no_news"))}
    assert messages["asa@mail.example"].subject.startswith("Inget nytt")
    assert messages["jane@mail.example"].subject.startswith("No news yet")
    assert "silent@mail.example" not in messages
    assert count(db, Update, Update.application_id == desk["silent"].id,
                 Update.kind == UpdateKind.NO_NEWS) == 1


def test_htmx_preview_is_a_fragment_and_confirm_swaps_the_list(desk, db, client):
    people = desk["people"]
    response = client.post("/admin/bulk/preview", headers=HTMX, data=bulk_form(
        scope="page", page_ids=",".join(str(p.id) for p in people),
        action="note", public_note="Vi har fått nya datum för intervjuerna.",
        internal_note="Kunden bekräftade på telefon.",
    ))
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="bulk-preview-heading"' in response.text
    assert "4 applications will be updated." in response.text
    ids = re.search(r'name="ids" value="([^"]*)"', response.text)[1]
    response = client.post("/admin/bulk/apply", headers=HTMX, data=bulk_form(
        ids=ids, action="note", public_note="Vi har fått nya datum för intervjuerna.",
        internal_note="Kunden bekräftade på telefon.",
    ))
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="desk-results"')
    assert "Updated 4 applications. 4 emails queued." in response.text
    notes = db.exec(select(Update).where(Update.kind == UpdateKind.NOTE)).all()
    assert len(notes) == 4
    assert {n.internal_note for n in notes} == {"Kunden bekräftade på telefon."}


def test_all_matching_the_filter(desk, db, client):
    response = client.post("/admin/bulk/preview", data=bulk_form(
        scope="filter", filter_q="mail.example", filter_status="all",
    ))
    html = unescape(response.text)
    assert "5 applications will be updated." in html  # 4 + the silent one; closed skipped
    assert "1 skipped" in html


def test_stage_change_skips_closed_and_those_already_there(desk, db, client):
    people = desk["people"]
    post_update(session=db, application=people[0], author=None, stage_key="interview")
    db.commit()
    ids = ",".join(str(p.id) for p in people) + f",{desk['closed'].id}"
    response = client.post("/admin/bulk/apply", data=bulk_form(
        ids=ids, action="stage", to_stage="interview"))
    assert response.status_code == 303
    page = unescape(client.get("/admin/").text)
    assert "Updated 3 applications. 3 emails queued. 2 skipped:" in page
    assert "Åsa Öst (asa@mail.example): already at “Interview”" in page
    interview = db.exec(select(Stage).where(Stage.job_id == desk["job"].id,
                                            Stage.key == "interview")).one()
    assert count(db, Application, Application.stage_id == interview.id) == 4


@pytest.mark.parametrize("fields, message", [
    ({"action": "stage"}, "Choose the stage to move the applications to."),
    ({"action": "note"}, "Write the note to the candidates."),
    ({"action": "promise"}, "Choose the date of the next update."),
    ({"action": "promise", "promised_by": "2000-01-01"}, "cannot be promised for a past date"),
    ({"action": "no_news", "selected": []}, "Select at least one application."),
])
def test_preview_refuses_incomplete_requests(desk, client, fields, message):
    data = bulk_form(**{"selected": [str(desk["people"][0].id)], **fields})
    response = client.post("/admin/bulk/preview", data=data)
    assert response.status_code == 422
    assert message in unescape(response.text)
    assert "Confirm" not in response.text
    htmx_response = client.post("/admin/bulk/preview", data=data, headers=HTMX)
    assert htmx_response.status_code == 422 and message in unescape(htmx_response.text)


def test_new_promise_for_many(desk, db, client):
    day = today() + timedelta(days=20)
    ids = ",".join(str(p.id) for p in desk["people"])
    client.post("/admin/bulk/apply", data=bulk_form(ids=ids, action="promise",
                                                    promised_by=day.isoformat()))
    db.expire_all()
    for person in desk["people"]:
        assert db.get(Application, person.id).promised_by == day


def test_bulk_posts_need_a_csrf_token(make_app, desk, db):
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    strict.post("/admin/login", data={"email": desk["recruiter"].email, "password": PASSWORD})
    for path in ("/admin/bulk/preview", "/admin/bulk/apply"):
        response = strict.post(path, data=bulk_form(ids=str(desk["people"][0].id)))
        assert response.status_code == 400


def test_bulk_needs_a_signed_in_recruiter(app):
    response = app.test_client().post("/admin/bulk/apply", data=bulk_form(ids="1"))
    assert response.status_code in (302, 303, 401)


# --- 1,000 in one transaction ----------------------------------------------------------------


def many_applications(db: Session, job, n: int) -> list[int]:
    """``n`` applications through the real service, without their acknowledgements."""
    ids = []
    for i in range(n):
        application = create_application(
            session=db, job_id=job.id, name=f"Kandidat {i} Åström", email=f"k{i}@mail.example",
            language="sv" if i % 2 else "en", notify=False,
        )
        ids.append(application.id)
    db.commit()
    return ids


def test_thousand_applications_in_one_transaction(db, app):
    recruiter = make_recruiter(db)
    job = make_job(db, owner=recruiter)
    ids = many_applications(db, job, 1000)
    with app.test_request_context():
        result = apply_bulk(session=db, ids=ids, request=BulkRequest(action="no_news"),
                            author=recruiter)
        db.commit()
    assert result.updated == 1000 and result.emailed == 1000 and not result.skipped
    assert count(db, OutboxMessage, OutboxMessage.purpose == "update:no_news") == 1000
    assert count(db, Update, Update.kind == UpdateKind.NO_NEWS) == 1000
    # One transaction: every entry carries the same moment.
    moments = db.exec(select(Update.created_at).where(Update.kind == UpdateKind.NO_NEWS)
                      .distinct()).all()
    assert len(moments) == 1


def test_a_failure_mid_batch_leaves_nothing_written(db, app, monkeypatch):
    import portal.services.updates as updates

    recruiter = make_recruiter(db)
    job = make_job(db, owner=recruiter)
    ids = many_applications(db, job, 1000)
    real = updates.queue_update_email
    calls = {"n": 0}

    def failing(**kwargs):
        calls["n"] += 1
        if calls["n"] == 600:
            raise RuntimeError("SMTP template exploded")
        return real(**kwargs)

    monkeypatch.setattr(updates, "queue_update_email", failing)
    with app.test_request_context(), pytest.raises(RuntimeError):
        try:
            apply_bulk(session=db, ids=ids, request=BulkRequest(action="no_news"),
                       author=recruiter)
        except RuntimeError:
            db.rollback()
            raise
    assert calls["n"] == 600
    assert count(db, OutboxMessage, OutboxMessage.purpose == "update:no_news") == 0
    assert count(db, Update, Update.kind == UpdateKind.NO_NEWS) == 0
    promised = db.exec(select(Application.promised_by).distinct()).all()
    assert len(promised) == 1  # nobody's promise moved


def test_failure_in_the_view_rolls_back(desk, db, client, monkeypatch):
    import portal.services.updates as updates

    def failing(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(updates, "queue_update_email", failing)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    ids = ",".join(str(p.id) for p in desk["people"])
    response = client.post("/admin/bulk/apply", data=bulk_form(ids=ids))
    assert response.status_code == 500
    assert count(db, Update, Update.kind == UpdateKind.NO_NEWS) == 0

