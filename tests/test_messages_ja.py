"""The domain's and the tokens' error messages in Japanese, through HTTP.

The validators (directory.validators), the models' rules (their constraints' messages and
``clean()``), the list filters and the search limits (directory.filtersets, directory.search)
and the API tokens' messages (api.authentication, api.token_views, api.tokens) answer in the
request's language: Japanese under ``Accept-Language: ja`` or ``?lang=ja``
(directory/locale, api/locale), and, without them, the very English they answered before.
What the write services store (reasons, change events) stays English whatever the language.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client
from rest_framework.test import APIClient

from api import tokens
from api.models import ApiToken
from directory.models import ChangeEvent, Facility
from tests.factories import api_token
from tests.test_api_write import facility_payload
from tests.test_tokens import TOKENS, signed_in, staff_user, with_token

pytestmark = pytest.mark.django_db

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
LONG_QUERY = "x" * 201
MANY_WORDS = " ".join(f"word{number}" for number in range(9))


@pytest.fixture
def client() -> Client:
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def curator(django_user_model) -> APIClient:
    """A curator's token client (as tests.test_api_write makes one)."""
    user = staff_user(django_user_model, "carol", "curator")
    return with_token(api_token(user))


# --- the write API: validators and the models' rules ------------------------------------------

WRITE_ERRORS = [
    # directory.validators (a model field's validator, run by the write service's full_clean())
    (
        {"sources": [{"source": "no-such-report", "locator": "p. 1"}]},
        {"sources": ["Source 1 cites no-such-report, which is not a source record."]},
        {"sources": ["出典 1 が示す no-such-report は出典として登録されていません。"]},
    ),
    (
        {"sources": [{"source": "no-such-report"}]},
        {"sources": ["Source 1 needs a locator (where in the source: a line, a page)."]},
        {"sources": ["出典 1 には出典内の位置（行、ページなど）が必要です。"]},
    ),
    # a constraint's message (lazy), checked by the service's full_clean()
    (
        {"latitude": 95},
        {"latitude": ["Latitude must be between -90 and 90 degrees."]},
        {"latitude": ["緯度は -90〜90 度の範囲にしてください。"]},
    ),
    # a constraint's message composed of a label and a sentence (format_lazy)
    (
        {"construction_cost": "100", "construction_cost_currency": ""},
        {
            "construction_cost_currency": [
                "Construction cost needs a currency (ISO 4217, e.g. JPY, GBP, EUR)."
            ]
        },
        {
            "construction_cost_currency": [
                "建設費には通貨の指定が必要です（ISO 4217。例：JPY、GBP、EUR）。"
            ]
        },
    ),
    (
        {"first_operation_year": 1800},
        {"first_operation_year": ["The year of first operation must be between 1900 and 2100."]},
        {"first_operation_year": ["運転開始年は 1900〜2100 の範囲にしてください。"]},
    ),
]


@pytest.mark.parametrize(("overrides", "english", "japanese"), WRITE_ERRORS)
def test_a_write_refused_by_a_rule_answers_in_the_asked_language(
    curator, overrides, english, japanese
):
    url = "/api/v1/facilities/"
    payload = facility_payload(**overrides)

    plain = curator.post(url, payload, format="json")
    by_header = curator.post(url, payload, format="json", **JA)
    by_parameter = curator.post(f"{url}?lang=ja", payload, format="json")

    assert plain.status_code == by_header.status_code == by_parameter.status_code == 400
    assert plain.json() == english  # as before the translations, word for word
    assert by_header.json() == by_parameter.json() == japanese
    assert by_header["Content-Language"] == "ja"
    assert not Facility.objects.exists()


def test_a_ror_id_refused_by_its_validator_in_japanese(curator):
    payload = {"slug": "tohoku", "name": "Tohoku University", "kind": "university"}
    payload |= {"country": "JP", "ror_id": "01dq60k84"}  # the checksum of 01dq60k83 is 83

    english = curator.post("/api/v1/institutions/", payload, format="json")
    japanese = curator.post("/api/v1/institutions/", payload, format="json", **JA)

    assert english.json() == {
        "ror_id": ["01dq60k84 is not a valid ROR id: its checksum digits do not match."]
    }
    assert japanese.json() == {
        "ror_id": ["01dq60k84 は有効な ROR ID ではありません：チェックサムの数字が一致しません。"]
    }


