"""The admin in Japanese, and the curating screens that fit a laptop.

Through the real admin, signed in as an editor (a staff account of the editor role):

* with ``Accept-Language: ja`` the facility list and change form are Japanese: the project's
  model and field names, fieldsets, help texts, choices, filters, actions and header, with no
  English name left; the API's labels and OpenAPI document stay as they were, and what the
  write services store stays English;
* the Japanese catalogue (directory/locale/ja) holds every string marked in directory/, each
  translated, and its compiled .mo says the same as its .po (read with the standard library);
* aliases and sources are edited as rows and saved as the same JSON, through the services;
* a JSON file that is not JSON is refused naming the file, the line, the column and what was
  expected; the import preview shows what each row changes, and each error in its row;
* history pages name who wrote an entry (a user, or which system path), and the revert page's
  breadcrumbs name the record's kind and the record;
* the country filter offers the countries that have records, not every ISO country.
"""

from __future__ import annotations

import ast
import csv
import gettext
import io
import json
import re
import tokenize
from http import HTTPStatus
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms import BooleanField
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation.template import templatize

from directory import choices, services
from directory.admin_filters import CountryFilter
from directory.i18n import english
from directory.models import ChangeEvent, Facility
from tests.factories import (
    FacilityFactory,
    InstrumentFactory,
    SourceFactory,
    cited_source,
    country,
)
from tests.test_history import form_data, page_text

pytestmark = pytest.mark.django_db

DIRECTORY = Path(__file__).resolve().parent.parent / "directory"
CATALOGUE = DIRECTORY / "locale" / "ja" / "LC_MESSAGES"
CHANGELIST = reverse("admin:directory_facility_changelist")
IMPORT_URL = reverse("admin:directory_facility_import")
PASSWORD = "Kestrel-Orbit-4412"
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
SOURCES = [{"source": "test-source", "locator": "p. 1"}]


@pytest.fixture
def editor(monkeypatch) -> Client:
    """A staff account of the editor role (createcurator), signed in."""
    monkeypatch.setenv("CURATOR_PASSWORD", PASSWORD)
    call_command("createcurator", "emi", "--role", "editor", "--no-input", stdout=StringIO())
    client = Client()
    assert client.login(username="emi", password=PASSWORD)
    return client


@pytest.fixture
def nanoterasu():
    cited_source()
    SourceFactory(slug="jst-qst-koyasu-interview-2023", name="QST interview")
    return FacilityFactory(
        name="NanoTerasu",
        name_ja="ナノテラス",
        slug="nanoterasu",
        kind="synchrotron",
        status="operational",
        country=country("JP"),
        aliases=["東北放射光施設"],
        sources=SOURCES,
    )


def change_url(facility) -> str:
    return reverse("admin:directory_facility_change", args=[facility.pk])


# --- the facility list and change form in Japanese --------------------------------------------

#: Words of the English admin that must not be left on the Japanese pages.
ENGLISH_LIST = [
    "Django administration",
    "Facility Directory administration",
    "Select facility to change",
    "Facility directory",
    "Deleted records",
    "By country",
    "By kind",
    "By status",
    "By verification",
    "Not verified for 12 months",
    "Has no source",
    "Publish selected records",
    "Mark selected records verified today",
    "Synchrotron light source",
    "Operational",
]
JAPANESE_LIST = [
    "研究施設ディレクトリ 管理サイト",
    "変更する 施設 を選択",
    "削除されたレコード",
    "国 で絞り込む",
    "種別 で絞り込む",
    "状況 で絞り込む",
    "確認状況 で絞り込む",
    "12か月以上未確認",
    "選択したレコードを公開",
    "放射光施設",
    "運用中",
    "確認日",
]


def test_the_facility_list_is_japanese(editor, nanoterasu):
    FacilityFactory(name="Diamond", slug="diamond", country=country("GB"))  # two countries

    text = page_text(editor.get(CHANGELIST, **JA))

    assert [word for word in JAPANESE_LIST if word not in text] == []
    assert [word for word in ENGLISH_LIST if word in text] == []


