"""Input limits: request size, field lengths, emails and dates; each refusal says what is
wrong and keeps what the user typed."""

from html import unescape

import pytest

from portal.core.tokens import make_status_token
from tests.factories import PASSWORD, make_application, make_job, make_recruiter
from tests.helpers import SAME_ORIGIN


@pytest.fixture
def desk(client, session):
    admin = make_recruiter(session, admin=True)
    assert client.post("/admin/login", data={"email": admin.email, "password": PASSWORD}
                       ).status_code == 303
    return client


@pytest.fixture
def job(session):
    return make_job(session)


def test_request_larger_than_max_content_length_is_413_with_a_clear_page(desk, app, job):
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = desk.post("/admin/applications/new", data={"name": "x" * (limit + 10)})
    assert response.status_code == 413
    assert "too large" in response.text and "Nothing was saved" in response.text


def test_candidate_form_larger_than_the_limit_is_413(app, client, session):
    application = make_application(session)
    with app.test_request_context():
        token = make_status_token(application.id, application.token_version)
    response = client.post(f"/s/{token}/question", headers=SAME_ORIGIN,
                           data={"question": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "N" * 121, "at most 120 characters"),
        ("name", "   ", "name is needed"),
        ("email", "not-an-email", "not a valid email address"),
        ("email", "a@" + "b" * 300 + ".example", "not a valid email address"),
    ],
)
def test_new_application_refusals_explain_and_keep_the_typed_values(desk, job, field, value,
                                                                    message):
    form = {"job_id": str(job.id), "name": "Kim Typed", "email": "kim@mail.example",
            field: value}
    response = desk.post("/admin/applications/new", data=form)
    assert response.status_code == 422
    text = unescape(response.text)
    assert message in text
    for name, typed in form.items():
        if name != "job_id" and typed.strip():
            assert f'value="{typed}"' in text or typed in text, name


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"promised_by": "2026-13-45", "public_note": "Kept note"}, "a date as YYYY-MM-DD"),
        ({"promised_by": "next week", "public_note": "Kept note"}, "a date as YYYY-MM-DD"),
        ({"public_note": "Kept note" + "x" * 5000}, "at most 5000 characters"),
    ],
)
def test_update_refusals_explain_and_keep_the_typed_note(desk, session, form, message):
    application = make_application(session)
    response = desk.post(f"/admin/applications/{application.id}/updates", data=form)
    assert response.status_code == 422
    text = unescape(response.text)
    assert message in text
    assert "Kept note" in text


def test_new_client_refusal_keeps_the_typed_values(desk):
    response = desk.post("/admin/clients/new", data={"name": "C" * 200, "slug": "ok-slug"})
    assert response.status_code == 422
    assert "at most 120 characters" in response.text
    assert 'value="ok-slug"' in response.text


def test_new_recruiter_refusal_keeps_name_and_email_but_never_the_password(desk):
    response = desk.post("/admin/recruiters/new", data={
        "name": "Pat Person", "email": "pat@agency.example", "password": "tooshort",
        "role": "recruiter", "language": "en"})
    assert response.status_code == 422
    assert "at least 12 characters" in response.text
    assert 'value="Pat Person"' in response.text and 'value="pat@agency.example"' in response.text
    assert "tooshort" not in response.text


def test_login_email_is_kept_and_length_capped(client, session):
    response = client.post("/admin/login", data={"email": "kim@agency.example",
                                                 "password": "p" * 5000})
    assert response.status_code == 401
    assert 'value="kim@agency.example"' in response.text
