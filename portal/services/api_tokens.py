"""API tokens: created by an admin, shown once, stored hashed, scoped, revocable.

A token is ``ptk_`` followed by 32 random bytes (``secrets.token_urlsafe``); only its SHA-256
is stored. A fast unsalted hash is right here, unlike for passwords: the secret has 256 bits of
entropy from the operating system's CSPRNG, so nobody can guess or brute-force it from the hash
(there is no small dictionary of likely tokens to try, which is what salts and slow hashes like
argon2 defend against). A fast hash also lets every API request find its token with one indexed
lookup instead of an argon2 verification per request.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from portal.core.clock import now
from portal.models import ApiScope, ApiToken
from portal.services import N_, InputError, NotFound
from portal.services.audit import Actor, record_by

TOKEN_PREFIX = "ptk_"  # noqa: S105 - a label, not a secret
DISPLAY_PREFIX_LENGTH = 12
# ``last_used_at`` is written at most this often per token, so a busy client does not turn
# every GET into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole bearer token: shown once, never stored


def hash_secret(secret: str) -> str:
    """The stored form of a token: hex SHA-256."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(
    *, session: Session, name: str, scope: str, created_by: int | None = None,
    actor: Actor | None = None,
) -> NewToken:
    """Make a token; the caller shows ``secret`` once and commits (audited as
    ``api_token.created`` by ``actor``)."""
    name = (name or "").strip()
    if not name:
        raise InputError("name", N_("give the token a name, e.g. the system that will use it"))
    if len(name) > 120:
        raise InputError("name", N_("at most %(max)d characters"), max=120)
    if scope not in set(ApiScope):
        raise InputError("scope", N_("read or write"))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name, scope=scope, secret_hash=hash_secret(secret),
        prefix=secret[:DISPLAY_PREFIX_LENGTH], created_by=created_by,
    )
    session.add(token)
    session.flush()
    record_by(actor, session=session, action="api_token.created",
              subject=f"api_token:{token.id}", detail={"scope": token.scope})
    return NewToken(token, secret)


def list_tokens(*, session: Session) -> list[ApiToken]:
    """Every token, active ones first, newest first."""
    return list(
        session.exec(
            select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def revoke_token(*, session: Session, token_id: int, actor: Actor | None = None) -> ApiToken:
    """Stop a token from working (immediately; it stays listed); audited as
    ``api_token.revoked`` by ``actor``."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no API token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now()
        session.add(token)
        session.flush()
    record_by(actor, session=session, action="api_token.revoked", subject=f"api_token:{token.id}")
    return token


def authenticate(*, session: Session, secret: str, at: datetime | None = None) -> ApiToken | None:
    """The active token with this secret, or None; records when it was last used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.exec(
        select(ApiToken).where(ApiToken.secret_hash == hash_secret(secret))
    ).first()
    if token is None or token.revoked_at is not None:
        return None
    moment = at or now()
    if token.last_used_at is None or moment - token.last_used_at >= LAST_USED_RESOLUTION:
        session.execute(
            update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=moment)
        )
        session.commit()
        token.last_used_at = moment
    return token
