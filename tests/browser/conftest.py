"""Browser fixtures: Debian's Chromium through Playwright, and the app on a live port."""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app served over HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def live_server_on(app):
    """``live_server_on("localhost")``: the test app on a free port, its BASE_URL on that host.

    For a cross-site test: a host page on 127.0.0.1 and the app on localhost are two sites.
    """
    running = []

    def start(host: str) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base = f"http://{host}:{server.server_port}"
        app.config["BASE_URL"] = base
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((server, thread))
        return base

    yield start
    for server, thread in running:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page_errors():
    """Collects console errors and CSP violations of pages opened with ``watch(page)``."""
    errors: list[str] = []

    def watch(page):
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    watch.errors = errors
    return watch
