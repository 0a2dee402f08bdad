"""The ``portal`` command: recruiters, applications, updates and links from a terminal."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from portal.core.clock import today
from portal.models import Application, Recruiter, Stage, Update, UpdateKind
from tests.factories import make_application, make_job
from tests.helpers import BASE_URL

PASSWORD_INPUT = "a long password here\n"


@pytest.fixture
def application(db):
    return make_application(db, job=make_job(db, promise_days=5), name="Cli Candidate")


def fresh(db: Session, model, ident: int):
    db.rollback()
    db.expire_all()
    return db.get(model, ident)


def updates_of(db: Session, application_id: int) -> list[Update]:
    db.rollback()
    db.expire_all()
    return list(db.exec(
        select(Update).where(Update.application_id == application_id)
        .order_by(Update.created_at, Update.id)
    ))


def invoke(runner, *args: str, stdin: str | None = None):
    return runner.invoke(args=list(args), input=stdin)


def assert_ok(result) -> list[str]:
    assert result.exception is None, result.output
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


def assert_one_line_error(result, *words: str) -> str:
    """A handled failure: non-zero exit, a single "Error:" line naming it, nothing else."""
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    for word in words:
        assert word in errors[0]
    assert result.output.strip() == errors[0]
    assert result.stdout == ""
    return errors[0]


def opens(client, url: str) -> int:
    assert url.startswith(f"{BASE_URL}/s/"), url
    return client.get(url.removeprefix(BASE_URL)).status_code


# --- recruiters ----------------------------------------------------------------------------


@pytest.mark.parametrize("admin", [False, True], ids=["recruiter", "admin"])
def test_recruiters_add_takes_the_password_from_stdin_and_the_login_works(
    runner, client, db, admin
):
    """Can a recruiter added from the CLI (password piped in) sign in to the desk?"""
    args = ["recruiters", "add", "New.Person@Agency.example", "--name", "New Person"]
    result = invoke(runner, *args, *(["--admin"] if admin else []), stdin=PASSWORD_INPUT)
    lines = assert_ok(result)
    db.rollback()
    recruiter = db.exec(select(Recruiter)).one()
    assert lines == [f"Recruiter {recruiter.id} added: {recruiter.email} ({recruiter.role})"]
    assert recruiter.name == "New Person"
    assert recruiter.is_admin is admin
    assert "a long password here" not in recruiter.password_hash
    wrong = client.post(
        "/admin/login", data={"email": "new.person@agency.example", "password": "a long password"}
    )
    assert wrong.status_code == 401
    response = client.post(
        "/admin/login",
        data={"email": "new.person@agency.example", "password": "a long password here"},
    )
    assert response.status_code == 303
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("email", "stdin", "words"),
    [
        pytest.param("short@agency.example", "too short\n", ["password", "at least 12"],
                     id="short-password"),
        pytest.param("not-an-email", PASSWORD_INPUT, ["email", "not a valid email address"],
                     id="invalid-email"),
    ],
)
def test_recruiters_add_refuses_bad_input_in_one_line(runner, db, email, stdin, words):
    """Does a too-short password or a bad email give a one-line error and add nobody?"""
    result = invoke(runner, "recruiters", "add", email, "--name", "No Body", stdin=stdin)
    assert_one_line_error(result, *words)
    db.rollback()
    assert db.exec(select(func.count()).select_from(Recruiter)).one() == 0


# --- applications --------------------------------------------------------------------------


def test_applications_add_prints_the_id_first_and_the_status_url_last(runner, client, db):
    """Does `applications add` print the new id first and a working status URL last?"""
    job = make_job(db, title="Warehouse Lead")
    result = invoke(runner, "applications", "add", "--job", str(job.id), "--name", "Nora Nyberg",
                    "--email", "nora@mail.example", "--language", "sv")
    lines = assert_ok(result)
    db.rollback()
    application = db.exec(
        select(Application).where(Application.email == "nora@mail.example")
    ).one()
    assert str(application.id) in lines[0].split()
    assert (application.name, application.language, application.job_id) == (
        "Nora Nyberg", "sv", job.id
    )
    assert lines[-1].startswith(f"{BASE_URL}/s/")
    page = client.get(lines[-1].removeprefix(BASE_URL))
    assert page.status_code == 200
    assert "Warehouse Lead" in page.text
    assert "Ansökan mottagen" in page.text  # the candidate's language, Swedish


@pytest.mark.parametrize(
    ("job", "email", "extra", "words"),
    [
        pytest.param("999", "x@mail.example", [], ["no job with id 999"], id="unknown-job"),
        pytest.param(None, "not-an-email", [], ["email", "not a valid email address"],
                     id="invalid-email"),
        pytest.param(None, "x@mail.example", ["--language", "fi"], ["--language", "'fi'"],
                     id="bad-language"),
        pytest.param("abc", "x@mail.example", [], ["--job", "'abc'", "not an id"],
                     id="job-not-a-number"),
    ],
)
def test_applications_add_refuses_bad_input_in_one_line(runner, db, job, email, extra, words):
    """Does an unknown job, a bad email or an unknown language fail with one line, adding none?"""
    job = job or str(make_job(db).id)
    result = invoke(runner, "applications", "add", "--job", job, "--name", "Xavier X",
                    "--email", email, *extra)
    assert_one_line_error(result, *words)
    db.rollback()
    assert db.exec(select(func.count()).select_from(Application)).one() == 0


# --- updates -------------------------------------------------------------------------------


def test_updates_add_note_with_a_promise(runner, db, application):
    """Does `updates add --note --promise` post the note and set that promise?"""
    promise = today() + timedelta(days=12)
    result = invoke(runner, "updates", "add", str(application.id), "--note", "Interviews soon.",
                    "--promise", promise.isoformat())
    lines = assert_ok(result)
    assert lines == [line for line in lines if promise.isoformat() in line]
    update = updates_of(db, application.id)[-1]
    assert (update.kind, update.public_note, update.is_public, update.promised_by) == (
        UpdateKind.NOTE, "Interviews soon.", True, promise
    )
    assert fresh(db, Application, application.id).promised_by == promise


def test_updates_add_stage(runner, db, application):
    """Does `updates add --stage interview` move the application to that stage?"""
    assert_ok(invoke(runner, "updates", "add", str(application.id), "--stage", "interview"))
    stored = fresh(db, Application, application.id)
    assert db.get(Stage, stored.stage_id).key == "interview"
    assert updates_of(db, application.id)[-1].kind == UpdateKind.STAGE_CHANGE


def test_updates_add_internal_note_stays_internal(runner, db, application):
    """Does `updates add --internal` store a non-public note and leave the promise alone?"""
    promise_before = application.promised_by
    assert_ok(invoke(runner, "updates", "add", str(application.id), "--internal", "Call back."))
    update = updates_of(db, application.id)[-1]
    assert (update.kind, update.internal_note, update.public_note, update.is_public) == (
        UpdateKind.INTERNAL, "Call back.", None, False
    )
    assert fresh(db, Application, application.id).promised_by == promise_before


def test_updates_add_no_news(runner, db, application):
    """Does `updates add --no-news` post the kind "no news yet" note with a new promise?"""
    result = invoke(runner, "updates", "add", str(application.id), "--no-news")
    assert "(no_news)" in assert_ok(result)[0]
    update = updates_of(db, application.id)[-1]
    assert update.kind == UpdateKind.NO_NEWS
    assert update.is_public
    assert "I had hoped" in update.public_note
    assert update.promised_by > today()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(["--application", "999", "--note", "Hi"], ["no application with id 999"],
                     id="unknown-application"),
        pytest.param(["--promise", "2026-13-45"], ["--promise", "2026-13-45", "YYYY-MM-DD"],
                     id="bad-date"),
        pytest.param(["--stage", "nope"], ["stage", "unknown stage 'nope'"], id="unknown-stage"),
        pytest.param(["--note", "Hi", "--promise", "YESTERDAY"], ["promised_by", "past date"],
                     id="past-promise"),
        pytest.param(["--application", "99999999999999999999", "--note", "Hi"],
                     ["APPLICATION_ID", "not an id"], id="id-too-large"),
    ],
)
def test_updates_add_refuses_bad_input_in_one_line(runner, db, application, args, words):
    """Do unknown ids, bad dates, unknown stages, past promises fail in one line, posting none?"""
    yesterday = (today() - timedelta(days=1)).isoformat()
    args = [yesterday if arg == "YESTERDAY" else arg for arg in args]
    target = str(application.id)
    if args[0] == "--application":
        target, args = args[1], args[2:]
    before = len(updates_of(db, application.id))
    result = invoke(runner, "updates", "add", target, *args)
    assert_one_line_error(result, *words)
    assert len(updates_of(db, application.id)) == before


# --- links ---------------------------------------------------------------------------------


def test_link_prints_the_current_url(runner, client, application):
    """Does `link ID` print a status URL that opens the application's page?"""
    lines = assert_ok(invoke(runner, "link", str(application.id)))
    assert opens(client, lines[-1]) == 200


