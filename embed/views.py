"""Embeddable listings for partner websites: iframe widgets, their builder, widget.js, oEmbed.

Only these pages may be framed by other sites (``Content-Security-Policy: frame-ancestors *``
and no ``X-Frame-Options``); everything else keeps Django's ``X-Frame-Options: DENY`` and the
site-wide policy's ``frame-ancestors 'none'``. Each view declares its whole policy with
django-csp's ``@csp`` decorator, which replaces the site-wide one (config/settings.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from csp.decorators import csp
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from directory import selectors, validators
from directory.choices import (
    CallStatus,
    FacilityKind,
    FacilityStatus,
    ProgrammeKind,
    ProgrammeStatus,
    choice_label,
    localised,
)
from directory.freshness import answer_freshness
from directory.models import Programme
from embed.dates import format_date, updated_date
from embed.listing import (
    DEFAULT_LIMIT,
    LANGUAGES,
    MAX_LIMIT,
    RESOURCES,
    BadParameters,
    build_listing,
)
from embed.themes import DEFAULT_THEME, THEMES, css_variables
from embed.words import PROVIDER_NAME, words

#: The widgets: framable anywhere, no script, styles inline, images only as data: URLs.
WIDGET_CSP = {
    "frame-ancestors": ["*"],
    "default-src": ["'none'"],
    "style-src": ["'unsafe-inline'"],
    "img-src": ["data:"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
}
#: The builder also runs its own script (/embed/builder.js), frames the preview and submits
#: its form to itself.
BUILDER_CSP = {
    **WIDGET_CSP,
    "script-src": ["'self'"],
    "frame-src": ["'self'"],
    "form-action": ["'self'"],
}
STATIC_DIR = Path(__file__).resolve().parent / "static" / "embed"
SCRIPT_MAX_AGE = 300
OEMBED_DEFAULT_WIDTH = 560
OEMBED_PATH = re.compile(r"^/(?:embed|api/v1)/(facilities|programmes|calls)/$")
#: API list parameters that mean nothing to a widget (dropped when an API URL is embedded).
API_ONLY_PARAMETERS = ("format", "offset", "fields", "facets")


def frame_height(limit: int) -> int:
    """A comfortable iframe height for ``limit`` items (the widget scrolls beyond it)."""
    return min(140 + 56 * limit, 720)


def _negotiated_language(request) -> str:
    code = getattr(request, "LANGUAGE_CODE", "en") or "en"
    return "ja" if code.lower().startswith("ja") else "en"


def page_language(request) -> str:
    """The language of a widget or builder page: ``?lang=`` when it is en or ja, else the
    browser's (Accept-Language, through LocaleMiddleware), else English."""
    requested = request.GET.get("lang")
    return requested if requested in LANGUAGES else _negotiated_language(request)


def _theme_css() -> str:
    return "\n".join(f".theme-{name} {{ {css_variables(name)} }}" for name in THEMES)


def _cache_headers(response, request, lang: str, max_age: int):
    if selectors.shows_drafts(getattr(request, "user", None)):
        response["Cache-Control"] = "private, no-cache"
    else:
        response["Cache-Control"] = f"public, max-age={max_age}"
    response["Vary"] = "Accept-Language, Cookie"
    response["Content-Language"] = lang
    return response


def _message_language(message: str, page_lang: str) -> str:
    """The language of a message shown on a ``page_lang`` page: a Japanese page shows a
    message no catalogue translates (all ASCII) in English, marked as such."""
    return "en" if page_lang == "ja" and message.isascii() else page_lang


# --- Widgets ----------------------------------------------------------------------------------


@csp(WIDGET_CSP)
@xframe_options_exempt
@require_safe
def widget(request, resource: str):
    """A list of facilities, programmes or calls, filtered as the API filters them.

    Everything it says is in the page's language (``?lang=``, else Accept-Language): its
    words (embed.words), its dates (embed.dates) and its 400 messages.
    """
    lang = page_language(request)
    with translation.override(lang):
        try:
            listing = build_listing(resource, request.GET, request, default_lang=lang)
        except BadParameters as bad:
            return _bad_parameters(request, bad, lang)
        return _widget_page(request, resource, listing)


