"""Every route of the url_map, table-driven: who may use it, CSRF on every state change,
security headers on every response, cookies, HSTS and the Host header.

A new route fails ``test_every_route_has_a_role_decision`` until someone adds it to ``ROLES``
(and so decides who may use it); the other tests then cover it by themselves.
"""

import re
from urllib.parse import urlsplit

import pytest
from sqlmodel import select
from werkzeug.routing import Rule

from portal import create_app
from portal.core.db import get_engine
from portal.core.tokens import make_erasure_token, make_status_token
from portal.mail.outbox import enqueue_email
from portal.models import OutboxMessage
from tests.factories import PASSWORD, make_application, make_client, make_job, make_recruiter
from tests.helpers import SAME_ORIGIN, sign_in

# Who may use each endpoint: "public" (anyone), "candidate" (anyone holding a signed token;
# cookieless), "recruiter" (a signed-in recruiter or admin), "admin" (admins only), "token"
# (the REST API: a bearer token only; a desk session cookie grants nothing there).
ROLES = {
    "api.create_application_view": "token",
    "api.docs": "public",
    "api.get_application": "token",
    "api.get_client": "token",
    "api.get_job": "token",
    "api.list_applications": "token",
    "api.list_clients": "token",
    "api.list_jobs": "token",
    "api.list_updates": "token",
    "api.openapi_document": "public",
    "api.post_update_view": "token",
    "csv_views.export": "recruiter",
    "csv_views.import_page": "recruiter",
    "desk_bulk.apply": "recruiter",
    "desk_bulk.preview": "recruiter",
    "integrations.api_tokens": "admin",
    "integrations.create_api_token": "admin",
    "integrations.retry_webhook_delivery": "admin",
    "integrations.revoke_api_token": "admin",
    "integrations.rotate_webhook_secret": "admin",
    "integrations.webhook": "admin",
    "integrations.webhooks": "admin",
    "admin.client_settings": "admin",
    "admin.clients": "admin",
    "admin.jobs": "admin",
    "admin.new_client": "admin",
    "admin.new_job": "admin",
    "admin.remove_logo": "admin",
    "auth.login": "public",
    "auth.logout": "recruiter",
    "auth.me": "recruiter",
    "auth.password": "recruiter",
    "brand.logo": "public",
    "brand.theme": "public",
    "candidate.status": "candidate",
    "candidate.unsubscribe_page": "candidate",
    "candidate_actions.language": "candidate",
    "candidate_actions.question": "candidate",
    "candidate_actions.still_interested": "candidate",
    "candidate_actions.withdraw_page": "candidate",
    "desk.application": "recruiter",
    "desk.index": "recruiter",
    "desk.new_application": "recruiter",
    "desk.post_application_update": "recruiter",
    "desk.post_no_news": "recruiter",
    "desk.resend_email": "recruiter",
    "desk.revoke_application_link": "recruiter",
    "embed.badge": "public",
    "embed.lookup": "public",
    "embed.script": "public",
    "embed.status": "candidate",
    "embed.status_without_token": "public",
    "health.healthz": "public",
    "privacy.confirm_erasure": "candidate",
    "privacy.my_data": "candidate",
    "privacy.request_erasure": "candidate",
    "security_admin.audit": "admin",
    "security_admin.change_recruiter": "admin",
    "security_admin.erase_application": "admin",
    "security_admin.export_application_data": "admin",
    "security_admin.new_recruiter": "admin",
    "security_admin.recruiters": "admin",
    "security_admin.retention": "admin",
    "static": "public",
}
# Cookieless POSTs that must accept another site's form: RFC 8058 one-click unsubscribe
# comes from the mail provider's servers, and only stops emails.
CROSS_SITE_ALLOWED = {"candidate.unsubscribe_page"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _rules() -> list[Rule]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.endpoint, rule.rule))
    get_engine(app).dispose()
    return rules