def test_a_japanese_write_still_stores_english(curator):
    response = curator.post("/api/v1/facilities/", facility_payload(), format="json", **JA)

    assert response.status_code == HTTPStatus.CREATED, response.json()
    events = ChangeEvent.objects.filter(slug="test-light-source")
    reasons = list(events.values_list("reason", flat=True))
    assert reasons == ["Created through the API (POST /api/v1/facilities/)"]
    history = Facility.history.get(slug="test-light-source")
    assert history.history_change_reason == reasons[0]


# --- counts: the changes feed and the widgets ----------------------------------------------------


def test_the_changes_feed_names_a_bad_limit_in_japanese(api):
    english = api.get("/api/v1/changes/?limit=0")
    by_header = api.get("/api/v1/changes/?limit=0", **JA)
    by_parameter = api.get("/api/v1/changes/?limit=0&lang=ja")

    assert english.status_code == by_header.status_code == by_parameter.status_code == 400
    assert english.json() == {"limit": ["limit must be an integer from 1 to 500."]}
    assert by_header.json() == {"limit": ["limit は 1〜500 の整数にしてください。"]}
    # The feed takes no lang parameter: named (in Japanese too), next to the limit.
    assert by_parameter.json()["limit"] == by_header.json()["limit"]
    assert set(by_parameter.json()) == {"lang", "limit"}
    assert not any(message.isascii() for message in by_parameter.json()["lang"])


def widget_errors(response) -> list[tuple[str, str, str]]:
    """(parameter, lang attribute of its message or "", message) of a widget's error page."""
    html = response.content.decode()
    return re.findall(r"<dt>([^<]+)</dt>\s*<dd(?: lang=\"([a-z]+)\")?>([^<]+)</dd>", html)


def test_a_widget_names_a_bad_limit_in_japanese(client):
    english = client.get("/embed/facilities/?limit=999")
    japanese = client.get("/embed/facilities/?limit=999&lang=ja")

    assert english.status_code == japanese.status_code == 400
    assert widget_errors(english) == [("limit", "", "limit must be an integer from 1 to 50.")]
    # Translated, so not marked as English on the Japanese page.
    assert widget_errors(japanese) == [("limit", "", "limit は 1〜50 の整数にしてください。")]
    assert japanese["Content-Language"] == "ja"


# --- search limits and filters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "english", "japanese"),
    [
        (
            f"/api/v1/facilities/?q={LONG_QUERY}",
            "A search may be at most 200 characters long (this one has 201).",
            "検索語は 200 文字までです（この検索語は 201 文字です）。",
        ),
        (
            f"/api/v1/search/?q={LONG_QUERY}",
            "A search may be at most 200 characters long (this one has 201).",
            "検索語は 200 文字までです（この検索語は 201 文字です）。",
        ),
        (
            f"/api/v1/programmes/?q={MANY_WORDS}",
            "A search may have at most 8 different words (this one has 9).",
            "検索語に含められる異なる単語は 8 個までです（この検索語には 9 個あります）。",
        ),
    ],
)
def test_a_search_too_long_is_refused_in_japanese(api, path, english, japanese):
    plain = api.get(path)
    by_parameter = api.get(f"{path}&lang=ja")
    by_header = api.get(path, **JA)

    assert plain.status_code == by_parameter.status_code == by_header.status_code == 400
    assert plain.json() == {"q": [english]}
    assert by_parameter.json() == by_header.json() == {"q": [japanese]}


def test_a_widget_search_too_long_is_refused_in_japanese(client):
    response = client.get(f"/embed/facilities/?q={LONG_QUERY}&lang=ja")

    assert response.status_code == 400
    assert widget_errors(response) == [
        ("q", "", "検索語は 200 文字までです（この検索語は 201 文字です）。")
    ]


FILTER_ERRORS = {
    "/api/v1/facilities/?country=ZZ": {
        "country": ["'ZZ' is not an ISO 3166-1 alpha-2 country code (e.g. JP, GB)."]
    },
    "/api/v1/facilities/?near=91,0&radius_km=5": {"near": ["Latitude must be between -90 and 90."]},
    "/api/v1/facilities/?near=35.6,139.7": {"radius_km": ["radius_km is required with near."]},
    "/api/v1/facilities/?bbox=129,30,146": {
        "bbox": [
            "Expected 4 comma-separated numbers: min_lon,min_lat,max_lon,max_lat, "
            "e.g. 129,30,146,46."
        ]
    },
    "/api/v1/facilities/?updated_since=yesterday": {
        "updated_since": ["'yesterday' is not a date (YYYY-MM-DD) or date-time (ISO 8601)."]
    },
    "/api/v1/facilities/?status=dreaming": {
        "status": [
            "'dreaming' is not one of: planned, under_construction, commissioning, "
            "operational, upgrading, closed."
        ]
    },
    "/api/v1/institutions/?parent=a%20b": {
        "parent": ["'a b' is not a slug (letters, digits, hyphens)."]
    },
}


