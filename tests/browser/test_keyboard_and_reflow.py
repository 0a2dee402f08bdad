"""Keyboard, focus, announcements, reflow and print, in Chromium.

Every control can be reached with Tab and shows a visible focus indicator; after an htmx swap
focus lands on the result and the result sits in a live region that existed before the swap;
at 320 CSS pixels nothing scrolls sideways, and at 200 % text size nothing is cut off; the
status page prints as plain black on white without navigation, buttons or polling controls.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.pages import PAGES, serve_world, sign_in

pytestmark = pytest.mark.browser

# The controls a keyboard user must be able to reach (hidden ones excepted).
INTERACTIVE = (
    "a[href], button:not([hidden]), input:not([type=hidden]), select, textarea, [tabindex='0']"
)
MARK_CONTROLS = """(selector) => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
      && getComputedStyle(el).visibility !== "hidden" && !el.closest("[hidden], [inert]")
      && !el.disabled
      // Inside a closed <details> (its summary aside) a control is folded away, not missed.
      && !el.closest("details:not([open]) > :not(summary)");
  const controls = [...document.querySelectorAll(selector)].filter(visible);
  controls.forEach((el, i) => { el.dataset.kb = String(i); });
  return controls.length;
}"""
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  return {kb: el.dataset.kb ?? null, visible: outline || shadow,
          tag: el.tagName + (el.id ? "#" + el.id : "") + " "
               + (el.textContent || "").trim().slice(0, 40)};
}"""
KEYBOARD_PAGES = [
    page for page in PAGES if page.name in {
        "status: new", "status: expired link", "candidate: withdraw", "candidate: unsubscribe",
        "embed: lookup", "embed: status", "login", "desk: list", "desk: application",
        "desk: new application", "setup: client settings", "setup: new job", "desk: your settings",
    }
]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with serve_world(tmp_path_factory.mktemp("keyboard"), STATUS_POLL_SECONDS=1) as world:
        yield world


@pytest.fixture(scope="module")
def desk_context(browser, world):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    sign_in(context, world, "en")
    yield context
    context.close()


def _open(browser, desk_context, world, page_spec, lang="en", **options):
    if page_spec.desk:
        page = desk_context.new_page()
        if options.get("viewport"):
            page.set_viewport_size(options["viewport"])
    else:
        page = browser.new_context(**options).new_page()
    page.goto(world.url(page_spec, lang))
    return page


@pytest.mark.parametrize("page_spec", KEYBOARD_PAGES, ids=lambda page: page.name)
def test_every_control_is_reached_by_tab_with_visible_focus(
    browser, desk_context, world, page_spec
):
    """Tab from the top: each visible control gets focus, and each focus is visible."""
    page = _open(browser, desk_context, world, page_spec)
    try:
        count = page.evaluate(MARK_CONTROLS, INTERACTIVE)
        reached, invisible = set(), []
        for _ in range(count + 10):
            page.keyboard.press("Tab")
            state = page.evaluate(FOCUS_STATE)
            if state is None:
                continue
            if not state["visible"]:
                invisible.append(state["tag"])
            if state["kb"] is not None:
                reached.add(int(state["kb"]))
        # Radio buttons of one group take a single Tab stop; arrow keys move between them.
        missed = page.evaluate(
            """(reached) => [...document.querySelectorAll("[data-kb]")]
                 .filter((el) => !reached.includes(Number(el.dataset.kb)))
                 .filter((el) => !(el.type === "radio" && document.querySelector(
                     `[data-kb][name="${el.name}"]:checked, [data-kb][name="${el.name}"]`) !== el))
                 .map((el) => el.outerHTML.slice(0, 80))""",
            sorted(reached),
        )
    finally:
        page.close()
    assert missed == []
    assert invisible == []


