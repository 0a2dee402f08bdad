"""The candidate's side, ``/s/<token>...`` and ``/u/<token>``: the status page (``status``),
the actions on it (``actions``: ask, still interested, withdraw, language) and their data
rights (``privacy``: download, erasure; also ``/erase/<token>``)."""

from portal.candidate import actions, privacy, status

BLUEPRINTS = (status.bp, actions.bp, privacy.bp)
