"""The OpenAPI 3.1 document, assembled from the routes' declarations and the pydantic models.

Each view is declared with ``operation(...)`` (method, path, models, scope); the same
declaration routes the request and describes it, so the document cannot drift from the code.
No framework in between: pydantic writes the JSON Schemas (2020-12, as OpenAPI 3.1 wants) and
this module puts them where OpenAPI expects them.
"""

import re
from dataclasses import dataclass, field

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from portal.api.problems import TITLES
from portal.api.schemas import MAX_ID, Problem

REF = "#/components/schemas/{model}"
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Any unique string (1–255 visible ASCII characters), e.g. a UUID. Sending "
                   "the same key with the same body again returns the first answer and creates "
                   "nothing new; the same key with another body is refused (422).",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[\\x21-\\x7E]+$"},
}
READ_ERRORS = (400, 401, 404, 405, 429, 500)
WRITE_ERRORS = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500)


@dataclass
class Operation:
    method: str
    rule: str  # the Flask rule, e.g. /applications/<id:application_id>
    endpoint: str
    summary: str
    description: str
    tag: str
    scope: str
    response: type[BaseModel]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response_headers: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"<(?:[a-z]+:)?([a-z_]+)>", self.rule)


OPERATIONS: list[Operation] = []


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(mode="validation", ref_template=REF)
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        if prop.get("default") is None:
            prop.pop("default", None)
        if "anyOf" in prop:  # Optional[X]: in a query string, "absent" is the null
            options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
            if len(options) == 1:
                prop.update(options[0])
            else:
                prop["anyOf"] = options
        parameter = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _problem_response(status: int, problem_ref: dict) -> dict:
    response = {
        "description": TITLES[status][1],
        "content": {"application/problem+json": {"schema": problem_ref}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait before trying again.",
                            "schema": {"type": "integer", "minimum": 0}}
        }
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response


def build_document(*, base_url: str, docs_url: str) -> dict:
    """The whole OpenAPI 3.1 document."""
    inputs = {(op.body, "validation") for op in OPERATIONS if op.body}
    outputs = {(op.response, "serialization") for op in OPERATIONS}
    outputs.add((Problem, "serialization"))
    keys, top = models_json_schema(
        sorted(inputs | outputs, key=lambda pair: (pair[0].__name__, pair[1])),
        ref_template=REF,
    )
    problem_ref = keys[(Problem, "serialization")]
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        parameters = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}
            for name in op.path_params
        ]
        if op.query:
            parameters += _query_parameters(op.query)
        if op.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        success = {
            "description": op.response.__doc__.strip().splitlines()[0]
            if op.response.__doc__ else "OK",
            "content": {"application/json": {"schema": keys[(op.response, "serialization")]}},
        }
        if op.response_headers:
            success["headers"] = op.response_headers
        responses = {str(op.status): success}
        for status in (WRITE_ERRORS if op.method == "POST" else READ_ERRORS):
            responses[str(status)] = _problem_response(status, problem_ref)
        entry = {
            "operationId": op.endpoint, "summary": op.summary, "description": op.description,
            "tags": [op.tag], "parameters": parameters, "responses": responses,
            "x-scope": op.scope,
        }
        if op.body:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": keys[(op.body, "validation")]}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Candidate portal API",
            "version": "1",
            "description": "Clients, jobs, applications and their updates, for an applicant "
                           f"tracking system or a script. Reference and examples: {docs_url}",
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [{"url": f"{base_url}/api/v1"}],
        "security": [{"bearerToken": []}],
        "tags": [
            {"name": "Clients"}, {"name": "Jobs"}, {"name": "Applications"}, {"name": "Updates"},
        ],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {
                "bearerToken": {
                    "type": "http", "scheme": "bearer",
                    "description": "An API token made by an admin (Admin → API tokens, or "
                                   "`portal api-tokens create`). Read tokens may GET; write "
                                   "tokens may also POST.",
                }
            },
        },
    }
