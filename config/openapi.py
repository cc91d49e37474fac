"""The OpenAPI document's language: English, unless ``?lang=`` asks for another.

The models' verbose names and help texts (field titles and descriptions in the document) and
the choices' labels are marked for translation for the admin (directory/locale). drf-spectacular
builds the document in the request's active language, which LocaleMiddleware takes from
``Accept-Language``: a browser set to Japanese would get a document of Japanese titles among
the API's English descriptions. :class:`SchemaGenerator` builds it in English, as before those
strings were translated, unless the client names a language with drf-spectacular's own
``?lang=`` parameter; either way every lazy text is resolved while that language is active (a
renderer would otherwise read it later, in the request's language).
"""

from __future__ import annotations

from django.utils import translation
from django.utils.functional import Promise
from drf_spectacular import generators


def resolved(value):
    """``value`` with every lazy (translatable) text in it turned into text, now."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return {resolved(key): resolved(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(resolved(item) for item in value)
    return value


class SchemaGenerator(generators.SchemaGenerator):
    """drf-spectacular's generator, in English unless ``?lang=`` (SPECTACULAR_SETTINGS)."""

    def get_schema(self, request=None, public=False):
        if request is not None and request.GET.get("lang"):
            # The view has activated the language asked for (drf-spectacular's ``?lang=``).
            return resolved(super().get_schema(request=request, public=public))
        with translation.override("en"):
            return resolved(super().get_schema(request=request, public=public))
