"""The bulk and CSV services run without a request (the CLI, cron, tests): their messages are
English ``Message`` values that a page shows in its reader's language with ``error_text``."""

from datetime import date

import pytest

from portal.core.errors import Message
from portal.services import InputError
from portal.services.bulk import BulkRequest
from portal.services.csv_export import header
from portal.services.csv_import import ImportFileError, Problem, describe_problems, map_header
from portal.web.i18n import error_text


def test_bulk_messages_are_english_outside_a_request():
    with pytest.raises(InputError) as caught:
        BulkRequest(action="note", public_note="x" * 5001).validate(day=date(2026, 1, 5))
    message = caught.value.message
    assert isinstance(message, Message)
    assert message == "At most 5000 characters (this one has 5001)."


def test_csv_header_in_the_language_asked_for():
    assert header(with_links=False)[:3] == ["id", "name", "email"]
    swedish = header(with_links=True, language="sv")
    assert len(swedish) == 12 and swedish != header(with_links=True)


def test_a_message_within_a_message_is_translated_too(app):
    with pytest.raises(ImportFileError) as caught:
        map_header(["namn?", "mejl?"])
    message = caught.value.message
    assert "no name or email column" in message  # the CLI's English
    [line] = describe_problems([Problem(3, "email", Message("the email address is empty"))])
    assert line == "row 3, email: the email address is empty"
    with app.test_request_context("/?lang=sv"):
        swedish = error_text(message)
        assert "name eller email" in swedish and " or " not in swedish
        assert "empty" not in error_text(line)
