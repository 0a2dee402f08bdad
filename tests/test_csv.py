"""CSV import and export: encodings, delimiters, Swedish text, bad rows, duplicates, round trip.

Each file is written here byte by byte the way a spreadsheet saves it, and the tests check
that exactly the reported rows are imported or reported, through the service, the
``portal applications import/export`` commands and the desk's import page and export link.
"""

import csv
import io
import re
from pathlib import Path

import pytest
from sqlmodel import Session, select, text

from portal.core.db import get_engine
from portal.models import Application, OutboxMessage, Stage, Update, UpdateKind
from portal.services.csv_export import safe_cell
from portal.services.csv_import import ImportFileError, import_csv
from portal.services.updates import post_update
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter
from tests.helpers import count

BOM = "\ufeff"

# Swedish Excel: BOM, semicolons, CRLF, å/ä/ö/é, a quoted note with a line break and a
# semicolon inside, and every kind of bad row.
SWEDISH = (
    BOM
    + "Namn;E-post;Språk;Steg;Anteckning\r\n"
    + "Åsa Öberg;asa@mail.example;sv;Intervju;\"Träffades på mässan;\r\nring i maj\"\r\n"   # 2
    + "René Ångström;rene@mail.example;en;;\r\n"                                             # 3
    + "Bad Email;rene-at-mail.example;sv;;\r\n"                                               # 4
    + ";noname@mail.example;sv;;\r\n"                                                         # 5
    + "Örjan Ek;orjan@mail.example;fi;Okänd;\r\n"                                             # 6
    + "ÅSA ÖBERG igen;ASA@mail.example;;;\r\n"                                                # 7
    + ";;;;\r\n"                                                                              # 8
    + "Märta Äng;marta@mail.example;;screening;\r\n"                                          # 9
)
SWEDISH_PROBLEMS = [
    (4, "E-post", "“rene-at-mail.example” is not a valid email address"),
    (5, "Namn", "the name is empty"),
    (6, "Språk", "unknown language “fi” (use en, sv)"),
    (6, "Steg", "unknown stage “Okänd” for this job (known: applied, closed, final, hired, "
                "interview, not_selected, offer, screening, withdrawn)"),
    (7, "E-post", "ASA@mail.example is already on row 2 of this file"),
]


@pytest.fixture
def job(db):
    client = make_client(db, name="Åkesson & Öberg AB", default_language="sv")
    return make_job(db, client=client, owner=make_recruiter(db), title="Lagerchef")


def run(db: Session, app, data: bytes, job_id: int, *, dry_run: bool = False):
    with app.test_request_context():
        return import_csv(session=db, binary=io.BytesIO(data), job_id=job_id, dry_run=dry_run)


def problems(report) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in report.problems]


def applications_of(db: Session, job_id: int) -> list[Application]:
    db.rollback()
    db.expire_all()
    return list(db.exec(select(Application).where(Application.job_id == job_id)
                        .order_by(Application.id)))


# --- the service ------------------------------------------------------------------------------


def test_dry_run_reports_every_problem_and_imports_nothing(db, app, job):
    report = run(db, app, SWEDISH.encode("utf-8"), job.id, dry_run=True)
    assert (report.encoding, report.delimiter) == ("utf-8-sig", ";")
    assert problems(report) == SWEDISH_PROBLEMS
    assert report.rows == 7 and report.imported == 3 and report.skipped_rows == 4
    assert applications_of(db, job.id) == []
    assert count(db, OutboxMessage) == 0


def test_real_run_imports_the_valid_rows_and_acknowledges_each(db, app, job):
    report = run(db, app, SWEDISH.encode("utf-8"), job.id)
    assert problems(report) == SWEDISH_PROBLEMS
    imported = applications_of(db, job.id)
    assert [(a.name, a.email, a.language) for a in imported] == [
        ("Åsa Öberg", "asa@mail.example", "sv"),
        ("René Ångström", "rene@mail.example", "en"),
        ("Märta Äng", "marta@mail.example", "sv"),  # empty language: the client's
    ]
    stages = {s.id: s.key for s in db.exec(select(Stage).where(Stage.job_id == job.id))}
    assert [stages[a.stage_id] for a in imported] == ["interview", "applied", "screening"]
    acknowledgements = db.exec(select(OutboxMessage).where(
        OutboxMessage.purpose == "acknowledgement")).all()
    assert sorted(m.to_address for m in acknowledgements) == [
        "asa@mail.example", "marta@mail.example", "rene@mail.example"]
    note = db.exec(select(Update).where(Update.application_id == imported[0].id,
                                        Update.kind == UpdateKind.INTERNAL)).one()
    assert note.internal_note == "Träffades på mässan;\r\nring i maj"
    assert note.is_public is False


