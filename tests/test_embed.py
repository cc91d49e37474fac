"""Embeddable widgets (/embed/…), their builder, widget.js and oEmbed (issue 5)."""

from __future__ import annotations

import datetime
import re
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from directory import choices
from embed.themes import CONTRAST_PAIRS, THEMES, contrast
from tests.factories import CallFactory, FacilityFactory, ProgrammeFactory, country

pytestmark = pytest.mark.django_db

HOST = "localhost"


@pytest.fixture
def client():
    return Client(HTTP_HOST=HOST)


def names_in(response) -> list[str]:
    """The record names of a widget page, in order (the text of each item's link)."""
    html = response.content.decode()
    links = re.findall(r'<h2><a href="[^"]*"[^>]*>(.*?)</a>', html)
    return [
        re.sub(r"<[^>]+>", "", re.sub(r'<span class="visually-hidden">.*?</span>', "", link))
        for link in links
    ]


# --- Facilities -------------------------------------------------------------------------


def test_facilities_widget_applies_the_api_filters(client):
    FacilityFactory(name="Tokyo Ring", country=country("JP"))
    FacilityFactory(name="Oxford Ring", country=country("GB"))
    FacilityFactory(
        name="Oxford Reactor",
        country=country("GB"),
        kind=choices.FacilityKind.RESEARCH_REACTOR,
    )
    FacilityFactory(
        name="Oxford Future", country=country("GB"), status=choices.FacilityStatus.PLANNED
    )

    response = client.get("/embed/facilities/?country=GB&kind=synchrotron&status=operational")

    assert response.status_code == 200
    assert names_in(response) == ["Oxford Ring"]
    assert client.get("/embed/facilities/?country=gb").status_code == 200
    assert names_in(client.get("/embed/facilities/?country=JP,GB&kind=research_reactor")) == [
        "Oxford Reactor"
    ]


def test_each_item_links_out_to_the_record_website(client):
    FacilityFactory(name="Linked Ring", website="https://ring.example.org/")
    FacilityFactory(name="Unlinked Ring", slug="unlinked-ring", website="")

    html = client.get("/embed/facilities/").content.decode()

    assert '<a href="https://ring.example.org/" target="_blank" rel="noopener">' in html
    # Without a website, the record's public API page.
    assert 'href="http://localhost/api/v1/facilities/unlinked-ring/"' in html


def test_lang_ja_shows_japanese_names_and_falls_back_to_english(client):
    FacilityFactory(name="Alpha Ring", name_ja="アルファリング", country=country("JP"))
    FacilityFactory(name="Beta Ring", name_ja="", country=country("JP"))

    response = client.get("/embed/facilities/?lang=ja")
    html = response.content.decode()

    assert response["Content-Language"] == "ja"
    assert '<html lang="ja"' in html
    assert "アルファリング" in html
    assert "Alpha Ring" not in html
    # The English fallback is marked as English inside the Japanese page.
    assert '<span lang="en">Beta Ring</span>' in html
    assert "研究施設" in html
    assert "放射光施設" in html  # the kind label in Japanese
    assert "日本" in html  # the country name in Japanese
    english = client.get("/embed/facilities/?lang=en").content.decode()
    assert '<html lang="en"' in english
    assert "Alpha Ring" in english
    assert "アルファリング" not in english


