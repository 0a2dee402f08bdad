"""Every message the portal can show or send exists in Swedish, and the catalog is current."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "portal" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"


def _catalog():
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="sv")


def test_every_swedish_message_is_translated():
    """Is there a Swedish text for every message (plural forms included), none left fuzzy?"""
    untranslated = [
        message.id for message in _catalog()
        if message.id and (
            not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
            or message.fuzzy
        )
    ]
    assert untranslated == []


def test_catalog_holds_every_message_in_the_code_and_templates(tmp_path):
    """Does the catalog cover every message the templates and code mark for translation?"""
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-o", str(template), "--no-location", "--omit-header", "."],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )
    with template.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    have = {message.id for message in _catalog() if message.id}
    assert sorted(map(str, wanted - have)) == []


def test_placeholders_survive_translation():
    """Does each Swedish text keep exactly the placeholders of its English original?"""
    placeholder = re.compile(r"%\(\w+\)[sd]")
    broken = []
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholder.findall(ids[-1]))
        broken += [ids[0] for text in strings if set(placeholder.findall(text)) != wanted]
    assert broken == []
