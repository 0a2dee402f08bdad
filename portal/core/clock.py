"""The portal's notion of "now" and "today" (the agency's time zone decides what today is)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_app_context

DEFAULT_TIMEZONE = "Europe/Stockholm"


def now() -> datetime:
    """The current UTC time, timezone-aware."""
    return datetime.now(UTC)


def local_zone(app: Flask | None = None) -> ZoneInfo:
    """The agency's time zone (``PORTAL_TIMEZONE``, default Europe/Stockholm), of ``app`` or
    else the current app."""
    name = DEFAULT_TIMEZONE
    if app is None and has_app_context():
        app = current_app
    if app is not None:
        name = app.config.get("TIMEZONE", DEFAULT_TIMEZONE)
    return ZoneInfo(name)


def today(app: Flask | None = None) -> date:
    """Today's date in the agency's time zone."""
    return datetime.now(local_zone(app)).date()


def local_date(moment: datetime, zone: ZoneInfo | None = None) -> date:
    """The calendar date of ``moment`` in the agency's time zone (or ``zone``)."""
    if moment.tzinfo is None:  # SQLite hands back naive UTC values
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone or local_zone()).date()
