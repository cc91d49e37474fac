"""The language of a request: ``?lang=`` first, then Accept-Language, else English."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

SUPPORTED = ("en", "ja")


def request_language(request) -> str:
    """``en`` or ``ja``; an unsupported ``lang`` value is a 400, not a silent fallback."""
    explicit = request.query_params.get("lang")
    if explicit is not None:
        if explicit not in SUPPORTED:
            message = _("'%(value)s' is not supported: use en or ja.") % {"value": explicit}
            raise ValidationError({"lang": [message]})
        return explicit
    negotiated = getattr(request, "LANGUAGE_CODE", "en") or "en"
    return "ja" if negotiated.lower().startswith("ja") else "en"