def test_skip_link_is_first_and_moves_to_the_content(browser, world):
    page = browser.new_page()
    page.goto(world.url(PAGES[0], "en"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.close()


def test_htmx_results_take_focus_and_are_announced(desk_context, world):
    """An update posted by keyboard: focus goes to the message in a live region that was
    already on the page; errors take focus too; filtering keeps focus and announces a count."""
    page = desk_context.new_page()
    page.goto(world.base + f"/admin/applications/{world.values['en']['new_id']}")
    assert page.locator("#live-message").get_attribute("aria-live") == "polite"
    page.evaluate("document.getElementById('live-message').__before = true")

    page.focus("#public_note")
    page.keyboard.type("Thank you for your patience.")
    page.focus(".update-form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("#live-message .flash").wait_for()
    assert page.evaluate("document.getElementById('live-message').__before") is True
    expect(page.locator("#live-message .flash")).to_be_focused()

    page.fill("#promised_by", "")
    page.focus(".update-form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator(".form-errors").wait_for()
    expect(page.locator(".form-errors")).to_be_focused()
    assert page.locator(".form-errors").get_attribute("role") == "alert"

    page.goto(world.base + "/admin/")
    region = page.locator("#desk-results-status")
    assert region.get_attribute("aria-live") == "polite"
    page.focus("#q")
    page.keyboard.type("James Hart")
    expect(region).to_contain_text("1 application")
    assert page.evaluate("document.activeElement.id") == "q"
    page.close()


def test_status_card_updates_inside_a_live_region(browser, world):
    """The polled status card is swapped inside a polite live region that stays in place."""
    page = browser.new_page()
    page.goto(world.url(PAGES[0], "en"))
    live = page.locator(".status-live")
    assert live.get_attribute("aria-live") == "polite"
    page.evaluate("document.querySelector('.status-live').__before = true")
    page.wait_for_timeout(2500)  # a few polls (answered 304: nothing to swap)
    assert page.evaluate("document.querySelector('.status-live').__before") is True
    assert page.locator(".status-live #status").count() == 1
    page.close()


REFLOW_PAGES = [page for page in PAGES if page.then is None]
NO_SIDEWAYS_SCROLL = """() => {
  const root = document.documentElement;
  return {scroll: root.scrollWidth, client: root.clientWidth};
}"""
# Elements whose own content is wider than they are, while they hide the overflow: clipped.
# (A form field scrolls its own text, so it is not clipped.)
CLIPPED = """() => [...document.querySelectorAll("main *, header *")].filter((el) => {
  if (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName)) { return false; }
  const style = getComputedStyle(el);
  if (!["hidden", "clip"].includes(style.overflowX) || el.closest(".visually-hidden")) {
    return false;
  }
  return el.scrollWidth > el.clientWidth + 1;
}).map((el) => el.tagName + "." + el.className)"""


# Candidate pages in both languages (Swedish words run longer); the desk as its recruiter reads it.
REFLOW_CHECKS = [
    pytest.param(page, lang, id=f"{page.name}-{lang}")
    for page in REFLOW_PAGES for lang in (("en",) if page.desk else page.langs)
]


@pytest.mark.parametrize(("page_spec", "lang"), REFLOW_CHECKS)
def test_no_sideways_scrolling_at_320px(browser, desk_context, world, page_spec, lang):
    """WCAG 1.4.10: at 320 CSS pixels wide the page reflows into one column."""
    page = _open(browser, desk_context, world, page_spec, lang,
                 viewport={"width": 320, "height": 640})
    try:
        size = page.evaluate(NO_SIDEWAYS_SCROLL)
        clipped = page.evaluate(CLIPPED)
    finally:
        page.close()
    assert size["scroll"] <= size["client"], size
    assert clipped == []


@pytest.mark.parametrize("page_spec", [p for p in REFLOW_PAGES if not p.desk][:8] + [
    p for p in REFLOW_PAGES if p.name in {"desk: list", "desk: application", "setup: new job"}
], ids=lambda page: page.name)
def test_text_at_200_percent_loses_nothing(browser, desk_context, world, page_spec):
    """WCAG 1.4.4: text twice as large on a 1280 px screen (Chromium's own font-size setting,
    32 px instead of 16, as a reader would set it): no sideways scrolling, nothing clipped,
    headings and buttons in view."""
    page = _open(browser, desk_context, world, page_spec, "sv",
                 viewport={"width": 1280, "height": 800})
    try:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
        page.reload()
        assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"
        size = page.evaluate(NO_SIDEWAYS_SCROLL)
        clipped = page.evaluate(CLIPPED)
        heading = page.locator("h1").first
        assert heading.is_visible()
        box = heading.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size["client"] + 1
        for button in page.locator("main button:visible").all():
            box = button.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= size["client"] + 1
    finally:
        page.close()
    assert size["scroll"] <= size["client"], size
    assert clipped == []


def test_status_page_prints_plainly(browser, world):
    """Print media: no header, footer, buttons or forms; black on white; link URLs shown."""
    page = browser.new_page()
    page.goto(world.url(PAGES[1], "en"))  # with notes
    page.emulate_media(media="print")
    try:
        assert not page.locator(".candidate-header").is_visible()
        assert not page.locator(".candidate-footer").is_visible()
        assert not page.locator("#actions").is_visible()
        assert page.locator("main button:visible, main form:visible").count() == 0
        assert page.locator("h1").is_visible()
        assert page.locator(".note").is_visible()
        colours = page.evaluate("""() => {
          const body = getComputedStyle(document.body);
          const note = getComputedStyle(document.querySelector('.note'));
          return [body.color, body.backgroundColor, note.color];
        }""")
        assert colours[0] == "rgb(0, 0, 0)"
        assert colours[1] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
        assert colours[2] == "rgb(0, 0, 0)"
        # A link in the printed card shows where it goes.
        page.evaluate("""() => {
          const a = document.createElement('a'); a.href = 'https://example.com/privacy';
          a.textContent = 'Privacy'; a.id = 'print-probe';
          document.querySelector('#status').appendChild(a);
        }""")
        after = page.evaluate(
            "getComputedStyle(document.getElementById('print-probe'), '::after').content"
        )
        assert "https://example.com/privacy" in after
    finally:
        page.close()
