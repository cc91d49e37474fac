"""Error answers for the whole site: JSON for the API, and 503 while the database is down.

Here in config/ (not api/) because the whole site shares them: the root URL configuration's
``handler404`` and ``handler500``, the readiness probe, the read-replica router, the NUL
character guard and the rate limit use these constants and helpers, and config/ never imports
api/ (the layering contracts in pyproject.toml).

An unreachable database is an outage, not a bug: whatever meets it (a view, a serializer, a
middleware before the view such as sessions, authentication or the response cache) ends in
Django's ``handler500``, which answers 503 with ``Retry-After`` here instead of a 500. The
rule for which exceptions mean "the database is unavailable" is :func:`database_unavailable`.
Nothing has to reset afterwards: a failed connection is dropped (Django's health checks,
``conn_health_checks=True``), and the next request connects again. With DEBUG=true Django
shows its debug page instead and never calls ``handler500`` (development only).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.log import log_response

#: Seconds a client is asked to wait before trying again while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5

#: What the database driver raises when the server cannot be reached or drops the connection
#: (refused, terminated by an administrator or a restart, too many clients, a lost socket;
#: for SQLite a locked or unopenable file, or a missing table: a database not migrated yet is
#: not ready either). Django wraps every driver error in these classes. IntegrityError,
#: DataError and ProgrammingError stay 500s: retrying would not help, the code must change.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)

#: Paths whose clients read JSON (the API, the probes, oEmbed); everything else gets HTML.
JSON_PATH_PREFIXES = ("/api/", "/healthz", "/readyz", "/oembed")

#: The 503 page's own policy: nothing but its inline styles; a widget's page stays framable
#: by the partner page that embeds it, every other page by nobody.
UNAVAILABLE_PAGE_CSP = (
    "frame-ancestors {ancestors}; default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

UNAVAILABLE_TEXT = {
    "en": ("Temporarily unavailable", "Please try again in a few seconds."),
    "ja": ("一時的に利用できません", "しばらくしてから、もう一度お試しください。"),
}
UNAVAILABLE_PAGE = (
    '<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title></head>"
    '<body style="font-family: system-ui, sans-serif; margin: 1rem; color: #333">'
    '<p style="margin: 0"><strong>{title}</strong></p><p style="margin: 0.25rem 0 0">{hint}</p>'
    "</body></html>\n"
)


#: The longest URL (path and query string, as sent) the app reads: longer is a 414 naming
#: this limit. gunicorn itself refuses nothing by length (config/gunicorn.py,
#: ``limit_request_line = 0``: its own ceiling, 8,190 bytes, would answer a plain-text 400
#: before the app could say why); a proxy in front should allow at least as much.
MAX_URL_LENGTH = 16_384


def json_path(request) -> bool:
    return request.path.startswith(JSON_PATH_PREFIXES)


def url_too_long(request) -> HttpResponse | None:
    """A 414 (JSON on API paths, plain text elsewhere) naming MAX_URL_LENGTH when the URL as
    sent is longer; None otherwise."""
    path = request.META.get("RAW_URI") or request.get_full_path()
    if len(path) <= MAX_URL_LENGTH:
        return None
    detail = (
        f"The URL is {len(path)} characters long; this server reads at most {MAX_URL_LENGTH}. "
        "Shorten the query (fewer or shorter parameter values)."
    )
    body = {"detail": detail, "limit": MAX_URL_LENGTH}
    if json_path(request):
        return JsonResponse(body, status=414)
    return HttpResponse(detail, status=414, content_type="text/plain; charset=utf-8")


#: The largest header field (name, ": " and value) and the most header fields the app reads:
#: more is a 431 naming the limit. gunicorn refuses neither (config/gunicorn.py: its own
#: ceilings, 8,190 bytes and 100 fields, would answer a plain-text 400 first); a proxy in front
#: should allow at least as much.
MAX_HEADER_FIELD_SIZE = 16_384
MAX_HEADER_FIELDS = 100


def headers_too_large(request) -> HttpResponse | None:
    """A 431 (JSON on API paths, plain text elsewhere) naming the limit when a header field is
    larger than MAX_HEADER_FIELD_SIZE or there are more than MAX_HEADER_FIELDS; None otherwise.
    The WSGI environ holds each header once (repeats joined by commas), as gunicorn passes it."""
    fields = {
        key: value
        for key, value in request.META.items()
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")
    }
    # A field's size as sent: its name, ": " and its value.
    sizes = {
        key: len(key.removeprefix("HTTP_")) + 2 + len(str(value)) for key, value in fields.items()
    }
    largest = max(sizes, key=sizes.get, default=None)
    if largest and sizes[largest] > MAX_HEADER_FIELD_SIZE:
        name = largest.removeprefix("HTTP_").replace("_", "-").title()
        detail = (
            f"The header {name} is {sizes[largest]} bytes long; this server reads header "
            f"fields of at most {MAX_HEADER_FIELD_SIZE} bytes."
        )
        limit = MAX_HEADER_FIELD_SIZE
    elif len(fields) > MAX_HEADER_FIELDS:
        detail = (
            f"The request has {len(fields)} header fields; this server reads at most "
            f"{MAX_HEADER_FIELDS}."
        )
        limit = MAX_HEADER_FIELDS
    else:
        return None
    if json_path(request):
        return JsonResponse({"detail": detail, "limit": limit}, status=431)
    return HttpResponse(detail, status=431, content_type="text/plain; charset=utf-8")


class RefuseLongUrlsMiddleware:
    """Answers a URL longer than MAX_URL_LENGTH (414) or header fields over their limits (431)
    with the limit named, before any other work."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return url_too_long(request) or headers_too_large(request) or self.get_response(request)


