"""A Swedish recruiter reads every form's refusal in Swedish (one way to translate form errors).

Each desk and admin form is sent with bad input by a recruiter whose language is Swedish; the
error texts the page shows (the summary at the top and the message beside the field) must hold
none of the English messages' words, and some Swedish.
"""

import io
import re
from html import unescape

import pytest

from portal.models import Client
from tests.factories import make_application, make_client, make_job, make_recruiter
from tests.helpers import sign_in

# Words of the English messages that a Swedish text never contains.
ENGLISH = re.compile(
    r"\b(at least|at most|characters|must|is not|not a|invalid|required|choose|give|"
    r"please|correct this|the next update|already|a date as|only|one of)\b", re.IGNORECASE,
)
SWEDISH = re.compile(
    r"[åäöÅÄÖ]|\b(inte|ingen|minst|högst|tecken|ett|en|den|välj|ange|rätta|saknar)\b",
                     re.IGNORECASE)
ERRORS = re.compile(
    r'<div class="form-errors"[^>]*>(.*?)</div>|<p class="error"[^>]*>(.*?)</p>', re.S
)


def error_texts(html: str) -> list[str]:
    """The texts of the page's error elements."""
    found = []
    for summary, beside in ERRORS.findall(html):
        text = unescape(re.sub(r"<[^>]+>", " ", summary or beside))
        found.append(" ".join(text.split()))
    return [text for text in found if text]


@pytest.fixture
def swedish_admin(client, session):
    admin = make_recruiter(session, admin=True, language="sv", name="Sara Lind")
    session.commit()
    sign_in(client, admin.email)
    return admin


def _forms(session, admin):
    company = make_client(session, name="Nordljus AB", slug="nordljus")
    job = make_job(session, client=company, owner=admin, title="Data Engineer")
    application = make_application(session, job=job)
    session.commit()
    long_note = "x" * 5001
    return [
        ("new client", "/admin/clients/new", {"name": "", "slug": "Bad Slug!", "country": "XX"}),
        ("client settings", f"/admin/clients/{company.id}", {
            "name": "Nordljus AB", "accent_color": "red", "embed_origins": "ftp://x",
            "privacy_url": "javascript:alert(1)", "status_page_url": "", "country": "SE",
            "default_language": "en",
        }),
        ("new job", "/admin/jobs/new", {"client_id": str(company.id), "title": "",
                                        "promise_days": "0"}),
        ("new application", "/admin/applications/new", {
            "job_id": str(job.id), "name": "Eva Example", "email": "not-an-email",
        }),
        ("update: bad date", f"/admin/applications/{application.id}/updates", {
            "public_note": "Hej", "promised_by": "2026-13-45",
        }),
        ("update: past date", f"/admin/applications/{application.id}/updates", {
            "public_note": "Hej", "promised_by": "2020-01-01",
        }),
        ("update: long note", f"/admin/applications/{application.id}/updates", {
            "public_note": long_note,
        }),
        ("update: nothing", f"/admin/applications/{application.id}/updates", {}),
        ("bulk preview", "/admin/bulk/preview", {
            "ids": str(application.id), "action": "promise", "promised_by": "31/12/2026",
        }),
        ("new recruiter", "/admin/recruiters/new", {
            "email": "ny@agency.example", "name": "Ny Rekryterare", "password": "short",
            "language": "sv",
        }),
        ("password change", "/admin/password", {
            "current_password": "wrong", "password": "short", "confirm_password": "other",
        }),
        ("api token", "/admin/api-tokens", {"name": "", "scope": "read"}),
        ("webhook", "/admin/webhooks", {"url": "ftp://hooks.example", "events": []}),
    ]


def test_every_form_refuses_in_swedish(client, session, swedish_admin):
    """Does every desk and admin form show its errors in Swedish to a Swedish recruiter?"""
    checked = 0
    for label, path, data in _forms(session, swedish_admin):
        response = client.post(path, data=data)
        assert response.status_code in (400, 409, 422), (label, response.status_code)
        texts = error_texts(response.text)
        assert texts, (label, response.text[:300])
        for text in texts:
            assert not ENGLISH.search(text), (label, text)
            assert SWEDISH.search(text), (label, text)
        checked += 1
    assert checked == 13


def test_the_csv_import_refuses_in_swedish(client, session, swedish_admin):
    """Is a file that is no CSV refused in Swedish on the import page?"""
    company = session.get(Client, make_client(session).id)
    job = make_job(session, client=company, owner=swedish_admin)
    session.commit()
    response = client.post("/admin/applications/import", data={
        "job_id": str(job.id), "dry_run": "1",
        "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00\x00binary"), "photo.csv"),
    }, content_type="multipart/form-data")
    texts = error_texts(response.text)
    assert response.status_code == 422 and texts
    for text in texts:
        assert not ENGLISH.search(text), text
        assert SWEDISH.search(text), text


def test_the_english_words_are_caught(client, session):
    """Would the check catch an English message (the test can fail)?"""
    english_admin = make_recruiter(session, admin=True, language="en")
    session.commit()
    sign_in(client, english_admin.email)
    response = client.post("/admin/recruiters/new", data={
        "email": "ny@agency.example", "name": "Ny", "password": "short", "language": "sv",
    })
    assert any(ENGLISH.search(text) for text in error_texts(response.text))
