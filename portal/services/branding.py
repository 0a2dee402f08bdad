"""A client's branding and embedding settings: accent colour, logo, URLs and embed origins.

Everything here is checked before it is stored, because it ends up in other people's pages:
the colour in a stylesheet, the logo as an image on the candidate's page, the origins in a
``frame-ancestors`` policy. Every change bumps ``Client.updated_at``, which candidates'
page ETags and the logo and theme URLs depend on.
"""

import re
import struct
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import Session

from portal.core.clock import now
from portal.core.origins import LOOPBACK_HOSTS, normalise_origin
from portal.models import Client
from portal.services import N_, InputError, Message
from portal.services.audit import Actor, record_by
from portal.services.catalog import clean_client_name, clean_country, clean_language

MIN_CONTRAST = 4.5
MAX_URL_LENGTH = 500
MAX_EMBED_ORIGINS = 20
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_SIDE = 4096
HEX_COLOUR = re.compile(r"^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
STORED_COLOUR = re.compile(r"^#[0-9a-f]{6}$")


class ClientSettingsError(InputError):
    """Several fields were wrong at once; ``errors`` maps each field to its reason.

    ``field`` and ``message`` name the first, so callers that expect one InputError still work.
    """

    def __init__(self, errors: dict[str, str]):
        field, message = next(iter(errors.items()))
        super().__init__(field, message)
        self.errors = errors


@dataclass(frozen=True)
class ClientBrand:
    """What a page needs to show a client's brand, without loading the logo's bytes."""

    slug: str
    name: str
    logo_type: str | None
    accent_color: str | None
    updated_at: datetime | None


# --- colour --------------------------------------------------------------------------------


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.03928 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rrggbb`` colour (0 black … 1 white)."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of white text on a ``#rrggbb`` background (1 … 21)."""
    return 1.05 / (relative_luminance(colour) + 0.05)


def clean_accent_color(raw: str) -> str | None:
    """``#rrggbb`` in lower case (``#rgb`` expanded), None for empty, or InputError saying why."""
    text = (raw or "").strip()
    if not text:
        return None
    match = HEX_COLOUR.match(text)
    if match is None:
        raise InputError(
            "accent_color", N_("%(text)s is not a colour like #0b5d66 (# and six hex digits)"),
            text=repr(text),
        )
    digits = match[1].lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    colour = f"#{digits}"
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST:
        # Never rounded up to the threshold: a refused colour must not read as "4.5:1".
        shown = f"{min(round(ratio, 2), MIN_CONTRAST - 0.01):.2f}".rstrip("0").rstrip(".")
        raise InputError(
            "accent_color",
            N_("contrast with white text is %(ratio)s:1; it must be at least %(minimum)s:1 — "
               "choose a darker colour"),
            ratio=shown, minimum=str(MIN_CONTRAST),
        )
    return colour


# --- URLs and origins ----------------------------------------------------------------------


def clean_https_url(raw: str, *, field: str, fragment_allowed: bool = True) -> str | None:
    """An https URL (http only on localhost) of at most 500 characters, None for empty."""
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > MAX_URL_LENGTH:
        raise InputError(
            field, N_("at most %(limit)d characters (this one has %(count)d)"),
            limit=MAX_URL_LENGTH, count=len(text),
        )
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in text):
        raise InputError(field, N_("a web address has no spaces or control characters"))
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(
            field, N_("%(text)s is not a web address like https://example.com/privacy"),
            text=repr(text),
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise InputError(
            field, N_("the address must start with https:// (http only for localhost)")
        )
    if parts.username is not None or parts.password is not None:
        raise InputError(field, N_("the address must not contain a login"))
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise InputError(field, N_("the port is not a number")) from None
    if parts.fragment and not fragment_allowed:
        raise InputError(
            field, N_("leave out the #… part: the portal adds #t=<token> itself")
        )
    return text


def clean_embed_origins(text: str) -> list[str]:
    """Origins from one-per-line (or comma-separated) text: normalised, de-duplicated, ≤ 20."""
    origins: list[str] = []
    for item in re.split(r"[\r\n,]+", text or ""):
        if not item.strip():
            continue
        origin = normalise_origin(item)
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_EMBED_ORIGINS:
        raise InputError(
            "embed_origins", N_("at most %(limit)d origins (%(count)d given)"),
            limit=MAX_EMBED_ORIGINS, count=len(origins),
        )
    return origins


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return normalise_origin(f"{parts.scheme}://{parts.netloc}")


def update_client_settings(
    *, session: Session, client: Client, name: str, accent_color: str, privacy_url: str,
    embed_origins_text: str, status_page_url: str, default_language: str, country: str,
    actor: Actor | None = None,
) -> Client:
    """Check and store a client's settings; ClientSettingsError lists every field that is wrong.

    Nothing is changed unless every field is right. Audited as ``client.changed`` by ``actor``
    (a logo sent with the settings is part of the same change).
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, object] = {}
    checks = (
        ("name", lambda: clean_client_name(name)),
        ("country", lambda: clean_country(country)),
        ("default_language", lambda: clean_language(default_language)),
        ("accent_color", lambda: clean_accent_color(accent_color)),
        ("privacy_url", lambda: clean_https_url(privacy_url, field="privacy_url")),
        ("embed_origins", lambda: clean_embed_origins(embed_origins_text)),
        ("status_page_url", lambda: clean_https_url(
            status_page_url, field="status_page_url", fragment_allowed=False)),
    )
    for field, check in checks:
        try:
            cleaned[field] = check()
        except InputError as error:
            errors[error.field] = error.message
    status_page = cleaned.get("status_page_url")
    if status_page and "embed_origins" in cleaned:
        origin = _origin_of(status_page)
        if origin not in cleaned["embed_origins"]:
            # The status widget on that page could not load, and candidates' links go there.
            errors["status_page_url"] = Message(
                N_("add %(origin)s to the allowed embed origins, or the status widget on this "
                   "page cannot load"),
                origin=origin,
            )
    if errors:
        raise ClientSettingsError(errors)
    for field, value in cleaned.items():
        setattr(client, field, value)
    client.updated_at = now()
    session.add(client)
    session.flush()
    record_by(actor, session=session, action="client.changed", subject=f"client:{client.id}")
    return client


# --- logo ----------------------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int] | None:
    # The first chunk of every PNG is IHDR: length 13, then width and height (big-endian).
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


# Start-of-frame markers carry the size; C4 (Huffman), C8 and CC (arithmetic tables) do not.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 4 <= len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a length
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2:index + 4])
        if marker in _JPEG_FRAMES:
            if index + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[index + 5:index + 9])
            return width, height
        if marker == 0xDA or length < 2:  # image data starts before any frame header
            return None
        index += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


# Recognised by their first bytes only: the name and the browser's type are both the sender's say.
_FORMATS = (
    ("image/png", "PNG", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"), _png_size),
    ("image/jpeg", "JPEG", lambda d: d.startswith(b"\xff\xd8\xff"), _jpeg_size),
    ("image/webp", "WebP", lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP", _webp_size),
)


def detect_logo_type(data: bytes, filename: str = "") -> tuple[str, tuple[int, int]]:
    """The MIME type and pixel size of a PNG, JPEG or WebP image, or InputError saying why not."""
    for mime, label, matches, size_of in _FORMATS:
        if matches(data):
            size = size_of(data)
            if size is None:
                raise InputError(
                    "logo", N_("the file looks like a %(kind)s but is damaged"), kind=label
                )
            return mime, size
    start = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith(b"<"):
        message = (
            N_("%(name)s is an SVG image, which can carry scripts; upload a PNG, JPEG or WebP "
               "image")
            if b"<svg" in data[:4096].lower()
            else N_("%(name)s is markup (HTML or XML), which can carry scripts; upload a PNG, "
                    "JPEG or WebP image")
        )
        raise InputError("logo", message, name=filename or "the file")
    raise InputError(
        "logo", N_("%(name)s is not a PNG, JPEG or WebP image "
                   "(the file's contents were checked, not its name)"),
        name=filename or "the file",
    )


def set_client_logo(*, session: Session, client: Client, data: bytes, filename: str) -> Client:
    """Store a PNG, JPEG or WebP logo of at most 512 KiB, its type taken from its own bytes."""
    if not data:
        raise InputError("logo", N_("the file is empty; choose an image file"))
    if len(data) > MAX_LOGO_BYTES:
        raise InputError(
            "logo", N_("the file is %(size)d KiB; a logo may be at most %(limit)d KiB"),
            size=len(data) // 1024, limit=MAX_LOGO_BYTES // 1024,
        )
    mime, (width, height) = detect_logo_type(data, filename)
    if not (1 <= width <= MAX_LOGO_SIDE and 1 <= height <= MAX_LOGO_SIDE):
        raise InputError(
            "logo", N_("the image is %(width)d×%(height)d pixels; each side must be between 1 "
                       "and %(limit)d"),
            width=width, height=height, limit=MAX_LOGO_SIDE,
        )
    client.logo = data
    client.logo_type = mime
    client.updated_at = now()
    session.add(client)
    session.flush()
    return client


def remove_client_logo(
    *, session: Session, client: Client, actor: Actor | None = None
) -> Client:
    """Remove the client's logo (pages show the name instead); audited as ``client.changed``."""
    client.logo = None
    client.logo_type = None
    client.updated_at = now()
    session.add(client)
    session.flush()
    record_by(actor, session=session, action="client.changed", subject=f"client:{client.id}",
              detail={"logo": "removed"})
    return client