def bad_request(request, exception=None):
    """Django's ``handler400`` (a request Django cannot read: a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many form fields or files, a bad host…): JSON naming the
    limit on API paths, Django's page elsewhere. A body too large is a 413."""
    if not json_path(request):
        from django.views.defaults import bad_request as html_bad_request

        return html_bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse(
            {
                "detail": f"The request body is larger than {limit} bytes, the most this "
                "server reads (DATA_UPLOAD_MAX_MEMORY_SIZE).",
                "limit": limit,
            },
            status=413,
        )
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return JsonResponse(
            {"detail": f"The request has more than {limit} fields.", "limit": limit},
            status=400,
        )
    if isinstance(exception, TooManyFilesSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return JsonResponse(
            {"detail": f"The request has more than {limit} files.", "limit": limit},
            status=400,
        )
    return JsonResponse({"detail": "The request could not be read (bad request)."}, status=400)


def not_found(request, exception=None):
    """JSON 404 for unknown /api/ paths; the usual page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"No such resource: {request.path}"}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    """503 when the database is unreachable; otherwise JSON 500 for the API, the page elsewhere.

    Django calls this inside its ``except`` block, so the exception is ``sys.exc_info()``.
    No stack trace ever leaves the server.
    """
    error = sys.exc_info()[1]
    if database_unavailable(error):
        return database_unavailable_response(request, error)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "The server failed to answer this request; it has been logged."},
            status=500,
        )
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request)


def database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` means the database cannot be used right now (rather than a bug).

    Follows explicit chains (``raise … from error``), so a library that re-raises a lost
    connection as its own exception still counts.
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, DATABASE_UNAVAILABLE_ERRORS):
            return True
        seen.add(id(error))
        error = error.__cause__
    return False


def database_unavailable_response(request, error: BaseException | None = None) -> HttpResponse:
    """503 with ``Retry-After``: JSON for API clients and probes, a short neutral page elsewhere.

    Logs one line per request naming the failure (no stack trace: during an outage every
    request would repeat the same one), and marks the answer logged so Django adds no other.
    """
    # An error may say better what is busy (directory.services.feed.WritersBusy).
    detail = getattr(error, "public_detail", None) or (
        "The database is unavailable; the directory cannot answer right now. "
        f"Please retry in {DATABASE_RETRY_AFTER_SECONDS} seconds."
    )
    if json_path(request):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        response = notice_page(request, 503, UNAVAILABLE_TEXT)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    # An outage page must never be kept by a browser, a proxy or the response cache.
    add_never_cache_headers(response)
    log_response(
        "database unavailable, answered 503: %s %s (%s)",
        request.method,
        request.path,
        describe_error(error),
        response=response,
        request=request,
        level="error",
    )
    return response


def notice_page(request, status: int, texts: dict[str, tuple[str, str]]) -> HttpResponse:
    """A short neutral page (``texts``: title and hint per language, "en" and "ja"), framable
    on widget pages only, under its own Content-Security-Policy (the 503 above, the 429 of
    the rate limit on widget pages: config.throttles)."""
    lang = request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", "en") or "en"
    lang = "ja" if lang.lower().startswith("ja") else "en"
    title, hint = texts[lang]
    page = UNAVAILABLE_PAGE.format(lang=lang, title=title, hint=hint)
    response = HttpResponse(page, status=status, content_type="text/html; charset=utf-8")
    framable = request.path.startswith("/embed/")
    if framable:
        # A partner's iframe shows this short note instead of a refused frame.
        response.xframe_options_exempt = True
    # Set here, so the site-wide policy (which forbids inline styles) leaves it alone.
    response["Content-Security-Policy"] = UNAVAILABLE_PAGE_CSP.format(
        ancestors="*" if framable else "'none'"
    )
    return response


def describe_error(error: BaseException | None) -> str:
    """The exception's class and the first line of its message, for one-line log entries."""
    if error is None:
        return "no exception"
    message = str(error).strip().splitlines()
    return f"{error.__class__.__name__}: {message[0] if message else ''}".rstrip(": ")