def test_lang_defaults_to_accept_language(client):
    FacilityFactory(name="Alpha Ring", name_ja="アルファリング")

    html = client.get("/embed/facilities/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert '<html lang="ja"' in html
    assert "アルファリング" in html


def test_theme_dark_changes_the_theme_class(client):
    FacilityFactory()

    light = client.get("/embed/facilities/").content.decode()
    dark = client.get("/embed/facilities/?theme=dark").content.decode()

    assert 'class="theme-light"' in light
    assert 'class="theme-dark"' in dark
    assert ":focus-visible" in dark
    assert "outline:" in dark


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_theme_colours_meet_wcag_aa(theme):
    palette = THEMES[theme]
    for foreground, background, minimum in CONTRAST_PAIRS:
        ratio = contrast(palette[foreground], palette[background])
        assert ratio >= minimum, f"{theme}: {foreground} on {background} is {ratio:.2f}:1"


def test_limit_caps_the_items(client):
    for number in range(12):
        FacilityFactory(name=f"Ring {number:02d}")

    assert len(names_in(client.get("/embed/facilities/"))) == 10  # the default
    response = client.get("/embed/facilities/?limit=3")
    assert names_in(response) == ["Ring 00", "Ring 01", "Ring 02"]
    assert "3 of 12" in response.content.decode()
    assert len(names_in(client.get("/embed/facilities/?limit=50"))) == 12


def test_record_text_is_escaped(client):
    FacilityFactory(name="<script>alert(1)</script>", city='"><img src=x onerror=alert(2)>')
    ProgrammeFactory(name="<script>alert(3)</script>")
    CallFactory(name="<script>alert(4)</script>")

    for resource in ("facilities", "programmes", "calls"):
        html = client.get(f"/embed/{resource}/").content.decode()
        assert "<script" not in html
        assert "<img" not in html
    html = client.get("/embed/facilities/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_unpublished_records_never_appear(client):
    FacilityFactory(name="Public Ring")
    FacilityFactory(name="Draft Ring", is_published=False)
    ProgrammeFactory(name="Public Programme")
    draft_programme = ProgrammeFactory(name="Draft Programme", is_published=False)
    CallFactory(name="Public Call")
    CallFactory(name="Draft Call", is_published=False)
    CallFactory(name="Call Of Draft Programme", programme=draft_programme)

    assert names_in(client.get("/embed/facilities/")) == ["Public Ring"]
    programmes = names_in(client.get("/embed/programmes/"))
    assert "Draft Programme" not in programmes
    assert names_in(client.get("/embed/calls/")) == ["Public Call"]
    assert "Draft" not in client.get("/embed/calls/?q=draft").content.decode()


# --- Programmes and calls -------------------------------------------------------------------


def test_programmes_widget_filters_and_shows_labels(client):
    joint = ProgrammeFactory(name="UK Japan Joint", name_ja="日英共同")
    joint.countries.set([country("GB"), country("JP")])
    ProgrammeFactory(name="Closed Scheme", status=choices.ProgrammeStatus.CLOSED)

    response = client.get("/embed/programmes/?country=GB&lang=ja")

    assert response.status_code == 200
    assert names_in(response) == ["日英共同"]
    html = response.content.decode()
    assert "英国" in html
    assert names_in(client.get("/embed/programmes/?status=closed")) == ["Closed Scheme"]


def test_calls_widget_filters_by_status_and_shows_the_deadline_in_the_funder_time_zone(client):
    now = timezone.now()
    deadline = datetime.datetime(2099, 5, 1, 8, 0, tzinfo=datetime.UTC)  # 17:00 in Tokyo
    programme = ProgrammeFactory(name="Quantum Programme", name_ja="量子プログラム")
    programme.countries.set([country("GB")])
    CallFactory(
        name="Open Call",
        name_ja="公募A",
        programme=programme,
        closes_at=deadline,
        deadline_timezone="Asia/Tokyo",
        url="https://funder.example.org/call-a",
    )
    CallFactory(
        name="Closed Call",
        programme=programme,
        opens_on=(now - datetime.timedelta(days=60)).date(),
        closes_at=now - datetime.timedelta(days=1),
    )
    CallFactory(
        name="Upcoming Call",
        programme=programme,
        opens_on=(now + datetime.timedelta(days=10)).date(),
        closes_at=now + datetime.timedelta(days=40),
    )
    CallFactory(name="Elsewhere Call", closes_at=now + datetime.timedelta(days=5))

    response = client.get("/embed/calls/?status=open&country=GB")

    assert names_in(response) == ["Open Call"]
    html = response.content.decode()
    assert '<a href="https://funder.example.org/call-a"' in html
    # One date style per language (embed.dates), in the funder's time zone.
    assert (
        'Deadline: <time datetime="2099-05-01T17:00:00+09:00">1 May 2099, 17:00 (Asia/Tokyo)'
        "</time>" in html
    )
    assert 'class="status status-open"' in html
    assert "Quantum Programme" in html

    every = client.get("/embed/calls/?country=GB").content.decode()
    assert "status-closed" in every
    assert "status-upcoming" in every

    japanese = client.get("/embed/calls/?status=open&country=GB&lang=ja").content.decode()
    assert "公募A" in japanese
    assert "公募中" in japanese
    assert "締切：<time" in japanese
    assert "2099年5月1日 17:00（Asia/Tokyo）</time>" in japanese
    assert "制度：量子プログラム" in japanese


# --- Parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ("/embed/facilities/?country=XX", ["country"]),
        ("/embed/facilities/?kind=spaceship&status=flying", ["kind", "status"]),
        ("/embed/facilities/?lang=fr", ["lang"]),
        ("/embed/facilities/?theme=neon", ["theme"]),
        ("/embed/facilities/?limit=0", ["limit"]),
        ("/embed/facilities/?limit=51", ["limit"]),
        ("/embed/facilities/?limit=ten", ["limit"]),
        ("/embed/facilities/?colour=red&format=csv", ["colour", "format"]),
        ("/embed/facilities/?near=1,2", ["radius_km"]),
        ("/embed/programmes/?active_on=yesterday", ["active_on"]),
        ("/embed/calls/?status=sleeping", ["status"]),
        ("/embed/calls/?closes_before=soon&limit=-1", ["closes_before", "limit"]),
    ],
)
def test_bad_parameters_give_a_400_page_naming_them(client, path, bad):
    response = client.get(path)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    named = re.findall(r"<dt>([^<]+)</dt>", html)
    assert named == sorted(bad)
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response


