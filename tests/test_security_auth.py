"""Passwords, sign-in throttling, sessions and ``next``: ASVS V6 (authentication) and V7
(session management)."""

import re
import time
from urllib.parse import quote, urlsplit

import pytest
from sqlmodel import select

from portal import create_app
from portal.auth.views import safe_next
from portal.core.db import get_engine
from portal.models import AuditEvent, Recruiter
from portal.services import InputError
from portal.services.recruiters import (
    authenticate,
    check_password_strength,
    common_passwords,
    create_recruiter,
)
from tests.factories import PASSWORD, make_recruiter
from tests.helpers import login

NEW_PASSWORD = "lingonberry tram orbit velvet"


def audit_actions(session) -> list[str]:
    session.rollback()
    return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


# --- passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["short", "elevenchars", "x" * 11])
def test_password_shorter_than_12_is_refused(password):
    """Is a password under 12 characters refused with the rule in the message?"""
    with pytest.raises(InputError, match="at least 12 characters"):
        check_password_strength(password)


@pytest.mark.parametrize(
    "password", ["1q2w3e4r5t6y", "qwertyuiop2024", "PASSWORD123456", "Summer2024!!!",
                 "iloveyou12345", "aaaaaaaaaaaaaaaa", "abababababababab"],
)
def test_common_passwords_are_refused(password):
    """Are passwords from the common-password list (or one padded with digits) refused?"""
    with pytest.raises(InputError, match="common"):
        check_password_strength(password)


def test_common_password_list_is_shipped_package_data():
    """Does the list come from an installed package (no network) and hold 30,000 entries?"""
    words = common_passwords()
    assert len(words) > 25_000
    assert {"password", "123456", "qwerty"} <= words


def test_password_equal_to_email_or_name_is_refused():
    with pytest.raises(InputError, match="name or email"):
        check_password_strength("ritarecruiter", email="ritarecruiter@agency.example")


@pytest.mark.parametrize("password", [PASSWORD, NEW_PASSWORD, "Tr0ub4dor&3-horse"])
def test_long_uncommon_passwords_are_accepted(password):
    check_password_strength(password)


def test_passwords_are_stored_as_argon2id(session):
    """Is the stored password an argon2id hash, never the password itself?"""
    recruiter = make_recruiter(session)
    assert recruiter.password_hash.startswith("$argon2id$")
    assert PASSWORD not in recruiter.password_hash


def test_create_recruiter_refuses_a_weak_password(session):
    with pytest.raises(InputError) as refused:
        create_recruiter(session=session, email="w@agency.example", name="W",
                         password="password1234")
    assert refused.value.field == "password"


def test_unknown_user_costs_a_hash_verification_too(session):
    """Does an unknown email take about as long as a wrong password (a dummy hash is checked)?"""
    recruiter = make_recruiter(session)

    def timed(email):
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            assert authenticate(session=session, email=email, password="wrong password x") is None
            best = min(best, time.perf_counter() - start)
        return best

    known, unknown = timed(recruiter.email), timed("nobody@agency.example")
    assert unknown > known * 0.5 and known > unknown * 0.5


# --- sign-in throttling ---------------------------------------------------------------------


@pytest.fixture
def throttled_app(make_app):
    return make_app(LOGIN_LIMIT_PER_ACCOUNT="3/minute", LOGIN_LIMIT_PER_ADDRESS="5/minute")


def test_failed_logins_per_account_are_throttled_with_a_clear_429(throttled_app, session):
    """After 3 failures for one account, is the 4th attempt (even a right one) a clear 429?"""
    recruiter = make_recruiter(session)
    client = throttled_app.test_client()
    for _ in range(3):
        assert login(client, recruiter.email, "wrong password here").status_code == 401
    response = login(client, recruiter.email)
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert int(response.headers["Retry-After"]) > 0
    # Another account from another address is not affected.
    other = make_recruiter(session)
    fresh = throttled_app.test_client()
    response = fresh.post("/admin/login", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                          data={"email": other.email, "password": PASSWORD})
    assert response.status_code == 303
    assert "login.throttled" in audit_actions(session)


def test_account_limit_holds_across_addresses_and_spellings(throttled_app, session):
    """Does changing address or the email's case not reset the per-account count?"""
    recruiter = make_recruiter(session)
    client = throttled_app.test_client()
    for n, email in enumerate([recruiter.email, recruiter.email.upper(), f" {recruiter.email}"]):
        response = client.post("/admin/login", data={"email": email, "password": "wrong pw!"},
                               environ_base={"REMOTE_ADDR": f"10.0.1.{n}"})
        assert response.status_code == 401
    response = client.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "10.0.1.99"})
    assert response.status_code == 429


def test_failed_logins_per_address_are_throttled(throttled_app, session):
    """Does one address trying many accounts get a 429 after 5 failures?"""
    client = throttled_app.test_client()
    for n in range(5):
        assert login(client, f"guess{n}@agency.example", "wrong password!").status_code == 401
    assert login(client, "guess9@agency.example", "wrong password!").status_code == 429


def test_successful_logins_do_not_count(throttled_app, session):
    """Can a recruiter sign in more often than the limit when every attempt succeeds?"""
    recruiter = make_recruiter(session)
    client = throttled_app.test_client()
    for _ in range(6):
        assert login(client, recruiter.email).status_code == 303
        client.post("/admin/logout")


