"""The REST API, ``/api/v1`` (``views``; OpenAPI in ``spec`` and ``schemas``, errors in
``problems``, ``Idempotency-Key`` in ``idempotency``). Its admin pages are ``portal.admin``'s."""

from portal.api import views

BLUEPRINTS = (views.bp,)
