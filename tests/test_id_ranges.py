"""One id range (``portal.core.ids``) for every route, filter, CLI argument and API field.

An id beyond PostgreSQL's ``integer`` (2**31 - 1) used to reach the database from the desk and
the audit log and come back as a 500 there; it must be "not found" everywhere, before any query.
"""

import re

import pytest

from portal.core.ids import MAX_ID
from portal.services.api_tokens import create_token
from tests.factories import make_application, make_recruiter
from tests.helpers import sign_in

TOO_BIG = [MAX_ID + 1, 3_000_000_000, 2**63]


ID_PART = re.compile(r"<id:(\w+)>")


def _id_rules(app):
    """Every URL rule with an ``<id:...>`` part, with the names of those parts."""
    for rule in app.url_map.iter_rules():
        names = ID_PART.findall(rule.rule)
        if names:
            yield rule, names


def test_every_id_route_is_found(app):
    """Does the app have the id routes this test walks (so an empty walk cannot pass)?"""
    rules = list(_id_rules(app))
    paths = {rule.rule for rule, _ in rules}
    assert len(rules) >= 15, paths
    assert "/admin/applications/<id:application_id>" in paths
    assert any(path.startswith("/api/v1/") for path in paths)


@pytest.mark.parametrize("number", TOO_BIG)
def test_an_id_beyond_the_range_is_a_404_on_every_route(app, client, session, number):
    """Is every route that takes an id a 404 (never a 500) for an id past the column's range,
    signed in as an admin, on every method it answers?"""
    admin = make_recruiter(session, admin=True)
    session.commit()
    sign_in(client, admin.email)
    seen = 0
    for rule, names in _id_rules(app):
        if rule.rule.startswith("/api/"):
            continue  # bearer tokens, below
        path = rule.rule
        for name in names:
            path = path.replace(f"<id:{name}>", str(number))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, (method, path, response.status_code)
            seen += 1
    assert seen >= 15


def test_ids_at_the_edge_of_the_range(app, client, session):
    """Is MAX_ID itself an id (404: no such row) and 0 none (404 by the converter)?"""
    admin = make_recruiter(session, admin=True)
    session.commit()
    sign_in(client, admin.email)
    for number in (0, MAX_ID, MAX_ID + 1):
        assert client.get(f"/admin/applications/{number}").status_code == 404


@pytest.mark.parametrize("query", [
    "/admin/?client=3000000000", "/admin/?job=3000000000", "/admin/?client=99999999999999999999",
    "/admin/audit?application=3000000000", "/admin/audit?actor=3000000000",
    "/admin/applications/export?client=3000000000",
    "/admin/applications/new?job=3000000000",
])
def test_an_id_beyond_the_range_in_a_filter_is_no_500(app, client, session, query):
    """Is a filter id past the range treated as no such id (the page answers, no 500)?"""
    admin = make_recruiter(session, admin=True)
    session.commit()
    sign_in(client, admin.email)
    response = client.get(query)
    assert response.status_code < 500, (query, response.status_code)


def test_the_bulk_form_refuses_ids_beyond_the_range(app, client, session):
    """Does the bulk preview skip or refuse an id past the range instead of querying it?"""
    recruiter = make_recruiter(session)
    application = make_application(session)
    session.commit()
    sign_in(client, recruiter.email)
    response = client.post("/admin/bulk/preview", data={
        "ids": f"{application.id},3000000000", "action": "no_news", "scope": "selected",
    })
    assert response.status_code < 500


def test_the_api_answers_404_and_422_for_ids_beyond_the_range(app, client, session):
    """Is an API path id past the range a 404 problem and a body id a 422 naming the field?"""
    admin = make_recruiter(session, admin=True)
    token = create_token(session=session, name="ATS", scope="write", created_by=admin.id)
    session.commit()
    auth = {"Authorization": f"Bearer {token.secret}"}
    for path in ("/api/v1/applications/3000000000", "/api/v1/jobs/3000000000",
                 "/api/v1/clients/3000000000", "/api/v1/applications/3000000000/updates"):
        response = client.get(path, headers=auth)
        assert response.status_code == 404, path
        assert response.headers["Content-Type"].startswith("application/problem+json")
    response = client.post("/api/v1/applications", headers=auth, json={
        "job_id": 3_000_000_000, "name": "Eve Example", "email": "eve@mail.example",
    })
    assert response.status_code == 422
    assert "job_id" in {error["field"] for error in response.json["errors"]}
    response = client.get("/api/v1/applications?job_id=3000000000", headers=auth)
    assert response.status_code in (400, 422)


@pytest.mark.parametrize("args", [
    ["link", "3000000000"],
    ["updates", "add", "3000000000", "--no-news"],
    ["applications", "add", "--job", "3000000000", "--name", "Eve", "--email", "e@mail.example"],
    ["api-tokens", "revoke", "3000000000"],
])
def test_the_cli_refuses_ids_beyond_the_range_in_one_line(runner, args):
    """Does the CLI refuse an id past the range with the rule, in one line, exit code 1?"""
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    assert "is not an id (a whole number from 1 to 2147483647)" in result.output
    assert "Traceback" not in result.output
