"""Photograph the portal for the README, from the demo data (run through scripts/screenshots).

Seeds the demo into a temporary SQLite database, serves the portal and a small career page on
free loopback ports, and writes PNGs to docs/screenshots/:

- candidate-phone-sv.png, candidate-phone-en.png: a candidate's status page on a phone
  (375×812), in Swedish and in English;
- desk-list.png: the recruiter's list at 1280×800;
- embed-career-page.png: the status lookup and promise badge on a client's career page.
"""

import argparse
import os
import shutil
import tempfile
import threading
from pathlib import Path

from sqlmodel import select
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--font-render-hinting=none"]

CAREER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Careers – {client}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ margin: 0; font-family: Georgia, serif; color: #222; background: #fbfaf7; }}
header {{ background: #14213d; color: #fff; padding: 1.25rem 2rem; font-size: 1.4rem; }}
main {{ max-width: 60rem; margin: 0 auto; padding: 1.5rem 2rem; display: grid;
        grid-template-columns: 1fr 22rem; gap: 2rem; }}
h1 {{ font-size: 1.8rem; margin-top: 0; }}
</style></head>
<body><header>{client} · Careers</header>
<main><div><h1>Work with us</h1>
<p>We build software that keeps logistics moving. Applied already? Check where your
application stands at any time: enter your email address and we will send you your
personal status links.</p>
<script src="{base}/embed.js" data-client="{slug}" data-widget="badge" async></script>
</div>
<div><script src="{base}/embed.js" data-client="{slug}" data-widget="lookup" async></script></div>
</main></body></html>
"""


def _serve(app) -> tuple[str, object]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _career_site(html: str):
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [html.encode()]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    from portal import create_app
    from portal.cli.demo import DEMO_PASSWORD, RECRUITERS, seed_demo
    from portal.core.db import get_session
    from portal.core.migrate import upgrade_database
    from portal.core.tokens import status_url_for
    from portal.models import Application, Client, Update

    workdir = Path(tempfile.mkdtemp(prefix="portal-screenshots-"))
    app = create_app({
        "SECRET_KEY": os.urandom(16).hex(), "DATABASE_URL": f"sqlite:///{workdir}/demo.sqlite3",
        "OUTBOX_FOLDER": str(workdir / "outbox"),
    })
    base, server = _serve(app)
    app.config["BASE_URL"] = base
    career = None
    try:
        upgrade_database(app)
        with app.app_context():
            session = get_session()
            seed_demo(session)
            client = session.exec(select(Client).where(Client.slug == "brightline")).one()
            career_html = CAREER_PAGE.format(client=client.name, slug=client.slug, base=base)
            career_base, career = _serve(_career_site(career_html))
            client.embed_origins = [*client.embed_origins, career_base]
            session.add(client)
            session.commit()
            links = {}
            for language in ("sv", "en"):
                # An open application whose latest message is a note from the recruiter.
                rows = session.exec(
                    select(Application).where(Application.language == language,
                                              Application.is_open)
                    .order_by(Application.id)
                ).all()
                for application in rows:
                    noted = session.exec(select(Update.id).where(
                        Update.application_id == application.id,
                        Update.public_note.is_not(None))).first()
                    if noted:
                        break
                links[language] = status_url_for(application.id, application.token_version)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium,
                                                 args=CHROMIUM_ARGS)
            for language, url in links.items():
                phone = browser.new_context(viewport={"width": 375, "height": 812},
                                            device_scale_factor=2, is_mobile=True,
                                            has_touch=True)
                page = phone.new_page()
                page.goto(url)
                page.screenshot(path=out / f"candidate-phone-{language}.png")
                phone.close()

            desk = browser.new_context(viewport={"width": 1280, "height": 800},
                                       locale="en-GB")
            page = desk.new_page()
            page.goto(f"{base}/admin/login")
            page.fill("#email", RECRUITERS[1][0])  # the recruiter who works in English
            page.fill("#password", DEMO_PASSWORD)
            page.locator("main button[type=submit]").click()
            page.wait_for_url(f"{base}/admin/")
            page.screenshot(path=out / "desk-list.png")
            desk.close()

            visitor = browser.new_context(viewport={"width": 1280, "height": 800})
            page = visitor.new_page()
            page.goto(career_base)
            for frame in ("badge", "lookup"):
                page.frame_locator(f"iframe[src*='/{frame}']").locator("main").wait_for()
            page.wait_for_timeout(500)  # the frames post their heights and settle
            page.screenshot(path=out / "embed-career-page.png")
            visitor.close()
            browser.close()
    finally:
        server.shutdown()
        if career is not None:
            career.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    for path in sorted(out.glob("*.png")):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
