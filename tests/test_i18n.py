"""Languages: the desk in the recruiter's language, service errors translated where shown,
and the candidate's language order (application, explicit choice, browser)."""


import pytest

from portal.models import Recruiter
from portal.services import InputError
from portal.services.catalog import create_client
from tests.factories import make_application, make_client, make_job, make_recruiter
from tests.helpers import sign_in, text_of


def test_desk_speaks_the_recruiters_language(client, session):
    """A Swedish-speaking recruiter gets the desk, its dates and stage labels in Swedish."""
    recruiter = make_recruiter(session, language="sv")
    job = make_job(session, owner=recruiter)
    make_application(session, job=job, name="Sofia Ek", language="en")
    sign_in(client, recruiter.email)

    page = client.get("/admin/", headers={"Accept-Language": "en"})
    assert '<html lang="sv">' in page.text
    words = text_of(page.text)
    assert "Ansökningar" in words and "1 ansökan, mest brådskande först" in words
    assert "Ansökan mottagen" in words  # the stage label in the recruiter's language
    assert "i dag" in words  # "today", relative and localised
    assert "Applications" not in words


def test_recruiter_chooses_the_desk_language_on_admin_me(client, session):
    recruiter = make_recruiter(session, language="en")
    sign_in(client, recruiter.email)
    assert "Your settings" in client.get("/admin/me").text

    response = client.post("/admin/me", data={"language": "sv"})
    assert response.status_code == 303
    page = client.get("/admin/me")
    assert '<html lang="sv">' in page.text
    assert "Dina inställningar har sparats." in text_of(page.text)
    session.expire_all()
    assert session.get(Recruiter, recruiter.id).language == "sv"

    refused = client.post("/admin/me", data={"language": "de"})
    assert refused.status_code == 422
    assert "ett av sv, en" in text_of(refused.text) or "ett av en, sv" in text_of(refused.text)


def test_service_errors_are_translated_where_shown(client, session):
    """The service raises in English (the CLI and logs read it); the page shows it in the
    recruiter's language, placeholders filled in."""
    with pytest.raises(InputError) as raised:
        create_client(session=session, name="", slug="x")
    assert raised.value.message == "a client needs a name"
    session.rollback()

    recruiter = make_recruiter(session, language="sv", admin=True)  # setup is for admins
    make_client(session, slug="taken")
    sign_in(client, recruiter.email)
    page = client.post("/admin/clients/new", data={"name": "", "country": "SE",
                                                   "default_language": "sv"})
    assert page.status_code == 422
    assert "en kund behöver ett namn" in text_of(page.text)
    page = client.post("/admin/clients/new", data={"name": "Acme", "slug": "taken",
                                                   "country": "SE", "default_language": "sv"})
    assert "'taken' används redan av en annan kund" in text_of(page.text)


def test_candidate_language_order(app, client, session):
    """Application first (even against ?lang and the browser), then ?lang, then the browser."""
    from portal.core.tokens import make_status_token

    application = make_application(session, language="sv")
    with app.app_context():
        token = make_status_token(application.id, application.token_version)
    page = client.get(f"/s/{token}?lang=en", headers={"Accept-Language": "en"})
    assert '<html lang="sv">' in page.text

    missing = client.get("/s/nonsense?lang=sv", headers={"Accept-Language": "en"})
    assert missing.status_code == 404 and '<html lang="sv">' in missing.text
    assert "Länken fungerar inte" in text_of(missing.text)
    browser = client.get("/s/nonsense", headers={"Accept-Language": "sv-SE,sv;q=0.9"})
    assert '<html lang="sv">' in browser.text
    english = client.get("/s/nonsense", headers={"Accept-Language": "de, en;q=0.5"})
    assert '<html lang="en">' in english.text


def test_login_page_follows_the_browser_and_offers_the_other_language(client):
    page = client.get("/admin/login", headers={"Accept-Language": "sv"})
    assert "Logga in i statuspanelen" in text_of(page.text)
    assert 'hreflang="en"' in page.text
    wrong = client.post("/admin/login?lang=sv", data={"email": "x@y.example", "password": "no"})
    assert "matchar ingen rekryterarinloggning" in text_of(wrong.text)
