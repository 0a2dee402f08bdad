"""The ``Actor`` of the current request, for the services that record the audit trail.

The one place the web layer turns ``current_user`` and the client address into an actor
(behind a proxy, ProxyFix makes ``request.remote_addr`` the client).
"""

from flask import request
from flask_login import current_user

from portal.services.audit import Actor


def request_actor() -> Actor:
    """The signed-in recruiter of a desk request (else someone not signed in)."""
    if current_user.is_authenticated:
        return Actor.recruiter(current_user.id, address=request.remote_addr)
    return Actor.visitor(address=request.remote_addr)


def candidate_actor() -> Actor:
    """The candidate of a status-link request (the signed token authorises, not a login)."""
    return Actor.candidate(address=request.remote_addr)


def visitor_actor(label: str | None = None) -> Actor:
    """Someone not signed in, naming the account ``label`` (a failed login)."""
    return Actor.visitor(address=request.remote_addr, label=label)


def recruiter_actor(recruiter_id: int) -> Actor:
    """A recruiter acting in this request (the moment of signing in or out)."""
    return Actor.recruiter(recruiter_id, address=request.remote_addr)
