"""Request bodies of the API: JSON nested at most ``directory.jsonlimits.MAX_DEPTH`` deep.

DRF's JSONParser turns a ``ValueError`` from ``json`` into a 400 but not the
``RecursionError`` a deeply nested body raises (``'[' * 100_000`` is 100 kB), which became a
500. This parser reads bodies with :func:`directory.jsonlimits.loads`: a body nested deeper
than 64 levels is a 400 saying so (a write body of the API nests 3: the record, its
sources, a source), and so is any other body that is not JSON, worded for a person
(``expecting a value at line 1, column 1``). Form and multipart bodies keep DRF's own
parsers (see REST_FRAMEWORK in config/settings.py).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json as drf_json

from directory import jsonlimits


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSONParser (same media type, same strict NaN/Infinity rule), depth-limited."""

    max_depth = jsonlimits.MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(
                _("JSON parse error - the body is not valid %(encoding)s text.")
                % {"encoding": encoding}
            ) from None
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            return jsonlimits.loads(text, max_depth=self.max_depth, parse_constant=parse_constant)
        except ValueError as error:
            raise ParseError(
                _("JSON parse error - %(problem)s")
                % {"problem": jsonlimits.describe(error, "The body")}
            ) from None