def test_reimporting_the_same_file_creates_no_duplicates(db, app, job):
    run(db, app, SWEDISH.encode("utf-8"), job.id)
    again = run(db, app, SWEDISH.encode("utf-8"), job.id)
    assert again.imported == 0
    assert len(applications_of(db, job.id)) == 3
    duplicates = [p for p in problems(again) if "already applied" in p[2]]
    assert [p[0] for p in duplicates] == [2, 3, 9]
    assert (7, "E-post", "ASA@mail.example is already on row 2 of this file") in problems(again)
    assert count(db, OutboxMessage) == 3


def test_comma_file_without_bom_with_english_headers_and_quotes(db, app, job):
    data = (
        b'Email,Full name,Language,Stage,Notes\n'
        b'jane@mail.example,"Doe, Jane",English,Screening,"Line one\nLine two, with comma"\n'
        b'john@mail.example,John Roe,svenska,Intervju,\n'
    )
    report = run(db, app, data, job.id)
    assert (report.encoding, report.delimiter, report.problems) == ("utf-8", ",", [])
    imported = applications_of(db, job.id)
    assert [(a.name, a.language) for a in imported] == [("Doe, Jane", "en"), ("John Roe", "sv")]


def test_old_excel_windows_1252_is_detected_with_a_notice(db, app, job):
    data = "namn;e-post\r\nÅsa Öberg;asa@mail.example\r\nJosé Älv;jose@mail.example\r\n"
    report = run(db, app, data.encode("cp1252"), job.id)
    assert report.encoding == "cp1252"
    assert "Windows-1252" in report.notices[0]
    assert [a.name for a in applications_of(db, job.id)] == ["Åsa Öberg", "José Älv"]


def test_utf16_from_excel_unicode_text(db, app, job):
    data = "name\temail\r\nÅsa Öberg\tasa@mail.example\r\n".encode("utf-16")
    report = run(db, app, data, job.id)
    assert (report.encoding, report.delimiter, report.imported) == ("utf-16", "\t", 1)


def test_duplicate_of_an_existing_application(db, app, job):
    existing = make_application(db, job=job, email="asa@mail.example")
    report = run(db, app, b"name;email\nAsa;ASA@mail.example\n", job.id, dry_run=True)
    assert problems(report) == [
        (2, "email", f"ASA@mail.example already applied for this job (application {existing.id})")
    ]


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"first;last;phone\nA;B;C\n", "no name or email column"),
    (b"namn;telefon\nA;1\n", "no email column"),
    (b"\x00\x01\x02binary", "not a CSV file"),
])
def test_unusable_files_are_refused_as_a_whole(db, app, job, data, words):
    with pytest.raises(ImportFileError) as caught:
        run(db, app, data, job.id)
    assert words in caught.value.message
    assert applications_of(db, job.id) == []


