"""Outgoing webhooks: endpoints, events written with the change (outbox pattern), signing.

``emit`` is called by the service functions where things happen (an application is created,
an update is posted, a candidate withdraws or asks, a promise lapses), inside the caller's
transaction: a delivery row exists exactly when its cause was committed, whoever the caller
was (desk, API, CLI, bulk update, import). The outbox worker (``portal outbox run``) sends them
(see ``portal.worker.webhooks``), signed as the Standard Webhooks specification describes.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session

from portal.core.clock import now
from portal.models import (
    Application,
    DeliveryStatus,
    Stage,
    Update,
    WebhookDelivery,
    WebhookEndpoint,
)
from portal.services import N_, InputError, NotFound
from portal.services.audit import Actor, record_by

EVENT_TYPES = (
    "application.created",
    "application.updated",
    "candidate.withdrew",
    "candidate.asked",
    "promise.lapsed",
)
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600
MAX_URL_LENGTH = 2000


# ---- endpoints ----------------------------------------------------------------------------

class UnsafeAddress(ValueError):
    """The URL's host is, or resolves to, an address the portal must not call (SSRF)."""


def refuse_unsafe_address(address: str) -> None:
    """Raise UnsafeAddress for loopback, private, link-local, multicast and reserved addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    ):
        raise UnsafeAddress(f"{address} is a loopback, private or otherwise internal address")


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (a literal IP resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeAddress(
            f"the host name {host} was not found (check the spelling; {error.args[-1]})"
        ) from None
    return sorted({info[4][0] for info in infos})


def checked_addresses(url: str, *, allow_private: bool) -> list[str]:
    """The addresses to connect to for ``url``; every one is checked unless private is allowed."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts.hostname or "", port)
    if not allow_private:
        for address in addresses:
            refuse_unsafe_address(address)
    return addresses


def normalise_url(raw: str, *, allow_private: bool) -> str:
    """The endpoint URL as typed, if it is a safe http(s) URL; InputError says why not."""
    url = (raw or "").strip()
    if not url:
        raise InputError("url", N_("enter the URL that should receive the events"))
    if len(url) > MAX_URL_LENGTH:
        raise InputError("url", N_("at most %(max)d characters"), max=MAX_URL_LENGTH)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("url", N_("a URL starting with https:// (or http://)"))
    if parts.username or parts.password:
        raise InputError(
            "url", N_("no user name or password in the URL; verify the signature instead")
        )
    if parts.fragment or any(ch.isspace() for ch in url):
        raise InputError("url", N_("no spaces and no #fragment in the URL"))
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise InputError("url", N_("the port is not a number")) from None
    try:
        checked_addresses(url, allow_private=allow_private)
    except UnsafeAddress as error:
        raise InputError("url", N_("refused: %(reason)s"), reason=str(error)) from None
    return url


def _checked_events(events) -> list[str]:
    chosen = [event for event in EVENT_TYPES if event in set(events or ())]
    unknown = sorted(set(events or ()) - set(EVENT_TYPES))
    if unknown:
        raise InputError("events", N_("unknown events: %(events)s"), events=", ".join(unknown))
    if not chosen:
        raise InputError("events", N_("choose at least one event"))
    return chosen


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def create_endpoint(
    *, session: Session, url: str, events, description: str = "", allow_private: bool,
    created_by: int | None = None, actor: Actor | None = None,
) -> WebhookEndpoint:
    """Register an endpoint with a fresh secret (the caller commits); audited as
    ``webhook.created`` by ``actor``."""
    description = (description or "").strip()
    if len(description) > 200:
        raise InputError("description", N_("at most %(max)d characters"), max=200)
    endpoint = WebhookEndpoint(
        url=normalise_url(url, allow_private=allow_private), events=_checked_events(events),
        description=description, secret=new_secret(), created_by=created_by,
    )
    session.add(endpoint)
    session.flush()
    record_by(actor, session=session, action="webhook.created", subject=f"webhook:{endpoint.id}",
              detail={"events": list(endpoint.events)})
    return endpoint


def update_endpoint(
    *, session: Session, endpoint: WebhookEndpoint, events, is_active: bool,
    description: str | None = None, actor: Actor | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's events, description, or switch it off and on (audited as
    ``webhook.changed`` by ``actor``)."""
    endpoint.events = _checked_events(events)
    endpoint.is_active = is_active
    if description is not None:
        description = description.strip()
        if len(description) > 200:
            raise InputError("description", N_("at most %(max)d characters"), max=200)
        endpoint.description = description
    session.add(endpoint)
    session.flush()
    record_by(actor, session=session, action="webhook.changed", subject=f"webhook:{endpoint.id}",
              detail={"events": list(endpoint.events), "active": endpoint.is_active})
    return endpoint


def rotate_secret(
    *, session: Session, endpoint: WebhookEndpoint, actor: Actor | None = None
) -> str:
    """A new signing secret; deliveries from now on are signed with it (audited as
    ``webhook.secret_rotated`` by ``actor``)."""
    endpoint.secret = new_secret()
    session.add(endpoint)
    session.flush()
    record_by(actor, session=session, action="webhook.secret_rotated",
              subject=f"webhook:{endpoint.id}")
    return endpoint.secret


def get_endpoint(*, session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    return endpoint


def list_endpoints(*, session: Session) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def list_deliveries(
    *, session: Session, endpoint_id: int, limit: int = 100
) -> list[WebhookDelivery]:
    """An endpoint's most recent deliveries, newest first."""
    return list(
        session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc()).limit(limit)
        )
    )


