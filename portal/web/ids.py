"""Ids in URLs and forms, within the one range of ``portal.core.ids``."""

from werkzeug.routing import IntegerConverter

from portal.core.ids import MAX_ID, parse_id_text


def parse_id(raw: str | None) -> int | None:
    """A database id typed into a form or query string, or None when it is not one."""
    return parse_id_text(raw)


class IdConverter(IntegerConverter):
    """A database id in a URL (``<id:name>``): 1 up to ``MAX_ID``; anything else is a 404."""

    def __init__(self, map, **kwargs):  # noqa: A002 - werkzeug's signature
        super().__init__(map, min=1, max=MAX_ID)