def _bad_parameters(request, bad: BadParameters, lang: str):
    theme = request.GET.get("theme")
    errors = {
        name: [(message, _message_language(str(message), lang)) for message in messages]
        for name, messages in bad.errors.items()
    }
    response = render(
        request,
        "embed/error.html",
        {
            "lang": lang,
            "ui": words(lang),
            "theme": theme if theme in THEMES else DEFAULT_THEME,
            "theme_css": _theme_css(),
            "errors": errors,
        },
        status=400,
    )
    response["Cache-Control"] = "no-cache"
    response["Content-Language"] = lang
    return response


def _widget_page(request, resource: str, listing):
    api_query = listing.filters.copy()
    if listing.explicit_lang:
        api_query["lang"] = listing.lang
    api_url = request.build_absolute_uri(f"/api/v1/{resource}/")
    if api_query:
        api_url += "?" + api_query.urlencode()
    self_url = request.build_absolute_uri()
    oembed_url = (
        request.build_absolute_uri("/oembed") + "?" + urlencode({"url": self_url, "format": "json"})
    )
    ui = words(listing.lang)
    # The moment the API's Last-Modified gives for the same list (the script widget shows it).
    changed, max_age = answer_freshness(request, listing.resource.model)
    updated = updated_date(changed)
    provider = format_html('<span lang="en">{}</span>', PROVIDER_NAME)
    response = render(
        request,
        "embed/widget.html",
        {
            "listing": listing,
            "lang": listing.lang,
            "ui": ui,
            "theme": listing.theme,
            "theme_css": _theme_css(),
            "title": listing.title(),
            "shown": ui["shown"].format(shown=len(listing.items), total=listing.total),
            "credit": format_html(ui["credit"], provider=provider),
            "updated": format_html(
                ui["updated"],
                date=format_html(
                    '<time datetime="{}">{}</time>',
                    updated.isoformat(),
                    format_date(updated, listing.lang),
                ),
            ),
            "api_url": api_url,
            "oembed_url": oembed_url,
            "provider": PROVIDER_NAME,
        },
    )
    return _cache_headers(response, request, listing.lang, max_age)


# --- Builder ----------------------------------------------------------------------------------


def _choice_options(choices, lang: str) -> list[tuple[str, str]]:
    return [(value, choice_label(choices, value, lang)) for value in choices.values]


SEARCH_TEXT = gettext_lazy("Search text")
SEARCH_HINT = gettext_lazy("e.g. spring8")
COUNTRY_CODES = gettext_lazy("Country codes")
COUNTRY_HINT = gettext_lazy("ISO codes, comma-separated: JP,GB")
KIND, STATUS, PROGRAMME = (
    pgettext_lazy("widget builder", "Kind"),
    pgettext_lazy("widget builder", "Status"),
    pgettext_lazy("widget builder", "Programme"),
)
THEME_NAMES = {
    "light": pgettext_lazy("widget builder", "Light"),
    "dark": pgettext_lazy("widget builder", "Dark"),
}


def _builder_fields(resource: str, user, lang: str) -> list[dict]:
    """The filters of one resource's form, labelled in ``lang`` (the page's language)."""
    text = {"type": "text"}
    query = {"name": "q", "label": SEARCH_TEXT, **text, "hint": SEARCH_HINT}
    country = {"name": "country", "label": COUNTRY_CODES, **text, "hint": COUNTRY_HINT}
    if resource == "facilities":
        return [
            query,
            country,
            {"name": "kind", "label": KIND, "options": _choice_options(FacilityKind, lang)},
            {"name": "status", "label": STATUS, "options": _choice_options(FacilityStatus, lang)},
        ]
    if resource == "programmes":
        return [
            query,
            country,
            {"name": "kind", "label": KIND, "options": _choice_options(ProgrammeKind, lang)},
            {"name": "status", "label": STATUS, "options": _choice_options(ProgrammeStatus, lang)},
        ]
    programmes = [
        (slug, localised(name, name_ja, lang))
        for slug, name, name_ja in selectors.visible_to(Programme.objects.all(), user).values_list(
            "slug", "name", "name_ja"
        )
    ]
    return [
        query,
        country,
        {
            "name": "programme",
            "label": PROGRAMME,
            "options": programmes,
        },
        {"name": "status", "label": STATUS, "options": _choice_options(CallStatus, lang)},
    ]


