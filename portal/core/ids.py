"""Database ids: the one range every route, form, CLI argument and API parameter accepts.

Every primary key is an ``integer`` column; PostgreSQL's ``integer`` stops at 2**31 - 1, and a
larger number in a query is a driver error (a 500), not "no such row". So an id is a whole
number from 1 to ``MAX_ID``; anything else is "not found" (URLs) or a named refusal (forms,
CLI, API), decided here before any query.
"""

MAX_ID = 2**31 - 1
ID_RULE = f"a whole number from 1 to {MAX_ID}"


def parse_id_text(raw: str | None) -> int | None:
    """The id written in ``raw`` (surrounding blanks allowed), or None when it is not one."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def is_id(number: int) -> bool:
    """True when ``number`` can name a row (an int already parsed elsewhere, e.g. by JSON)."""
    return 1 <= number <= MAX_ID
