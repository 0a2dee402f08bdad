"""In Chromium: a career site on one origin embeds the widgets served from another site.

The career site is served from 127.0.0.1:<port>, the portal from localhost:<port>: two sites,
so the widgets are third-party frames, and Chromium blocks their cookies (checked below).
"""

import re

import pytest
from sqlmodel import select
from werkzeug.serving import make_server

from portal.core.tokens import status_url_for
from portal.models import OutboxMessage
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import make_application, make_client, make_job, make_recruiter

pytestmark = pytest.mark.browser

INITIAL_HEIGHT = 150  # what embed.js gives a frame before it reports its own height


@pytest.fixture(scope="module")
def cookieless_browser(browser):
    """Chromium with third-party cookies blocked (the coming default; this Chromium already
    blocks them in the frames below, and the switch makes sure of it)."""
    cookieless = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"]
    )
    yield cookieless
    cookieless.close()


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


class CareerSite:
    """A client's career site: a few static HTML pages on an origin of its own."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"

    def __call__(self, environ, start_response):
        body = self.pages.get(environ["PATH_INFO"])
        if body is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]

    def add_page(self, path: str, portal: str, *widgets: str, client: str = "acme") -> str:
        tags = "\n".join(
            f'<section><h2>{widget}</h2><script src="{portal}/embed.js" data-client="{client}" '
            f'data-widget="{widget}" data-lang="en" async></script></section>'
            for widget in widgets
        )
        self.pages[path] = (
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<link rel=\"icon\" href=\"data:,\">"
            f"<title>Careers</title></head><body><h1>Work with us</h1>{tags}"
            "<footer>Acme careers</footer></body></html>"
        )
        return self.origin + path


@pytest.fixture
def career_sites():
    """Start career sites on demand; all stop at the end."""
    import threading

    sites = []

    def start() -> CareerSite:
        site = CareerSite()
        thread = threading.Thread(target=site.server.serve_forever, daemon=True)
        thread.start()
        sites.append((site, thread))
        return site

    yield start
    for site, thread in sites:
        site.server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def portal(live_server_on):
    return live_server_on("localhost")


@pytest.fixture
def acme(session):
    client = make_client(session, name="Acme AB", slug="acme", default_language="en")
    return client


def allow(session, client, *origins: str) -> None:
    client.embed_origins = list(origins)
    session.add(client)
    session.commit()


def widget_frame(page, widget: str):
    """The iframe element embed.js placed for ``widget``, once its document has loaded."""
    element = page.locator(f'iframe[data-portal-widget="{widget}"]')
    element.wait_for()
    return element


def wait_until_sized(page, widget: str) -> tuple[float, float]:
    """Wait for the frame to report its height; return (frame height, content height)."""
    element = widget_frame(page, widget)
    page.wait_for_function(
        """([widget, initial]) => {
            const frame = document.querySelector(`iframe[data-portal-widget="${widget}"]`);
            return frame && frame.getBoundingClientRect().height !== initial;
        }""",
        arg=[widget, INITIAL_HEIGHT],
    )
    frame = element.element_handle().content_frame()
    content = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    return element.evaluate("e => e.getBoundingClientRect().height"), content


def test_each_widget_renders_and_sizes_itself_without_cookies(
    app, session, acme, portal, career_sites, cookieless_browser, page_errors
):
    """Do lookup, badge and status render in cross-site frames, sized to their content?"""
    job = make_job(session, client=acme, title="Data Engineer",
                   owner=make_recruiter(session, name="Rita Berg"))
    application = make_application(session, job=job)
    with app.test_request_context():
        token = status_url_for(application.id, application.token_version).rsplit("/s/", 1)[1]
    site = career_sites()
    allow(session, acme, site.origin)
    url = site.add_page("/careers", portal, "lookup", "badge", "status")

    context = cookieless_browser.new_context()
    page = page_errors(context.new_page())
    page.goto(f"{url}#t={token}")

    for widget, title in (("lookup", "Check my application status"),
                          ("badge", "Our feedback promise"),
                          ("status", "Your application status")):
        frame_height, content_height = wait_until_sized(page, widget)
        assert abs(frame_height - content_height) <= 2, widget
        assert widget_frame(page, widget).get_attribute("title") == title
    lookup = page.frame_locator('iframe[data-portal-widget="lookup"]')
    assert lookup.get_by_role("button", name="Check my application status").is_visible()
    badge = page.frame_locator('iframe[data-portal-widget="badge"]')
    assert "Applicants answered" in badge.locator("body").inner_text()
    status = page.frame_locator('iframe[data-portal-widget="status"]')
    assert "Application received" in status.locator("h1").inner_text()
    assert "Data Engineer" in status.locator(".eyebrow").inner_text()

    # Opening "How we count" makes the badge taller: the frame follows.
    before, _ = wait_until_sized(page, "badge")
    badge.get_by_text("How we count").click()
    page.wait_for_function(
        """(before) => document.querySelector('iframe[data-portal-widget="badge"]')
                           .getBoundingClientRect().height > before + 20""",
        arg=before,
    )

    # Third-party cookies are blocked in these frames, and the widgets need none.
    frame = widget_frame(page, "lookup").element_handle().content_frame()
    stored = frame.evaluate(
        "() => { document.cookie = 'probe=1; SameSite=None; Secure'; return document.cookie; }"
    )
    assert "probe" not in stored
    assert context.cookies() == []
    assert page_errors.errors == []


def test_a_lookup_works_end_to_end_in_the_frame(
    app, session, acme, portal, career_sites, cookieless_browser, page_errors
):
    """Does a candidate's lookup inside the frame get the answer, and an email get queued?"""
    job = make_job(session, client=acme, title="Data Engineer")
    make_application(session, job=job, email="ann.ek@mail.example")
    site = career_sites()
    allow(session, acme, site.origin)
    url = site.add_page("/status", portal, "status")  # no #t=: the lookup form instead

    context = cookieless_browser.new_context()
    page = page_errors(context.new_page())
    page.goto(url)
    form_height, _ = wait_until_sized(page, "status")
    frame = page.frame_locator('iframe[data-portal-widget="status"]')
    frame.get_by_label("Your email address").fill("Ann.Ek@mail.example")
    frame.get_by_role("button", name="Check my application status").click()

    answer = frame.get_by_role("status")
    answer.wait_for()
    assert "we have just sent it an email" in answer.inner_text()
    page.wait_for_function(
        """(before) => document.querySelector('iframe[data-portal-widget="status"]')
                           .getBoundingClientRect().height !== before""",
        arg=form_height,
    )
    frame_height, content_height = wait_until_sized(page, "status")
    assert abs(frame_height - content_height) <= 2
    assert context.cookies() == []
    assert page_errors.errors == []

    emails = session.exec(select(OutboxMessage).where(OutboxMessage.purpose == "lookup")).all()
    assert [email.to_address for email in emails] == ["ann.ek@mail.example"]
    assert "Data Engineer" in emails[0].body_text


