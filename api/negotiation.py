"""Content negotiation that answers an unknown ``?format=`` with a 400 naming the choices."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation


class DirectoryContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = ", ".join(renderer.format for renderer in renderers)
            message = _("'%(format)s' is not offered here: use %(offered)s.") % {
                "format": format,
                "offered": offered,
            }
            raise ValidationError({"format": [message]})
        return matching
