"""``portal demo``: migrate, seed realistic data once, print logins and links, and serve."""

import os
import random
import threading
from datetime import UTC, datetime, time, timedelta

import click
from flask import current_app
from sqlmodel import Session, select
from werkzeug.serving import run_simple

from portal.core.clock import local_zone, today
from portal.core.db import get_engine, get_session
from portal.core.migrate import upgrade_database
from portal.core.tokens import status_url_for
from portal.models import Application, Client, Recruiter, Stage
from portal.services.applications import create_application
from portal.services.catalog import create_client, create_job
from portal.services.recruiters import create_recruiter
from portal.services.updates import post_no_news_update, post_update
from portal.web.access_log import RedactingRequestHandler
from portal.worker.outbox import outbox_folder, run_worker

DEMO_EMBED_ORIGINS = ("http://localhost:8001", "http://127.0.0.1:8001")
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo login, not a secret
RECRUITERS = [
    ("anna.lindqvist@agency.example", "Anna Lindqvist", True, "sv"),
    ("james.carter@agency.example", "James Carter", False, "en"),
]
CLIENTS = [
    ("Nordvik Energi AB", "nordvik", "sv",
     [("Drifttekniker", 0, 5), ("Projektledare vindkraft", 0, 7)]),
    ("Brightline Software", "brightline", "en",
     [("Senior Backend Engineer", 1, 5), ("Product Designer", 1, 3)]),
]
CANDIDATES = [
    ("Sofia Ek", "sv"), ("Erik Johansson", "sv"), ("Lina Berg", "sv"), ("Oskar Nilsson", "sv"),
    ("Maja Holm", "sv"), ("Karl Svensson", "sv"), ("Elin Andersson", "sv"), ("Johan Ström", "sv"),
    ("Amira Haddad", "sv"), ("Noah Lund", "sv"), ("Priya Raman", "en"), ("Tom Becker", "en"),
    ("Grace Okafor", "en"), ("Lucas Martin", "en"), ("Hannah Weiss", "en"), ("Daniel Kim", "en"),
    ("Chloe Dubois", "en"), ("Mateo García", "en"), ("Ingrid Sandberg", "sv"),
    ("Felix Wagner", "en"),
    ("Sara Lindgren", "sv"), ("Omar Farouk", "en"), ("Ella Persson", "sv"), ("Ben Thompson", "en"),
]
NOTES = {
    "screening": {
        "en": "Thank you for applying! I have read your application and it is now with the "
              "hiring team. I will tell you by the date below whether we go on to interviews.",
        "sv": "Tack för din ansökan! Jag har läst den och den ligger nu hos rekryteringsteamet. "
              "Senast datumet nedan får du veta om vi går vidare till intervjuer.",
    },
    "interview": {
        "en": "The client would like to meet you. The invitation with times to choose from is on "
              "its way to your inbox.",
        "sv": "Kunden vill gärna träffa dig. Inbjudan med tider att välja mellan kommer i din "
              "inkorg i dag.",
    },
    "final": {
        "en": "Thank you for a great interview. You are one of two final candidates; the client "
              "is taking references this week.",
        "sv": "Tack för en bra intervju! Du är en av två slutkandidater och kunden tar "
              "referenser den här veckan.",
    },
    "offer": {
        "en": "Good news: the client wants to make you an offer. I will call you to go through it.",
        "sv": "Goda nyheter: kunden vill ge dig ett erbjudande. Jag ringer dig och går igenom det.",
    },
    "not_selected": {
        "en": "Thank you for the time you put into this process. The client has chosen to go on "
              "with candidates whose experience matches the role more closely. I would be glad "
              "to keep you in mind for future roles.",
        "sv": "Tack för tiden du lagt på processen. Kunden har valt att gå vidare med kandidater "
              "vars erfarenhet matchar tjänsten närmare. Jag hör gärna av mig om framtida "
              "uppdrag.",
    },
    "hired": {
        "en": "Congratulations! The contract is signed. Welcome to the team.",
        "sv": "Grattis! Avtalet är påskrivet. Välkommen till teamet.",
    },
}
# (stage reached, days since applying) for each candidate, in order: spread over the pipeline.
STORIES = [
    ("applied", 1), ("applied", 9), ("screening", 6), ("screening", 16), ("interview", 12),
    ("interview", 20), ("final", 25), ("final", 31), ("offer", 35), ("not_selected", 21),
    ("applied", 2), ("screening", 8), ("screening", 15), ("interview", 14), ("interview", 24),
    ("final", 28), ("hired", 45), ("not_selected", 18), ("applied", 12), ("screening", 10),
    ("interview", 9), ("no_news", 22), ("applied", 4), ("final", 33),
]
PATH = ["applied", "screening", "interview", "final", "offer", "hired"]


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 15), local_zone()).astimezone(UTC)


