"""The recruiter's desk: the urgency list and an application's page, ``/admin/`` and
``/admin/applications/<id>`` (``views``); bulk updates, ``/admin/bulk/...`` (``bulk``); CSV
import and export, ``/admin/applications/import|export`` (``import_export``)."""

from portal.desk import bulk, import_export, views

BLUEPRINTS = (views.bp, bulk.bp, import_export.bp)