def test_a_career_site_not_on_the_list_is_refused_by_the_browser(
    session, acme, portal, career_sites, cookieless_browser
):
    """Does Chromium refuse to show the widget on a page whose origin the client did not list?"""
    listed, stranger = career_sites(), career_sites()
    allow(session, acme, listed.origin)
    url = stranger.add_page("/careers", portal, "lookup")

    page = cookieless_browser.new_context().new_page()
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text) as refusal:
        page.goto(url)

    # Chromium 156 says "Framing '<url>' violates ... frame-ancestors <listed origin> ...";
    # older versions "Refused to frame '<url>' because an ancestor violates ...".
    assert re.search(r"(Framing|Refused to frame) 'http://localhost:\d+/'", refusal.value.text)
    assert listed.origin in refusal.value.text
    element = widget_frame(page, "lookup")
    frame = element.element_handle().content_frame()
    assert frame is None or "Check my application status" not in frame.content()
    # Nothing reported a height either: the frame keeps the size embed.js gave it.
    assert element.evaluate("e => e.getBoundingClientRect().height") == INITIAL_HEIGHT


def test_status_widget_keeps_its_size_after_a_candidate_action(
    app, session, acme, portal, career_sites, cookieless_browser, page_errors
):
    """After "I'm still interested" (a form that redirects inside the frame), is it sized?"""
    job = make_job(session, client=acme, title="Data Engineer",
                   owner=make_recruiter(session, name="Rita Berg"))
    application = make_application(session, job=job)
    with app.test_request_context():
        token = status_url_for(application.id, application.token_version).rsplit("/s/", 1)[1]
    site = career_sites()
    allow(session, acme, site.origin)
    url = site.add_page("/status", portal, "status")

    context = cookieless_browser.new_context()
    page = page_errors(context.new_page())
    page.goto(f"{url}#t={token}")
    before, _ = wait_until_sized(page, "status")
    frame = page.frame_locator('iframe[data-portal-widget="status"]')
    button = frame.get_by_role("button", name="I'm still interested")
    if button.count() == 0:
        pytest.skip("the status card has no candidate actions")
    button.click()
    frame.get_by_text("You said you are still interested").wait_for()

    page.wait_for_function(
        """(before) => document.querySelector('iframe[data-portal-widget="status"]')
                           .getBoundingClientRect().height !== before""",
        arg=before,
    )
    frame_height, content_height = wait_until_sized(page, "status")
    assert abs(frame_height - content_height) <= 2
    assert context.cookies() == []
    assert page_errors.errors == []
