"""``GET /healthz``: is the app up, and can it reach its database?"""

import time

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.db import get_engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with the database's state, or 503 when the database cannot be reached."""
    engine = get_engine()
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        body = {"status": "unavailable", "database": {"ok": False, "error": type(exc).__name__}}
        return body, 503, {"Cache-Control": "no-store"}
    elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    body = {
        "status": "ok",
        "database": {"ok": True, "dialect": engine.dialect.name, "latency_ms": elapsed_ms},
    }
    return body, 200, {"Cache-Control": "no-store"}
