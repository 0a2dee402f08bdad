"""Languages: the locale of each request, and dates written the way each language writes them."""

from datetime import date, datetime

from flask import Flask, g, request
from flask_babel import Babel, get_locale, get_translations, ngettext
from flask_babel import gettext as _

from portal.core.clock import local_date, today
from portal.core.i18n import format_day
from portal.models import LANGUAGES

babel = Babel()

def select_locale() -> str:
    """The request's language, first found of:

    the candidate's application (set by the view on ``g.language``), an explicit choice
    (``?lang=sv`` on a page without an application; forms post to their own URL, so it stays),
    the signed-in recruiter's preference, the browser's Accept-Language.
    """
    chosen = g.get("language")
    if chosen in LANGUAGES:
        return chosen
    if request and request.args.get("lang") in LANGUAGES:
        return request.args["lang"]
    from flask_login import current_user  # late: flask-login needs the app context

    if getattr(current_user, "is_authenticated", False) and current_user.language in LANGUAGES:
        return current_user.language
    return request.accept_languages.best_match(LANGUAGES, default="en") if request else "en"


def error_text(message) -> str:
    """A service's message (``portal.services.Message``) in the request's language.

    Plain strings pass through unchanged, so callers need not know where a message came from.
    """
    template = getattr(message, "template", None)
    if template is None:
        return str(message) if message is not None else ""
    params = {key: error_text(value) if hasattr(value, "template") else value
              for key, value in message.params.items()}  # a message within a message
    return _(template, **params)


def errors_text(errors: dict) -> dict[str, str]:
    """``error_text`` for each field of an errors mapping."""
    return {field: error_text(message) for field, message in errors.items()}


def form_errors(error) -> dict[str, str]:
    """The refusal of a form, field by field, in the request's language: the one way every view
    turns a service's ``InputError`` (or one that carries several as ``errors``) into the
    ``errors`` its template shows."""
    found = getattr(error, "errors", None) or {
        getattr(error, "field", "form"): getattr(error, "message", str(error))
    }
    return errors_text(found)


def days_ago(moment: date | datetime, reference: date | None = None) -> str:
    """ "today", "yesterday", "3 days ago" in the request's language."""
    day = local_date(moment) if isinstance(moment, datetime) else moment
    days = ((reference or today()) - day).days
    if days <= 0:
        return _("today")
    if days == 1:
        return _("yesterday")
    return ngettext("%(num)d day ago", "%(num)d days ago", days)


# Compiled catalogs by locale (with FAST_PATHS on): the templates' gettext looks here first,
# because Flask-Babel's get_translations() goes through several context proxies on every call
# (dozens per status page). get_locale() is Flask-Babel's current locale, force_locale included.
_TRANSLATIONS: dict = {}


def _translations():
    locale = get_locale()
    if locale is None:  # outside a request or app context: Flask-Babel's own answer
        return get_translations()
    cached = _TRANSLATIONS.get(locale)
    if cached is None:
        cached = _TRANSLATIONS[locale] = get_translations()
    return cached


def init_app(app: Flask) -> None:
    """Attach Flask-Babel and the date filters."""
    babel.init_app(app, locale_selector=select_locale)
    catalog = _translations if app.config["FAST_PATHS"] else get_translations
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: catalog().ugettext(string),
        ngettext=lambda singular, plural, n: catalog().ungettext(singular, plural, n),
        pgettext=lambda context, string: catalog().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: catalog().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )

    def _day_filter(value, weekday: bool = False):
        from flask_babel import get_locale

        return format_day(value, str(get_locale() or "en"), weekday=weekday)

    def _current_language() -> str:
        from flask_babel import get_locale

        return str(get_locale() or "en")

    app.add_template_filter(_day_filter, "day")
    app.jinja_env.globals["current_language"] = _current_language
    app.add_template_filter(days_ago, "days_ago")
    app.add_template_filter(error_text, "error_text")
    app.jinja_env.globals["language_name"] = language_name


def language_name(code: str) -> str:
    """A language's name in the request's language ("Swedish" / "svenska")."""
    return {"sv": _("Swedish"), "en": _("English")}.get(code, code)
