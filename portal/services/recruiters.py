"""Recruiters: creation, passwords (argon2) and sign-in checks."""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, func, select

from portal.models import LANGUAGES, Recruiter, Role
from portal.services import N_, InputError, Message
from portal.services.audit import Actor, record_by

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("no-such-recruiter-placeholder")


def normalise_email(raw: str, field: str = "email") -> str:
    """A syntactically valid, normalised email address, or InputError."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InputError(
            field, N_("not a valid email address (%(reason)s)"), reason=_email_problem(raw)
        ) from None


def _email_problem(raw: str | None) -> Message:
    """What is wrong with an address, in our own (translatable) words: the validator's reasons
    are English only."""
    text = (raw or "").strip()
    if "@" not in text:
        return Message(N_("it has no @"))
    local, _, domain = text.rpartition("@")
    if not local or not domain:
        return Message(N_("something is missing before or after the @"))
    if len(text) > 254:
        return Message(N_("it is longer than 254 characters"))
    return Message(N_("check how it is written"))


_PADDING = "0123456789!@#$%^&*()_-+=.,?~ "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (lower case), as shipped by the ``zxcvbn`` package.

    Its frequency list comes from leaked-password corpora; it is package data, so the check
    needs no network at run time.
    """
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def check_password_strength(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse passwords that are too short, too long, common, or the user's own name or email
    (ASVS 5.0 V6.2: at least 12 characters, no composition rules, a common-password list)."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", N_("at least %(count)d characters"), count=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InputError("password", N_("at most %(count)d characters"), count=MAX_PASSWORD_LENGTH)
    folded = password.lower()
    # "Summer2024!" is "summer" with a year and a bang: strip digits and symbols at the ends.
    base = folded.strip().strip(_PADDING)
    if folded in common_passwords() or base in common_passwords() or len(set(folded)) < 4:
        raise InputError("password", N_("this is one of the most common passwords; choose another"))
    personal = {email.strip().lower(), email.strip().lower().partition("@")[0],
                name.strip().lower()}
    if folded in personal - {""}:
        raise InputError("password", N_("a password must not be your name or email address"))


def create_recruiter(
    *, session: Session, email: str, name: str, password: str, actor: Actor | None = None,
    admin: bool = False, language: str = "en",
) -> Recruiter:
    """Create a login for the desk (audited as ``recruiter.created``)."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise InputError("name", N_("a recruiter needs a name"))
    if len(name) > 120:
        raise InputError("name", N_("at most %(count)d characters"), count=120)
    if language not in LANGUAGES:
        raise InputError("language", N_("one of %(choices)s"), choices=", ".join(LANGUAGES))
    check_password_strength(password, email=email, name=name)
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
    record_by(actor, session=session, action="recruiter.created",
           subject=f"recruiter:{recruiter.id}", detail={"role": recruiter.role})
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


def verify_password(recruiter: Recruiter, password: str) -> bool:
    """Whether ``password`` is the recruiter's current password."""
    try:
        return _hasher.verify(recruiter.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def change_password(
    *, session: Session, recruiter: Recruiter, current: str, new: str, confirm: str,
    actor: Actor | None = None,
) -> Recruiter:
    """Set a new password after checking the current one; bumps ``session_version`` so every
    session cookie of this recruiter stops working (the caller signs the current one in again).
    """
    if not verify_password(recruiter, current):
        raise InputError("current_password", N_("that is not your current password"))
    check_password_strength(new, email=recruiter.email, name=recruiter.name)
    if new != confirm:
        raise InputError("confirm_password", N_("the two new passwords differ"))
    if new == current:
        raise InputError("password", N_("choose a password different from the current one"))
    recruiter.password_hash = _hasher.hash(new)
    recruiter.session_version += 1
    session.add(recruiter)
    session.flush()
    record_by(actor, session=session, action="password.changed",
           subject=f"recruiter:{recruiter.id}")
    return recruiter


def set_recruiter_access(
    *, session: Session, recruiter: Recruiter, admin: bool, active: bool,
    actor: Actor | None = None,
) -> Recruiter:
    """Change a recruiter's role or switch the login off; either ends their sessions."""
    before = {"role": recruiter.role, "active": recruiter.is_active}
    role = Role.ADMIN if admin else Role.RECRUITER
    if recruiter.role != role or recruiter.is_active != active:
        recruiter.role = role
        recruiter.is_active = active
        recruiter.session_version += 1
        session.add(recruiter)
        session.flush()
    record_by(actor, session=session, action="recruiter.changed",
           subject=f"recruiter:{recruiter.id}",
           detail={"before": before, "after": {"role": recruiter.role,
                                               "active": recruiter.is_active}})
    return recruiter


def set_recruiter_language(*, session: Session, recruiter: Recruiter, language: str) -> Recruiter:
    """The language of the recruiter's desk screens and digest emails."""
    if language not in LANGUAGES:
        raise InputError("language", N_("one of %(choices)s"), choices=", ".join(LANGUAGES))
    recruiter.language = language
    session.add(recruiter)
    session.flush()
    return recruiter
