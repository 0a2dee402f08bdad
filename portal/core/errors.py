"""What a refused input or a missing record looks like, for every layer (no Flask here)."""



def N_(message: str) -> str:
    """Marks a message for the translation catalog without translating it here.

    Services run without a request (CLI, workers), so their messages stay English; a view shows
    them in the reader's language with ``portal.web.i18n.error_text``.
    """
    return message


class Message(str):
    """An English message that remembers its catalog id and placeholders.

    It is the English text (CLI output, logs and tests read it as such), and
    ``portal.web.i18n.error_text`` translates it for a web page.
    """

    template: str
    params: dict

    def __new__(cls, template: str, **params):
        text = super().__new__(cls, template % params if params else template)
        text.template = template
        text.params = params
        return text


class InputError(ValueError):
    """Bad input for a service call; ``field`` names the offending field.

    ``message`` is a ``Message``: give the English template (marked with ``N_``) and its
    placeholders, e.g. ``InputError("name", N_("at most %(count)d characters"), count=120)``.
    """

    def __init__(self, field: str, message: str, **params):
        text = message if isinstance(message, Message) else Message(message, **params)
        super().__init__(f"{field}: {text}")
        self.field = field
        self.message = text


class NotFound(LookupError):
    """A record the caller named does not exist."""