def embed_parameters(resource: str, query: QueryDict, fields: list[dict]) -> list[tuple[str, str]]:
    """The non-empty parameters of the chosen resource's form, filters first (builder order).

    A menu value the resource does not offer (left over from another resource) is dropped.
    """
    pairs = []
    for field in fields:
        value = query.get(field["name"], "").strip()
        if "options" in field and value not in {option for option, _label in field["options"]}:
            value = ""
        pairs.append((field["name"], value))
    lang = query.get("lang", "")
    lang = lang if lang in LANGUAGES else ""
    theme = query.get("theme", DEFAULT_THEME)
    theme = theme if theme in THEMES else DEFAULT_THEME
    limit = query.get("limit", str(DEFAULT_LIMIT)).strip()
    pairs += [
        ("lang", lang),
        ("theme", "" if theme == DEFAULT_THEME else theme),
        ("limit", "" if limit == str(DEFAULT_LIMIT) else limit),
    ]
    return [(name, value) for name, value in pairs if value]


@csp(BUILDER_CSP)
@xframe_options_exempt
@require_safe
def builder(request):
    """Pick a resource and filters, see the live preview, copy the iframe or script snippet.

    The page speaks the language of ``?lang=`` (which is also the widget's) or else the
    browser's; the snippets' titles are in the widget's language.
    """
    page_lang = page_language(request)
    with translation.override(page_lang):
        return _builder_page(request, page_lang)


def _builder_page(request, page_lang: str):
    resource = request.GET.get("resource", "facilities")
    if resource not in RESOURCES:
        resource = "facilities"
    user = getattr(request, "user", None)
    fields = {name: _builder_fields(name, user, page_lang) for name in RESOURCES}
    pairs = embed_parameters(resource, request.GET, fields[resource])
    params = dict(pairs)
    origin = request.build_absolute_uri("/").rstrip("/")
    embed_url = f"{origin}/embed/{resource}/"
    if pairs:
        embed_url += "?" + urlencode(pairs)
    widget_lang = params.get("lang", "en")
    limit = params.get("limit", str(DEFAULT_LIMIT))
    try:
        shown = validators.parse_count(limit, name="limit", maximum=MAX_LIMIT)
    except ValueError:
        shown = DEFAULT_LIMIT  # the snippet is still shown; the widget itself names the error
    height = frame_height(shown)
    titles = {lang: {name: words(lang)[name] for name in RESOURCES} for lang in LANGUAGES}
    title = f"{titles[widget_lang][resource]} · {PROVIDER_NAME}"
    iframe = format_html(
        '<iframe src="{}" title="{}" width="100%" height="{}" style="border:0" '
        'loading="lazy"></iframe>',
        embed_url,
        title,
        height,
    )
    attributes = format_html_join("", ' data-{}="{}"', [("resource", resource), *pairs])
    script = format_html('<script src="{}/embed/widget.js"{} async></script>', origin, attributes)
    resources = [
        {
            "name": name,
            "label": titles[page_lang][name],
            "selected": name == resource,
            "fields": [
                {**field, "value": params.get(field["name"], "") if name == resource else ""}
                for field in fields[name]
            ],
        }
        for name in RESOURCES
    ]
    theme = request.GET.get("theme", DEFAULT_THEME)
    response = render(
        request,
        "embed/builder.html",
        {
            "lang": page_lang,
            "theme_css": _theme_css(),
            "resources": resources,
            "resource": resource,
            "widget_lang": params.get("lang", ""),
            "theme": theme if theme in THEMES else DEFAULT_THEME,
            "themes": [(name, THEME_NAMES.get(name, name)) for name in THEMES],
            "limit": limit,
            "max_limit": MAX_LIMIT,
            "origin": origin,
            "embed_url": embed_url,
            "height": height,
            "iframe_snippet": iframe,
            "script_snippet": script,
            "provider": PROVIDER_NAME,
            "titles_json": json.dumps(titles, ensure_ascii=False),
        },
    )
    response["Cache-Control"] = "no-cache"
    response["Content-Language"] = page_lang
    response["Vary"] = "Accept-Language, Cookie"
    return response


