"""A newcomer follows only the API reference page: its token command and its curl examples,
run as printed (with a real curl against a live server), create an application and post
updates. The page itself loads in Chromium without console errors or CSP violations."""

import json
import shlex
import subprocess

import pytest
from sqlmodel import select

from portal.models import Application, OutboxMessage, Update
from tests.factories import make_job

pytestmark = pytest.mark.browser


def test_the_reference_page_walks_a_newcomer_through_token_application_and_update(
    browser, live_server, page_errors, runner, session
):
    job = make_job(session)
    assert job.id == 1  # the examples use job 1, as a fresh portal has it
    page = page_errors(browser.new_page())
    page.goto(f"{live_server}/api/v1/docs")
    blocks = page.locator("pre code").all_inner_texts()
    assert page.locator("h1").inner_text() == "Candidate portal API"
    page.close()
    assert page_errors.errors == []

    token_command = next(b for b in blocks if b.startswith("portal api-tokens create"))
    result = runner.invoke(args=shlex.split(token_command)[1:])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]

    curls = [b for b in blocks if b.startswith("curl")]
    assert len(curls) >= 4
    application_id = None
    answers = []
    for command in curls:
        if application_id is not None:
            command = command.replace("/applications/42/", f"/applications/{application_id}/")
        completed = subprocess.run(
            ["bash", "-c", command + " -w '\\n%{http_code}'"], capture_output=True, text=True,
            env={"PORTAL_TOKEN": token, "PATH": "/usr/bin:/bin"}, timeout=30, check=False,
        )
        assert completed.returncode == 0, completed.stderr
        body, _, status = completed.stdout.rpartition("\n")
        answers.append((command, int(status), json.loads(body)))
        if "POST" in command and command.rstrip().endswith("}'") and "/applications " in command:
            application_id = json.loads(body)["id"]
    for command, status, body in answers:
        assert status in (200, 201), (command, status, body)
    assert application_id is not None

    session.rollback()
    application = session.get(Application, application_id)
    assert application.name == "Ada Lindqvist"
    kinds = [u.kind for u in session.exec(
        select(Update).where(Update.application_id == application_id).order_by(Update.id)
    )]
    assert kinds == ["created", "stage_change", "no_news"]
    purposes = [m.purpose for m in session.exec(
        select(OutboxMessage).where(OutboxMessage.application_id == application_id)
    )]
    assert purposes[0] == "acknowledgement" and len(purposes) == 3
