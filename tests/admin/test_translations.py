"""The catalogues: every message has a Russian translation, and the committed .mo files are
compiled from the current .po files (so nobody needs gettext to run the service)."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale"


def po_entries(path: Path) -> list[dict]:
    """A small .po reader: entries with msgctxt, msgid, msgid_plural, msgstr(s), flags."""
    entries, entry, field = [], None, None

    def finish():
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if entry is None:
            entry = {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if isinstance(field, int):
                entry["msgstr"][field] += value
            else:
                entry[field] += value
        else:
            keyword, _sep, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if keyword.startswith("msgstr"):
                field = int(keyword[7:-1]) if "[" in keyword else 0
                entry["msgstr"][field] = value
            else:
                field = keyword
                entry[field] = value
    finish()
    return [e for e in entries if e["msgid"]]  # not the header


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_message_is_translated_and_not_fuzzy(language):
    entries = po_entries(LOCALE / language / "LC_MESSAGES" / "django.po")

    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    if language == "en":
        untranslated = []  # msgids are English: an empty msgstr falls back to them
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]

    assert entries
    assert not untranslated, f"{len(untranslated)} without {language}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy[:10]} (make messages, then translate)"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_committed_mo_matches_the_po(language):
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "django.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    for entry in po_entries(folder / "django.po"):
        if not all(entry["msgstr"].values()) or "fuzzy" in entry["flags"]:
            continue  # not compiled: gettext falls back to the msgid
        msgid = entry["msgid"]
        if "msgctxt" in entry:
            msgid = f"{entry['msgctxt']}\x04{msgid}"
        if "msgid_plural" in entry:
            got = compiled.ngettext(msgid, entry["msgid_plural"], 1)
            if "msgctxt" not in entry:
                assert got == entry["msgstr"][compiled.plural(1)], msgid
        else:
            assert compiled._catalog.get(msgid) == entry["msgstr"][0], (
                f"{msgid!r}: the .mo is older than the .po; run `make messages`"
            )


def test_russian_is_the_default_and_english_is_complete(settings):
    assert settings.LANGUAGE_CODE == "ru"
    with translation.override("ru"):
        assert translation.gettext("Sync history") == "История синхронизаций"
    with translation.override("en"):
        assert translation.gettext("Sync history") == "Sync history"


def test_admin_speaks_russian_by_default_and_english_when_asked(admin_client):
    russian = admin_client.get("/admin/integrations/syncrun/").content.decode()
    english = admin_client.get(
        "/admin/integrations/syncrun/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert "История синхронизаций" in russian
    assert "Sync history" in english