def seed_demo(session: Session) -> None:
    """Create recruiters, clients, jobs and 24 applications with believable histories."""
    rng = random.Random(2021)  # noqa: S311 - varied demo data, not security
    recruiters = [
        create_recruiter(session=session, email=email, name=name, password=DEMO_PASSWORD,
                         admin=admin, language=language)
        for email, name, admin, language in RECRUITERS
    ]
    jobs = []
    for name, slug, language, job_specs in CLIENTS:
        client = create_client(session=session, name=name, slug=slug, default_language=language)
        # Lets a newcomer try the widgets from a page served on port 8001 (see README).
        client.embed_origins = list(DEMO_EMBED_ORIGINS)
        for title, owner, days in job_specs:
            jobs.append(create_job(session=session, client_id=client.id, title=title,
                                   owner_id=recruiters[owner].id, promise_days=days))
    stories = zip(CANDIDATES, STORIES, strict=True)
    for number, ((name, language), (target, age)) in enumerate(stories):
        job = jobs[number % len(jobs)]
        author = session.get(Recruiter, job.owner_id)
        email = name.lower().replace(" ", ".") + "@mail.example"
        email = email.translate(str.maketrans("åäöéáí", "aaoeai"))
        applied = today() - timedelta(days=age)
        application = create_application(session=session, job_id=job.id, name=name,
                                          email=email, language=language,
                                          at=_at(applied, 9), notify=False)
        steps = _steps_to(target)
        for step_number, stage_key in enumerate(steps, start=1):
            day = applied + timedelta(days=max(1, age * step_number // (len(steps) + 1)))
            moment = _at(day, 10 + rng.randrange(6))
            if stage_key == "no_news":
                post_no_news_update(session=session, application=application, author=author,
                                    at=moment, notify=False)
                continue
            internal = "Strong CV, relevant experience." if stage_key == "screening" else None
            post_update(
                session=session, application=application, author=author, stage_key=stage_key,
                public_note=NOTES.get(stage_key, {}).get(language), internal_note=internal,
                at=moment, notify=False,
            )
    session.flush()


def _steps_to(target: str) -> list[str]:
    if target == "no_news":
        return ["screening", "interview", "no_news"]
    if target == "not_selected":
        return ["screening", "not_selected"]
    return PATH[1 : PATH.index(target) + 1]


def _print_links(session: Session) -> None:
    rows = session.exec(
        select(Application, Stage, Client)
        .join(Stage, Stage.id == Application.stage_id)
        .join(Client, Client.id == Application.client_id)
        .order_by(Application.id)
    ).all()
    chosen, seen = [], set()
    for application, stage, client in rows:
        overdue = application.is_open and application.promised_by < today()
        kind = (application.language, stage.is_terminal, overdue)
        if kind not in seen:
            seen.add(kind)
            chosen.append((application, stage, client, overdue))
    click.echo("Candidate status links:")
    for application, stage, client, overdue in chosen:
        state = "overdue" if overdue else ("closed" if stage.is_terminal else "open")
        url = status_url_for(application.id, application.token_version)
        click.echo(f"  {application.name} ({application.language}, {client.name}, "
                   f"{stage.label_in(application.language)}, {state}): {url}")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo_command(host: str, port: int) -> None:
    """Start the demo: migrate, seed once, print logins and links, and serve."""
    app = current_app._get_current_object()
    if not os.environ.get("PORTAL_BASE_URL"):
        # Bandit B104 (bind to all interfaces): only compared here, to print a usable address.
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 # nosec B104
        app.config["BASE_URL"] = f"http://{shown_host}:{port}"
    upgrade_database(app)
    session = get_session()
    seeded = session.exec(select(Recruiter.id).limit(1)).first() is None
    if seeded:
        seed_demo(session)
        session.commit()
    url = get_engine().url.render_as_string(hide_password=True)
    click.echo(f"Database: {url} ({'seeded just now' if seeded else 'reused, not seeded again'})")
    for email, _name, admin, _language in RECRUITERS:
        if session.exec(select(Recruiter.id).where(Recruiter.email == email)).first():
            role = "admin" if admin else "recruiter"
            click.echo(f"Recruiter login: {email} / {DEMO_PASSWORD}   ({role})")
    _print_links(session)
    session.close()
    click.echo(f"Recruiter desk: {app.config['BASE_URL']}/admin/")
    if app.config.get("SMTP_URL"):
        click.echo("Emails: delivered in the background through PORTAL_SMTP_URL")
    else:
        click.echo(f"Emails: written in the background to {outbox_folder(app)}/*.eml "
                   "(set PORTAL_SMTP_URL to send them)")
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(app,), kwargs={"once": False, "stop": stop},
                              name="outbox-worker", daemon=True)
    worker.start()
    click.echo(f"Serving on http://{host}:{port} (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False,
                   request_handler=RedactingRequestHandler)
    finally:
        stop.set()
        worker.join(timeout=10)

