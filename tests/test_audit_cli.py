"""One audit event per action, whichever path took it: the command line, the desk and the API
record the same action names, because the services record them, given who acted."""

import ast
from pathlib import Path

import pytest
from sqlmodel import select

from portal.models import AuditEvent
from portal.services.api_tokens import create_token
from tests.factories import PASSWORD, make_application, make_job, make_recruiter

PORTAL = Path(__file__).resolve().parent.parent / "portal"
PASSWORD_INPUT = "a long password here\n"

# The service functions that record an audit event, given ``actor``.
AUDITED = {
    "create_recruiter", "change_password", "set_recruiter_access", "create_application",
    "revoke_link", "post_update", "post_no_news_update", "resend", "apply_bulk", "import_csv",
    "record_export", "create_client", "create_job", "update_client_settings",
    "remove_client_logo", "create_token", "revoke_token", "create_endpoint", "update_endpoint",
    "rotate_secret", "run_retention", "anonymise_application", "export_application",
    "send_erasure_confirmation",
}
# Made-up data on purpose: nobody acted.
UNAUDITED_MODULES = {"cli/seed.py", "cli/demo.py"}


def events(session, action: str | None = None) -> list[AuditEvent]:
    session.rollback()
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return list(session.exec(statement))


def assert_by_cli(event: AuditEvent) -> None:
    assert event.actor_id is None
    assert event.actor_label == "command line"
    assert event.ip_address is None
    assert event.detail["by"] == "cli"


def invoke_ok(runner, *args: str, stdin: str | None = None) -> list[str]:
    result = runner.invoke(args=list(args), input=stdin)
    assert result.exception is None, result.output
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def test_cli_recruiters_applications_and_updates_leave_an_audit_trail(runner, session):
    invoke_ok(runner, "recruiters", "add", "cli.person@agency.example", "--name", "Cli Person",
              stdin=PASSWORD_INPUT)
    [made] = events(session, "recruiter.created")
    assert_by_cli(made)
    assert made.subject.startswith("recruiter:") and made.detail["role"] == "recruiter"

    job = make_job(session)
    lines = invoke_ok(runner, "applications", "add", "--job", str(job.id), "--name", "Nora Ny",
                      "--email", "nora@mail.example")
    application_id = int(lines[0].split()[1])
    [created] = events(session, "application.created")
    assert_by_cli(created)
    assert created.application_id == application_id

    invoke_ok(runner, "updates", "add", str(application_id), "--stage", "interview",
              "--note", "See you soon.")
    [update] = events(session, "application.update")
    [moved] = events(session, "application.stage_change")
    for event in (update, moved):
        assert_by_cli(event)
        assert event.application_id == application_id
    assert update.detail == {"by": "cli", "public_note": True, "internal_note": False}
    assert "See you soon" not in str(update.detail)

    invoke_ok(runner, "updates", "add", str(application_id), "--no-news")
    [no_news] = events(session, "application.no_news")
    assert_by_cli(no_news)

    invoke_ok(runner, "link", str(application_id), "--revoke")
    [revoked] = events(session, "link.revoked")
    assert_by_cli(revoked)
    assert revoked.detail["token_version"] == 2


def test_cli_api_tokens_are_audited(runner, session):
    lines = invoke_ok(runner, "api-tokens", "create", "Nightly sync", "--scope", "write")
    token_id = int(lines[0].split()[2])
    invoke_ok(runner, "api-tokens", "revoke", str(token_id))
    [made] = events(session, "api_token.created")
    [revoked] = events(session, "api_token.revoked")
    for event in (made, revoked):
        assert_by_cli(event)
        assert event.subject == f"api_token:{token_id}"


@pytest.fixture
def desk_and_api(client, session):
    """A signed-in recruiter in the desk, and a write token for the API."""
    owner = make_recruiter(session, name="Olga Owner")
    job = make_job(session, owner=owner)
    response = client.post("/admin/login", data={"email": owner.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert response.status_code == 303
    new = create_token(session=session, name="ATS", scope="write", created_by=owner.id)
    session.commit()
    return owner, job, {"Authorization": f"Bearer {new.secret}"}


def test_desk_and_api_record_the_same_events(client, session, desk_and_api):
    owner, job, headers = desk_and_api
    address = {"environ_base": {"REMOTE_ADDR": "192.0.2.10"}}
    in_desk = make_application(session, job=job, name="Desk Person", email="d@mail.example")
    response = client.post(f"/admin/applications/{in_desk.id}/updates",
                           data={"stage": "interview", "public_note": "Hello"}, **address)
    assert response.status_code in (200, 303), response.text
    created = client.post("/api/v1/applications", headers=headers, json={
        "job_id": job.id, "name": "Api Person", "email": "a@mail.example", "language": "en",
    }, **address)
    assert created.status_code == 201, created.text
    via_api = created.json["id"]
    posted = client.post(f"/api/v1/applications/{via_api}/updates", headers=headers,
                         json={"stage": "interview", "public_note": "Hello"}, **address)
    assert posted.status_code == 201, posted.text

    def actions_of(application_id: int) -> list[str]:
        return [e.action for e in events(session) if e.application_id == application_id]

    assert actions_of(in_desk.id) == ["application.update", "application.stage_change"]
    assert actions_of(via_api) == [
        "application.created", "application.update", "application.stage_change"]
    desk_update, api_update = [e for e in events(session, "application.update")]
    assert desk_update.actor_id == owner.id and desk_update.actor_label is None
    assert api_update.actor_label.startswith("API token ")
    assert api_update.detail == {"via": "api", **desk_update.detail}
    assert desk_update.ip_address == api_update.ip_address == "192.0.2.10"


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            dry_run = any(k.arg == "dry_run" and getattr(k.value, "value", None) is True
                          for k in node.keywords)
            if name in AUDITED and not dry_run:  # a dry run changes nothing, records nothing
                yield name, node


def test_every_call_of_an_audited_service_says_who_acted():
    """Does each call of a recording service in the portal pass ``actor`` (so no path, like
    the command line once did, changes things without a trail)?"""
    missing = []
    for path in PORTAL.rglob("*.py"):
        relative = path.relative_to(PORTAL).as_posix()
        if relative in UNAUDITED_MODULES or "migrations" in path.parts:
            continue
        for name, call in _calls(ast.parse(path.read_text())):
            if not any(keyword.arg == "actor" for keyword in call.keywords):
                missing.append(f"{relative}:{call.lineno} {name}")
    assert missing == []


def test_services_and_core_run_without_flask_babel_or_a_request():
    """Services never import Flask-Babel or Flask's request (they run from the CLI and cron)."""
    for folder in ("services",):
        for path in (PORTAL / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom | ast.Import):
                    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
                        alias.name for alias in node.names]
                    assert not any(n == "flask" or n.startswith(("flask.", "flask_"))
                                   for n in names), f"{path}: {ast.unparse(node)}"
