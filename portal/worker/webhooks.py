"""Sending webhook deliveries: one signed POST each, at least once, with retries and backoff.

SSRF: the host is resolved at delivery time and every address checked (unless private
addresses are allowed, in development); the connection then goes to the checked address itself,
so a DNS answer that changes between check and connect cannot slip in an internal one.
Redirects are never followed (a 3xx is a failed attempt).
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session

from portal.models import WebhookDelivery, WebhookEndpoint
from portal.services.webhooks import (
    UnsafeAddress,
    checked_addresses,
    claim_due,
    mark_attempt_failed,
    mark_delivered,
    signed_headers,
)

USER_AGENT = "candidate-portal-webhooks/1"


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to one already-checked address, with the URL's host name in ``Host``."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one already-checked address; the certificate is verified for the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class HttpResult:
    status: int | None
    error: str | None


def post(url: str, body: str, headers: dict[str, str], *, allow_private: bool,
         timeout: float) -> HttpResult:
    """POST ``body`` to ``url``; ``error`` is None exactly for a 2xx answer."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return HttpResult(None, f"not an http(s) URL: {url}")
    try:
        addresses = checked_addresses(url, allow_private=allow_private)
    except UnsafeAddress as error:
        return HttpResult(None, f"refused: {error}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = (
        _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    )
    payload = body.encode()
    last_error = "no address"
    for address in addresses:
        connection = connection_class(parts.hostname, port, address, timeout)
        try:
            connection.request(
                "POST", path, body=payload,
                headers={**headers, "Content-Type": "application/json",
                         "User-Agent": USER_AGENT},
            )
            response = connection.getresponse()
            excerpt = response.read(500).decode("utf-8", "replace").strip()
        except (OSError, http.client.HTTPException) as error:
            last_error = f"{type(error).__name__}: {error}"
            continue  # try the host's next address
        finally:
            connection.close()
        if 200 <= response.status < 300:
            return HttpResult(response.status, None)
        detail = f": {excerpt[:200]}" if excerpt else ""
        if 300 <= response.status < 400:
            detail = f" (redirects are not followed; Location: {response.getheader('Location')})"
        return HttpResult(response.status, f"HTTP {response.status} {response.reason}{detail}")
    return HttpResult(None, last_error)


@dataclass
class WebhookReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def deliver_due(
    *, engine: Engine, allow_private: bool, max_attempts: int, timeout: float,
    batch_size: int = 50,
) -> WebhookReport:
    """Send every delivery that is due now."""
    report = WebhookReport()
    commit_each = engine.dialect.name == "sqlite"
    with Session(engine, expire_on_commit=False) as session:
        seen: set[int] = set()
        while True:
            batch = [d for d in claim_due(session=session, limit=batch_size) if d.id not in seen]
            if not batch:
                break
            for delivery in batch:
                seen.add(delivery.id)
                endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
                _deliver_one(delivery, endpoint, allow_private, max_attempts, timeout, report)
                if commit_each:
                    session.commit()
            session.commit()
    return report


def _deliver_one(delivery: WebhookDelivery, endpoint: WebhookEndpoint | None, allow_private,
                 max_attempts, timeout, report: WebhookReport) -> None:
    if endpoint is None or not endpoint.is_active:
        mark_attempt_failed(delivery, error="the endpoint is switched off", status=None,
                            max_attempts=1)
        report.failed += 1
        return
    headers = signed_headers(
        secret=endpoint.secret, message_id=delivery.message_id, body=delivery.payload,
        timestamp=int(time.time()),
    )
    result = post(endpoint.url, delivery.payload, headers, allow_private=allow_private,
                  timeout=timeout)
    if result.error is None:
        mark_delivered(delivery, status=result.status)
        report.delivered += 1
        return
    mark_attempt_failed(delivery, error=result.error, status=result.status,
                        max_attempts=max_attempts)
    if delivery.status == "failed":
        report.failed += 1
    else:
        report.retrying += 1
    report.errors.append(f"webhook {delivery.id} to {endpoint.url}: {result.error}")


def allow_private_addresses(app: Flask) -> bool:
    """``PORTAL_WEBHOOKS_ALLOW_PRIVATE``; by default only in debug mode and the demo."""
    setting = app.config.get("WEBHOOKS_ALLOW_PRIVATE")
    if setting is None:
        return bool(app.debug or app.config.get("DEMO"))
    if isinstance(setting, str):
        return setting.strip().lower() in ("1", "true", "yes", "on")
    return bool(setting)


def run_once(app: Flask) -> WebhookReport:
    """Deliver what is due now with the app's settings."""
    from portal.core.db import get_engine

    return deliver_due(
        engine=get_engine(app), allow_private=allow_private_addresses(app),
        max_attempts=int(app.config.get("WEBHOOK_MAX_ATTEMPTS", 12)),
        timeout=float(app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10)),
        batch_size=int(app.config["OUTBOX_BATCH_SIZE"]),
    )