# --- Scripts ----------------------------------------------------------------------------------


def _script(name: str, *, cross_origin: bool) -> HttpResponse:
    try:
        body = (STATIC_DIR / name).read_bytes()
    except FileNotFoundError:
        raise Http404(f"{name} is not installed") from None
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    if cross_origin:
        response["Access-Control-Allow-Origin"] = "*"
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
def widget_js(request):
    """The script partners paste: it turns its own data-* attributes into a widget."""
    return _script("widget.js", cross_origin=True)


@require_safe
def builder_js(request):
    """The builder page's own script (live preview, snippets, copy buttons)."""
    return _script("builder.js", cross_origin=False)


# --- oEmbed -----------------------------------------------------------------------------------


def _oembed_error(detail: str, status: int) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def oembed(request):
    """oEmbed 1.0 (https://oembed.com/) for widget URLs and API list URLs of this host."""
    url = request.GET.get("url", "").strip()
    if not url:
        return _oembed_error(
            _("url is required: a /embed/… or /api/v1/… list URL of this site."), 400
        )
    requested_format = request.GET.get("format", "json")
    if requested_format != "json":
        return _oembed_error(
            _("format=%(format)s is not offered; use format=json.") % {"format": requested_format},
            501,
        )
    sizes, errors = {}, []
    for name in ("maxwidth", "maxheight"):
        raw = request.GET.get(name)
        if raw is None:
            continue
        if not raw.isdigit() or int(raw) < 1:
            errors.append(_("%(name)s must be a positive integer (pixels).") % {"name": name})
        else:
            sizes[name] = int(raw)
    if errors:
        return _oembed_error(" ".join(errors), 400)

    parts = urlsplit(url)
    match = OEMBED_PATH.match(parts.path)
    if (
        parts.scheme not in ("http", "https")
        or parts.netloc.lower() != request.get_host().lower()
        or match is None
    ):
        return _oembed_error(_("No embeddable listing at %(url)s.") % {"url": url}, 404)
    resource = match.group(1)
    query = QueryDict(parts.query, mutable=True)
    if parts.path.startswith("/api/"):
        for name in API_ONLY_PARAMETERS:
            query.pop(name, None)
        limit = query.get("limit", "")
        if limit.isdigit() and int(limit) > MAX_LIMIT:
            query["limit"] = str(MAX_LIMIT)
    try:
        listing = build_listing(resource, query, request, fetch=False)
    except BadParameters as bad:
        message = _("No embeddable listing at %(url)s: bad parameter(s) %(names)s.") % {
            "url": url,
            "names": ", ".join(bad.errors),
        }
        return _oembed_error(message, 404)

    src = request.build_absolute_uri(f"/embed/{resource}/")
    if query:
        src += "?" + query.urlencode()
    width = min(OEMBED_DEFAULT_WIDTH, sizes.get("maxwidth", OEMBED_DEFAULT_WIDTH))
    height = min(frame_height(listing.limit), sizes.get("maxheight", 10_000))
    with translation.override(listing.lang):
        title = f"{listing.title()} · {PROVIDER_NAME}"
    html = format_html(
        '<iframe src="{}" width="{}" height="{}" title="{}" style="border:0" '
        'loading="lazy"></iframe>',
        src,
        width,
        height,
        title,
    )
    response = JsonResponse(
        {
            "version": "1.0",
            "type": "rich",
            "provider_name": PROVIDER_NAME,
            "provider_url": request.build_absolute_uri("/embed/"),
            "title": title,
            "html": str(html),
            "width": width,
            "height": height,
            "cache_age": settings.API_CACHE_MAX_AGE,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={settings.API_CACHE_MAX_AGE}"
    return response
