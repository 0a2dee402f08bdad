"""Templates compiled once per language, for the candidate's status page (the hot path).

The status page calls ``_()`` some thirty times and formats half a dozen dates. Through
Flask-Babel each call walks several context proxies and parses a locale; together that was
most of the page's cost. Here each language gets its own Jinja environment (an overlay of the
app's, sharing its loader, globals and filters) in which:

* ``_("a constant")`` is replaced by its translation while the template compiles (calls with
  arguments, and ``ngettext``, still run, against that language's catalog directly);
* the ``day`` and ``days_ago`` filters and ``current_language()`` are bound to the language,
  and formatted dates are remembered (there are only so many distinct days);
* static asset URLs are built once per script root.

``render_localized(name, language, **context)`` renders through Flask's ``render_template``
(context processors and signals run as usual), so the output is the same as before.
"""

import re
from datetime import date, datetime
from functools import lru_cache, partial
from zoneinfo import ZoneInfo

from babel.support import Translations
from flask import Flask, current_app, render_template, request, url_for
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


_STATIC_URLS: dict[tuple, str] = {}
_TOKEN_ROUTES: dict[tuple, list[str]] = {}  # a token route's path before and after the token
# What a status token is made of (URL-safe base64 and dots): it needs no quoting in a path.
_TOKEN = re.compile(r"[A-Za-z0-9_\-.]+")
_MARK = "0portaltokenmark0"


def _url_for(endpoint: str, **values) -> str:
    """``url_for``, remembered where the answer cannot change: static URLs depend only on the
    file, its version and where the app is mounted; a candidate's token routes are the same
    path around each token (the status page builds five of them)."""
    values = {name: value for name, value in values.items() if value is not None}
    if endpoint == "static" and not set(values) - {"filename", "v"}:
        key = (request.script_root, endpoint, values.get("filename"), values.get("v"))
        url = _STATIC_URLS.get(key)
        if url is None:
            url = _STATIC_URLS[key] = url_for(endpoint, **values)
        return url
    token = values.get("token")
    if len(values) == 1 and isinstance(token, str) and _TOKEN.fullmatch(token):
        key = (request.script_root, endpoint)
        around = _TOKEN_ROUTES.get(key)
        if around is None:
            around = _TOKEN_ROUTES[key] = url_for(endpoint, token=_MARK).split(_MARK)
        if len(around) == 2:
            return around[0] + token + around[1]
    return url_for(endpoint, **values)


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
                   "url_for": _url_for}
    # Through the overlay's own i18n extension: the inherited install_gettext_callables
    # attribute is bound to the app's environment and would change that one instead.
    env.extensions["jinja2.ext.InternationalizationExtension"]._install_callables(
        catalog.ugettext, catalog.ungettext, newstyle=True,
        pgettext=catalog.upgettext, npgettext=catalog.unpgettext,
    )
    env.add_extension(ConstantGettext)
    return env


def localized_environment(language: str) -> Environment:
    """The app's template environment for one language (built on first use)."""
    app = current_app
    envs = app.extensions.setdefault(_EXTENSION_KEY, {})
    env = envs.get(language)
    if env is None:
        env = envs[language] = _environment(app._get_current_object(), language)
    return env


def render_localized(template: str, language: str, **context) -> str:
    """``render_template`` with the template compiled for ``language`` (en or sv)."""
    if language not in LANGUAGES:
        return render_template(template, **context)
    return render_template(localized_environment(language).get_template(template), **context)
