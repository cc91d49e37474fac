"""``?lang=en|ja`` chooses the language of a request's messages, ahead of Accept-Language.

The API, the widgets, oEmbed and the landing page take ``lang`` as a parameter, and it wins
over the browser's ``Accept-Language`` (which Django's LocaleMiddleware reads). This activates
that language for the rest of the request, so every message written while it is answered is
in it: the API's and the widgets' own (api/locale, embed/locale), Django REST framework's
("Not found.", throttling), Django's form and filter errors, the domain's (directory/locale).
``/api/v1/facilities/?contry=JP&lang=ja`` therefore answers its 400 in Japanese whatever
``Accept-Language`` says; the JSON keeps its shape and its field names.

A value that is not a language of the site (``lang=fr``) changes nothing here: the API and
the widgets answer it with a 400 naming ``lang``, in the negotiated language. Right after
LocaleMiddleware (config/settings.py), whose ``Content-Language`` it keeps consistent, and
ahead of the response cache, whose key holds ``request.LANGUAGE_CODE``.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def query_language(request) -> str | None:
    """The site language ``?lang=`` names, or None (absent, or not a language of the site)."""
    value = request.GET.get("lang")
    codes = {code for code, _name in settings.LANGUAGES}
    return value if value in codes else None


class QueryLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = query_language(request)
        if language is not None:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
