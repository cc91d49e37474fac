"""The landing page at ``/``: what the directory is, and where each of its faces lives.

It is what ``make run`` prints and the admin's "View site" link: the API and its examples,
both API docs, the widget builder, the Atom feed and the admin. English or Japanese, chosen
by ``?lang=en|ja`` (the page's language switch) or else by the browser's ``Accept-Language``
(Django's LocaleMiddleware), with a matching ``<html lang>`` and ``Content-Language``.

Under the site-wide Content-Security-Policy (its one style sheet is a static file; no script),
it touches no database and no cache, and answers ``Cache-Control: public`` (varying by
``Accept-Language`` and ``Cookie``, which hold the negotiated language) with an ETag
(ConditionalGetMiddleware), so browsers and proxies reuse it.

Here in config/ because it belongs to the whole site, not to the API or the widgets; it names
their pages by URL name only (config/ never imports api/).
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

LANGUAGES = ("en", "ja")
#: Seconds browsers and proxies may reuse the page: it changes only with a deployment.
MAX_AGE = 3600

TEXT = {
    "en": {
        "title": "Facility Directory",
        "subtitle": "研究施設ディレクトリ",
        "lead": (
            "The reference directory of large research facilities (synchrotrons, neutron "
            "sources, fusion devices, accelerators and their peers), the funding programmes "
            "that open them to international teams, and the institutions that run and fund "
            "them: bilingual (English and Japanese), sourced, and open through a documented "
            "REST API."
        ),
        "language": "Language",
        "search": "Search the directory",
        "search_intro": (
            "Researchers, companies and agencies read the public REST API: no account or key "
            "is needed."
        ),
        "api_root": "API root",
        "api_root_text": (
            "Every resource: facilities and their instruments, funding programmes, calls for "
            "proposals, institutions, agreements, techniques, research fields and the sources "
            "records cite, in JSON, CSV, GeoJSON and JSON-LD."
        ),
        "example": "Facilities in Japan",
        "example_text": "An example list, filtered by country.",
        "cross_search": "Search every kind at once",
        "cross_search_text": (
            "One query over every kind: facilities, programmes, calls, institutions, "
            "agreements, techniques, research fields and sources."
        ),
        "docs": "Documentation",
        "swagger_text": "Interactive: every endpoint, filter and format, tried in the browser.",
        "redoc_text": "The same reference as one readable page.",
        "schema": "OpenAPI schema",
        "schema_text": "OpenAPI 3, for client generators.",
        "embed": "Put it on your website",
        "embed_intro": (
            "Partner sites show live listings in English or Japanese; widgets keep themselves "
            "up to date."
        ),
        "builder": "Widget builder",
        "builder_text": (
            "Pick the records and filters, check the live preview, copy the iframe or script "
            "snippet."
        ),
        "feed": "Atom feed of changes",
        "feed_text": "New and updated records, for feed readers.",
        "curate": "Keep it correct",
        "curate_intro": "Curators and editors keep every record bilingual and sourced.",
        "admin": "Administration",
        "admin_text": "Sign in with a staff account.",
        "footer": "Every record cites its sources. Times are in UTC.",
    },
    "ja": {
        "title": "研究施設ディレクトリ",
        "subtitle": "Facility Directory",
        "lead": (
            "大型研究施設（放射光施設、中性子源、核融合装置、加速器など）、それらを国際的な研究"
            "チームに開く資金・利用制度、そして施設を運営・支援する機関のリファレンス・ディレクト"
            "リです。日英二言語で、出典付き、ドキュメント付きの REST API で公開しています。"
        ),
        "language": "言語",
        "search": "ディレクトリを検索する",
        "search_intro": (
            "研究者・企業・機関は公開 REST API で検索できます。アカウントやキーは不要です。"
        ),
        "api_root": "API ルート",
        "api_root_text": (
            "すべてのリソース：研究施設とその装置、資金・利用制度、公募、機関、協定、手法、"
            "研究分野、記録が引用する出典。"
            "JSON・CSV・GeoJSON・JSON-LD 形式。"
        ),
        "example": "日本の研究施設",
        "example_text": "国で絞り込んだ一覧の例（日本語表示）。",
        "cross_search": "横断検索",
        "cross_search_text": (
            "研究施設、資金・利用制度、公募、機関、協定、手法、研究分野、出典のすべてを、"
            "ひとつの検索語でまとめて検索します。"
        ),
        "docs": "ドキュメント",
        "swagger_text": (
            "対話型：すべてのエンドポイント・フィルタ・形式を確認し、ブラウザから試せます。"
        ),
        "redoc_text": "同じリファレンスを読みやすい 1 ページで。",
        "schema": "OpenAPI スキーマ",
        "schema_text": "クライアント生成ツール向けの OpenAPI 3。",
        "embed": "ウェブサイトに掲載する",
        "embed_intro": (
            "パートナーサイトは最新の一覧を日本語または英語で掲載できます。"
            "ウィジェットは自動的に更新されます。"
        ),
        "builder": "ウィジェットビルダー",
        "builder_text": (
            "記録の種類と条件を選び、プレビューを確認して、iframe またはスクリプトのコードを"
            "コピーします。"
        ),
        "feed": "更新情報の Atom フィード",
        "feed_text": "新規・更新された記録をフィードリーダーで。",
        "curate": "記録を整備する",
        "curate_intro": (
            "キュレーターと編集者が、すべての記録を日英二言語・出典付きで管理しています。"
        ),
        "admin": "管理画面",
        "admin_text": "スタッフアカウントでログインします。",
        "footer": "すべての記録に出典があります。時刻は UTC です。",
    },
}


def page_language(request) -> str:
    """``?lang=`` when it names a language of the page, else the negotiated one."""
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    code = (getattr(request, "LANGUAGE_CODE", "") or "").lower()
    return "ja" if code.startswith("ja") else "en"


def link(label: str, href: str, description: str) -> dict:
    return {"label": label, "href": href, "text": description}


def sections(lang: str) -> list[dict]:
    """The page's sections, each with its links (resolved by URL name)."""
    text = TEXT[lang]
    facilities = reverse("facilities-list") + "?country=JP" + ("&lang=ja" if lang == "ja" else "")
    return [
        {
            "id": "search",
            "title": text["search"],
            "intro": text["search_intro"],
            "links": [
                link(text["api_root"], reverse("api-root"), text["api_root_text"]),
                link(text["example"], facilities, text["example_text"]),
                link(
                    text["cross_search"],
                    reverse("search") + "?q=spring8",
                    text["cross_search_text"],
                ),
            ],
        },
        {
            "id": "docs",
            "title": text["docs"],
            "intro": "",
            "links": [
                link("Swagger UI", reverse("swagger-ui"), text["swagger_text"]),
                link("ReDoc", reverse("redoc"), text["redoc_text"]),
                link(text["schema"], reverse("schema"), text["schema_text"]),
            ],
        },
        {
            "id": "embed",
            "title": text["embed"],
            "intro": text["embed_intro"],
            "links": [
                link(text["builder"], reverse("embed:builder"), text["builder_text"]),
                link(text["feed"], reverse("changes-feed"), text["feed_text"]),
            ],
        },
        {
            "id": "curate",
            "title": text["curate"],
            "intro": text["curate_intro"],
            "links": [link(text["admin"], reverse("admin:index"), text["admin_text"])],
        },
    ]


@require_safe
def home(request):
    """The landing page, in the asked or negotiated language (see the module docstring)."""
    lang = page_language(request)
    response = render(
        request,
        "site/home.html",
        {
            "lang": lang,
            "text": TEXT[lang],
            "sections": sections(lang),
            "languages": [
                {"code": "en", "name": "English", "current": lang == "en"},
                {"code": "ja", "name": "日本語", "current": lang == "ja"},
            ],
            "feed": reverse("changes-feed"),
        },
    )
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Content-Language"] = lang
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response
