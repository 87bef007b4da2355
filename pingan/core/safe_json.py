"""JSON from outside, read with a limit on nesting: deep input is an error, never a crash.

Python's parser recurses once per level: about a thousand nested brackets (2 kB) raise
RecursionError, which no caller expects; a little less parses, then breaks whatever walks the
result later (a serializer, ``json.dumps`` when the row is saved). :func:`loads` answers both
with the :class:`json.JSONDecodeError` every caller already handles.
"""

from __future__ import annotations

import json
from typing import Any

# Deeper than any document the project reads (a GeoJSON MultiPolygon in a FeatureCollection is 7).
MAX_DEPTH = 64


def depth_of(value: Any, limit: int = MAX_DEPTH) -> int:
    """Return how deeply lists and dicts nest in ``value`` (stopping once past ``limit``)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """Return ``data`` parsed; raise JSONDecodeError if it nests deeper than ``max_depth``."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        value = None
        too_deep = True
    else:
        too_deep = depth_of(value, max_depth) > max_depth
    if too_deep:
        raise json.JSONDecodeError(f"nested deeper than {max_depth} levels", text[:100], 0)
    return value
