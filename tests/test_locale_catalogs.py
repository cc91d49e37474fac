"""The Japanese catalogues of the API's and the widgets' own strings (api/locale, embed/locale).

Each app keeps ``locale/ja/LC_MESSAGES/django.po`` (the translations, reviewed as text) and the
``django.mo`` Django reads, compiled from it (``manage.py compilemessages``) and committed, so
a deployment needs no gettext tools. These checks fail when:

* the ``.mo`` is not the compiled ``.po`` (a translation edited and not compiled, or the
  reverse): the two catalogues are compared entry by entry;
* an entry of the ``.po`` has no Japanese text, is fuzzy, or loses a placeholder;
* a string marked for translation in the app's code or templates has no entry (or an entry
  remains for a string the code no longer has): ``makemessages`` is run on a copy of the app
  and must find exactly the ``.po``'s messages. That needs GNU gettext's ``xgettext`` and
  ``msgmerge`` (Debian's ``gettext`` package): skipped without them, failed in CI.

To add or change a string: mark it (``gettext``/``{% translate %}``), run
``manage.py makemessages -l ja --no-wrap --add-location file`` in the app's directory,
translate it in the ``.po``, then ``manage.py compilemessages -l ja`` there.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from tests import browser_support as ui

ROOT = Path(__file__).resolve().parent.parent
APPS = ("api", "embed")
#: %(name)s and %s (python-format), {name} (python-brace-format)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")


def catalogue_paths(app: str) -> tuple[Path, Path]:
    directory = ROOT / app / "locale" / "ja" / "LC_MESSAGES"
    return directory / "django.po", directory / "django.mo"


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgstr and flags (the header included)."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip()):
        entry = {"flags": set(), "msgctxt": None}
        field = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[field] += ast.literal_eval(line)
            else:
                field, _, value = line.partition(" ")
                entry[field] = ast.literal_eval(value)
        if "msgid" in entry or entry.get("obsolete"):
            entries.append(entry)
    return entries


def po_catalogue(path: Path) -> dict[str, str]:
    """The .po's translations keyed as a compiled .mo keys them ("context\\x04id")."""
    catalogue = {}
    for entry in read_po(path):
        if entry.get("obsolete") or "fuzzy" in entry["flags"]:
            continue
        key = entry["msgid"]
        if entry["msgctxt"] is not None:
            key = f"{entry['msgctxt']}\x04{key}"
        catalogue[key] = entry["msgstr"]
    return catalogue


def mo_catalogue(path: Path) -> dict[str, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


@pytest.mark.parametrize("app", APPS)
def test_the_compiled_catalogue_is_the_po_file(app):
    po, mo = catalogue_paths(app)
    assert po.is_file() and mo.is_file(), f"{app}: run makemessages and compilemessages"

    expected, compiled = po_catalogue(po), mo_catalogue(mo)
    # The header ("") is compared by the language it names (msgfmt drops some of its fields).
    assert "Language: ja" in compiled.pop("", "") and expected.pop("", None) is not None

    stale = {key: (value, compiled.get(key)) for key, value in expected.items()}
    stale = {key: pair for key, pair in stale.items() if pair[0] != pair[1]}
    extra = sorted(set(compiled) - set(expected))
    assert not stale and not extra, (
        f"{app}/locale/ja: django.mo differs from django.po ({len(stale)} changed, "
        f"{len(extra)} only in the .mo): run `manage.py compilemessages -l ja` in {app}/. "
        f"First differences: {list(stale.items())[:3]} {extra[:3]}"
    )


@pytest.mark.parametrize("app", APPS)
def test_every_message_has_a_japanese_translation_with_its_placeholders(app):
    po, _mo = catalogue_paths(app)
    entries = read_po(po)
    header = next(entry for entry in entries if entry.get("msgid") == "")
    assert "Language: ja\n" in header["msgstr"]
    assert "charset=UTF-8" in header["msgstr"]

    problems = []
    for entry in entries:
        if entry.get("obsolete"):
            problems.append(f"obsolete entry left in the file: {block_name(entry)}")
            continue
        if entry["msgid"] == "":
            continue
        if "fuzzy" in entry["flags"]:
            problems.append(f"fuzzy: {block_name(entry)}")
        if not entry["msgstr"].strip():
            problems.append(f"untranslated: {block_name(entry)}")
        elif sorted(PLACEHOLDER.findall(entry["msgid"])) != sorted(
            PLACEHOLDER.findall(entry["msgstr"])
        ):
            problems.append(f"placeholders differ: {block_name(entry)} -> {entry['msgstr']!r}")
    assert not problems, "\n".join(problems)
    assert len(entries) > 10


def block_name(entry: dict) -> str:
    context = f"[{entry['msgctxt']}] " if entry.get("msgctxt") else ""
    return f"{context}{entry.get('msgid', '')!r}"


def gettext_tools_or_skip() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if not shutil.which(tool)]
    if not missing:
        return
    message = f"missing {', '.join(missing)}: apt-get install -y gettext"
    if ui.in_ci():
        pytest.fail(f"The catalogue check cannot run in CI: {message}.", pytrace=False)
    pytest.skip(f"Catalogue check skipped: {message}.")


@pytest.mark.parametrize("app", APPS)
def test_every_marked_string_of_the_app_is_in_its_catalogue(app, tmp_path, monkeypatch):
    """makemessages, run on a copy of the app, finds exactly the messages of the .po."""
    gettext_tools_or_skip()
    copy = tmp_path / app
    shutil.copytree(
        ROOT / app,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "migrations"),
    )
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["ja"], no_wrap=True, add_location="file", verbosity=0)

    def messages(path: Path) -> set[tuple[str | None, str]]:
        return {
            (entry["msgctxt"], entry["msgid"])
            for entry in read_po(path)
            if entry.get("msgid") and not entry.get("obsolete")
        }

    committed = messages(catalogue_paths(app)[0])
    regenerated_po = copy / "locale" / "ja" / "LC_MESSAGES" / "django.po"
    found = {
        (entry["msgctxt"], entry["msgid"])
        for entry in read_po(regenerated_po)
        if entry.get("msgid") and not entry.get("obsolete")
    }
    missing = sorted(found - committed, key=str)
    gone = sorted(committed - found, key=str)
    assert not missing, (
        f"marked in {app}/ but not translated in {app}/locale/ja (run makemessages there, "
        f"translate, compilemessages): {missing}"
    )
    assert not gone, f"{app}/locale/ja translates strings the code no longer has: {gone}"
    # The copy's makemessages merged into the committed file: nothing it adds is untranslated.
    assert all(entry["msgstr"] for entry in read_po(regenerated_po) if entry.get("msgid")), (
        "makemessages left an untranslated entry"
    )
    assert os.environ.get("DJANGO_SETTINGS_MODULE")