ENGLISH_FORM = [
    "Change facility",
    "Identity",
    "Kind and status",
    "Location",
    "Figures",
    "Relations",
    "Description",
    "Provenance",
    "Operators and partners",
    "Add another alias",
    "Other spellings and names",
    "Citations",
    "in the API",
]
JAPANESE_FORM = [
    "施設 を変更",
    "名称と識別",
    "種別と状況",
    "所在地",
    "数値データ",
    "関連",
    "説明",
    "出典と確認",
    "運営機関とパートナー",
    "別名を追加",
    "出典を追加",
    "このレコードを検索できる別表記や別名",
    "放射光施設",
    "API での表示",
]


def test_the_facility_change_form_is_japanese(editor, nanoterasu):
    page = editor.get(change_url(nanoterasu), **JA)
    text = page_text(page)

    assert [word for word in JAPANESE_FORM if word not in text] == []
    assert [word for word in ENGLISH_FORM if word in text] == []
    # Every field of the form has a Japanese label, and no English one is on the page.
    fields = page.context["adminform"].form.fields

    def shown(label, field) -> str:  # "City:"; a check box's label follows it, without a colon
        return capfirst(label) if isinstance(field, BooleanField) else f"{capfirst(label)}:"

    with translation.override("ja"):
        untranslated = [name for name, f in fields.items() if str(f.label) == english(f.label)]
        japanese_labels = [shown(str(f.label), f) for f in fields.values()]
    english_labels = [shown(english(f.label), f) for f in fields.values()]
    assert untranslated == []
    assert [label for label in japanese_labels if label not in text] == []
    assert [label for label in english_labels if label in text] == []
    assert "都市:" in text and "ビームエネルギー（GeV）:" in text


def test_the_admin_stays_english_without_accept_language(editor, nanoterasu):
    text = page_text(editor.get(CHANGELIST))

    assert "Facility Directory administration" in text
    assert "Select facility to change" in text
    assert "Synchrotron light source" in text
    assert "研究施設ディレクトリ" not in text


# --- the catalogue: every marked string translated, the .mo as the .po -------------------------

KEYWORDS = {
    # name: (index of the context, of the singular, of the plural) as xgettext's keywords
    # (Django's makemessages adds the lazy and the context ones to xgettext's own).
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}


def _entry(args: list, keyword: str):
    """(context, msgid, plural) of a call's literal arguments, or None if one is not."""
    context_at, singular_at, plural_at = KEYWORDS[keyword]
    wanted = [at for at in (context_at, singular_at, plural_at) if at is not None]
    if len(args) <= max(wanted) or any(not isinstance(args[at], str) for at in wanted):
        return None
    return (
        args[context_at] if context_at is not None else None,
        args[singular_at],
        args[plural_at] if plural_at is not None else None,
    )


