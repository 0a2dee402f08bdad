"""Recruiter sign-in: flask-login with a session version, so logout ends every session."""

from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
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
from flask_login.utils import _user_context_processor
from sqlmodel import select

from portal.db import get_session
from portal.i18n import error_text
from portal.models import LANGUAGES, Recruiter
from portal.services import N_, InputError
from portal.services.recruiters import authenticate, set_recruiter_language

bp = Blueprint("auth", __name__, url_prefix="/admin")
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("Please sign in to see the desk.")
login_manager.localize_callback = _
login_manager.session_protection = "strong"


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
    if not (recruiter_id.isdigit() and version.isdigit()):
        return None
    recruiter = get_session().exec(
        select(Recruiter).where(Recruiter.id == int(recruiter_id))
    ).first()
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
    return target


@bp.route("/login", methods=["GET", "POST"])
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
            session.commit()
            login_user(DeskUser(recruiter))
            return redirect(next_url or url_for("desk.index"), code=303)
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
        session.commit()
    logout_user()
    return redirect(url_for("auth.login"), code=303)


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


def init_app(app: Flask) -> None:
    """Attach flask-login, with ``current_user`` lazy in templates.

    flask-login's own context processor loads the user for every template rendered, so a
    candidate's status page would read the session cookie (and the database, for a signed-in
    recruiter) for nothing; the proxy only does that where a template uses it.
    """
    login_manager.init_app(app)
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if p is not _user_context_processor]
    app.jinja_env.globals["current_user"] = current_user