@pytest.mark.parametrize("path", FILTER_ERRORS)
def test_filter_errors_are_japanese_and_unchanged_in_english(api, path):
    english = api.get(path)
    japanese = api.get(f"{path}&lang=ja")

    assert english.status_code == japanese.status_code == 400
    assert english.json() == FILTER_ERRORS[path]
    assert list(japanese.json()) == list(english.json())
    for messages in japanese.json().values():
        assert messages and not any(message.isascii() for message in messages), messages


def test_a_filter_error_in_japanese_word_for_word(api):
    response = api.get("/api/v1/facilities/?bbox=129,30,146&country=ZZ,JP", **JA)

    assert response.json() == {
        "country": ["「ZZ」は ISO 3166-1 alpha-2 の国コードではありません（例：JP、GB）。"],
        "bbox": [
            "カンマ区切りの数値を 4 個指定してください："
            "min_lon,min_lat,max_lon,max_lat（例：129,30,146,46）。"
        ],
    }


# --- API tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "fd_" + "0" * 64,  # the shape of a key, but no token's
        "not*a*key",  # refused before knox looks it up
    ],
)
def test_a_refused_token_is_a_japanese_401(key):
    english = with_token(key).get(TOKENS)
    japanese = with_token(key).get(TOKENS, **JA)

    assert english.status_code == japanese.status_code == HTTPStatus.UNAUTHORIZED
    assert english.json() == {"detail": "Invalid, expired or revoked token."}
    assert japanese.json() == {"detail": "無効、期限切れ、または失効したトークンです。"}
    assert japanese["Content-Language"] == "ja"


def test_a_write_with_a_revoked_token_is_a_japanese_401(django_user_model):
    key = api_token(staff_user(django_user_model, "carol", "curator"))
    ApiToken.objects.all().delete()

    response = with_token(key).post("/api/v1/facilities/?lang=ja", {}, format="json")

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json() == {"detail": "無効、期限切れ、または失効したトークンです。"}


def test_the_token_endpoints_refuse_in_japanese(django_user_model):
    session = signed_in(staff_user(django_user_model, "eddie"))

    too_long = session.post(TOKENS, {"name": "ci", "expires_in_days": 9999}, format="json")
    unknown = session.post(TOKENS, {"name": "ci", "colour": "red"}, format="json", **JA)
    missing = session.delete(f"{TOKENS}fd_nothing/", **JA)
    too_long_ja = session.post(TOKENS, {"name": "ci", "expires_in_days": 9999}, format="json", **JA)

    assert too_long.json() == {"expires_in_days": ["At most 90 days on this server."]}
    assert too_long_ja.json() == {"expires_in_days": ["このサーバーでは最長 90 日です。"]}
    assert unknown.json() == {
        "colour": ["不明なフィールドです。使えるもの：expires_in_days, name。"]
    }
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert missing.json() == {"detail": "fd_nothing で始まるトークンはありません。"}


def test_one_token_too_many_is_refused_in_japanese(django_user_model):
    user = staff_user(django_user_model, "eddie")
    for number in range(tokens.MAX_LIVE_PER_USER):
        tokens.issue(user, f"script {number}")
    session = signed_in(user)

    english = session.post(TOKENS, {"name": "one more"}, format="json")
    japanese = session.post(TOKENS, {"name": "one more"}, format="json", **JA)

    assert english.status_code == japanese.status_code == HTTPStatus.CONFLICT
    assert english.json() == {
        "detail": "eddie holds 50 tokens that have not expired, the most one user may hold: "
        "revoke those no longer used first."
    }
    assert japanese.json() == {
        "detail": "eddie は期限切れでないトークンを 50 個持っています。"
        "これは 1 人が持てる上限です：先に、使わなくなったトークンを失効させてください。"
    }