def python_strings(source: str) -> set[tuple]:
    """The strings a Python file marks for translation, as xgettext extracts them."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in KEYWORDS:
            continue
        args = [arg.value if isinstance(arg, ast.Constant) else None for arg in node.args]
        entry = _entry(args, name)
        if entry is not None:
            found.add(entry)
    return found


def template_strings(source: str) -> set[tuple]:
    """The strings a template marks, through Django's own templatize() (what makemessages
    hands xgettext): its gettext(…) calls, read with the tokenizer."""
    # Each call is on one line (its strings are repr()s); the lines' indents are blanked-out
    # text, which the tokenizer would read as Python's indentation.
    code = "\n".join(line.lstrip() for line in templatize(source).splitlines())
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(code).readline)
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    found = set()
    for index, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string not in KEYWORDS:
            continue
        if tokens[index + 1].string != "(":
            continue
        args, parts, position = [], [], index + 2
        while position < len(tokens) and tokens[position].string != ")":
            current = tokens[position]
            if current.type == tokenize.STRING:
                parts.append(ast.literal_eval(current.string))
            elif current.string == ",":
                args.append("".join(parts) if parts else None)
                parts = []
            else:
                parts.append(None)
            position += 1
        args.append("".join(parts) if parts and None not in parts else None)
        entry = _entry(args, token.string)
        if entry is not None:
            found.add(entry)
    return found


def marked_strings() -> set[tuple]:
    """Every (context, msgid, plural) marked in directory/ (its Python and templates)."""
    found = set()
    for path in DIRECTORY.rglob("*"):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            found |= python_strings(path.read_text(encoding="utf-8"))
        elif path.suffix in {".html", ".txt"}:
            found |= template_strings(path.read_text(encoding="utf-8"))
    return found


def po_entries(text: str) -> list[dict]:
    """A .po file's entries (obsolete ones left out): context, msgid, plural, msgstr(s),
    flags. Strings are C-escaped like Python's, so literal_eval reads them."""
    entries, current, field = [], None, None
    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if not line or line.startswith("#~"):
            if current is not None and current.get("msgid") is not None:
                entries.append(current)
            current, field = (None, None) if not line else (current, field)
            continue
        if current is None:
            current = {"flags": set(), "msgctxt": None, "msgid_plural": None, "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")", line)
        if match:
            keyword, index, literal = match.groups()
            field = ("msgstr", int(index or 0)) if keyword == "msgstr" else (keyword, None)
            value = ast.literal_eval(literal)
            if keyword == "msgstr":
                current["msgstr"][field[1]] = value
            else:
                current[keyword] = value
        else:  # a continuation line
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                current["msgstr"][field[1]] += value
            else:
                current[field[0]] += value
    return entries


def po_catalogue(entries: list[dict]) -> dict:
    """The catalogue msgfmt compiles from these entries, keyed as gettext's .mo reader keys
    it (fuzzy and untranslated entries are left out, as msgfmt leaves them)."""
    catalogue = {}
    for entry in entries:
        if not entry["msgid"]:  # the header: msgfmt leaves out its POT-Creation-Date
            header = re.sub(r"^POT-Creation-Date: .*\n", "", entry["msgstr"][0], flags=re.M)
            catalogue[""] = header
            continue
        if "fuzzy" in entry["flags"] and entry["msgid"]:
            continue
        if not all(entry["msgstr"].values()):
            continue
        key = entry["msgid"]
        if entry["msgctxt"] is not None:
            key = f"{entry['msgctxt']}\x04{key}"
        if entry["msgid_plural"] is None:
            catalogue[key] = entry["msgstr"][0]
        else:
            for index, text in entry["msgstr"].items():
                catalogue[(key, index)] = text
    return catalogue


def test_every_string_marked_in_directory_is_in_the_japanese_catalogue_translated():
    entries = po_entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    in_po = {(e["msgctxt"], e["msgid"], e["msgid_plural"]) for e in entries if e["msgid"]}
    marked = marked_strings()
    update = "run makemessages and translate (README: Curating, the admin in Japanese)"

    assert sorted(marked - in_po, key=str) == [], f"marked but not in the .po: {update}"
    assert sorted(in_po - marked, key=str) == [], f"in the .po, no longer marked: {update}"
    untranslated = [
        e["msgid"]
        for e in entries
        if e["msgid"] and ("fuzzy" in e["flags"] or not all(e["msgstr"].values()))
    ]
    assert untranslated == [], f"untranslated or fuzzy: {update}"


def test_the_compiled_catalogue_says_what_the_po_says():
    entries = po_entries((CATALOGUE / "django.po").read_text(encoding="utf-8"))
    with open(CATALOGUE / "django.mo", "rb") as compiled:
        mo = gettext.GNUTranslations(compiled)

    assert mo._catalog == po_catalogue(entries), "run compilemessages (README: Curating)"


def test_the_catalogue_gives_choices_the_labels_the_api_gives():
    """The admin's Japanese choice labels (the catalogue) are the API's (JAPANESE_LABELS)."""
    differing = []
    with translation.override("ja"):
        for vocabulary, labels in choices.JAPANESE_LABELS.items():
            for member in vocabulary:
                if str(member.label) != labels[member.value]:
                    differing.append((vocabulary.__name__, member.value, str(member.label)))
    assert differing == []


