"""Status links: signed, expiring, revocable read-only capabilities for one application.

The token is ``URLSafeTimedSerializer`` output over ``[application_id, token_version]`` with a
salt of its own. Bumping ``Application.token_version`` revokes every earlier link; keys rotate
through ``SECRET_KEY_FALLBACKS`` (old links still open, new links use the new key).
"""

from dataclasses import dataclass

from flask import Flask, current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import want_bytes

STATUS_LINK_SALT = "portal.status-link.v1"
UNSUBSCRIBE_SALT = "portal.unsubscribe.v1"
ERASURE_SALT = "portal.erasure.v1"
DAY = 24 * 60 * 60


class LinkInvalid(Exception):
    """The token was not made by us (tampered, truncated, other purpose or unknown)."""


class LinkExpired(Exception):
    """The token is authentic but older than the configured maximum age."""

    def __init__(self, application_id: int | None, token_version: int | None = None):
        super().__init__("status link expired")
        self.application_id = application_id
        self.token_version = token_version


@dataclass(frozen=True)
class LinkClaim:
    application_id: int
    token_version: int


_DERIVED_KEYS: dict[tuple, bytes] = {}


class _KeyCachingSigner(TimestampSigner):
    """itsdangerous derives the signing key (a hash) afresh for every sign and verify, in a
    new signer each time; the result depends only on these inputs, so it is computed once."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        cache_key = (self.salt, secret, self.key_derivation, self.digest_method)
        key = _DERIVED_KEYS.get(cache_key)
        if key is None:
            key = _DERIVED_KEYS[cache_key] = super().derive_key(secret)
        return key


def _serializer(app: Flask, salt: str = STATUS_LINK_SALT) -> URLSafeTimedSerializer:
    key = f"portal.serializer.{salt}"
    serializer = app.extensions.get(key)
    if serializer is None:
        keys = [*app.config["SECRET_KEY_FALLBACKS"], app.config["SECRET_KEY"]]
        # itsdangerous signs with the last key and accepts any of them.
        serializer = URLSafeTimedSerializer(keys, salt=salt, signer=_KeyCachingSigner)
        app.extensions[key] = serializer
    return serializer


def make_status_token(application_id: int, token_version: int) -> str:
    """A fresh signed token for the application's current link version."""
    return _serializer(current_app).dumps([application_id, token_version])


def read_status_token(token: str, app: Flask | None = None) -> LinkClaim:
    """Verify a token; raise LinkInvalid or LinkExpired. Never raises anything else.

    ``app`` defaults to the current app (the poll shortcut verifies outside a request)."""
    app = app or current_app
    serializer = _serializer(app)
    max_age = app.config["LINK_MAX_AGE_DAYS"] * DAY
    try:
        payload = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        claim = _expired_claim(serializer, exc.payload)
        raise LinkExpired(
            claim.application_id if claim else None, claim.token_version if claim else None
        ) from None
    except (BadSignature, ValueError, TypeError, UnicodeError, OverflowError):
        raise LinkInvalid from None
    claim = _claim_of(payload)
    if claim is None:
        raise LinkInvalid
    return claim


def _claim_of(payload) -> LinkClaim | None:
    if (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(part, int) and not isinstance(part, bool) for part in payload)
        and payload[0] > 0
    ):
        return LinkClaim(application_id=payload[0], token_version=payload[1])
    return None


def _expired_claim(serializer: URLSafeTimedSerializer, raw) -> LinkClaim | None:
    # The signature was valid, so the payload is ours; it only tells whose link expired.
    try:
        return _claim_of(serializer.load_payload(raw))
    except Exception:  # noqa: BLE001 - an undecodable payload just means "unknown"
        return None


def status_url_for(application_id: int, token_version: int) -> str:
    """The absolute status URL, built from ``BASE_URL`` (never from the Host header)."""
    token = make_status_token(application_id, token_version)
    return f"{current_app.config['BASE_URL']}/s/{token}"


def make_unsubscribe_token(application_id: int) -> str:
    """A token that only stops emails for one application (its own salt, not a status link)."""
    return _serializer(current_app, UNSUBSCRIBE_SALT).dumps(application_id)


def read_unsubscribe_token(token: str) -> int:
    """The application id of an unsubscribe token, or LinkInvalid / LinkExpired.

    Unsubscribe links live twice as long as status links: an old email must still be able
    to stop the emails that follow it.
    """
    max_age = current_app.config["LINK_MAX_AGE_DAYS"] * DAY * 2
    try:
        payload = _serializer(current_app, UNSUBSCRIBE_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired(None) from None
    except (BadSignature, ValueError, TypeError, UnicodeError, OverflowError):
        raise LinkInvalid from None
    if not isinstance(payload, int) or isinstance(payload, bool) or payload < 1:
        raise LinkInvalid
    return payload


def candidate_link(application_id: int, token_version: int, status_page_url: str | None) -> str:
    """The link candidates get: the client's white-label status page (the token in the
    fragment, which never reaches the career site's server) when it has one, else ours."""
    if status_page_url:
        return f"{status_page_url}#t={make_status_token(application_id, token_version)}"
    return status_url_for(application_id, token_version)


def make_erasure_token(application_id: int, token_version: int) -> str:
    """A short-lived token that confirms one erasure request (its own salt).

    Single use: erasing revokes the application's links (``token_version`` goes up) and marks
    it anonymised, and both make this token void.
    """
    return _serializer(current_app, ERASURE_SALT).dumps([application_id, token_version])


def read_erasure_token(token: str) -> LinkClaim:
    """The claim of an erasure token younger than ``ERASURE_LINK_HOURS``, or LinkInvalid /
    LinkExpired."""
    max_age = current_app.config["ERASURE_LINK_HOURS"] * 60 * 60
    try:
        payload = _serializer(current_app, ERASURE_SALT).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired(None) from None
    except (BadSignature, ValueError, TypeError, UnicodeError, OverflowError):
        raise LinkInvalid from None
    claim = _claim_of(payload)
    if claim is None:
        raise LinkInvalid
    return claim
