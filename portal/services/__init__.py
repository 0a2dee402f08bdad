"""Business rules as plain functions over a Session; no Flask request in here."""


class InputError(ValueError):
    """Bad input for a service call; ``field`` names the offending field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(LookupError):
    """A record the caller named does not exist."""
