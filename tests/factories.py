"""Small data factories for tests: each makes a valid record with overridable fields."""

import itertools
import struct
import zlib
from datetime import datetime

from sqlmodel import Session

from portal.models import Application, Client, Job, Recruiter
from portal.services.applications import create_application
from portal.services.catalog import create_client, create_job
from portal.services.recruiters import create_recruiter

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def make_recruiter(session: Session, *, admin: bool = False, **fields) -> Recruiter:
    n = next(_numbers)
    values = {"email": f"recruiter{n}@agency.example", "name": f"Rita Recruiter{n}",
              "password": PASSWORD, "admin": admin, **fields}
    recruiter = create_recruiter(session=session, **values)
    session.commit()
    return recruiter


def make_client(session: Session, **fields) -> Client:
    n = next(_numbers)
    values = {"name": f"Acme {n} AB", "slug": f"acme-{n}", **fields}
    client = create_client(session=session, **values)
    session.commit()
    return client


def make_job(session: Session, *, client: Client | None = None, owner: Recruiter | None = None,
             **fields) -> Job:
    client = client or make_client(session)
    owner = owner or make_recruiter(session)
    values = {"title": "Backend Engineer", "promise_days": 5, **fields}
    job = create_job(session=session, client_id=client.id, owner_id=owner.id, **values)
    session.commit()
    return job


def make_application(session: Session, *, job: Job | None = None, at: datetime | None = None,
                     **fields) -> Application:
    job = job or make_job(session)
    n = next(_numbers)
    values = {"name": f"Cand Idate{n}", "email": f"candidate{n}@mail.example",
              "language": "en", **fields}
    application = create_application(session=session, job_id=job.id, at=at, **values)
    session.commit()
    return application


def png(width: int = 1, height: int = 1) -> bytes:
    """A valid RGB PNG of the given size, filled with one colour."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x0b\x5d\x66" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))
