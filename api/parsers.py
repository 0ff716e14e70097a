"""The API's JSON parser: DRF's, answering 400 to every body it cannot turn into plain data.

DRF's parser answers 400 to malformed JSON, but JSON nested deeper than Python's parser can recurse (a
RecursionError after about 1,000 levels of `[`) escaped as a 500, and a number beyond a float's range
(1e309) was read as infinity. This one refuses both, and any nesting deeper than MAX_JSON_DEPTH, so that
no view or serializer sees such data. The body's size is bounded before parsing: DRF reads a JSON body
through request.body, which enforces DATA_UPLOAD_MAX_MEMORY_SIZE (answered 413 by api.errors).

It is settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]'s JSON parser; a view that lists its parsers
names this class (not rest_framework.parsers.JSONParser).
"""

import codecs
import math
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

# No request of this API nests deeper than 4 levels (a visit, its pests, one pest); 32 leaves room for
# any client's JSON while keeping far from the recursion limit of whatever walks the data afterwards.
MAX_JSON_DEPTH = 32


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            data = json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=json.strict_constant if self.strict else None,
                parse_float=_finite_float,
            )
        except RecursionError:
            raise ParseError(too_deep_message()) from None
        except _NumberOutOfRange as exc:
            raise ParseError(
                _("JSON parse error: the number %(number)s is out of range.") % {"number": exc.args[0][:40]}
            ) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None  # DRF's own wording
        if depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(too_deep_message())
        return data


def too_deep_message() -> str:
    return _("JSON parse error: the data is nested more than %(max)d levels deep.") % {"max": MAX_JSON_DEPTH}


class _NumberOutOfRange(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e309 and beyond: float() gives infinity, not an error
        raise _NumberOutOfRange(text)
    return value


def depth_exceeds(data: Any, limit: int) -> bool:
    """True when lists and dicts nest more than `limit` deep in `data`. Iterative (no recursion), one visit
    per list or dict."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