# --- the API and what the services store do not follow the admin's language ----------------------


def test_the_api_answers_as_before_whatever_the_admin_translates(api, nanoterasu):
    url = "/api/v1/facilities/nanoterasu/"  # published (the factory's default)

    english_body = api.get(url, {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="ja").json()
    japanese_body = api.get(url, HTTP_ACCEPT_LANGUAGE="ja").json()
    plain_body = api.get(url).json()

    assert english_body["kind_label"] == plain_body["kind_label"] == "Synchrotron light source"
    assert english_body["status_label"] == "Operational"
    assert (
        japanese_body["kind_label"] == choices.JAPANESE_LABELS[choices.FacilityKind]["synchrotron"]
    )
    # The English label is the source text whatever language is active (the widgets and the
    # builder ask for it under any page language; cached answers must not depend on it).
    with translation.override("ja"):
        label = choices.choice_label(choices.FacilityKind, "synchrotron", "en")
    assert label == "Synchrotron light source"
    schema = {"HTTP_ACCEPT": "application/vnd.oai.openapi+json"}
    japanese_schema = api.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="ja", **schema).content
    assert japanese_schema == api.get("/api/schema/", **schema).content
    assert "施設".encode() not in japanese_schema


def test_what_a_japanese_curator_writes_is_stored_in_english(editor, nanoterasu):
    InstrumentFactory(facility=nanoterasu, name="BL02U", slug="bl02u")
    delete_url = reverse("admin:directory_facility_delete", args=[nanoterasu.pk])

    response = editor.post(delete_url, {"post": "yes"}, **JA)

    assert response.status_code == HTTPStatus.FOUND
    deleted = ChangeEvent.objects.filter(slug="bl02u", action=ChangeEvent.Action.DELETED)
    reasons = list(deleted.values_list("reason", flat=True))
    assert reasons == ["Deleted with facility nanoterasu: Deleted in the admin"]


# --- aliases and sources as rows -------------------------------------------------------------


def test_aliases_and_sources_are_rows_and_save_the_same_json(editor, nanoterasu):
    page = editor.get(change_url(nanoterasu))
    data = form_data(page)
    # One row per alias and per source, and one empty row to add another.
    assert data["aliases-alias"] == ["東北放射光施設", ""]
    assert data["sources-source"] == ["test-source", ""]
    assert data["sources-locator"] == ["p. 1", ""]

    data["aliases-alias"] = ["東北放射光施設", "ナノテラス"]
    data["sources-source"] = ["test-source", "jst-qst-koyasu-interview-2023"]
    data["sources-locator"] = ["p. 1", "line 43"]
    data["sources-passage"] = ["", "仙台に3GeV高輝度放射光施設を設置"]
    data["_save"] = ["Save"]
    response = editor.post(change_url(nanoterasu), data)

    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:2000]
    saved = Facility.objects.get(pk=nanoterasu.pk)
    assert saved.aliases == ["東北放射光施設", "ナノテラス"]
    assert saved.sources == [
        {"source": "test-source", "locator": "p. 1"},
        {
            "source": "jst-qst-koyasu-interview-2023",
            "locator": "line 43",
            "passage": "仙台に3GeV高輝度放射光施設を設置",
        },
    ]
    # Written by the services: one history entry by the editor, found by the new alias.
    latest = saved.history.first()
    assert latest.history_user.username == "emi"
    assert latest.aliases == saved.aliases
    assert Facility.objects.filter(search_key__contains="ナノテラス").exists()


def test_saving_the_rows_unchanged_changes_nothing(editor, nanoterasu):
    data = form_data(editor.get(change_url(nanoterasu)))
    data["_save"] = ["Save"]
    before = nanoterasu.history.count()

    response = editor.post(change_url(nanoterasu), data)

    assert response.status_code == HTTPStatus.FOUND
    saved = Facility.objects.get(pk=nanoterasu.pk)
    assert (saved.aliases, saved.sources) == (["東北放射光施設"], SOURCES)
    assert saved.history.count() == before


