"""Clients, jobs and their stage pipelines."""

import re

from sqlmodel import Session, select

from portal.core.clock import now
from portal.models import LANGUAGES, Client, Job, Recruiter, Stage
from portal.services import N_, InputError, NotFound
from portal.services.audit import Actor, record_by
from portal.services.pipelines import DEFAULT_PIPELINE, StageSpec, validate_pipeline

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def slugify(name: str) -> str:
    """A URL-safe slug suggestion from a company name ("Åre Bygg AB" -> "are-bygg-ab")."""
    table = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().translate(table)).strip("-")
    return slug[:60].strip("-")


def clean_client_name(name: str) -> str:
    """A client's display name, trimmed, or InputError."""
    name = (name or "").strip()
    if not name:
        raise InputError("name", N_("a client needs a name"))
    if len(name) > 120:
        raise InputError("name", N_("at most %(count)d characters"), count=120)
    return name


def clean_country(country: str) -> str:
    """A two-letter country code in upper case (its holidays are skipped), or InputError."""
    country = (country or "SE").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InputError("country", N_("a two-letter country code such as SE"))
    return country


def clean_language(language: str) -> str:
    """One of the candidate languages, or InputError."""
    if language not in LANGUAGES:
        raise InputError(
            "default_language", N_("one of %(choices)s"), choices=", ".join(LANGUAGES)
        )
    return language


def create_client(
    *, session: Session, name: str, slug: str = "", country: str = "SE",
    default_language: str = "sv", actor: Actor | None = None,
) -> Client:
    """Create a hiring company; the slug defaults to one made from the name (audited as
    ``client.created`` by ``actor``)."""
    name = clean_client_name(name)
    slug = (slug or "").strip().lower() or slugify(name)
    if not SLUG.match(slug):
        raise InputError(
            "slug", N_("lower-case letters, digits and dashes only (at most 60)")
        )
    if session.exec(select(Client.id).where(Client.slug == slug)).first() is not None:
        raise InputError(
            "slug", N_("%(slug)s is already taken by another client"), slug=repr(slug)
        )
    country = clean_country(country)
    default_language = clean_language(default_language)
    client = Client(name=name, slug=slug, country=country, default_language=default_language)
    session.add(client)
    session.flush()
    record_by(actor, session=session, action="client.created", subject=f"client:{client.id}")
    return client


def create_job(
    *, session: Session, client_id: int, title: str, owner_id: int | None = None,
    promise_days: int = 5, stages: list[StageSpec] | None = None,
    auto_notice_days: int | None = None, actor: Actor | None = None,
) -> Job:
    """Create a job with the default pipeline or the given stages (audited as ``job.created``
    by ``actor``)."""
    if session.get(Client, client_id) is None:
        raise InputError("client_id", N_("no client with id %(id)d"), id=client_id)
    title = (title or "").strip()
    if not title:
        raise InputError("title", N_("a job needs a title"))
    if len(title) > 160:
        raise InputError("title", N_("at most %(count)d characters"), count=160)
    if owner_id is not None and session.get(Recruiter, owner_id) is None:
        raise InputError("owner_id", N_("no recruiter with id %(id)d"), id=owner_id)
    if not 1 <= promise_days <= 60:
        raise InputError("promise_days", N_("between 1 and 60 business days"))
    if auto_notice_days is not None and not 1 <= auto_notice_days <= 30:
        raise InputError(
            "auto_notice_days", N_("between 1 and 30 business days, or empty for off")
        )
    specs = validate_pipeline(list(stages) if stages else list(DEFAULT_PIPELINE))
    job = Job(client_id=client_id, title=title, owner_id=owner_id, promise_days=promise_days,
              auto_notice_days=auto_notice_days)
    session.add(job)
    session.flush()
    for position, spec in enumerate(specs):
        session.add(
            Stage(
                job_id=job.id, position=position, key=spec.key,
                label={k: v.strip() for k, v in spec.label.items() if v and v.strip()},
                guidance={k: v.strip() for k, v in spec.guidance.items() if v and v.strip()},
                is_terminal=spec.is_terminal, outcome=spec.outcome,
            )
        )
    session.flush()
    record_by(actor, session=session, action="job.created", subject=f"job:{job.id}")
    return job


def job_stages(*, session: Session, job_id: int) -> list[Stage]:
    """A job's stages in pipeline order."""
    return list(
        session.exec(select(Stage).where(Stage.job_id == job_id).order_by(Stage.position))
    )


def stage_by_key(*, session: Session, job_id: int, key: str) -> Stage:
    """The job's stage with ``key``, or InputError naming the keys that exist."""
    stages = job_stages(session=session, job_id=job_id)
    for stage in stages:
        if stage.key == key:
            return stage
    known = ", ".join(stage.key for stage in stages)
    raise InputError(
        "stage", N_("unknown stage %(key)s for this job (known: %(known)s)"),
        key=repr(key), known=known,
    )


def get_job(*, session: Session, job_id: int) -> Job:
    """The job, or NotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job with id {job_id}")
    return job


def get_client(*, session: Session, client_id: int) -> Client:
    """The client, or NotFound."""
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id}")
    return client


def list_clients(*, session: Session) -> list[Client]:
    """Every client by name."""
    return list(session.exec(select(Client).order_by(Client.name)))


def list_jobs(*, session: Session) -> list[tuple[Job, Client]]:
    """Every job with its client, by client then title."""
    statement = (
        select(Job, Client).join(Client, Client.id == Job.client_id)
        .order_by(Client.name, Job.title)
    )
    return list(session.exec(statement))


def touch_job(job: Job) -> None:
    """Mark a job as changed (candidates' cached pages show its new texts)."""
    job.updated_at = now()
