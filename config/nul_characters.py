"""NUL characters in a request's address or cookies: a 400 naming where, before any view.

PostgreSQL refuses NUL (0x00) in text, so a NUL that reaches a query is a 500 there (on SQLite
it merely matches nothing): ``/api/v1/institutions/?ror_id=%00``, an admin list filter, a
session cookie ``"…\\000…"`` (Python's cookie parser decodes the octal escape). Every view
checks its parameters its own way (API viewsets and filtersets, the search and changes
views, the iCalendar feed, the embed widgets and oEmbed, the admin), so the one place all
of them pass is here, ahead of the session, the authentication and the response cache:

* a query parameter whose name or value holds a NUL: 400 naming it
  (:func:`nul_character_errors`);
* a NUL in the path (``/api/v1/facilities/a%00b/``): 400;
* a cookie holding a NUL: 400 naming the cookie, which the browser should drop.

The answer is JSON where clients read JSON (``config.errors.JSON_PATH_PREFIXES``: the API,
oEmbed, the probes), in the API's shape (``{"parameter": ["message"]}``, or ``{"detail": …}``
for the path or a cookie), and plain text elsewhere. Request headers need no check: gunicorn
refuses a NUL in any header line before Django sees the request.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from config.errors import JSON_PATH_PREFIXES

PATH_MESSAGE = "The path of the address contains a NUL character (%00), which no page has."
COOKIE_MESSAGE = "The cookie {name} contains a NUL character; delete it and try again."
NUL_CHARACTER_MESSAGE = "Contains a NUL character (%00), which no parameter accepts."


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        detail, errors = self.problems(request)
        if detail or errors:
            return self.refuse(request, detail, errors)
        return self.get_response(request)

    @staticmethod
    def problems(request) -> tuple[str, dict[str, list[str]]]:
        """(a message about the path or a cookie, or ""; the parameters with a NUL)."""
        detail = ""
        if "\x00" in request.path:
            detail = PATH_MESSAGE
        else:
            for name, value in request.COOKIES.items():
                if "\x00" in name or "\x00" in value:
                    detail = COOKIE_MESSAGE.format(name=printable(name))
                    break
        query_string = request.META.get("QUERY_STRING", "")
        errors = {}
        if "%00" in query_string or "\x00" in query_string:
            errors = nul_character_errors(request.GET)
        return detail, errors

    @staticmethod
    def refuse(request, detail: str, errors: dict[str, list[str]]) -> HttpResponse:
        if request.path.startswith(JSON_PATH_PREFIXES):
            return JsonResponse({"detail": detail} if detail else errors, status=400)
        lines = [detail] if detail else []
        lines += [f"Parameter {printable(name)}: {' '.join(text)}" for name, text in errors.items()]
        return HttpResponse(
            "Bad request.\n" + "\n".join(lines) + "\n",
            status=400,
            content_type="text/plain; charset=utf-8",
        )


def nul_character_errors(query) -> dict[str, list[str]]:
    """A 400 body entry for every parameter of ``query`` (a QueryDict) with a NUL in it.

    In its name or in any of its values: PostgreSQL refuses NUL in text, so such a value
    would fail in the database (a 500) where it should match nothing, and no parameter of
    the site has a use for one.
    """
    return {
        name: [NUL_CHARACTER_MESSAGE]
        for name, values in sorted(query.lists())
        if "\x00" in name or any("\x00" in value for value in values)
    }


def printable(name: str) -> str:
    """A name with its NUL characters shown as ``%00``."""
    return name.replace("\x00", "%00")