def test_a_source_row_without_a_source_is_refused_by_the_validator(editor, nanoterasu):
    data = form_data(editor.get(change_url(nanoterasu)))
    data["sources-source"] = ["test-source", ""]
    data["sources-locator"] = ["p. 1", "p. 7"]
    data["_save"] = ["Save"]

    response = editor.post(change_url(nanoterasu), data)

    assert response.status_code == HTTPStatus.OK  # shown again, not saved
    assert "Source 2 needs a source (the slug of a source record)." in page_text(response)
    # The rows come back as typed.
    assert form_data(response)["sources-locator"][:2] == ["p. 1", "p. 7"]
    assert Facility.objects.get(pk=nanoterasu.pk).sources == SOURCES


def test_json_posted_instead_of_rows_is_still_read(editor, nanoterasu):
    """A script that posts the JSON text (as the old text box did) keeps working."""
    data = form_data(editor.get(change_url(nanoterasu)))
    for key in [key for key in data if key.startswith(("aliases-", "sources-"))]:
        del data[key]
    data["aliases"] = ['["Spring8"]']
    data["sources"] = [json.dumps([{"source": "test-source", "locator": "p. 2"}])]
    data["_save"] = ["Save"]

    response = editor.post(change_url(nanoterasu), data)

    assert response.status_code == HTTPStatus.FOUND, page_text(response)[:2000]
    saved = Facility.objects.get(pk=nanoterasu.pk)
    assert saved.aliases == ["Spring8"]
    assert saved.sources == [{"source": "test-source", "locator": "p. 2"}]


# --- imports: a bad JSON file named, the preview readable ----------------------------------------


def upload(client, content: bytes, name: str, title: str, **headers):
    form = client.get(IMPORT_URL).context["form"]
    index = next(value for value, label in form.fields["format"].choices if label == title)
    upload = SimpleUploadedFile(name, content, "application/octet-stream")
    return client.post(IMPORT_URL, {"format": index, "import_file": upload}, **headers)


def file_errors(response) -> list[str]:
    return [str(error) for error in response.context["form"].errors.get("import_file", [])]


def test_a_bad_json_file_is_named_with_the_line_column_and_what_was_expected(editor):
    content = b'[{"slug": "a", "name": "A"},\n {"slug": "b" "name": "B"}]'

    (error,) = file_errors(upload(editor, content, "facilities.json", "json"))

    assert error.startswith(
        "“facilities.json” is not valid JSON: expecting ',' delimiter at line 2, column 15."
    )
    assert "A comma must come there" in error
    assert 'Line 2 reads: {"slug": "b" "name": "B"}]' in error
    assert "(char " not in error


def test_a_csv_file_uploaded_as_json_is_told_so_in_japanese(editor):
    (error,) = file_errors(upload(editor, b"slug,name\nx,y\n", "rows.json", "json", **JA))

    assert error.startswith(
        "“rows.json” は正しい JSON ではありません: 1 行目 1 文字目で値が必要です。"
    )
    assert "CSV ファイルのようです" in error


def as_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_the_preview_shows_only_what_each_row_changes(editor, nanoterasu):
    same = {"kind": "synchrotron", "status": "operational", "country": "JP"}
    content = as_csv(
        [
            {"slug": "nanoterasu", "name": "NanoTerasu", **same, "city": "Sendai"},
            {"slug": "uvsor", "name": "UVSOR", **same, "city": "Okazaki"},
        ]
    )

    response = upload(editor, content, "facilities.csv", "csv")

    rows = response.context["preview_rows"]
    assert [(row["number"], row["import_type"], row["slug"]) for row in rows] == [
        (1, "update", "nanoterasu"),
        (2, "new", "uvsor"),
    ]
    assert [change["column"] for change in rows[0]["changes"]] == ["city"]
    assert {change["column"] for change in rows[1]["changes"]} >= {"name", "city", "country"}
    html = response.content.decode()
    header = re.search(
        r'<table class="import-preview directory-import-preview">.*?</thead>', html, re.S
    )
    assert header is not None and header.group(0).count("<th ") == 4  # not one per column
    assert "<ins" in html and "Sendai" in html