def test_unknown_widget_is_a_404(client):
    assert client.get("/embed/institutions/").status_code == 404


# --- Framing, caching, attribution ------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/embed/facilities/", "/embed/programmes/", "/embed/calls/", "/embed/"],
)
def test_embed_pages_may_be_framed_anywhere(client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors *" in policy
    assert "default-src 'none'" in policy
    assert "X-Frame-Options" not in response


def test_widgets_run_no_script_and_load_nothing_external(client):
    FacilityFactory()
    response = client.get("/embed/facilities/")
    html = response.content.decode()

    assert "script-src" not in response["Content-Security-Policy"]
    assert "<script" not in html
    assert not re.search(r'(?:src|href)="https?://(?!localhost/)', html.split("<body>")[0])
    assert '<link rel="stylesheet"' not in html


@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/", "/api/v1/facilities/"])
def test_the_admin_and_the_api_still_refuse_framing(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


def test_attribution_links_to_the_api_list_and_gives_the_update_date(client):
    FacilityFactory()
    from directory.models import DirectoryState
    from embed.dates import format_date

    updated = DirectoryState.current().changed_at.astimezone(datetime.UTC).date()

    html = client.get("/embed/facilities/?country=JP&limit=5&lang=ja").content.decode()

    assert (
        '<a href="http://localhost/api/v1/facilities/?country=JP&amp;lang=ja" '
        'target="_blank" rel="noopener">データ提供：<span lang="en">Facility Directory</span></a>'
        in html
    )
    assert (
        f'更新：<time datetime="{updated.isoformat()}">{format_date(updated, "ja")}</time>' in html
    )
    english = client.get("/embed/facilities/").content.decode()
    assert 'Data from <span lang="en">Facility Directory</span>' in english
    assert (
        f'· <span class="updated">updated <time datetime="{updated.isoformat()}">'
        f"{format_date(updated, 'en')}</time>" in english
    )
    # The day the API's Last-Modified gives for the same list (the script widget shows it).
    api = client.get("/api/v1/facilities/")
    assert parsedate_to_datetime(api["Last-Modified"]).date() == updated


def test_widget_advertises_its_oembed_endpoint(client):
    html = client.get("/embed/calls/?status=open").content.decode()

    expected = "http://localhost/oembed?url=" + quote(
        "http://localhost/embed/calls/?status=open", safe=""
    )
    assert (
        f'<link rel="alternate" type="application/json+oembed" href="{expected}&amp;format=json"'
        in html
    )


def test_widgets_are_publicly_cacheable(client):
    response = client.get("/embed/facilities/")

    assert response["Cache-Control"].startswith("public, max-age=")
    assert "Accept-Language" in response["Vary"]


# --- Builder ------------------------------------------------------------------------------------


def test_builder_renders_a_preview_and_both_snippets(client):
    response = client.get("/embed/?resource=calls&country=GB&lang=ja")

    assert response.status_code == 200
    html = response.content.decode()
    src = "http://localhost/embed/calls/?country=GB&amp;lang=ja"
    assert f'<iframe id="preview" class="preview" src="{src}"' in html
    # The snippets are shown as text, exactly as they are to be pasted.
    assert (
        "&lt;script src=&quot;http://localhost/embed/widget.js&quot; data-resource=&quot;calls"
        "&quot; data-country=&quot;GB&quot; data-lang=&quot;ja&quot; async&gt;&lt;/script&gt;"
    ) in html
    assert "&lt;iframe src=&quot;http://localhost/embed/calls/?country=GB&amp;amp;lang=ja" in html
    assert '<script src="/embed/builder.js" defer></script>' in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-src 'self'" in policy
    # Only the chosen resource's filters are submitted.
    assert '<fieldset class="filters" data-resource="calls">' in html
    assert '<fieldset class="filters" data-resource="facilities" disabled hidden>' in html


def test_builder_drops_values_the_resource_does_not_offer(client):
    html = client.get(
        "/embed/?resource=programmes&kind=synchrotron&theme=dark&limit=5"
    ).content.decode()

    assert 'src="http://localhost/embed/programmes/?theme=dark&amp;limit=5"' in html


def test_builder_escapes_what_it_echoes(client):
    html = client.get('/embed/?q="><script>alert(1)</script>').content.decode()

    assert "<script>alert(1)" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


# --- Scripts -------------------------------------------------------------------------------------


def test_widget_js_is_served_cross_origin(client):
    response = client.get("/embed/widget.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert b"data-resource" in response.content


def test_builder_js_is_served(client):
    response = client.get("/embed/builder.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"


# --- oEmbed ------------------------------------------------------------------------------------


def test_oembed_for_a_widget_url(client):
    url = "http://localhost/embed/calls/?country=GB&lang=ja&limit=5"

    response = client.get("/oembed", {"url": url, "format": "json"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["version"] == "1.0"
    assert data["type"] == "rich"
    assert data["provider_name"] == "Facility Directory"
    assert data["provider_url"] == "http://localhost/embed/"
    assert data["title"] == "公募 · Facility Directory"
    assert data["html"] == (
        '<iframe src="http://localhost/embed/calls/?country=GB&amp;lang=ja&amp;limit=5" '
        f'width="{data["width"]}" height="{data["height"]}" title="公募 · Facility Directory" '
        'style="border:0" loading="lazy"></iframe>'
    )
    assert isinstance(data["width"], int)
    assert isinstance(data["height"], int)


def test_oembed_for_an_api_list_url_and_size_limits(client):
    url = "http://localhost/api/v1/facilities/?country=JP&format=json&offset=20&limit=100"

    data = client.get("/oembed", {"url": url, "maxwidth": "300", "maxheight": "200"}).json()

    assert data["width"] == 300
    assert data["height"] == 200
    assert 'src="http://localhost/embed/facilities/?country=JP&amp;limit=50"' in data["html"]
    assert data["title"] == "Research facilities · Facility Directory"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),
        ({"url": ""}, 400),
        ({"url": "http://localhost/embed/calls/", "format": "xml"}, 501),
        ({"url": "http://localhost/embed/calls/", "maxwidth": "wide"}, 400),
        ({"url": "http://localhost/embed/calls/", "maxheight": "0"}, 400),
        ({"url": "http://elsewhere.example/embed/calls/"}, 404),
        ({"url": "https://localhost.evil.example/embed/calls/"}, 404),
        ({"url": "http://localhost/embed/institutions/"}, 404),
        ({"url": "http://localhost/admin/"}, 404),
        ({"url": "javascript:alert(1)//localhost/embed/calls/"}, 404),
        ({"url": "http://localhost/embed/calls/?status=sleeping"}, 404),
    ],
)
def test_oembed_refuses_what_it_cannot_embed(client, query, status):
    response = client.get("/oembed", query)

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]
