"""The API reference page's content, read from the OpenAPI document (so both always agree)."""

import json

from flask import current_app

from portal.api.problems import TITLES

PROBLEM_EXPLANATIONS = {
    400: "The query string, a header or the JSON could not be read; `errors` names which.",
    401: "No `Authorization: Bearer …` header, or the token is unknown or revoked.",
    403: "A read token tried to POST. Ask an admin for a write token.",
    404: "No such address, or no record with that id.",
    405: "The address exists but not for this method; the `Allow` header lists the methods.",
    409: "Another request with the same Idempotency-Key is still being processed; retry.",
    413: "The body is larger than the portal accepts (1 MB by default).",
    415: "POST bodies must be JSON with `Content-Type: application/json`.",
    422: "The JSON was read, but fields are wrong (each one is in `errors`), the candidate "
         "already applied for that job, or an Idempotency-Key was reused with another body.",
    429: "The token sent too many requests; wait the seconds in `Retry-After`.",
    500: "A fault on the portal's side. Nothing was saved; retrying with the same "
         "Idempotency-Key is safe.",
}


def type_text(schema: dict) -> str:
    """A JSON Schema as a short phrase: "string (date) or null", "list of StageOut"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(type_text(option) for option in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_text(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_text(schema['additionalProperties'])}"
    text = kind
    if "format" in schema:
        text += f" ({schema['format']})"
    limits = []
    if "minLength" in schema or "maxLength" in schema:
        limits.append(f"{schema.get('minLength', 0)}–{schema.get('maxLength', '…')} characters")
    if "minimum" in schema and "maximum" in schema and schema["maximum"] < 10**6:
        limits.append(f"{schema['minimum']}–{schema['maximum']}")
    if limits:
        text += ", " + ", ".join(limits)
    return text


def _fields(schema: dict) -> list[dict]:
    required = set(schema.get("required", ()))
    return [
        {"name": name, "type": type_text(prop), "required": name in required,
         "description": prop.get("description", ""),
         "default": json.dumps(prop["default"]) if "default" in prop else None}
        for name, prop in schema.get("properties", {}).items()
    ]


def reference_context(document: dict) -> dict:
    """Operations by tag, schemas with their fields, problem types, and the base URL."""
    schemas = document["components"]["schemas"]
    operations = []
    for path, methods in document["paths"].items():
        for method, entry in methods.items():
            success_status = min(entry["responses"], key=int)
            success = entry["responses"][success_status]
            body_ref = (entry.get("requestBody", {}).get("content", {})
                        .get("application/json", {}).get("schema"))
            operations.append({
                "id": entry["operationId"], "method": method.upper(), "path": path,
                "summary": entry["summary"], "description": entry["description"],
                "tag": entry["tags"][0], "scope": entry["x-scope"],
                "parameters": [
                    {"name": p["name"], "in": p["in"], "required": p.get("required", False),
                     "type": type_text(p["schema"]), "description": p.get("description", "")}
                    for p in entry["parameters"]
                ],
                "body": type_text(body_ref) if body_ref else None,
                "status": success_status,
                "response": type_text(success["content"]["application/json"]["schema"]),
                "errors": sorted(int(s) for s in entry["responses"] if int(s) >= 400),
            })
    tags = [tag["name"] for tag in document["tags"]]
    return {
        "base_url": current_app.config["BASE_URL"],
        "api_url": document["servers"][0]["url"],
        "tags": tags,
        "operations": operations,
        "schemas": {name: {"description": schema.get("description", ""),
                           "fields": _fields(schema)}
                    for name, schema in sorted(schemas.items())},
        "problems": [
            {"status": status, "slug": slug, "title": title,
             "explanation": PROBLEM_EXPLANATIONS[status]}
            for status, (slug, title) in sorted(TITLES.items())
        ],
        "rate_limit": current_app.config["API_RATE_LIMIT"],
    }