def test_preview_errors_name_the_row_and_the_column_in_the_row(editor):
    content = (
        b"slug,name,kind,status,country,latitude,longitude\n"
        b"good,Good,synchrotron,operational,JP,38,140\n"
        b"bad,Bad,synchrotron,operational,JP,95,140\n"
    )

    response = upload(editor, content, "facilities.csv", "csv")

    text = page_text(response)
    assert "Row 2, column latitude: Latitude must be between -90 and 90 degrees." in text
    assert "validation-error-count" not in response.content.decode()  # no badge to hover
    assert "confirm_form" not in response.context


# --- history: who, and the revert page's breadcrumbs -------------------------------------------


def history_url(facility) -> str:
    return reverse("admin:directory_facility_history", args=[facility.pk])


def test_history_names_the_user_or_the_system_path(editor, nanoterasu):
    data = form_data(editor.get(change_url(nanoterasu)))
    data["city"] = ["Sendai"]
    data["_save"] = ["Save"]
    assert editor.post(change_url(nanoterasu), data).status_code == HTTPStatus.FOUND
    seeded = services.record_create(
        model=Facility,
        fields={
            "name": "Seeded Ring",
            "slug": "seeded-ring",
            "kind": "synchrotron",
            "status": "operational",
            "country": country("JP"),
            "sources": SOURCES,
        },
        reason="Seeded from fixtures/facilities.json; sources: test-source",
    )

    text = page_text(editor.get(history_url(nanoterasu)))
    seeded_text = page_text(editor.get(history_url(seeded)))
    seeded_ja = page_text(editor.get(history_url(seeded), **JA))

    assert "emi" in text and "None" not in text
    assert "system (seed data)" in seeded_text and "None" not in seeded_text
    assert "システム（初期データ投入）" in seeded_ja


def test_the_revert_page_names_the_kind_and_the_record(editor, nanoterasu):
    entry = nanoterasu.history.first()
    url = reverse("admin:directory_facility_simple_history", args=[nanoterasu.pk, entry.history_id])

    page = editor.get(url)
    japanese = editor.get(url, **JA)

    crumbs = page_text_of(page, "breadcrumbs")
    assert crumbs == (
        "Home › Facility directory › Facilities › NanoTerasu › History › "
        "Revert facility “NanoTerasu”"
    )
    assert "Historical" not in page_text(page)
    assert page_text_of(japanese, "breadcrumbs") == (
        "ホーム › 研究施設ディレクトリ › 施設 › NanoTerasu › 履歴 › 施設「NanoTerasu」を元に戻す"
    )
    # Which version this is: when and by whom (the factory wrote it: "system").
    assert "by system." in page_text(page)


def page_text_of(response, css_class: str) -> str:
    """The text of the first element with ``class="<css_class>"``."""
    html = response.content.decode()
    match = re.search(rf'<div class="{css_class}">(.*?)</div>', html, re.S)
    assert match, css_class
    return page_text(type("R", (), {"content": match.group(1).encode()})())


# --- the country filter --------------------------------------------------------------------


def test_the_country_filter_offers_the_countries_with_records(editor, nanoterasu):
    FacilityFactory(name="Diamond", slug="diamond", country=country("GB"))

    response = editor.get(CHANGELIST)
    (spec,) = [s for s in response.context["cl"].filter_specs if isinstance(s, CountryFilter)]
    assert spec.title == "country"
    offered = [str(choice["display"]) for choice in spec.choices(response.context["cl"])]
    japanese = editor.get(CHANGELIST, **JA)
    (spec_ja,) = [s for s in japanese.context["cl"].filter_specs if isinstance(s, CountryFilter)]

    assert offered == ["All", "Japan (JP)", "United Kingdom (GB)"]
    assert "日本 (JP)" in [c["display"] for c in spec_ja.choices(japanese.context["cl"])]
    html = response.content.decode()
    assert html.count('<option value="?country__code__exact=') == 2  # a drop-down, not links
    filtered = editor.get(CHANGELIST, {"country__code__exact": "GB"})
    assert filtered.context["cl"].result_count == 1
