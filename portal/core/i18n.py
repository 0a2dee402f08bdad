"""Dates written the way each language writes them, and catalog messages in a given language
(no request needed: the language is given)."""

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.support import NullTranslations, Translations

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


_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=8)
def _catalog(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()  # the catalog's ids are the English text
    return Translations.load(str(_TRANSLATIONS), [language])


def translate(message: str, language: str, **params) -> str:
    """``message`` (a catalog id, marked with ``N_``) in ``language``, its placeholders
    filled in: the same text a page in that language shows."""
    text = _catalog(language).gettext(message)
    return text % params if params else text
