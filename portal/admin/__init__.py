"""Admin pages: clients and jobs, ``/admin/clients...``, ``/admin/jobs...`` (``setup``);
recruiters, the audit log, retention and data requests, ``/admin/recruiters...``,
``/admin/audit``, ``/admin/retention``, ``/admin/applications/<id>/data...`` (``security``);
API tokens and webhooks, ``/admin/api-tokens...``, ``/admin/webhooks...`` (``integrations``)."""

from portal.admin import integrations, security, setup

BLUEPRINTS = (setup.bp, security.bp, integrations.bp)
