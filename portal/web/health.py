"""``GET /healthz``: is the app up, and can it reach its database?"""

import time

from flask import Blueprint, render_template, request
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from portal.core.db import get_engine

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


@bp.app_errorhandler(OperationalError)
def database_unavailable(_error):
    """The database cannot be reached (a restart, a failover): 503 and "try again shortly",
    not a 500. The pool reconnects by itself once the server is back."""
    headers = {"Retry-After": "5", "Cache-Control": "no-store"}
    if request.accept_mimetypes.best == "application/json":
        return {"error": "Service Unavailable", "status": 503}, 503, headers
    return render_template("errors/500.html"), 503, headers
