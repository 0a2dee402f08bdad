"""The portal with the status page's HTML replaced by a constant string of the same size.

Not for use: ``bench/run.py`` serves it beside the portal to measure how far the status page
could get against the bare route if rendering its templates cost nothing. Everything else
(the request through Flask and its extensions, the token, the queries, the headers) is the
real portal's.
"""

import portal.candidate.status
from portal import create_app as create_portal

# The size of a rendered status page (English, a few timeline entries).
BODY = "x" * 5_900


def _constant(template: str, language: str, **context) -> str:
    return BODY


def create_app():
    portal.candidate.status.render_localized = _constant
    return create_portal()
