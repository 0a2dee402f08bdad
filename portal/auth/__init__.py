"""Recruiters signing in and out, ``/admin/login``, ``/admin/logout``, ``/admin/password``,
``/admin/me`` (``views``), and the guard every desk and admin blueprint uses."""

from portal.auth import views
from portal.auth.views import init_app

BLUEPRINTS = (views.bp,)

__all__ = ["BLUEPRINTS", "init_app"]