RULES = _rules()
CASES = [
    pytest.param(rule.endpoint, method, id=f"{method} {rule.endpoint}")
    for rule in RULES for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
]
GET_CASES = [case for case in CASES if case.values[1] == "GET"]
POST_CASES = [case for case in CASES if case.values[1] in STATE_CHANGING]


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """Hundreds of sign-ins here: a cheap argon2 setting keeps them quick (the real cost is
    what ``tests/test_security_auth.py`` checks)."""
    from argon2 import PasswordHasher

    from portal.services import recruiters

    monkeypatch.setattr(recruiters, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def test_every_route_has_a_role_decision():
    """Does every endpoint of the app appear in the role table (and nothing else)?"""
    assert {rule.endpoint for rule in RULES} == set(ROLES)


@pytest.fixture
def world(app, session):
    """One of everything, and the URL arguments that name them."""
    admin = make_recruiter(session, admin=True, name="Ada Admin")
    recruiter = make_recruiter(session, name="Rita Recruiter")
    company = make_client(session, slug="nordljus", name="Nordljus AB")
    job = make_job(session, client=company, owner=recruiter)
    application = make_application(session, job=job)
    with app.test_request_context():
        token = make_status_token(application.id, application.token_version)
        erasure = make_erasure_token(application.id, application.token_version)
    message = session.exec(
        select(OutboxMessage).where(OutboxMessage.application_id == application.id)
    ).first()
    if message is None:
        message = enqueue_email(session=session, purpose="test", to_address="a@b.example",
                                subject="s", body_text="b", body_html=None, domain="x",
                                application_id=application.id)
        session.commit()
    return {
        "admin": admin, "recruiter": recruiter, "application": application,
        "args": {
            "client_id": company.id, "application_id": application.id,
            "message_id": message.id, "recruiter_id": recruiter.id, "slug": company.slug,
            "filename": "portal.css", "job_id": job.id,
            # No such token, endpoint or delivery: the role check comes before the lookup.
            "token_id": 999, "endpoint_id": 999, "delivery_id": 999,
        },
        "token": token, "erasure": erasure,
    }


def url_for_case(app, world, endpoint: str) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    args = {name: world["args"].get(name) for name in rule.arguments}
    if "token" in rule.arguments:
        args["token"] = world["erasure"] if endpoint.startswith("privacy.confirm") else (
            world["token"]
        )
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **args)


def is_login_redirect(response) -> bool:
    if response.status_code == 401:
        return urlsplit(response.headers.get("HX-Redirect", "")).path == "/admin/login"
    return response.status_code == 302 and urlsplit(response.location).path == "/admin/login"


@pytest.mark.parametrize(("endpoint", "method"), CASES)
def test_role_of_every_route(app, client, world, endpoint, method):
    """Does each route let in exactly the people its role says, and refuse the rest?"""
    url = url_for_case(app, world, endpoint)
    role = ROLES[endpoint]
    send = getattr(client, method.lower())

    anonymous = send(url, headers=SAME_ORIGIN)
    anonymous.close()
    if role == "token":
        assert anonymous.status_code == 401
        assert anonymous.mimetype == "application/problem+json"
        sign_in(client, world["admin"].email)
        with_cookie = send(url, headers=SAME_ORIGIN)
        with_cookie.close()
        assert with_cookie.status_code == 401, "a desk session must not open the API"
        return
    if role in ("recruiter", "admin"):
        assert is_login_redirect(anonymous), anonymous.status_code
    else:
        assert not is_login_redirect(anonymous)
        assert anonymous.status_code != 403, anonymous.status_code
        # 401 only from the sign-in form itself, for the empty credentials sent here.
        assert anonymous.status_code != 401 or endpoint == "auth.login"
        assert anonymous.status_code < 500

    sign_in(client, world["recruiter"].email)
    as_recruiter = send(url, headers=SAME_ORIGIN)
    as_recruiter.close()
    if role == "admin":
        assert as_recruiter.status_code == 403
        assert "Not allowed" in as_recruiter.text
    elif role == "recruiter":
        assert as_recruiter.status_code not in (401, 403) and not is_login_redirect(as_recruiter)
        assert as_recruiter.status_code < 500


@pytest.mark.parametrize(
    ("endpoint", "method"), [c for c in CASES if ROLES.get(c.values[0]) == "admin"]
)
def test_admin_may_use_every_admin_route(app, client, world, endpoint, method):
    """Does an admin get past the role check on every admin-only route?"""
    url = url_for_case(app, world, endpoint)
    sign_in(client, world["admin"].email)
    response = getattr(client, method.lower())(url)
    response.close()
    assert response.status_code not in (401, 403) and not is_login_redirect(response)
    assert response.status_code < 500


# --- CSRF -----------------------------------------------------------------------------------


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def csrf_token_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def signed_in_with_csrf(csrf_app, email: str):
    client = csrf_app.test_client()
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={
        "email": email, "password": PASSWORD, "csrf_token": csrf_token_of(page.text)})
    assert response.status_code == 303
    return client


