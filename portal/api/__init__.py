"""The REST API (``/api/v1``) and its admin pages (API tokens, webhooks)."""

from portal.api.admin_views import bp as admin_bp
from portal.api.views import bp

__all__ = ["admin_bp", "bp"]
