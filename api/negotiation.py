"""Content negotiation that names the choices: an unknown ``?format=`` is a 400, an
``Accept`` header no renderer of the endpoint can satisfy a 406, each with a JSON body listing
what the endpoint offers."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotAcceptable, ValidationError
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

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            offered = ", ".join(renderer.media_type for renderer in renderers)
            message = _(
                "The Accept header asks for a format this endpoint does not offer. "
                "Offered: %(offered)s (or ?format=%(formats)s)."
            ) % {"offered": offered, "formats": "|".join(r.format for r in renderers)}
            raise NotAcceptable(message) from None
