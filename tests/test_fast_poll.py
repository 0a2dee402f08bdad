"""The unchanged poll answered in front of Flask (``portal.web.fast_poll``): the same 304 as the
Flask view would send, and only when the view would send it."""

from datetime import timedelta

import pytest
from flask import request_started
from werkzeug.test import Client

from portal.models import Job, Recruiter
from portal.services.applications import revoke_link
from portal.services.status import load_status, version_stamp
from portal.services.updates import post_update
from portal.web.fast_poll import UnchangedPoll
from tests.factories import make_application
from tests.helpers import HTMX, JSON, status_path


@pytest.fixture
def flask_requests(app):
    """The paths Flask itself handled (its ``request_started`` signal) during the test."""
    seen: list[str] = []

    def note(sender, **_):
        from flask import request

        seen.append(request.path)

    request_started.connect(note, app)
    yield seen
    request_started.disconnect(note, app)


def flask_only(app) -> Client:
    """A client of the Flask app without the shortcut in front of it."""
    assert isinstance(app.wsgi_app, UnchangedPoll)
    return Client(app.wsgi_app.wsgi_app, app.response_class)


@pytest.fixture
def application(session, clock):
    """An application made at the frozen clock's NOW."""
    return make_application(session)


@pytest.mark.parametrize("variant", [{}, HTMX], ids=["page", "card"])
@pytest.mark.parametrize("base_url", ["http://localhost", "https://localhost"])
def test_the_shortcut_answers_exactly_as_flask_would(
    app, client, application, flask_requests, variant, base_url
):
    """Is the shortcut's 304 the Flask view's 304, header for header, over HTTP and HTTPS,
    for the page and the htmx card, and answered without Flask?"""
    path = status_path(app, application)
    etag = client.get(path, headers=variant, base_url=base_url).headers["ETag"]
    headers = {**variant, "If-None-Match": etag}
    flask_requests.clear()

    fast = client.get(path, headers=headers, base_url=base_url)
    assert flask_requests == []  # answered in front of Flask
    slow = flask_only(app).get(path, headers=headers, base_url=base_url)
    assert flask_requests == [path]

    assert fast.status_code == slow.status_code == 304
    assert list(fast.headers.items()) == list(slow.headers.items())
    assert fast.data == slow.data == b""
    assert fast.headers["ETag"] == etag
    assert ("Strict-Transport-Security" in fast.headers) == base_url.startswith("https")


def test_one_of_several_etags(app, client, application, flask_requests):
    """Does a poll listing its ETag among others (weak ones too) still get the 304?"""
    path = status_path(app, application)
    etag = client.get(path, headers=HTMX).headers["ETag"]
    response = client.get(path, headers={**HTMX, "If-None-Match": f'W/"old", "other", {etag}'})
    assert response.status_code == 304
    assert flask_requests == [path]  # only the first GET
    weak = client.get(path, headers={**HTMX, "If-None-Match": f"W/{etag}"})
    assert weak.status_code == 200  # a weak match is no match for a strong ETag


def test_a_change_is_answered_by_flask_with_the_new_card(
    app, client, session, application, flask_requests, clock
):
    """After a recruiter's update, does the old ETag get the new card (200) from Flask?"""
    recruiter = session.get(Recruiter, session.get(Job, application.job_id).owner_id)
    path = status_path(app, application)
    etag = client.get(path, headers=HTMX).headers["ETag"]
    clock.shift(timedelta(minutes=3))
    post_update(session=session, application=application, author=recruiter,
                public_note="We meet the client on Monday.")
    session.commit()
    flask_requests.clear()

    response = client.get(path, headers={**HTMX, "If-None-Match": etag})

    assert response.status_code == 200
    assert "We meet the client on Monday." in response.text
    assert response.headers["ETag"] != etag
    assert flask_requests == [path]


def test_a_new_day_changes_the_etag(app, client, application, clock):
    """Does yesterday's ETag get a fresh card today ("last update 1 day ago" moved on)?"""
    path = status_path(app, application)
    etag = client.get(path, headers=HTMX).headers["ETag"]
    clock.shift(timedelta(days=1))
    assert client.get(path, headers={**HTMX, "If-None-Match": etag}).status_code == 200


def test_everything_else_goes_to_flask(app, client, session, application, flask_requests):
    """Do "*", JSON, a page ETag sent by the card, a tampered token and the other /s/ pages
    all reach the Flask views, which answer them as before?"""
    path = status_path(app, application)
    card_etag = client.get(path, headers=HTMX).headers["ETag"]
    page_etag = client.get(path).headers["ETag"]
    json_etag = client.get(path, headers=JSON).headers["ETag"]
    flask_requests.clear()
    cases = [
        (path, {"If-None-Match": "*"}, 200),
        (path, {**JSON, "If-None-Match": json_etag}, 304),  # Flask's own 304
        (path, {**HTMX, "If-None-Match": page_etag}, 200),  # another variant's ETag
        (path[:-3] + "abc", {"If-None-Match": page_etag}, 404),
        (f"{path}/withdraw", {"If-None-Match": page_etag}, 200),
        ("/s/", {"If-None-Match": page_etag}, 404),
    ]
    for case_path, headers, status in cases:
        assert client.get(case_path, headers=headers).status_code == status, case_path
    assert flask_requests == [case_path for case_path, _, _ in cases]
    assert client.post(path, headers={"If-None-Match": card_etag}).status_code == 405


def test_a_revoked_or_expired_link_is_never_304(app, client, session, application, clock):
    """Does an old ETag on a revoked link get 404, and on an expired link 410?"""
    path = status_path(app, application)
    etag = client.get(path).headers["ETag"]
    clock.shift(timedelta(days=app.config["LINK_MAX_AGE_DAYS"] + 1))
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 410
    clock.shift(timedelta(days=-app.config["LINK_MAX_AGE_DAYS"] - 1))
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    revoke_link(session=session, application=application)
    session.commit()
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 404


def test_the_stamp_is_the_same_however_it_is_read(
    app, session, application
):
    """Do the narrow query, the page query and the poll shortcut's driver read agree on the
    version stamp (datetimes as each driver returns them)?"""
    recruiter = session.get(Recruiter, session.get(Job, application.job_id).owner_id)
    post_update(session=session, application=application, author=recruiter, public_note="Hi")
    session.commit()
    claim = (application.id, application.token_version)
    with app.app_context():
        narrow = version_stamp(session=session, application_id=claim[0], token_version=claim[1])
        page = load_status(session=session, application_id=claim[0], token_version=claim[1])
    shortcut = app.wsgi_app._stamp(type("Claim", (), {"application_id": claim[0],
                                                      "token_version": claim[1]}))
    assert narrow is not None
    assert narrow == page.version_stamp == shortcut
    assert version_stamp(session=session, application_id=claim[0],
                         token_version=claim[1] + 1) is None
