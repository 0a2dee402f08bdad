"""Recruiter sign-in: flask-login with a session version, so logout ends every session."""

import time
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from sqlmodel import select

from portal.core.db import get_session
from portal.core.ids import parse_id_text
from portal.models import LANGUAGES, Recruiter
from portal.services import N_, InputError
from portal.services.audit import record
from portal.services.recruiters import (
    MIN_PASSWORD_LENGTH,
    authenticate,
    change_password,
    normalise_email,
    set_recruiter_language,
)
from portal.web.actor import recruiter_actor, request_actor, visitor_actor
from portal.web.extensions import limiter
from portal.web.i18n import error_text, form_errors

bp = Blueprint("auth", __name__, url_prefix="/admin")
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("Please sign in to see the desk.")
login_manager.localize_callback = _
login_manager.session_protection = "strong"
# No remember-me cookie: a session ends with the browser, on logout and on a password change.


class DeskUser(UserMixin):
    """The signed-in recruiter; the login id carries the session version."""

    def __init__(self, recruiter: Recruiter):
        self.recruiter = recruiter
        self.id = recruiter.id
        self.name = recruiter.name
        self.first_name = recruiter.first_name
        self.email = recruiter.email
        self.language = recruiter.language
        self.is_admin = recruiter.is_admin

    def get_id(self) -> str:
        return f"{self.recruiter.id}:{self.recruiter.session_version}"


@login_manager.user_loader
def _load_user(login_id: str) -> DeskUser | None:
    recruiter_id, _, version = login_id.partition(":")
    ident = parse_id_text(recruiter_id)
    if ident is None or not (version.isascii() and version.isdigit()):
        return None
    recruiter = get_session().exec(select(Recruiter).where(Recruiter.id == ident)).first()
    if recruiter is None or not recruiter.is_active:
        return None
    if recruiter.session_version != int(version):
        return None
    return DeskUser(recruiter)


@login_manager.unauthorized_handler
def _unauthorized():
    """Send people to the sign-in page; an htmx request is told to navigate there itself."""
    login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request") == "true":
        return "", 401, {"HX-Redirect": login_url}
    return redirect(login_url)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    # A percent-encoded "//", "\\" or control character may be decoded by a proxy or a
    # browser on the way: judge every decoding of it too.
    decoded = target
    for _round in range(3):
        decoded = unquote(decoded)
        if decoded.startswith(("//", "/\\")) or "\\" in decoded or urlsplit(decoded).netloc \
                or any(ord(c) < 32 or ord(c) == 127 for c in decoded):
            return None
    return target


def _login_limit_per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]  # PORTAL_LOGIN_LIMIT_PER_ADDRESS


def _login_limit_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]  # PORTAL_LOGIN_LIMIT_PER_ACCOUNT


def _typed_account() -> str:
    typed = request.form.get("email", "")[:254].strip()
    try:
        return normalise_email(typed).lower()
    except InputError:
        return typed.lower()


def _account_key() -> str:
    """The rate-limit key of the account tried: one counter per email, whatever the address."""
    return "login-account:" + _typed_account()


def _failed(response) -> bool:
    # Only failed attempts count: a recruiter who signs in and out often is never locked out.
    return response.status_code == 401


def _seconds_to_reset() -> int | None:
    """Seconds until the limit that was hit lets this sign-in through again."""
    current = limiter.current_limit
    if current is None:
        return None
    return max(1, int(current.reset_at - time.time()) + 1)


@bp.errorhandler(429)
def _too_many_attempts(error):
    """A clear answer instead of a bare 429: how long to wait, and that the account is safe."""
    session = get_session()
    record(session=session, action="login.throttled",
           actor=visitor_actor(_typed_account() or None),
           detail={"limit": str(getattr(error, "description", ""))[:80]})
    session.commit()
    retry = _seconds_to_reset()
    body = render_template("auth/too_many_attempts.html", retry_after=retry)
    headers = {"Retry-After": str(int(retry))} if retry else {}
    return body, 429, headers


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit_per_address, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit_per_account, key_func=_account_key, methods=["POST"],
               deduct_when=_failed)
def login():
    """Show the sign-in form, or sign in."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("desk.index"))
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        session = get_session()
        recruiter = authenticate(
            session=session, email=email, password=request.form.get("password", "")[:1024]
        )
        if recruiter is not None:
            record(session=session, action="login", actor=recruiter_actor(recruiter.id))
            session.commit()
            login_user(DeskUser(recruiter))
            return redirect(next_url or url_for("desk.index"), code=303)
        session.rollback()
        record(session=session, action="login.failed",
               actor=visitor_actor(_typed_account() or None))
        session.commit()
        error = _("That email and password do not match a recruiter login.")
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, email=email, next=next_url), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: bumping the session version voids every other session cookie."""
    session = get_session()
    recruiter = session.get(Recruiter, current_user.id)
    if recruiter is not None:
        recruiter.session_version += 1
        record(session=session, action="logout", actor=recruiter_actor(recruiter.id))
        session.commit()
    logout_user()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; every other session of this recruiter ends."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = get_session()
        recruiter = session.get(Recruiter, current_user.id)
        try:
            change_password(
                session=session, recruiter=recruiter,
                current=request.form.get("current_password", "")[:1024],
                new=request.form.get("password", "")[:2048],
                confirm=request.form.get("confirm_password", "")[:2048],
                actor=request_actor(),
            )
        except InputError as error:
            session.rollback()
            errors.update(form_errors(error))
        else:
            session.commit()
            # The bumped session version voided this cookie too: sign in again with the new one.
            login_user(DeskUser(recruiter))
            flash(_("Password changed. Every other session of yours has been signed out."),
                  "success")
            return redirect(url_for("auth.password"), code=303)
    return render_template(
        "auth/password.html", errors=errors, min_length=MIN_PASSWORD_LENGTH
    ), 422 if errors else 200


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    """The signed-in recruiter's own settings: the language of the desk and of their emails."""
    session = get_session()
    recruiter = session.get(Recruiter, current_user.id)
    error = None
    if request.method == "POST":
        try:
            set_recruiter_language(
                session=session, recruiter=recruiter, language=request.form.get("language", "")
            )
        except InputError as refused:
            session.rollback()
            error = error_text(refused.message)
        else:
            session.commit()
            with force_locale(recruiter.language):
                flash(_("Your settings are saved."), "success")
            return redirect(url_for("auth.me"), code=303)
    return render_template(
        "auth/me.html", recruiter=recruiter, languages=LANGUAGES, error=error,
        chosen=request.form.get("language", recruiter.language),
    ), 422 if error else 200


def admin_required() -> None:
    """403 unless the signed-in recruiter is an admin."""
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403)


def signed_in_only(blueprint: Blueprint, *, admins: bool = False) -> None:
    """Every route of ``blueprint`` needs a signed-in recruiter (an admin when ``admins``): a
    visitor is sent to the sign-in page, a recruiter gets 403 on the admins' pages."""

    @blueprint.before_request
    @login_required
    def _signed_in() -> None:
        if admins:
            admin_required()


def init_app(app: Flask) -> None:
    """Attach flask-login, with ``current_user`` lazy in templates.

    flask-login's own context processor loads the user for every template rendered, so a
    candidate's status page would read the session cookie (and the database, for a signed-in
    recruiter) for nothing; the proxy only does that where a template uses it.
    """
    login_manager.init_app(app, add_context_processor=False)  # flask-login's documented option
    app.jinja_env.globals["current_user"] = current_user