def test_link_revoke_prints_a_new_url_and_the_old_one_dies(runner, client, db, application):
    """After `link ID --revoke`, does the old URL 404 and the new one open?"""
    old_url = assert_ok(invoke(runner, "link", str(application.id)))[-1]
    lines = assert_ok(invoke(runner, "link", str(application.id), "--revoke"))
    new_url = lines[-1]
    assert new_url != old_url
    assert opens(client, old_url) == 404
    assert opens(client, new_url) == 200
    assert fresh(db, Application, application.id).token_version == 2


def test_link_for_an_unknown_application_is_a_one_line_error(runner):
    """Does `link 999` fail with one line naming the missing application?"""
    assert_one_line_error(invoke(runner, "link", "999"), "no application with id 999")


# --- the database and the real console script ---------------------------------------------


def test_db_upgrade_on_a_migrated_database_succeeds(runner, application):
    """Is `db upgrade` harmless on a database that is already at head?"""
    lines = assert_ok(invoke(runner, "db", "upgrade"))
    assert lines[-1].startswith("Database at head")


def test_console_script_migrates_and_fails_cleanly(tmp_path):
    """Does the installed `portal` script migrate a new database and fail in one stderr line?"""
    portal = Path(sys.executable).parent / "portal"
    assert portal.exists()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PORTAL_", "FLASK_"))}
    env.update({
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "PORTAL_SECRET_KEY": "a-secret-key-for-this-test-only",
    })

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(portal), *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, check=False)

    upgraded = run("db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Database at head" in upgraded.stdout
    failed = run("applications", "add", "--job", "999", "--name", "Nobody Here",
                 "--email", "nobody@mail.example")
    assert failed.returncode != 0
    assert failed.stderr.strip() == "Error: no job with id 999"
    assert "Traceback" not in failed.stdout + failed.stderr
    assert failed.stdout == ""
