"""Japanese where a Japanese user looks: the builder, the widgets' and the API's own messages.

``?lang=ja`` (or ``Accept-Language: ja`` without it) turns the builder page, the widgets'
error pages, oEmbed's errors and the API's 400 answers Japanese (config.query_language,
api/locale, embed/locale); the JSON keeps its shape and field names, and every English
answer keeps its bytes. Dates: one format per language (embed.dates).
"""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo

import pytest
from django.test import Client
from django.utils import translation

from embed.dates import format_date, format_deadline
from embed.views import _message_language
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}


@pytest.fixture
def client():
    return Client(HTTP_HOST="localhost")


def ja(message: str) -> str:
    with translation.override("ja"):
        return translation.gettext(message)


# --- the builder --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers", "lang"),
    [
        ("", {}, "en"),
        ("", JA, "ja"),
        ("?lang=ja", {}, "ja"),
        ("?lang=en", JA, "en"),  # the widget's language chosen in the page wins
        ("?lang=fr", JA, "ja"),  # not a language of the site: the browser's
        ("?resource=calls&lang=ja&theme=dark", {}, "ja"),
    ],
)
def test_the_builder_speaks_the_page_language_with_a_matching_html_lang(
    client, query, headers, lang
):
    response = client.get(f"/embed/{query}", **headers)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}"' in html
    assert 'lang=""' not in html
    assert response["Content-Language"] == lang
    assert "Accept-Language" in response["Vary"]
    if lang == "ja":
        assert "<h1>ディレクトリをあなたのウェブサイトに埋め込む</h1>" in html
        assert '<label for="lang">言語</label>' in html
        assert "コピー" in html
        # The other language is offered, marked as itself.
        assert '<a href="?lang=en" lang="en" hreflang="en">English</a>' in html
        # Every builder label of the page is translated: no English label is left.
        labels = re.findall(r"<label [^>]*>([^<]+)</label>", html)
        assert labels and all(not label.isascii() for label in labels), labels
    else:
        assert "<h1>Embed the directory on your website</h1>" in html
        assert '<a href="?lang=ja" lang="ja" hreflang="ja">日本語</a>' in html


def test_the_builders_choices_are_labelled_in_the_page_language(client):
    html = client.get("/embed/?resource=facilities", **JA).content.decode()

    assert '<option value="synchrotron">放射光施設</option>' in html
    assert '<option value="dark">ダーク</option>' in html
    # The snippet keeps the widget's own language: none chosen, so the English title.
    assert "title=&quot;Research facilities · Facility Directory&quot;" in html


# --- the API's own messages ---------------------------------------------------------------


API_400 = [
    "/api/v1/facilities/?contry=JP",
    "/api/v1/facilities/?limit=abc",
    "/api/v1/facilities/?limit=0&offset=-1",
    "/api/v1/facilities/?fields=nope",
    "/api/v1/facilities/?facets=nope",
    "/api/v1/facilities/?format=xml",
    "/api/v1/search/",
    "/api/v1/search/?q=ring&kind=planet",
    "/api/v1/calls.ics?colour=red",
]


@pytest.mark.parametrize("path", API_400)
def test_api_400s_are_japanese_under_lang_ja_with_the_same_shape(api, path):
    english = api.get(path)
    joiner = "&" if "?" in path else "?"
    by_parameter = api.get(f"{path}{joiner}lang=ja")
    by_header = api.get(path, HTTP_ACCEPT_LANGUAGE="ja")

    assert english.status_code == by_parameter.status_code == by_header.status_code == 400
    en, jp = english.json(), by_parameter.json()
    assert list(jp) == list(en)  # the same fields, in the same order
    assert by_header.json() == jp
    for field, messages in en.items():
        assert len(jp[field]) == len(messages)
        for message, translated in zip(messages, jp[field], strict=True):
            assert message.isascii(), message
            assert not translated.isascii(), f"{field}: {translated!r} is not Japanese"


def test_an_api_400_in_japanese_word_for_word(api):
    english = api.get("/api/v1/facilities/?contry=JP")
    japanese = api.get("/api/v1/facilities/?contry=JP&lang=ja")

    allowed = english.json()["contry"][0].removeprefix("Unknown parameter. Allowed here: ")
    assert japanese.json() == {
        "contry": [f"不明なパラメータです。ここで使えるもの：{allowed[:-1]}。"]
    }
    assert japanese["Content-Type"] == english["Content-Type"]
    assert japanese["Content-Language"] == "ja"
    # The English answer, byte for byte as before the translations.
    assert (
        english.content
        == json.dumps(
            {"contry": [f"Unknown parameter. Allowed here: {allowed}"]}, separators=(",", ":")
        ).encode()
    )


def test_an_unsupported_lang_is_named_in_the_browsers_language(api):
    english = api.get("/api/v1/facilities/?lang=fr")
    japanese = api.get("/api/v1/facilities/?lang=fr", HTTP_ACCEPT_LANGUAGE="ja")

    assert english.json() == {"lang": ["'fr' is not supported: use en or ja."]}
    assert japanese.json() == {
        "lang": ["「fr」には対応していません。en または ja を指定してください。"]
    }


