"""Recruiters: creation, passwords (argon2) and sign-in checks."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, func, select

from portal.models import LANGUAGES, Recruiter, Role
from portal.services import N_, InputError

MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("no-such-recruiter-placeholder")


def normalise_email(raw: str, field: str = "email") -> str:
    """A syntactically valid, normalised email address, or InputError."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InputError(
            field, N_("not a valid email address (%(reason)s)"), reason=str(exc)
        ) from None


def check_password_strength(password: str) -> None:
    """Refuse passwords that are too short."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InputError(
            "password", N_("at least %(count)d characters"), count=MIN_PASSWORD_LENGTH
        )


def create_recruiter(
    *, session: Session, email: str, name: str, password: str, admin: bool = False,
    language: str = "en",
) -> Recruiter:
    """Create a login for the desk."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise InputError("name", N_("a recruiter needs a name"))
    if len(name) > 120:
        raise InputError("name", N_("at most %(count)d characters"), count=120)
    if language not in LANGUAGES:
        raise InputError("language", N_("one of %(choices)s"), choices=", ".join(LANGUAGES))
    check_password_strength(password)
    taken = session.exec(
        select(Recruiter.id).where(func.lower(Recruiter.email) == email.lower())
    ).first()
    if taken is not None:
        raise InputError("email", N_("%(email)s already has a login"), email=email)
    recruiter = Recruiter(
        email=email, name=name, password_hash=_hasher.hash(password),
        role=Role.ADMIN if admin else Role.RECRUITER, language=language,
    )
    session.add(recruiter)
    session.flush()
    return recruiter


def authenticate(*, session: Session, email: str, password: str) -> Recruiter | None:
    """The active recruiter with these credentials, or None (same cost either way)."""
    recruiter = session.exec(
        select(Recruiter).where(func.lower(Recruiter.email) == (email or "").strip().lower())
    ).first()
    stored = recruiter.password_hash if recruiter else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if recruiter is None or not recruiter.is_active:
        return None
    if _hasher.check_needs_rehash(recruiter.password_hash):
        recruiter.password_hash = _hasher.hash(password)
    return recruiter


def list_recruiters(*, session: Session) -> list[Recruiter]:
    """Every recruiter by name."""
    return list(session.exec(select(Recruiter).order_by(Recruiter.name)))


def set_recruiter_language(*, session: Session, recruiter: Recruiter, language: str) -> Recruiter:
    """The language of the recruiter's desk screens and digest emails."""
    if language not in LANGUAGES:
        raise InputError("language", N_("one of %(choices)s"), choices=", ".join(LANGUAGES))
    recruiter.language = language
    session.add(recruiter)
    session.flush()
    return recruiter