@pytest.mark.parametrize(
    ("endpoint", "method"),
    [c for c in POST_CASES if ROLES.get(c.values[0]) in ("recruiter", "admin")
     or c.values[0] == "auth.login"],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_state_change_without_csrf_token_is_400(csrf_app, world, endpoint, method, htmx):
    """Is every state-changing desk request without a CSRF token refused with 400?"""
    client = signed_in_with_csrf(csrf_app, world["admin"].email)
    url = url_for_case(csrf_app, world, endpoint)
    headers = {"HX-Request": "true"} if htmx else {}
    response = getattr(client, method.lower())(url, data={"confirm": "erase"}, headers=headers)
    assert response.status_code == 400
    assert "expired or was sent from elsewhere" in response.text
    wrong = getattr(client, method.lower())(
        url, data={"csrf_token": "forged"}, headers={**headers, "X-CSRFToken": "forged"})
    assert wrong.status_code == 400


@pytest.mark.parametrize(
    ("endpoint", "method"),
    [c for c in POST_CASES if ROLES.get(c.values[0]) == "candidate"
     and c.values[0] not in CROSS_SITE_ALLOWED],
)
def test_cookieless_candidate_post_from_another_site_is_refused(
    app, client, world, endpoint, method
):
    """Candidate forms carry no cookie and no CSRF token: is another site's POST refused?"""
    url = url_for_case(app, world, endpoint)
    response = client.post(url, data={"request_key": "k" * 20, "question": "hi"}, headers={
        "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


# --- headers --------------------------------------------------------------------------------


def check_policy(policy: str) -> None:
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "frame-ancestors" in directives


@pytest.mark.parametrize(("endpoint", "method"), CASES)
@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_security_headers_on_every_response(app, client, world, endpoint, method, who):
    """Does every response carry the CSP, nosniff and a referrer policy, whoever asks?"""
    if who == "admin":
        sign_in(client, world["admin"].email)
    url = url_for_case(app, world, endpoint)
    response = getattr(client, method.lower())(url, headers=SAME_ORIGIN)
    response.close()
    if endpoint == "auth.logout" and who == "admin":
        # Signing out is what this request does: it did, and the desk now sends to sign-in.
        assert is_login_redirect(client.get("/admin/"))
    check_policy(response.headers["Content-Security-Policy"])
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers.get("Referrer-Policy") in ("strict-origin", "no-referrer",
                                                       "same-origin")
    assert "Strict-Transport-Security" not in response.headers  # plain http here


def test_error_pages_carry_the_headers_too(client):
    """Do a 404 and a 405 carry the security headers as well?"""
    for response in (client.get("/no/such/page"), client.get("/admin/logout")):
        check_policy(response.headers["Content-Security-Policy"])
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def https_app(make_app):
    return make_app(BASE_URL="https://portal.example")


def test_hsts_over_https(https_app):
    """Is HSTS sent on responses served over https?"""
    client = https_app.test_client()
    response = client.get("/healthz", base_url="https://portal.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = client.get("/healthz", base_url="http://portal.example")
    assert "Strict-Transport-Security" not in plain.headers


def test_session_cookie_is_host_prefixed_secure_httponly_lax_over_https(https_app, session):
    """With an https BASE_URL: is the session cookie __Host-, Secure, HttpOnly, SameSite=Lax?"""
    recruiter = make_recruiter(session)
    client = https_app.test_client()
    response = client.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD},
                           base_url="https://portal.example")
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "path"} <= attributes
    assert "domain" not in attributes
    assert "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "remember_token" not in str(response.headers)


def test_session_cookie_over_http_is_httponly_and_lax(client, session):
    """On plain http (development): HttpOnly and SameSite=Lax, and no remember-me cookie."""
    recruiter = make_recruiter(session)
    response = client.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD,
                                                 "remember": "1"})
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("session=")
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]


# --- Host header ----------------------------------------------------------------------------


def test_forged_host_never_changes_a_link(app, client, world, session):
    """With a forged Host: do the desk page, the emails and the redirects keep BASE_URL?"""
    evil = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    signed_in = client.post("/admin/login", base_url="http://evil.example", headers=evil,
                            data={"email": world["recruiter"].email, "password": PASSWORD})
    assert signed_in.status_code == 303 and "evil.example" not in signed_in.location
    evil = {"headers": evil, "base_url": "http://evil.example"}
    page = client.get(f"/admin/applications/{world['application'].id}", **evil)
    assert page.status_code == 200
    assert "evil.example" not in page.text
    assert 'value="http://portal.test/s/' in page.text
    response = client.post(f"/admin/applications/{world['application'].id}/updates",
                           data={"public_note": "News for you"}, **evil)
    assert response.status_code == 303
    assert "evil.example" not in response.location or response.location.startswith("/")
    session.expire_all()
    for message in session.exec(select(OutboxMessage)).all():
        assert "evil.example" not in message.body_text
        assert "evil.example" not in (message.body_html or "")
        assert "evil.example" not in str(message.headers)


def test_untrusted_host_is_400_when_trusted_hosts_are_set(app_config, monkeypatch):
    """With PORTAL_TRUSTED_HOSTS set, is any other Host refused with 400?"""
    monkeypatch.setenv("PORTAL_TRUSTED_HOSTS", "portal.test, .portal.example")
    app = create_app(app_config)
    try:
        client = app.test_client()
        assert client.get("/healthz", headers={"Host": "portal.test"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "a.portal.example"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
        assert client.get("/admin/login", headers={"Host": "evil.example"}).status_code == 400
    finally:
        get_engine(app).dispose()