def retry_delivery(*, session: Session, delivery: WebhookDelivery) -> None:
    """Send a failed delivery again now (same webhook-id and body)."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now()
    session.add(delivery)
    session.flush()


# ---- events -------------------------------------------------------------------------------

def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def application_data(session: Session, application: Application) -> dict:
    """What an event says about an application (no status-link token: receivers ask the API)."""
    stage = session.get(Stage, application.stage_id)
    return {
        "id": application.id, "job_id": application.job_id, "client_id": application.client_id,
        "name": application.name, "email": application.email, "language": application.language,
        "stage": stage.key if stage else None, "is_open": application.is_open,
        "promised_by": _iso(application.promised_by),
        "last_update_at": _iso(application.last_update_at),
    }


def update_data(session: Session, update: Update) -> dict:
    stage = session.get(Stage, update.stage_id) if update.stage_id else None
    return {
        "id": update.id, "kind": update.kind, "stage": stage.key if stage else None,
        "public_note": update.public_note, "internal_note": update.internal_note,
        "promised_by": _iso(update.promised_by), "is_public": update.is_public,
        "created_at": _iso(update.created_at),
    }


def new_message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def _active_endpoints(session: Session) -> list[tuple[int, tuple[str, ...]]]:
    """(id, events) of the active endpoints, read once per transaction: a bulk update of a
    thousand applications asks once, not a thousand times."""
    transaction = session.get_transaction()
    cached = session.info.get("portal.webhook_endpoints")
    if cached is not None and cached[0] is transaction:
        return cached[1]
    endpoints = [
        (endpoint_id, tuple(events or ()))
        for endpoint_id, events in session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.events)
            .where(WebhookEndpoint.is_active.is_(True))
        )
    ]
    session.info["portal.webhook_endpoints"] = (transaction, endpoints)
    return endpoints


def emit(
    *, session: Session, event_type: str, data: dict, application_id: int | None = None,
    event_key: str | None = None, at: datetime | None = None,
) -> list[WebhookDelivery]:
    """Queue the event for every active endpoint that subscribed to it, in the caller's
    transaction (nothing is written when no endpoint wants it)."""
    assert event_type in EVENT_TYPES, event_type
    endpoints = [
        endpoint_id for endpoint_id, events in _active_endpoints(session)
        if event_type in events
    ]
    if not endpoints:
        return []
    moment = at or now()
    body = json.dumps(
        {"type": event_type, "timestamp": moment.isoformat(), "data": data},
        separators=(",", ":"), ensure_ascii=False,
    )
    deliveries = [
        WebhookDelivery(
            endpoint_id=endpoint_id, event_type=event_type, message_id=new_message_id(),
            event_key=event_key, application_id=application_id, payload=body,
            created_at=moment, next_attempt_at=moment,
        )
        for endpoint_id in endpoints
    ]
    session.add_all(deliveries)
    session.flush()
    return deliveries


def emit_application_created(*, session: Session, application: Application) -> None:
    emit(
        session=session, event_type="application.created", application_id=application.id,
        data={"application": application_data(session, application)},
    )


def emit_application_event(
    *, session: Session, event_type: str, application: Application, update: Update
) -> None:
    """``application.updated``, ``candidate.withdrew`` or ``candidate.asked``."""
    emit(
        session=session, event_type=event_type, application_id=application.id,
        data={
            "application": application_data(session, application),
            "update": update_data(session, update),
        },
    )


# ---- signing (Standard Webhooks) ----------------------------------------------------------

def signing_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(*, secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(*, secret: str, message_id: str, body: str, timestamp: int) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


# ---- delivery bookkeeping -----------------------------------------------------------------

def claim_due(*, session: Session, limit: int, at: datetime | None = None) -> list[WebhookDelivery]:
    """Lock and return up to ``limit`` due deliveries, oldest first (skip rows others hold)."""
    statement = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= (at or now()),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(statement))


def mark_delivered(delivery: WebhookDelivery, *, status: int, at: datetime | None = None) -> None:
    delivery.status = DeliveryStatus.DELIVERED
    delivery.attempts += 1
    delivery.last_status = status
    delivery.last_error = None
    delivery.delivered_at = at or now()


def mark_attempt_failed(
    delivery: WebhookDelivery, *, error: str, status: int | None, max_attempts: int,
    at: datetime | None = None,
) -> None:
    """Record a failed attempt: retry later with exponential backoff, or give up."""
    delivery.attempts += 1
    delivery.last_status = status
    delivery.last_error = error[:2000]
    if delivery.attempts >= max_attempts:
        delivery.status = DeliveryStatus.FAILED
        return
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (delivery.attempts - 1), BACKOFF_CAP_SECONDS)
    delivery.next_attempt_at = (at or now()) + timedelta(seconds=delay)
