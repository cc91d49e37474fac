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
from django.utils.html import format_html, format_html_join
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
)
from directory.freshness import answer_freshness
from directory.kinds import kinds_of_model
from directory.models import DirectoryState, Programme
from embed.listing import (
    DEFAULT_LIMIT,
    LANGUAGES,
    MAX_LIMIT,
    PROVIDER_NAME,
    RESOURCES,
    UI,
    BadParameters,
    build_listing,
    updated_on,
)
from embed.themes import DEFAULT_THEME, THEMES, css_variables

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


def _theme_css() -> str:
    return "\n".join(f".theme-{name} {{ {css_variables(name)} }}" for name in THEMES)


def _cache_headers(response, request, lang: str, model):
    if selectors.shows_drafts(getattr(request, "user", None)):
        response["Cache-Control"] = "private, no-cache"
    else:
        _changed, max_age = answer_freshness(request, model)
        response["Cache-Control"] = f"public, max-age={max_age}"
    response["Vary"] = "Accept-Language, Cookie"
    response["Content-Language"] = lang
    return response


# --- Widgets ----------------------------------------------------------------------------------


@csp(WIDGET_CSP)
@xframe_options_exempt
@require_safe
def widget(request, resource: str):
    """A list of facilities, programmes or calls, filtered as the API filters them."""
    try:
        listing = build_listing(
            resource, request.GET, request, default_lang=_negotiated_language(request)
        )
    except BadParameters as bad:
        lang = request.GET.get("lang")
        lang = lang if lang in LANGUAGES else "en"
        theme = request.GET.get("theme")
        response = render(
            request,
            "embed/error.html",
            {
                "lang": lang,
                "ui": UI[lang],
                "theme": theme if theme in THEMES else DEFAULT_THEME,
                "theme_css": _theme_css(),
                "errors": bad.errors,
            },
            status=400,
        )
        response["Cache-Control"] = "no-cache"
        return response

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
    response = render(
        request,
        "embed/widget.html",
        {
            "listing": listing,
            "lang": listing.lang,
            "ui": UI[listing.lang],
            "theme": listing.theme,
            "theme_css": _theme_css(),
            "title": listing.title(),
            "shown": UI[listing.lang]["shown"].format(
                shown=len(listing.items), total=listing.total
            ),
            "updated": updated_on(
                DirectoryState.for_request(request).changed_at_of(
                    kinds_of_model(listing.resource.model)
                )
            ),
            "api_url": api_url,
            "oembed_url": oembed_url,
            "provider": PROVIDER_NAME,
        },
    )
    return _cache_headers(response, request, listing.lang, listing.resource.model)


# --- Builder ----------------------------------------------------------------------------------


def _choice_options(choices) -> list[tuple[str, str]]:
    return [(value, choice_label(choices, value, "en")) for value in choices.values]


def _builder_fields(resource: str, user) -> list[dict]:
    text = {"type": "text"}
    query = {"name": "q", "label": "Search text", **text, "hint": "e.g. spring8"}
    country = {
        "name": "country",
        "label": "Country codes",
        **text,
        "hint": "ISO codes, comma-separated: JP,GB",
    }
    if resource == "facilities":
        return [
            query,
            country,
            {"name": "kind", "label": "Kind", "options": _choice_options(FacilityKind)},
            {"name": "status", "label": "Status", "options": _choice_options(FacilityStatus)},
        ]
    if resource == "programmes":
        return [
            query,
            country,
            {"name": "kind", "label": "Kind", "options": _choice_options(ProgrammeKind)},
            {"name": "status", "label": "Status", "options": _choice_options(ProgrammeStatus)},
        ]
    programmes = selectors.visible_to(Programme.objects.all(), user).values_list("slug", "name")
    return [
        query,
        country,
        {"name": "programme", "label": "Programme", "options": list(programmes)},
        {"name": "status", "label": "Status", "options": _choice_options(CallStatus)},
    ]


def embed_parameters(resource: str, query: QueryDict, fields: list[dict]) -> list[tuple[str, str]]:
    """The non-empty parameters of the chosen resource's form, filters first (builder order).

    A menu value the resource does not offer (left over from another resource) is dropped.
    """
    pairs = []
    for field in fields:
        value = query.get(field["name"], "").strip()
        if "options" in field and value not in {option for option, _ in field["options"]}:
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
    """Pick a resource and filters, see the live preview, copy the iframe or script snippet."""
    resource = request.GET.get("resource", "facilities")
    if resource not in RESOURCES:
        resource = "facilities"
    user = getattr(request, "user", None)
    fields = {name: _builder_fields(name, user) for name in RESOURCES}
    pairs = embed_parameters(resource, request.GET, fields[resource])
    params = dict(pairs)
    origin = request.build_absolute_uri("/").rstrip("/")
    embed_url = f"{origin}/embed/{resource}/"
    if pairs:
        embed_url += "?" + urlencode(pairs)
    lang = params.get("lang", "en")
    limit = params.get("limit", str(DEFAULT_LIMIT))
    try:
        shown = validators.parse_count(limit, name="limit", maximum=MAX_LIMIT)
    except ValueError:
        shown = DEFAULT_LIMIT  # the snippet is still shown; the widget itself names the error
    height = frame_height(shown)
    title = f"{UI.get(lang, UI['en'])[resource]} · {PROVIDER_NAME}"
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
            "label": UI["en"][name],
            "selected": name == resource,
            "fields": [
                {**field, "value": params.get(field["name"], "") if name == resource else ""}
                for field in fields[name]
            ],
        }
        for name in RESOURCES
    ]
    response = render(
        request,
        "embed/builder.html",
        {
            "theme_css": _theme_css(),
            "resources": resources,
            "resource": resource,
            "lang": params.get("lang", ""),
            "theme": request.GET.get("theme", DEFAULT_THEME),
            "themes": list(THEMES),
            "limit": limit,
            "max_limit": MAX_LIMIT,
            "origin": origin,
            "embed_url": embed_url,
            "height": height,
            "iframe_snippet": iframe,
            "script_snippet": script,
            "provider": PROVIDER_NAME,
            "titles_json": json.dumps({lang: {n: UI[lang][n] for n in RESOURCES} for lang in UI}),
        },
    )
    response["Cache-Control"] = "no-cache"
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
        return _oembed_error("url is required: a /embed/… or /api/v1/… list URL of this site.", 400)
    requested_format = request.GET.get("format", "json")
    if requested_format != "json":
        return _oembed_error(f"format={requested_format} is not offered; use format=json.", 501)
    sizes, errors = {}, []
    for name in ("maxwidth", "maxheight"):
        raw = request.GET.get(name)
        if raw is None:
            continue
        if not raw.isdigit() or int(raw) < 1:
            errors.append(f"{name} must be a positive integer (pixels).")
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
        return _oembed_error(f"No embeddable listing at {url}.", 404)
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
        names = ", ".join(bad.errors)
        return _oembed_error(f"No embeddable listing at {url}: bad parameter(s) {names}.", 404)

    src = request.build_absolute_uri(f"/embed/{resource}/")
    if query:
        src += "?" + query.urlencode()
    width = min(OEMBED_DEFAULT_WIDTH, sizes.get("maxwidth", OEMBED_DEFAULT_WIDTH))
    height = min(frame_height(listing.limit), sizes.get("maxheight", 10_000))
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
