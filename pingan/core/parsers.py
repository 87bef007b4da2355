"""The API's JSON parser: DRF's, with a size and a nesting limit.

Its own module, not in ``core.api``: DRF reads DEFAULT_PARSER_CLASSES when ``rest_framework.views``
is first imported, which ``core.api`` does.
"""

from __future__ import annotations

import codecs

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers
from rest_framework.utils.json import strict_constant

from pingan.core import safe_json


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the limits Django puts on form posts.

    DRF reads a JSON body straight from the stream, past DATA_UPLOAD_MAX_MEMORY_SIZE, and
    Python's parser recurses once per nesting level (a thousand brackets: RecursionError, a
    500). Here a body over the size limit raises RequestDataTooBig (a 413 from
    ``core.api.exception_handler``) and one nested deeper than :data:`safe_json.MAX_DEPTH` is
    a parse error (400).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestDataTooBig
        try:
            text = codecs.decode(raw, encoding)
            parse_constant = strict_constant if self.strict else None  # rejects NaN
            return safe_json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
