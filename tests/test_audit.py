"""The audit log: what is recorded, the admin's page with filters and keyset pages, and
that the app offers no way to change it."""

import ast
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from portal.models import AuditEvent
from portal.services.audit import AuditFilter, list_events, record
from tests.factories import make_application, make_job, make_recruiter
from tests.helpers import login

PORTAL = Path(__file__).resolve().parent.parent / "portal"


def events(session) -> list[AuditEvent]:
    session.rollback()
    return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


@pytest.fixture
def people(session):
    return make_recruiter(session, admin=True, name="Ada Admin"), make_recruiter(session)


def test_every_recruiter_action_is_recorded_with_actor_time_and_address(
    client, session, people
):
    admin, recruiter = people
    job = make_job(session, owner=recruiter)
    application = make_application(session, job=job)
    address = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    login(client, recruiter.email, "wrong password!", **address)
    login(client, recruiter.email, **address)
    base = f"/admin/applications/{application.id}"
    client.post(base + "/updates", data={"public_note": "Hello", "stage": "interview"}, **address)
    client.post(base + "/no-news", **address)
    client.post(base + "/link", **address)
    client.post("/admin/logout", **address)
    login(client, admin.email, **address)
    client.post(base + "/export", **address)
    client.post("/admin/recruiters/new", data={"name": "New Person",
                                               "email": "new@agency.example",
                                               "password": "plum orchard violin 42",
                                               "role": "recruiter", "language": "en"}, **address)
    client.post(base + "/erase", data={"confirm": "erase"}, **address)
    recorded = events(session)
    actions = [e.action for e in recorded]
    for expected in ["login.failed", "login", "application.update", "application.stage_change",
                     "application.no_news", "link.revoked", "logout", "gdpr.export",
                     "recruiter.created", "gdpr.erasure"]:
        assert expected in actions, expected
    for event in recorded:
        assert event.ip_address == "192.0.2.7"
        assert event.created_at is not None
    failed = next(e for e in recorded if e.action == "login.failed")
    assert failed.actor_id is None and failed.actor_label == recruiter.email.lower()
    update = next(e for e in recorded if e.action == "application.update")
    assert (update.actor_id, update.application_id) == (recruiter.id, application.id)
    assert "Hello" not in str(update.detail)  # no note text in the trail


def test_admin_changes_are_recorded(client, session, people):
    admin, recruiter = people
    login(client, admin.email)
    client.post("/admin/clients/new", data={"name": "Birch AB", "slug": "birch",
                                            "country": "SE", "default_language": "sv"})
    client.post(f"/admin/recruiters/{recruiter.id}", data={"role": "admin", "active": "1"})
    actions = [e.action for e in events(session)]
    assert "client.created" in actions and "recruiter.changed" in actions
    change = [e for e in events(session) if e.action == "recruiter.changed"][-1]
    assert change.subject == f"recruiter:{recruiter.id}"
    assert change.detail["after"]["role"] == "admin"


def test_audit_page_filters_and_pages_by_keyset(client, session, people):
    admin, recruiter = people
    start = datetime(2026, 1, 10, 12, tzinfo=UTC)
    for n in range(120):
        record(session=session, action="application.update" if n % 2 else "login",
               actor_id=recruiter.id if n % 3 else admin.id, application_id=n % 5 + 1,
               at=start + timedelta(hours=n), ip_address="198.51.100.1")
    session.commit()
    login(client, admin.email)
    page = client.get("/admin/audit")
    assert page.status_code == 200
    ids = [int(i) for i in re.findall(r'<tr id="event-(\d+)"', page.text)]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    following = re.search(r'rel="next" href="([^"]+)"', page.text)[1].replace("&amp;", "&")
    second = client.get(following)
    second_ids = [int(i) for i in re.findall(r'<tr id="event-(\d+)"', second.text)]
    assert second_ids and max(second_ids) < min(ids)
    filtered = client.get(f"/admin/audit?actor={admin.id}&action=login&application=1")
    rows = re.findall(r'<tr id="event-(\d+)"', filtered.text)
    expected = [e for e in events(session) if e.actor_id == admin.id and e.action == "login"
                and e.application_id == 1]
    assert len(rows) == len(expected) > 0
    dated = client.get("/admin/audit?since=2026-01-11&until=2026-01-11")
    day_rows = re.findall(r'<tr id="event-(\d+)"', dated.text)
    assert 20 <= len(day_rows) <= 26  # one local day of hourly events
    bad = client.get("/admin/audit?since=yesterday")
    assert bad.status_code == 422 and "yesterday" in bad.text and "not a date" in bad.text


def test_keyset_pages_never_skip_or_repeat(session, people):
    admin, _ = people
    same_moment = datetime(2026, 2, 1, tzinfo=UTC)
    for _ in range(7):
        record(session=session, action="login", actor_id=admin.id, at=same_moment)
    session.commit()
    seen, cursor = [], None
    while True:
        page = list_events(session=session, audit_filter=AuditFilter(), cursor=cursor, limit=3)
        seen += [e.id for e in page.events]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7


def test_the_app_has_no_path_that_updates_or_deletes_audit_events():
    """Does no module of the portal update or delete AuditEvent rows (append-only)?"""
    for path in PORTAL.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                    "update", "delete"):
                assert not any(getattr(arg, "id", None) == "AuditEvent" for arg in node.args), (
                    f"{path}: {ast.unparse(node)}")
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "delete":
                assert "AuditEvent" not in ast.unparse(node), path
        assert not re.search(r"(?i)(update|delete from)\s+auditevent", source), path


def test_audit_page_is_for_admins_only(client, people):
    _, recruiter = people
    login(client, recruiter.email)
    assert client.get("/admin/audit").status_code == 403
