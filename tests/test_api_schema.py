"""schemathesis against the live OpenAPI document, in-process (WSGI): no 5xx, and every
response matches the document (status, content type, headers, body schema).

Bounded to a few dozen examples per operation, so the run takes a minute or two.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.services.api_tokens import create_token
from tests.factories import make_application, make_job

CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_headers_conformance, response_schema_conformance, ignored_auth,
]


@pytest.fixture
def app_config(app_config):
    return {**app_config, "API_RATE_LIMIT": "100000/minute"}


@pytest.fixture
def write_token(session):
    job = make_job(session)
    for _ in range(3):  # real rows for the lists (ids 1..3 are hit by small path ids too)
        make_application(session, job=job)
    new = create_token(session=session, name="schemathesis", scope="write")
    session.commit()
    return new.secret


import portal.api.views  # noqa: E402,F401 - declares the operations
from portal.api.spec import OPERATIONS  # noqa: E402


@pytest.mark.parametrize(
    ("method", "path"), [(op.method, op.path) for op in OPERATIONS],
    ids=[f"{op.method} {op.path}" for op in OPERATIONS],
)
def test_api_conforms_to_its_openapi_document(app, write_token, method, path):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {write_token}"}

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
