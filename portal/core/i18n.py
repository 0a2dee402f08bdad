"""Dates written the way each language writes them (no request needed: the language is given)."""

from datetime import date, datetime

from babel.dates import format_date

from portal.core.clock import local_date

# English dates in the European order ("28 November 2026"), as the product is Swedish first.
_BABEL_LOCALES = {"en": "en_GB", "sv": "sv_SE"}


def format_day(day: date | datetime | None, language: str, *, weekday: bool = False) -> str:
    """A date as people write it: "28 November 2026" / "28 november 2026"."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = local_date(day)
    pattern = "EEEE d MMMM y" if weekday else "d MMMM y"
    return format_date(day, pattern, locale=_BABEL_LOCALES.get(language, "en_GB"))
