"""The promise date ("next update by"): one parser and one rule for every path.

The desk's update form, the bulk form, the CLI's ``--promise``, the API's ``promised_by`` and
the services themselves all go through these two functions, so a date is read the same way
and refused with the same words everywhere.
"""

import re
from datetime import date

from portal.core.errors import N_, InputError

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_promise_date(raw: str | None, *, field: str = "promised_by") -> date | None:
    """The date written as YYYY-MM-DD in ``raw`` (blank: None), or InputError naming ``field``.

    Stricter than ``date.fromisoformat``, which also takes "20261201" and week dates: a person
    typed this, and the form and the error both say YYYY-MM-DD."""
    text = (raw or "").strip()
    if not text:
        return None
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(field, N_("a date as YYYY-MM-DD, not %(value)s"), value=repr(text[:40]))


def check_promise_date(promised_by: date | None, *, today: date,
                       field: str = "promised_by") -> None:
    """InputError when the promise lies in the past (today is allowed)."""
    if promised_by is not None and promised_by < today:
        raise InputError(field, N_("the next update cannot be promised for a past date"))