def test_the_changes_feed_follows_the_browser_language(api):
    """It takes no ``lang`` parameter (a 400 names it), so Accept-Language alone decides."""
    english = api.get("/api/v1/changes/?since=yesterday").json()
    japanese = api.get("/api/v1/changes/?since=yesterday", HTTP_ACCEPT_LANGUAGE="ja").json()

    assert list(japanese) == list(english) == ["since"]
    assert japanese["since"] == [
        "「yesterday」は ISO 8601 の日付・日時でも、このフィードのカーソルでもありません。"
    ]


def test_drf_messages_follow_lang_too(api):
    """Not our strings, but the language ?lang= activates: DRF's own catalogue answers."""
    english = api.post("/api/v1/facilities/", {}, format="json")
    japanese = api.post("/api/v1/facilities/?lang=ja", {}, format="json")

    assert english.status_code == japanese.status_code
    assert english.json()["detail"].isascii()
    assert not japanese.json()["detail"].isascii()


# --- the widgets' own messages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?contry=JP&theme=neon&lang=ja", {}), ("?contry=JP&theme=neon", JA)],
)
def test_a_widget_error_page_in_japanese(client, query, headers):
    response = client.get(f"/embed/facilities/{query}", **headers)

    assert response.status_code == 400
    assert response["Content-Language"] == "ja"
    html = response.content.decode()
    assert '<html lang="ja"' in html
    assert "<h1>このウィジェットは表示できません</h1>" in html
    assert "<p>ウィジェットのアドレスの次のパラメータを修正してください：</p>" in html
    assert re.findall(r"<dt>([^<]+)</dt>", html) == ["contry", "theme"]
    messages = re.findall(r"<dd( lang=\"en\")?>([^<]+)</dd>", html)
    # Every parameter the widget takes, the facility list's generated lookups included.
    prefix, _names, suffix = ja("Unknown parameter. Allowed here: %(names)s.").partition(
        "%(names)s"
    )
    attribute, message = messages[0]
    assert attribute == "" and message.startswith(prefix) and message.endswith(suffix)
    allowed = message.removeprefix(prefix).removesuffix(suffix).split(", ")
    assert allowed == sorted(allowed)
    assert {"access_mode", "country", "energy_gev__gte", "name__ic", "theme", "lang"} <= set(
        allowed
    )
    assert messages[1] == (
        "",
        "「neon」というテーマはありません。light または dark を指定してください。",
    )


def test_a_message_no_catalogue_translates_is_marked_english(client):
    """A message no catalogue translates (all ASCII) is English: a Japanese page marks it
    lang="en". The widgets' and the domain's own are all translated (limit's included,
    tests/test_messages_ja.py), so the rule is also checked on its own."""
    html = client.get("/embed/facilities/?limit=0&lang=ja").content.decode()

    for marked, message in re.findall(r"<dd( lang=\"en\")?>([^<]+)</dd>", html):
        assert bool(marked) == message.isascii(), message
    assert _message_language("Only in English.", "ja") == "en"
    assert _message_language("日本語のメッセージ。", "ja") == "ja"
    assert _message_language("Only in English.", "en") == "en"


def test_oembed_errors_follow_the_browser_language(client):
    english = client.get("/oembed", {"url": "http://elsewhere.example/embed/calls/"})
    japanese = client.get("/oembed", {"url": "http://elsewhere.example/embed/calls/"}, **JA)

    assert english.json() == {
        "detail": "No embeddable listing at http://elsewhere.example/embed/calls/."
    }
    assert japanese.json() == {
        "detail": "http://elsewhere.example/embed/calls/ には埋め込める一覧がありません。"
    }


# --- dates --------------------------------------------------------------------------------


def test_one_date_format_per_language():
    day = datetime.date(2027, 1, 31)
    deadline = datetime.datetime(2027, 1, 31, 17, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo"))

    assert format_date(day, "en") == "31 Jan 2027"
    assert format_date(day, "ja") == "2027年1月31日"
    assert format_date(datetime.date(2027, 12, 5), "en") == "5 Dec 2027"
    assert format_deadline(deadline, "Asia/Tokyo", "en") == "31 Jan 2027, 17:00 (Asia/Tokyo)"
    assert format_deadline(deadline, "Asia/Tokyo", "ja") == "2027年1月31日 17:00（Asia/Tokyo）"


def test_japanese_facility_widgets_show_the_japanese_city_else_the_english_marked(client):
    """A Japanese widget shows the city's Japanese name (city_ja) where the record has one,
    else the English one marked lang="en"; the country in Japanese."""
    FacilityFactory(name="Ring", name_ja="リング", city="Sendai")
    FacilityFactory(name="Nano", name_ja="ナノ", city="Sendai", city_ja="仙台市")

    html = client.get("/embed/facilities/?lang=ja").content.decode()

    assert '<span lang="en">Sendai</span>, 日本' in html
    assert "仙台市, 日本" in html


def test_a_widget_shows_a_japanese_city_recorded_without_an_english_one(client):
    """A record with only city_ja shows it on a Japanese page, and no empty place on either."""
    FacilityFactory(name="Nano", name_ja="ナノ", city="", city_ja="仙台市")
    FacilityFactory(name="Ring", name_ja="リング", city="", city_ja="")

    japanese = client.get("/embed/facilities/?lang=ja").content.decode()
    english = client.get("/embed/facilities/?lang=en").content.decode()

    assert "仙台市, 日本" in japanese
    assert '<span lang="en"></span>' not in japanese
    assert "仙台市" not in english
