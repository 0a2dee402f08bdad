"""WCAG 2.2 AA in Chromium: axe-core finds nothing on any page, in both languages, on a
desktop and a phone; and no page logs a console error or breaks its Content-Security-Policy.

The pages are ``tests.browser.pages.PAGES``; append a screen there to have it checked.
axe-core runs offline: axe-playwright-python ships its script.
"""

import pytest

from tests.browser.pages import CSP_LISTENER, LANGS, PAGES, VIEWPORTS, serve_world, sign_in

pytestmark = pytest.mark.browser

CHECKS = [
    pytest.param(page, lang, viewport, id=f"{page.name}-{lang}-{viewport}")
    for page in PAGES for lang in page.langs for viewport in VIEWPORTS
]
# Rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice",
    ]},
    "resultTypes": ["violations"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with serve_world(tmp_path_factory.mktemp("a11y")) as world:
        yield world


@pytest.fixture(scope="module")
def contexts(browser, world):
    """One browser context per language, viewport and role (signed in or not), reused."""
    made = {}

    def get(lang: str, viewport: str, desk: bool):
        key = (lang, viewport, desk)
        if key not in made:
            context = browser.new_context(
                viewport=VIEWPORTS[viewport], locale="sv-SE" if lang == "sv" else "en-GB",
            )
            context.add_init_script(CSP_LISTENER)
            if desk:
                sign_in(context, world, lang)
            made[key] = context
        return made[key]

    yield get
    for context in made.values():
        context.close()


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def test_count_of_checks(capsys):
    """How many page × language × viewport combinations are checked (quoted in the README)."""
    with capsys.disabled():
        pairs = sum(len(page.langs) for page in PAGES)
        print(f"\naccessibility: {len(PAGES)} pages, {pairs} page × language pairs × "
              f"{len(VIEWPORTS)} viewports = {len(CHECKS)} checks")
    assert len(CHECKS) == pairs * len(VIEWPORTS)
    assert all(set(page.langs) <= set(LANGS) for page in PAGES)


@pytest.mark.parametrize(("page_spec", "lang", "viewport"), CHECKS)
def test_page_has_no_accessibility_violations(page_spec, lang, viewport, world, contexts, axe):
    """axe-core: no violation; and no console error or CSP violation while it loads."""
    context = contexts(lang, viewport, page_spec.desk)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        response = page.goto(world.url(page_spec, lang))
        assert response.status == (page_spec.status or 200)
        if page_spec.then:
            page_spec.then(page)
        assert page.locator("html").get_attribute("lang") == lang
        results = axe.run(page, options=AXE_OPTIONS)
        csp = page.evaluate("window.__cspViolations || []")
    finally:
        page.close()
    assert results.violations_count == 0, results.generate_report()
    # A 404/410 page logs its status as a console error in Chromium; nothing else may.
    errors = [e for e in errors if "Failed to load resource" not in e]
    assert errors == []
    assert csp == []