def test_production_rate_limit_storage_is_configurable(app_config, monkeypatch):
    """Can production share counts across workers through Redis (PORTAL_RATELIMIT_...)?"""
    monkeypatch.setenv("PORTAL_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    app = create_app(app_config)
    try:
        assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    finally:
        get_engine(app).dispose()


# --- same answer ----------------------------------------------------------------------------


def test_unknown_user_wrong_password_and_inactive_user_get_the_same_answer(client, session):
    recruiter = make_recruiter(session)
    inactive = make_recruiter(session)
    inactive.is_active = False
    session.add(inactive)
    session.commit()
    answers = [login(client, recruiter.email, "not the password"),
               login(client, "nobody@agency.example"), login(client, inactive.email)]
    assert {a.status_code for a in answers} == {401}
    texts = {re.sub(r'value="[^"]*"', "", a.text) for a in answers}
    assert len(texts) == 1


# --- sessions -------------------------------------------------------------------------------


def test_password_change_ends_every_other_session(app, session):
    """After a password change: do other browsers' cookies die, and this one live on?"""
    recruiter = make_recruiter(session)
    here, elsewhere = app.test_client(), app.test_client()
    assert login(here, recruiter.email).status_code == 303
    assert login(elsewhere, recruiter.email).status_code == 303
    stolen = elsewhere.get_cookie("session").value
    page = here.get("/admin/password")
    assert page.status_code == 200 and "at least 12 characters" in page.text.replace(
        "At least", "at least")
    response = here.post("/admin/password", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 303
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    assert thief.get("/admin/").status_code == 302
    fresh = app.test_client()
    assert login(fresh, recruiter.email).status_code == 401
    assert login(fresh, recruiter.email, NEW_PASSWORD).status_code == 303
    assert "password.changed" in audit_actions(session)


@pytest.mark.parametrize(
    ("form", "field_message"),
    [
        ({"current_password": "wrong one!!!", "password": NEW_PASSWORD,
          "confirm_password": NEW_PASSWORD}, "not your current password"),
        ({"current_password": PASSWORD, "password": "short", "confirm_password": "short"},
         "at least 12 characters"),
        ({"current_password": PASSWORD, "password": "1q2w3e4r5t6y",
          "confirm_password": "1q2w3e4r5t6y"}, "most common passwords"),
        ({"current_password": PASSWORD, "password": NEW_PASSWORD,
          "confirm_password": NEW_PASSWORD + "x"}, "differ"),
    ],
)
def test_password_change_refusals_explain_and_change_nothing(client, session, form,
                                                             field_message):
    recruiter = make_recruiter(session)
    login(client, recruiter.email)
    response = client.post("/admin/password", data=form)
    assert response.status_code == 422
    assert field_message in response.text
    assert NEW_PASSWORD not in response.text  # passwords are never echoed back
    session.rollback()
    assert session.get(Recruiter, recruiter.id).session_version == recruiter.session_version


def test_logout_ends_every_session(app, session):
    recruiter = make_recruiter(session)
    one, two = app.test_client(), app.test_client()
    login(one, recruiter.email)
    login(two, recruiter.email)
    assert one.post("/admin/logout").status_code == 303
    assert two.get("/admin/").status_code == 302
    assert {"login", "logout"} <= set(audit_actions(session))


def test_session_protection_is_strong_and_there_is_no_remember_me(app):
    from portal.auth.views import login_manager

    assert login_manager.session_protection == "strong"
    with app.test_request_context():
        from flask import render_template

        assert "remember" not in render_template("auth/login.html", error=None, email="",
                                                 next=None).lower()


def test_changed_user_agent_with_strong_protection_drops_the_session(app, session):
    """A copied cookie used from another browser (other user agent) signs nobody in."""
    recruiter = make_recruiter(session)
    client = app.test_client()
    signed_in = client.post("/admin/login", headers={"User-Agent": "Browser A"},
                            data={"email": recruiter.email, "password": PASSWORD})
    assert signed_in.status_code == 303
    assert client.get("/admin/", headers={"User-Agent": "Browser A"}).status_code == 200
    assert client.get("/admin/", headers={"User-Agent": "Browser B"}).status_code == 302


# --- next -----------------------------------------------------------------------------------

OFF_SITE = [
    "//evil.example", "//evil.example/admin/", "/\\evil.example", "\\\\evil.example",
    "https:evil.example", "https://evil.example/", "http:/evil.example", "javascript:alert(1)",
    "/%2F%2Fevil.example", "%2F%2Fevil.example", "/%5Cevil.example", "/%255C%255Cevil.example",
    "/%2f%2fevil.example", "https%3A%2F%2Fevil.example", "/%09/evil.example", "/\t/evil.example",
    "/%0d%0aLocation:%20https://evil.example", "evil.example", "", " //evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_never_leads_off_site(client, session, target):
    """After sign-in, does a crafted next= only ever lead to a page of this site?"""
    assert safe_next(target) is None
    recruiter = make_recruiter(session)
    response = login(client, recruiter.email, next=target)
    assert response.status_code == 303
    assert response.location == "/admin/"
    page = client.get("/admin/login?next=" + quote(target))
    assert page.status_code in (200, 302)


@pytest.mark.parametrize("target", ["/admin/", "/admin/applications/7", "/admin/?q=a%20b"])
def test_next_keeps_paths_of_this_site(target):
    assert safe_next(target) == target


def test_next_location_stays_on_this_host(client, session):
    recruiter = make_recruiter(session)
    response = login(client, recruiter.email, next="/admin/jobs")
    assert urlsplit(response.location).netloc in ("", "localhost")