def test_formula_injection_is_neutralised():
    for dangerous in ("=HYPERLINK(\"x\")", "+46 70", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Åsa") == "Åsa" and safe_cell(7) == 7


# --- the command line ---------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "kandidater.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_cli_dry_run_lists_problems_by_row_and_column(runner, db, job, tmp_path):
    result = runner.invoke(args=["applications", "import", write(tmp_path, SWEDISH),
                                 "--job", str(job.id), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("Dry run: 3 applications would be imported; 4 rows would be skipped; "
                        "nothing was imported")
    assert lines[1:] == [f"row {r}, {c}: {m}" for r, c, m in SWEDISH_PROBLEMS]
    assert applications_of(db, job.id) == []


def test_cli_import_then_reimport(runner, db, job, tmp_path):
    path = write(tmp_path, SWEDISH)
    result = runner.invoke(args=["applications", "import", path, "--job", str(job.id)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Imported 3 applications; 4 rows skipped"
    again = runner.invoke(args=["applications", "import", path, "--job", str(job.id)])
    assert again.exit_code == 1
    assert again.stdout.splitlines()[0] == "Imported 0 applications; 7 rows skipped"
    assert len(applications_of(db, job.id)) == 3


@pytest.mark.parametrize(("args", "words"), [
    (["/no/such/file.csv", "--job", "1"], "cannot read /no/such/file.csv"),
    (["FILE", "--job", "999"], "no job with id 999"),
    (["FILE", "--job", "x"], "--job: 'x' is not an id"),
    (["EMPTY", "--job", "JOB"], "The file is empty."),
])
def test_cli_import_errors_are_one_line(runner, job, tmp_path, args, words):
    good = write(tmp_path, "name;email\nA;a@mail.example\n")
    empty = write(tmp_path, "", name="empty.csv")
    args = [{"FILE": good, "EMPTY": empty, "JOB": str(job.id)}.get(a, a) for a in args]
    result = runner.invoke(args=["applications", "import", *args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.output.strip().startswith("Error:")
    assert len(result.output.strip().splitlines()) == 1
    assert words in result.output


def test_cli_shows_progress_on_long_files(runner, db, job, tmp_path):
    rows = "".join(f"Kandidat {n};k{n}@mail.example\n" for n in range(1200))
    result = runner.invoke(args=["applications", "import", write(tmp_path, "namn;e-post\n" + rows),
                                 "--job", str(job.id), "--dry-run"])
    assert result.exit_code == 0
    assert "… 500 rows checked" in result.stderr and "… 1000 rows checked" in result.stderr
    assert result.stdout.startswith("Dry run: 1200 applications would be imported")


def parse_export(data: bytes, delimiter=";") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""),
                           delimiter=delimiter))


def test_cli_export_round_trip_into_another_job(runner, db, job, tmp_path):
    run_result = runner.invoke(args=["applications", "import", write(tmp_path, SWEDISH),
                                     "--job", str(job.id)])
    assert run_result.exit_code == 0
    evil = make_application(db, job=job, name="=HYPERLINK(\"http://evil\")",
                            email="evil@mail.example")
    out = tmp_path / "export.csv"
    result = runner.invoke(args=["applications", "export", "--job", str(job.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Exported 4 applications to {out}"
    rows = parse_export(out.read_bytes())
    assert rows[0] == ["id", "name", "email", "language", "client", "job", "stage",
                       "last update", "next update", "overdue days", "created"]
    assert rows[1][1:7] == ["Åsa Öberg", "asa@mail.example", "sv", "Åkesson & Öberg AB",
                            "Lagerchef", "Interview"]
    assert rows[-1][0] == str(evil.id) and rows[-1][1] == "'=HYPERLINK(\"http://evil\")"
    assert b"\r\n" in out.read_bytes()

    other = make_job(db, client=job_client(db, job), title="Säljare")
    result = runner.invoke(args=["applications", "import", str(out), "--job", str(other.id)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "Ignored columns: id, client, job, last update, next update, overdue days, created",
        "Imported 4 applications; 0 rows skipped",
    ]
    copied = applications_of(db, other.id)
    assert [(a.name, a.email, a.language) for a in copied] == [
        (a.name, a.email, a.language) for a in applications_of(db, job.id)
    ]
    stages = {s.id: s.key for s in db.exec(select(Stage))}
    assert [stages[a.stage_id] for a in copied][:3] == ["interview", "applied", "screening"]


def job_client(db, job):
    from portal.models import Client

    return db.get(Client, job.client_id)


def test_cli_export_to_stdout_with_commas_and_links(runner, db, job):
    application = make_application(db, job=job, name="Åsa, Öberg")
    result = runner.invoke(args=["applications", "export", "--delimiter", "comma",
                                 "--with-links"])
    assert result.exit_code == 0
    rows = parse_export(result.stdout_bytes, delimiter=",")
    assert rows[0][7] == "status link"
    assert rows[1][1] == "Åsa, Öberg" and rows[1][7].startswith("http://portal.test/s/")
    assert rows[1][0] == str(application.id)


def test_export_marks_overdue_days(runner, db, job):
    from datetime import timedelta

    from portal.core.clock import today

    late = make_application(db, job=job)
    late.promised_by = today() - timedelta(days=3)
    db.add(late)
    closed = make_application(db, job=job)
    post_update(session=db, application=closed, author=None, stage_key="hired")
    db.commit()
    rows = parse_export(runner.invoke(args=["applications", "export"]).stdout_bytes)
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(late.id)][8:10] == [(today() - timedelta(days=3)).isoformat(), "3"]
    assert by_id[str(closed.id)][6] == "Hired" and by_id[str(closed.id)][8:10] == ["", ""]


# --- the desk -----------------------------------------------------------------------------------


@pytest.fixture
def signed_in(db, client):
    recruiter = make_recruiter(db)
    response = client.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD})
    assert response.status_code == 303
    return recruiter


def upload(client, job_id, data: bytes, *, dry_run: bool, name="kandidater.csv"):
    form = {"job_id": str(job_id), "file": (io.BytesIO(data), name)}
    if dry_run:
        form["dry_run"] = "1"
    return client.post("/admin/applications/import", data=form,
                       content_type="multipart/form-data")


def test_import_page_dry_run_then_import(signed_in, client, db, job):
    page = client.get(f"/admin/applications/import?job={job.id}")
    assert page.status_code == 200 and 'type="file"' in page.text
    response = upload(client, job.id, SWEDISH.encode(), dry_run=True)
    assert response.status_code == 200
    assert "Dry run: nothing was imported" in response.text
    assert "3 applications would be imported;" in response.text
    for row, column, _message in SWEDISH_PROBLEMS:
        assert f"<tr><td>{row}</td><td>{column}</td>" in response.text
    assert applications_of(db, job.id) == []
    response = upload(client, job.id, SWEDISH.encode(), dry_run=False)
    assert "Imported 3 applications;" in response.text and "4 rows skipped." in response.text
    imported = applications_of(db, job.id)
    assert len(imported) == 3 and imported[0].name == "Åsa Öberg"


def test_import_page_refuses_large_files_clearly(signed_in, client, app, db, job):
    app.config["IMPORT_MAX_BYTES"] = 2048
    data = ("namn;e-post\n" + "".join(f"K {n};k{n}@mail.example\n" for n in range(800))).encode()
    response = upload(client, job.id, data, dry_run=True)
    assert response.status_code == 413
    assert "too large for the web page" in response.text
    assert "portal applications import" in response.text
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    app.config["IMPORT_MAX_ROWS"] = 100
    response = upload(client, job.id, data, dry_run=False)
    assert response.status_code == 422 and "at most 1024 KiB and 100 rows" in response.text
    app.config["MAX_CONTENT_LENGTH"] = 4096  # ordinary forms stay small; uploads may be larger
    app.config["IMPORT_MAX_ROWS"] = 2000
    response = upload(client, job.id, data, dry_run=True)
    assert response.status_code == 200 and "800 applications would be imported" in response.text
    assert applications_of(db, job.id) == []


def test_import_page_needs_a_job_and_a_file(signed_in, client, job):
    response = client.post("/admin/applications/import", data={"job_id": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose the job to import into." in response.text
    assert "Choose a CSV file." in response.text
    bad = upload(client, job.id, b"first;last\n1;2\n", dry_run=True)
    assert bad.status_code == 422 and "no name or email column" in bad.text


def test_import_page_needs_csrf(make_app, db, job):
    recruiter = make_recruiter(db)
    strict = make_app(WTF_CSRF_ENABLED=True).test_client()
    login_page = strict.get("/admin/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page)[1]
    signed_in = strict.post("/admin/login", data={
        "email": recruiter.email, "password": PASSWORD, "csrf_token": token})
    assert signed_in.status_code == 303
    response = upload(strict, job.id, SWEDISH.encode(), dry_run=False)
    assert response.status_code == 400
    assert applications_of(db, job.id) == []


def test_desk_export_keeps_the_filter_and_streams(signed_in, app, client, db, job):
    other_job = make_job(db, title="Säljare")
    mine = make_application(db, job=job, name="Åsa Öberg")
    make_application(db, job=other_job, name="Not Exported")
    html = client.get(f"/admin/?job={job.id}").text
    assert f"/admin/applications/export.csv?job={job.id}" in html.replace("&amp;", "&")
    # A streamed response holds its request (and database session) until it is closed, as a
    # WSGI server closes it after sending.
    with client.get(f"/admin/applications/export.csv?job={job.id}&status=open") as response:
        assert response.status_code == 200
        assert response.is_streamed
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        rows = parse_export(response.data)
    assert [row[1] for row in rows[1:]] == ["Åsa Öberg"] and rows[1][0] == str(mine.id)
    with client.get(f"/admin/applications/export.csv?job={job.id}&delimiter=comma") as comma:
        assert parse_export(comma.data, delimiter=",")[1][1] == "Åsa Öberg"
    # Once sent, the stream has given its connection (and server-side cursor) back: none is
    # left checked out in a transaction that would block other writers.
    assert get_engine(app).pool.checkedout() == 0
    if db.get_bind().dialect.name == "postgresql":
        idle = db.exec(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state = 'idle in transaction'")).one()
        assert idle == (0,)


def test_export_needs_a_signed_in_recruiter(client):
    response = client.get("/admin/applications/export.csv")
    assert response.status_code in (302, 303, 401)
