"""Where a status page request spends its time, in process: pyinstrument over many requests.

    .venv/bin/python bench/profile_status.py sqlite:///bench/.data/bench-1000000.sqlite3

Calls the WSGI app directly (no server, no sockets) for ``--requests`` random seeded links,
once for the full page and once for the unchanged poll (304), beside the bare route, and
prints CPU microseconds per request, the page's parts one at a time (token, queries,
rendering; the rest is Flask's request and response) and pyinstrument's call tree of the
page.
"""

import argparse
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

SECRET = "bench-secret-key-0123456789"  # noqa: S105 - a throwaway bench key


def call(app, path: str, headers: dict | None = None) -> str:
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": None, "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8", **(headers or {}),
    }
    status = []
    b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0]


def cpu_us(function, count: int) -> float:
    started = time.process_time()
    for n in range(count):
        function(n)
    return (time.process_time() - started) / count * 1e6


def print_parts(app, links, count: int) -> None:
    """The page's parts one at a time, CPU microseconds each: what bounds the page."""
    from portal.core import clock
    from portal.core.db import get_engine, open_read_connection
    from portal.core.tokens import read_status_token
    from portal.services.status import load_status
    from portal.web.localized import render_localized

    tokens = [path.removeprefix("/s/") for path, _ in links]
    with app.test_request_context("/s/x"):
        claims = [read_status_token(token) for token in tokens]
        connection = open_read_connection(get_engine(app))
        views = [load_status(connection=connection, application_id=claim.application_id,
                             token_version=claim.token_version) for claim in claims]
        today = clock.today()
        parts = {
            "token verification": lambda n: read_status_token(tokens[n]),
            "status queries (2, driver level)": lambda n: load_status(
                connection=connection, application_id=claims[n].application_id,
                token_version=claims[n].token_version),
            "render: whole page": lambda n: render_localized(
                "candidate/status.html", views[n].language, view=views[n], today=today,
                token=tokens[n], etag='"e"', poll_seconds=60),
            "render: status card alone": lambda n: render_localized(
                "candidate/_status_card.html", views[n].language, view=views[n], today=today,
                token=tokens[n], etag='"e"', poll_seconds=60),
        }
        timings = {name: cpu_us(part, count) for name, part in parts.items()}
        connection.close()
    print("Parts of the status page, CPU per request:")
    for name, micros in timings.items():
        print(f"  {name:<36}{micros:>8.0f} us")


def main() -> None:
    import bare_app
    from pyinstrument import Profiler

    from portal import create_app
    from portal.core import clock
    from portal.core.db import get_session
    from portal.core.tokens import make_status_token
    from portal.services.status import etag_for, version_stamp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--applications", type=int, default=1_000_000)
    args = parser.parse_args()
    app = create_app({"DATABASE_URL": args.database_url, "SECRET_KEY": SECRET,
                      "BASE_URL": "http://bench.example"})
    rng = random.Random(5)  # noqa: S311 - picking rows
    links = []
    with app.app_context():
        for _ in range(args.requests):
            application_id = rng.randint(1, args.applications)
            stamp = version_stamp(session=get_session(), application_id=application_id,
                                  token_version=1)
            etag = etag_for(stamp, today=clock.today(), variant="card",
                            build=app.config["BUILD_ID"])
            links.append((f"/s/{make_status_token(application_id, 1)}", etag))
    bare = bare_app.create_app()
    for path, _ in links[:50]:
        call(app, path)
    poll = {"HTTP_HX_REQUEST": "true"}
    bare_us = cpu_us(lambda n: call(bare, "/"), args.requests)
    page_us = cpu_us(lambda n: call(app, links[n][0]), args.requests)
    poll_us = cpu_us(
        lambda n: call(app, links[n][0], {**poll, "HTTP_IF_NONE_MATCH": links[n][1]}),
        args.requests,
    )
    print(f"CPU per request: bare {bare_us:.0f} us, status page {page_us:.0f} us "
          f"({page_us / bare_us:.1f}x), unchanged poll {poll_us:.0f} us "
          f"({poll_us / bare_us:.1f}x)")
    print_parts(app, links, args.requests)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for path, _ in links:
        call(app, path)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
