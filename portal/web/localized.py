"""Templates compiled once per language, for the candidate's status page (the hot path).

The status page calls ``_()`` some thirty times and formats half a dozen dates. Through
Flask-Babel each call walks several context proxies and parses a locale; together that was
most of the page's cost. Here each language gets its own Jinja environment (an overlay of the
app's, sharing its loader, globals and filters) in which:

* ``_("a constant")`` is replaced by its translation while the template compiles (calls with
  arguments, and ``ngettext``, still run, against that language's catalog directly);
* the ``day`` and ``days_ago`` filters and ``current_language()`` are bound to the language,
  and formatted dates are remembered (there are only so many distinct days).

``render_localized(name, language, **context)`` renders through Flask's ``render_template``
(context processors and signals run as usual), so the output is the same as before
(``tests/test_fast_paths.py`` compares every state with the plain path). With ``FAST_PATHS``
off it is plain ``render_template``.
"""

from datetime import date, datetime
from functools import lru_cache, partial
from zoneinfo import ZoneInfo

from babel.support import Translations
from flask import Flask, current_app, render_template
from flask_babel import get_translations
from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from portal.core.clock import local_date, local_zone, today
from portal.core.i18n import format_day
from portal.models import LANGUAGES

_EXTENSION_KEY = "portal.localized_envs"


class ConstantGettext(Extension):
    """Folds ``_("literal")`` / ``gettext("literal")`` into the translated literal at compile
    time, marked safe exactly as Jinja's newstyle gettext marks it."""

    def filter_stream(self, stream: TokenStream):
        catalog = getattr(self.environment, "portal_catalog", None)
        if catalog is None:
            yield from stream
            return
        window: list[Token] = []
        for token in stream:
            window.append(token)
            if len(window) < 4:
                continue
            folded = self._fold(window, catalog)
            if folded is not None:
                yield from folded
                window.clear()
            else:
                yield window.pop(0)
        yield from window

    @staticmethod
    def _fold(window: list[Token], catalog: Translations) -> list[Token] | None:
        name, lparen, string, rparen = window
        if not (
            name.type == "name" and name.value in ("_", "gettext")
            and lparen.type == "lparen" and string.type == "string" and rparen.type == "rparen"
        ):
            return None
        try:
            # Newstyle gettext: Markup(translation) % {} (turns "%%" into "%").
            # Our own catalog's text, escaped later by Jinja's autoescape like any gettext.
            text = str(Markup(catalog.ugettext(string.value)) % {})  # noqa: S704  # nosec B704
        except (TypeError, ValueError, KeyError):
            return None
        line = name.lineno
        return [
            Token(line, "lparen", "("), Token(line, "string", text), Token(line, "pipe", "|"),
            Token(line, "name", "safe"), Token(line, "rparen", ")"),
        ]


def _catalog(app: Flask, language: str) -> Translations:
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(language):
        return get_translations()


@lru_cache(maxsize=8192)
def _format_day(day: date, language: str, weekday: bool) -> str:
    return format_day(day, language, weekday=weekday)


def _day_filter(value, weekday: bool = False, *, language: str, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    day = local_date(value, zone) if isinstance(value, datetime) else value
    return _format_day(day, language, weekday)


def _days_ago(
    moment, reference: date | None = None, *, catalog: Translations, zone: ZoneInfo
) -> str:
    day = local_date(moment, zone) if isinstance(moment, datetime) else moment
    days = ((reference or today()) - day).days
    if days <= 0:
        return catalog.ugettext("today")
    if days == 1:
        return catalog.ugettext("yesterday")
    return catalog.ungettext("%(num)d day ago", "%(num)d days ago", days) % {"num": days}


_GETTEXT_NAMES = ("gettext", "ngettext", "pgettext", "npgettext")


def _gettext_globals(catalog: Translations) -> dict:
    """Jinja's newstyle gettext functions for ``catalog``, made by Jinja's public
    ``install_gettext_callables`` on a scratch environment of their own: on an overlay that
    method is the parent's (``Environment.overlay`` copies the bound method), so it would
    install into the app's environment instead. The functions refer to no environment (they
    read autoescaping from the render context), so they serve the overlay as they are."""
    scratch = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)  # renders nothing
    scratch.install_gettext_callables(
        catalog.ugettext, catalog.ungettext, newstyle=True,
        pgettext=catalog.upgettext, npgettext=catalog.unpgettext,
    )
    return {name: scratch.globals[name] for name in _GETTEXT_NAMES}


def _environment(app: Flask, language: str) -> Environment:
    catalog = _catalog(app, language)
    zone = local_zone(app)  # the agency's time zone, fixed with the app's configuration
    env = app.jinja_env.overlay()
    env.portal_catalog = catalog
    env.filters = {
        **app.jinja_env.filters,
        "day": partial(_day_filter, language=language, zone=zone),
        "days_ago": partial(_days_ago, catalog=catalog, zone=zone),
    }
    env.globals = {**app.jinja_env.globals, "current_language": lambda: language,
                   **_gettext_globals(catalog)}
    env.add_extension(ConstantGettext)
    return env


def localized_environment(app: Flask, language: str) -> Environment:
    """The app's template environment for one language (built on first use)."""
    envs = app.extensions.setdefault(_EXTENSION_KEY, {})
    env = envs.get(language)
    if env is None:
        env = envs[language] = _environment(app, language)
    return env


def render_localized(template: str, language: str, **context) -> str:
    """``render_template`` with the template compiled for ``language`` (en or sv); with
    ``FAST_PATHS`` off, or another language, plain ``render_template``."""
    app = current_app
    if language not in LANGUAGES or not app.config["FAST_PATHS"]:
        return render_template(template, **context)
    return render_template(
        localized_environment(app, language).get_template(template), **context
    )
