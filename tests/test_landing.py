"""The landing page at / (config/landing.py), through HTTP: both languages, every link, caching.

The browser side (its style sheet under the site-wide policy, the language switch, each link
followed) is in tests/test_browser_pages.py.
"""

from __future__ import annotations

import html
import re
from http import HTTPStatus

import pytest
from django.test import Client

from directory.cross_search import KIND_NAMES
from tests.test_security import assert_site_wide_policy, directives

pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]*)">', response.content.decode()).group(1)


def links(response) -> list[str]:
    """The page's own links (its main part: the sections' links)."""
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    return [html.unescape(href) for href in re.findall(r'<a href="([^"]+)"', main)]


@pytest.mark.parametrize(
    ("headers", "query", "lang", "title"),
    [
        ({}, "", "en", "Facility Directory"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, "", "en", "Facility Directory"),
        ({"HTTP_ACCEPT_LANGUAGE": "ja,en;q=0.5"}, "", "ja", "研究施設ディレクトリ"),
        ({"HTTP_ACCEPT_LANGUAGE": "ja-JP"}, "", "ja", "研究施設ディレクトリ"),
        ({"HTTP_ACCEPT_LANGUAGE": "ja"}, "?lang=en", "en", "Facility Directory"),
        ({}, "?lang=ja", "ja", "研究施設ディレクトリ"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr"}, "?lang=xx", "en", "Facility Directory"),
    ],
)
def test_the_landing_page_speaks_the_asked_or_negotiated_language(
    client, headers, query, lang, title
):
    response = client.get(f"/{query}", **headers)

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert html_lang(response) == lang
    assert response["Content-Language"] == lang
    assert f"<title>{title}</title>" in response.content.decode()
    other = "ja" if lang == "en" else "en"
    assert f'<a href="?lang={other}" hreflang="{other}" lang="{other}">' in (
        response.content.decode()
    )


def test_japanese_page_is_japanese_throughout(client):
    body = client.get("/?lang=ja").content.decode()

    for text in ["ディレクトリを検索する", "ウィジェットビルダー", "管理画面", "言語"]:
        assert text in body
    for english in ["Search the directory", "Widget builder", "Administration"]:
        assert english not in body
    # The English name, marked as English inside the Japanese page.
    assert '<span class="subtitle" lang="en">Facility Directory</span>' in body


def test_every_link_of_the_page_resolves(seed_data):
    anonymous = Client()
    for lang in ("en", "ja"):
        page = anonymous.get(f"/?lang={lang}")
        hrefs = links(page)
        assert hrefs[0] == "/api/v1/"
        expected = {"/api/v1/", "/api/docs/", "/api/redoc/", "/api/schema/", "/embed/"}
        expected |= {"/feeds/changes.atom", "/admin/"}
        assert expected <= set(hrefs), hrefs
        for href in hrefs:
            response = anonymous.get(href, HTTP_ACCEPT="*/*")
            if href == "/admin/":  # staff only: its sign-in page
                assert response.status_code == HTTPStatus.FOUND
                assert response["Location"].startswith("/admin/login/")
                continue
            assert response.status_code == HTTPStatus.OK, (href, response.content[:300])
        # The examples return records, not an empty list.
        example = next(h for h in hrefs if h.startswith("/api/v1/facilities/?country=JP"))
        assert anonymous.get(example).json()["count"] > 0
        search = next(h for h in hrefs if h.startswith("/api/v1/search/"))
        assert anonymous.get(search).json()["results"]


#: How the page names each kind the cross-kind search covers, in English and in Japanese.
SEARCHED_KINDS = {
    "facility": ("facilities", "研究施設"),
    "programme": ("programmes", "資金・利用制度"),
    "call": ("calls", "公募"),
    "institution": ("institutions", "機関"),
    "agreement": ("agreements", "協定"),
    "technique": ("techniques", "手法"),
    "field": ("research fields", "研究分野"),
    "source": ("sources", "出典"),
}


def link_text(response, prefix: str) -> str:
    """The description under the page's link whose address starts with ``prefix``."""
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
    for item in re.findall(r"<li>(.*?)</li>", main, flags=re.S):
        href = re.search(r'<a href="([^"]+)"', item).group(1)
        if html.unescape(href).startswith(prefix):
            return html.unescape(re.search(r"<p>(.*?)</p>", item, flags=re.S).group(1))
    raise AssertionError(f"no link to {prefix}")


def test_the_cross_search_link_names_every_kind_it_covers(client):
    """The search covers every kind of directory.cross_search: the page says so in both
    languages (a kind added there fails here until the page names it)."""
    assert set(SEARCHED_KINDS) == set(KIND_NAMES)
    for column, lang in enumerate(("en", "ja")):
        said = link_text(client.get(f"/?lang={lang}"), "/api/v1/search/")
        missing = [kind for kind, words in SEARCHED_KINDS.items() if words[column] not in said]
        assert missing == [], (lang, said)


def test_the_page_needs_no_database_and_is_cacheable(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")

    assert response["Cache-Control"] == "public, max-age=3600"
    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary
    etag = response["ETag"]
    again = client.get("/", HTTP_ACCEPT_LANGUAGE="ja", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == HTTPStatus.NOT_MODIFIED
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert english["ETag"] != etag


def test_the_page_has_the_site_wide_policy_and_no_inline_code(client):
    response = client.get("/")

    assert_site_wide_policy(directives(response))
    assert response["X-Frame-Options"] == "DENY"
    body = response.content.decode()
    assert "<script" not in body
    assert "<style" not in body and "style=" not in body
    assert re.search(r'<link rel="stylesheet" href="/static/site/home\.css">', body)
    assert client.get("/static/site/home.css").status_code == HTTPStatus.OK


def test_only_safe_methods(client):
    assert client.head("/").status_code == HTTPStatus.OK
    assert client.post("/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_the_admins_view_site_link_leads_to_the_landing_page(admin_client):
    body = admin_client.get("/admin/").content.decode()

    assert re.search(r'<a href="/">View site</a>', body), "the admin's 'View site' link"
