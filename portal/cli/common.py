"""What every ``portal`` command shares: one-line errors and the parsers of its arguments."""

import functools
from datetime import date

import click
from sqlalchemy.exc import SQLAlchemyError

from portal.core.ids import ID_RULE, parse_id_text
from portal.models import LANGUAGES
from portal.services import InputError, NotFound
from portal.services.promises import parse_promise_date


def cli_errors(command):
    """Turn expected failures into one-line errors with a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as error:
            raise click.ClickException(f"{error.field}: {error.message}") from None
        except NotFound as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            first_line = str(error).splitlines()[0][:200]
            raise click.ClickException(
                f"database error ({first_line}); has `portal db upgrade` been run?"
            ) from None

    return wrapper


def option_name(param) -> str:
    return param.opts[0] if param.opts and param.opts[0].startswith("-") else param.name.upper()


def parse_promise(_ctx, param, value: str | None) -> date | None:
    """``--promise``: the services' one promise-date parser, its refusal on one line."""
    try:
        return parse_promise_date(value, field=option_name(param))
    except InputError as error:
        raise click.ClickException(f"{error.field}: {error.message}") from None


def parse_id(_ctx, param, value: str | None) -> int | None:
    if value is None:
        return None
    number = parse_id_text(value)
    if number is None:
        raise click.ClickException(f"{option_name(param)}: {value!r} is not an id ({ID_RULE})")
    return number


def parse_language(_ctx, param, value: str | None) -> str | None:
    if value is not None and value not in LANGUAGES:
        raise click.ClickException(
            f"{option_name(param)}: {value!r} is not one of {', '.join(LANGUAGES)}"
        )
    return value
