"""A client's settings page: branding (accent colour, logo), URLs, embed origins and snippets.

The images are real: a PNG and a JPEG built here byte by byte (Chromium decodes both), and a
WebP that Chromium's own encoder made.
"""

import base64
import re
import struct
from html import unescape
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.core.tokens import status_url_for
from portal.models import Client
from portal.services import InputError
from portal.services.branding import (
    MAX_LOGO_BYTES,
    ClientSettingsError,
    clean_accent_color,
    clean_embed_origins,
    set_client_logo,
    update_client_settings,
)
from tests.factories import (
    PASSWORD,
    make_application,
    make_client,
    make_job,
    make_recruiter,
    png,
)
from tests.helpers import BASE_URL, login

# 5×7 pixels, lossless, from Chromium's canvas.toDataURL("image/webp") (the VP8L chunk alone).
WEBP = base64.b64decode("UklGRh4AAABXRUJQVlA4TBEAAAAvBIABAAfQri7UrP+BiOh/AAA=")
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def jpeg(width: int = 1, height: int = 1) -> bytes:
    """A valid baseline greyscale JPEG: every 8×8 block mid-grey (one Huffman code each)."""

    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body

    quantisation = segment(0xDB, b"\x00" + b"\x01" * 64)
    frame = segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    dc_table = segment(0xC4, b"\x00\x01" + b"\x00" * 15 + b"\x00")  # code "0": no change
    ac_table = segment(0xC4, b"\x10\x01" + b"\x00" * 15 + b"\x00")  # code "0": end of block
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    bits = "00" * (((width + 7) // 8) * ((height + 7) // 8))
    bits += "1" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big").replace(b"\xff", b"\xff\x00")
    return b"\xff\xd8" + quantisation + frame + dc_table + ac_table + scan + data + b"\xff\xd9"


def reload_client(session, client_id: int) -> Client:
    """The client as the database has it now (after the views' commits)."""
    session.rollback()
    session.expire_all()
    return session.get(Client, client_id)


def settings_of(company: Client, **changes) -> dict:
    """The settings form as submitted, from the client's current values plus ``changes``."""
    values = {
        "name": company.name, "country": company.country,
        "default_language": company.default_language,
        "accent_color": company.accent_color or "", "privacy_url": company.privacy_url or "",
        "embed_origins": "\n".join(company.embed_origins),
        "status_page_url": company.status_page_url or "",
    }
    return {**values, **changes}


def update(session, company: Client, **changes) -> Client:
    """Call the service with the client's current settings plus ``changes``."""
    values = settings_of(company, **changes)
    values["embed_origins_text"] = values.pop("embed_origins")
    return update_client_settings(session=session, client=company, **values)


def field_value(html: str, name: str) -> str:
    """What an input or textarea named ``name`` holds, unescaped."""
    found = re.search(rf'<input id="{name}" name="{name}"[^>]*\bvalue="([^"]*)"', html)
    if found is None:
        found = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    return unescape(found[1])


def error_for(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return unescape(found[1]) if found else None


@pytest.fixture
def admin(session):
    return make_recruiter(session, admin=True, name="Ada Admin")


@pytest.fixture
def company(session):
    return make_client(session, name="Nordljus AB", slug="nordljus")


@pytest.fixture
def admin_client(client, admin):
    """The test client, signed in as an agency admin."""
    assert login(client, admin.email).status_code == 303
    return client


# --- accent colour -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("#0b5d66", "#0b5d66"), ("#0B5D66", "#0b5d66"), ("#767676", "#767676"),
     ("#036", "#003366"), (" #1A56DB ", "#1a56db")],
)
def test_accent_colour_with_enough_contrast_is_stored_normalised(session, company, typed, stored):
    """Is a colour with ≥ 4.5:1 against white accepted and stored as lower-case #rrggbb?"""
    update(session, company, accent_color=typed)
    session.commit()
    assert reload_client(session, company.id).accent_color == stored


@pytest.mark.parametrize(
    ("typed", "ratio"), [("#ffcc00", "1.51"), ("#777777", "4.48"), ("#fff", "1"), ("#0b5", "2.55")]
)
def test_pale_accent_colour_is_refused_with_the_measured_ratio(session, company, typed, ratio):
    """Is a colour below 4.5:1 refused, the message giving the measured contrast?"""
    with pytest.raises(InputError) as refused:
        clean_accent_color(typed)
    assert refused.value.field == "accent_color"
    assert refused.value.message == (
        f"contrast with white text is {ratio}:1; it must be at least 4.5:1 — choose a darker colour"
    )


@pytest.mark.parametrize("typed", ["red", "#12345", "#0b5d66;}body{display:none", "#ggg"])
def test_accent_colour_that_is_no_hex_colour_is_refused(session, company, typed):
    """Is anything but #rgb / #rrggbb refused (nothing else may reach the stylesheet)?"""
    with pytest.raises(ClientSettingsError) as refused:
        update(session, company, accent_color=typed)
    assert "not a colour" in refused.value.errors["accent_color"]


# --- embed origins and URLs ----------------------------------------------------------------


def test_embed_origins_are_normalised_and_deduplicated():
    """Are origins lower-cased, stripped of the slash and default port, one per line or comma?"""
    typed = (
        "https://Careers.Example.com/\r\nhttps://careers.example.com:443, http://localhost:8001\n"
        "\n  https://jobs.example.org:8443  \nhttps://careers.example.com"
    )
    assert clean_embed_origins(typed) == [
        "https://careers.example.com", "http://localhost:8001", "https://jobs.example.org:8443",
    ]


@pytest.mark.parametrize(
    "typed",
    ["http://evil.example", "*", "https://*.example.com", "https://a.example/path",
     "javascript:alert(1)", "https://a.example?x=1", "careers.example.com"],
)
def test_embed_origin_that_is_no_https_origin_is_refused(session, company, typed):
    """Are plain-http, wildcard, path-carrying and script origins refused, naming the entry?"""
    with pytest.raises(ClientSettingsError) as refused:
        update(session, company, embed_origins=f"https://ok.example\n{typed}")
    assert typed.split("?")[0][:12] in refused.value.errors["embed_origins"]
    assert reload_client(session, company.id).embed_origins == []


def test_more_than_twenty_embed_origins_are_refused():
    """Is a list of 21 distinct origins refused?"""
    with pytest.raises(InputError, match="at most 20"):
        clean_embed_origins("\n".join(f"https://site{n}.example" for n in range(21)))


@pytest.mark.parametrize(
    ("field", "typed", "reason"),
    [
        ("privacy_url", "http://example.com/privacy", "https://"),
        ("privacy_url", "javascript:alert(1)", "not a web address"),
        ("privacy_url", "https://example.com/" + "p" * 490, "at most 500"),
        ("privacy_url", "https://user:pw@example.com/privacy", "login"),
        ("status_page_url", "ftp://careers.example.com/status", "not a web address"),
        ("status_page_url", "https://careers.example.com/status#t=x", "#t=<token>"),
        ("status_page_url", "https://elsewhere.example/status", "add https://elsewhere.example"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(session, company, field, typed, reason):
    """Are non-https, overlong, credentialed URLs refused, and a status page off the origins?"""
    with pytest.raises(ClientSettingsError) as refused:
        update(session, company, embed_origins="https://careers.example.com", **{field: typed})
    assert reason in refused.value.errors[field]


def test_good_settings_are_stored_and_bump_updated_at(session, company):
    """Are valid settings stored, localhost http allowed, and updated_at moved forward?"""
    before = company.updated_at
    update(
        session, company, name="Nordljus Group", country="no", default_language="en",
        accent_color="#0b5d66", privacy_url="http://localhost:8001/privacy",
        embed_origins="https://careers.nordljus.example/",
        status_page_url="https://careers.nordljus.example/status",
    )
    session.commit()
    stored = reload_client(session, company.id)
    assert (stored.name, stored.country, stored.default_language) == ("Nordljus Group", "NO", "en")
    assert stored.privacy_url == "http://localhost:8001/privacy"
    assert stored.embed_origins == ["https://careers.nordljus.example"]
    assert stored.status_page_url == "https://careers.nordljus.example/status"
    assert stored.updated_at.replace(tzinfo=None) > before.replace(tzinfo=None)


def test_every_wrong_field_is_reported_at_once(session, company):
    """Does one call report each wrong field, not just the first?"""
    with pytest.raises(ClientSettingsError) as refused:
        update(session, company, name="", accent_color="#ffcc00", embed_origins="*")
    assert set(refused.value.errors) == {"name", "accent_color", "embed_origins"}


# --- logo ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime"),
    [(png(3, 2), "image/png"), (jpeg(20, 9), "image/jpeg"), (WEBP, "image/webp")],
    ids=["png", "jpeg", "webp"],
)
def test_real_image_is_accepted_as_logo_with_its_detected_type(session, company, data, mime):
    """Is a real PNG, JPEG or WebP stored with the type its bytes show (not its name's)?"""
    set_client_logo(session=session, client=company, data=data, filename="logo.gif")
    session.commit()
    stored = reload_client(session, company.id)
    assert (stored.logo, stored.logo_type) == (data, mime)


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [
        (SVG, "logo.png", "is an SVG image, which can carry scripts"),
        (b"\n  " + SVG, "logo.svg", "is an SVG image"),
        (HTML, "logo.png", "is markup (HTML or XML)"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "logo.png", "is not a PNG, JPEG or WebP image"),
        (b"\x89PNG\r\n\x1a\n", "logo.png", "looks like a PNG but is damaged"),
        (b"", "logo.png", "empty"),
        (png(1, 1) + b"\0" * MAX_LOGO_BYTES, "logo.png", "a logo may be at most 512 KiB"),
        (png(5000, 1), "wide.png", "5000×1 pixels"),
        (jpeg(1, 4097), "tall.jpg", "1×4097 pixels"),
    ],
    ids=["svg-named-png", "svg", "html", "gif", "truncated-png", "empty", "too-big", "too-wide",
         "too-tall"],
)
def test_anything_but_a_sane_image_is_refused_as_logo(session, company, data, filename, reason):
    """Are SVG, HTML, other formats, broken, huge or oversized files refused, saying why?"""
    set_client_logo(session=session, client=company, data=png(), filename="old.png")
    session.commit()
    with pytest.raises(InputError) as refused:
        set_client_logo(session=session, client=company, data=data, filename=filename)
    assert refused.value.field == "logo"
    assert reason in refused.value.message
    assert reload_client(session, company.id).logo == png()


# --- serving the logo and the theme --------------------------------------------------------


def test_logo_is_served_with_its_type_nosniff_caching_and_no_cookie(client, session, company):
    """Does /brand/<slug>/logo send the bytes as stored, nosniff, inline, cached, cookieless?"""
    set_client_logo(session=session, client=company, data=jpeg(), filename="logo.jpg")
    session.commit()
    response = client.get("/brand/nordljus/logo")
    assert response.status_code == 200
    assert response.data == jpeg()
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "inline"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    again = client.get("/brand/nordljus/logo", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_logo_url_is_404_without_a_logo_or_client(client, company):
    """Is there a 404 (not an empty image) for a client without a logo, or an unknown one?"""
    assert client.get("/brand/nordljus/logo").status_code == 404
    assert client.get("/brand/nobody/logo").status_code == 404


def test_theme_stylesheet_carries_the_accent_colour(client, session, company):
    """Does /brand/<slug>/theme.css set --accent to the client's colour, as cached CSS?"""
    update(session, company, accent_color="#1A56DB")
    session.commit()
    response = client.get("/brand/nordljus/theme.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert ":root{--accent:#1a56db}" in response.text
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.headers["ETag"]
    assert "Set-Cookie" not in response.headers


# --- the settings page ---------------------------------------------------------------------


def test_admin_sees_the_three_snippets_with_base_url_and_slug(client, session, company):
    """Does the client's page show the exact script tag for lookup, badge and status?"""
    recruiter = make_recruiter(session, admin=True)
    login(client, recruiter.email)
    listing = client.get("/admin/clients")
    assert f'href="/admin/clients/{company.id}"' in listing.text
    page = client.get(f"/admin/clients/{company.id}")
    assert page.status_code == 200
    snippets = {
        widget: unescape(re.search(
            rf'<textarea id="snippet-{widget}"[^>]*readonly[^>]*>(.*?)</textarea>', page.text
        )[1])
        for widget in ("lookup", "badge", "status")
    }
    assert snippets == {
        widget: f'<script src="{BASE_URL}/embed.js" data-client="nordljus" '
                f'data-widget="{widget}" async></script>'
        for widget in ("lookup", "badge", "status")
    }
    assert 'data-copy="#snippet-status"' in page.text


def test_snippets_follow_the_configured_base_url(make_app, session, company):
    """Do the snippets use BASE_URL as configured, not the request's host?"""
    other = make_app(BASE_URL="https://status.agency.example/")
    recruiter = make_recruiter(session, admin=True)
    browser = other.test_client()
    browser.post("/admin/login", data={"email": recruiter.email, "password": PASSWORD},
                 base_url="https://evil.example")
    page = browser.get(f"/admin/clients/{company.id}", base_url="https://evil.example")
    assert (
        '&lt;script src=&#34;https://status.agency.example/embed.js&#34; '
        'data-client=&#34;nordljus&#34; data-widget=&#34;lookup&#34; async&gt;&lt;/script&gt;'
    ) in page.text


def test_admin_saves_settings_and_logo_in_one_form(admin_client, session, company):
    """Does a valid form with a logo save everything, then 303 back with a flash?"""
    form = settings_of(
        company, accent_color="#0b5d66", embed_origins="https://careers.nordljus.example",
        logo=(BytesIO(png(2, 2)), "logo.png"),
    )
    response = admin_client.post(f"/admin/clients/{company.id}", data=form,
                                 content_type="multipart/form-data")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/clients/{company.id}"
    stored = reload_client(session, company.id)
    assert (stored.accent_color, stored.logo_type) == ("#0b5d66", "image/png")
    page = admin_client.get(f"/admin/clients/{company.id}")
    assert "Settings for Nordljus AB saved." in page.text
    assert 'src="/brand/nordljus/logo?v=' in page.text


def test_errors_keep_what_was_typed_and_save_nothing(admin_client, session, company):
    """Is a wrong form answered 422, errors beside their fields, every typed value kept?"""
    form = settings_of(
        company, name="Nordljus & Co", accent_color="#FFCC00",
        privacy_url="http://nordljus.example/privacy",
        embed_origins="https://careers.nordljus.example\nhttp://evil.example",
        logo=(BytesIO(SVG), "logo.png"),
    )
    response = admin_client.post(f"/admin/clients/{company.id}", data=form,
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.text
    assert field_value(html, "name") == "Nordljus & Co"
    assert field_value(html, "accent_color") == "#FFCC00"
    assert field_value(html, "privacy_url") == "http://nordljus.example/privacy"
    assert field_value(html, "embed_origins") == (
        "https://careers.nordljus.example\nhttp://evil.example"
    )
    assert "contrast with white text is 1.51:1" in error_for(html, "accent_color")
    assert "https://" in error_for(html, "privacy_url")
    assert "http://evil.example" in error_for(html, "embed_origins")
    assert "SVG" in error_for(html, "logo")
    assert 'aria-describedby="accent_color-hint accent_color-error"' in html
    stored = reload_client(session, company.id)
    assert (stored.name, stored.accent_color, stored.logo) == ("Nordljus AB", None, None)


def test_bad_logo_keeps_good_settings_unsaved(admin_client, session, company):
    """Is the form all or nothing: valid settings with an HTML 'logo' change nothing?"""
    form = settings_of(company, accent_color="#0b5d66", logo=(BytesIO(HTML), "logo.png"))
    response = admin_client.post(f"/admin/clients/{company.id}", data=form,
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "HTML" in error_for(response.text, "logo")
    assert reload_client(session, company.id).accent_color is None


def test_too_large_upload_gets_a_friendly_413_page(admin_client, session, company):
    """Is an upload over the 1 MiB request limit answered with a readable 413 page?"""
    huge = FileStorage(BytesIO(png() + b"\0" * (1024 * 1024)), "huge.png", content_type="image/png")
    form = settings_of(company, accent_color="#0b5d66", logo=huge)
    # Encoded in memory: the test client would spool this much to a temporary file that the
    # refused request never reads, and so never closes.
    boundary, body = encode_multipart(form)
    response = admin_client.post(f"/admin/clients/{company.id}", data=body,
                                 content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "That was too large to send" in response.text
    assert "1024 KiB" in response.text
    assert 'class="panel"' in response.text
    assert reload_client(session, company.id).accent_color is None


def test_remove_logo_button_removes_it(admin_client, session, company):
    """Does the 'Remove logo' button delete the logo, so its URL is then a 404?"""
    set_client_logo(session=session, client=company, data=png(), filename="logo.png")
    session.commit()
    page = admin_client.get(f"/admin/clients/{company.id}")
    action = f"/admin/clients/{company.id}/logo/remove"
    assert f'action="{action}"' in page.text and 'form="remove-logo"' in page.text
    response = admin_client.post(action)
    assert response.status_code == 303
    assert reload_client(session, company.id).logo is None
    assert admin_client.get("/brand/nordljus/logo").status_code == 404


def test_only_an_admin_may_change_a_clients_settings(client, session, company):
    """Is a recruiter without the admin role refused the page and every change (403)?"""
    recruiter = make_recruiter(session)
    login(client, recruiter.email)
    page = client.get(f"/admin/clients/{company.id}")
    assert page.status_code == 403
    form = settings_of(company, accent_color="#0b5d66")
    assert client.post(f"/admin/clients/{company.id}", data=form).status_code == 403
    set_client_logo(session=session, client=company, data=png(), filename="logo.png")
    session.commit()
    assert client.post(f"/admin/clients/{company.id}/logo/remove").status_code == 403
    stored = reload_client(session, company.id)
    assert (stored.accent_color, stored.logo_type) == (None, "image/png")


def test_unknown_client_page_is_404(admin_client):
    """Is a client id that does not exist a 404?"""
    assert admin_client.get("/admin/clients/999999").status_code == 404


# --- what candidates see -------------------------------------------------------------------


def candidate_page(app, client, session, company):
    application = make_application(session, job=make_job(session, client=company))
    with app.test_request_context():
        path = status_url_for(application.id, application.token_version).removeprefix(BASE_URL)
    return client.get(path)


def test_candidate_page_shows_the_logo_and_links_the_theme(app, client, session, company):
    """Does the status page show the client's logo (alt = its name) and link its theme?"""
    update(session, company, accent_color="#0b5d66")
    set_client_logo(session=session, client=company, data=png(), filename="logo.png")
    session.commit()
    page = candidate_page(app, client, session, company)
    assert page.status_code == 200
    logo = re.search(r'<img class="brand-logo" src="([^"]+)" alt="([^"]+)">', page.text)
    assert logo[1].startswith("/brand/nordljus/logo?v=") and logo[2] == "Nordljus AB"
    theme = re.search(r'<link rel="stylesheet" href="(/brand/nordljus/theme\.css\?v=\d+)">',
                      page.text)
    assert ":root{--accent:#0b5d66}" in client.get(unescape(theme[1])).text
    assert client.get(unescape(logo[1])).data == png()
    assert 'style="' not in page.text


def test_unbranded_candidate_page_shows_the_name_and_no_theme(app, client, session, company):
    """Without a logo or colour, does the header show the name and link no theme?"""
    page = candidate_page(app, client, session, company)
    assert '<p class="brand">Nordljus AB</p>' in page.text
    assert "/brand/" not in page.text


def test_branding_change_changes_the_candidate_pages_etag_and_asset_urls(
    app, client, session, company
):
    """After a logo change, do the candidate page's ETag and its logo URL change too?"""
    set_client_logo(session=session, client=company, data=png(), filename="logo.png")
    session.commit()
    before = candidate_page(app, client, session, company)
    set_client_logo(session=session, client=company, data=jpeg(), filename="logo.jpg")
    session.commit()
    application_path = before.request.path
    after = client.get(application_path)
    assert after.headers["ETag"] != before.headers["ETag"]
    old_logo = re.search(r'src="(/brand/nordljus/logo\?v=\d+)"', before.text)[1]
    new_logo = re.search(r'src="(/brand/nordljus/logo\?v=\d+)"', after.text)[1]
    assert old_logo != new_logo
