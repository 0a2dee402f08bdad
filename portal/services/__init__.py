"""Business rules as plain functions over a Session; no Flask request in here.

Their refusals are ``InputError`` with an English ``Message`` (``N_`` marks it for the catalog)
and ``NotFound``; both come from ``portal.core.errors`` and are named here for the callers.
"""

from portal.core.errors import N_, InputError, Message, NotFound

__all__ = ["N_", "InputError", "Message", "NotFound"]
