"""The English catalogue: every entry translated, and the compiled .mo the same as the .po."""

import ast
import gettext
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


def entries() -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of the .po, singular forms only, continuation lines joined."""
    pairs, key, parts = [], None, {}
    for line in [*(CATALOGUE / "django.po").read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[0] ")):
            key, text = line.split(" ", 1)
            parts[key] = ast.literal_eval(text)
        elif line.startswith('"') and key:
            parts[key] += ast.literal_eval(line)
        elif not line.strip() and parts:
            if parts.get("msgid"):
                pairs.append((parts["msgid"], parts.get("msgstr", parts.get("msgstr[0]", ""))))
            parts, key = {}, None
    return pairs


def test_every_entry_is_translated():
    pairs = entries()
    assert len(pairs) > 300
    assert [msgid for msgid, msgstr in pairs if not msgstr] == []


def test_compiled_catalogue_matches_the_source():
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    stale = [msgid for msgid, msgstr in entries() if catalogue.gettext(msgid) != msgstr]
    assert stale == [], "run `make messages` to compile the catalogue"
