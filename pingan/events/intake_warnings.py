"""What a reporter is told about a report that was filed but not as they may think.

Intake never refuses a report for its place (nothing is lost); when the point lies outside the
county, the report is kept and the reporter is warned, on the page that answers the report
and in the API's answer. The warning is kept in the report's first timeline entry
(``data["warnings"]``), so a repeated submission (the same client key) is warned again.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

# The point lies in no grid and near no village: the chosen village, else the county centre.
POINT_OUTSIDE = "point_outside"


def intake_warnings(event, entries: Iterable | None = None) -> list[dict[str, str]]:
    """Return the warnings of the event's report as ``[{"code", "message"}]`` (often empty).

    ``entries`` are the event's timeline entries if already loaded; else they are read.
    """
    for entry in event.timeline.all() if entries is None else entries:
        if entry.action == "report":
            data = entry.data or {}
            return [
                {"code": code, "message": _message(code, data)}
                for code in data.get("warnings", ())
                if code == POINT_OUTSIDE
            ]
    return []


def _message(code: str, data: dict) -> str:
    point = data.get("point") or ("?", "?")
    where = {"lng": _coordinate(point[0]), "lat": _coordinate(point[1])}
    if data.get("located_by") == "village":
        return (
            _(
                "The position %(lng)s, %(lat)s lies outside the county: the report was filed "
                "in the chosen village, and the position is kept with it."
            )
            % where
        )
    return (
        _(
            "The position %(lng)s, %(lat)s lies outside the county: the report went to the "
            "county centre, which will decide where it lies. If you know the village, say so "
            "in a message on the event."
        )
        % where
    )


def _coordinate(value) -> str:
    try:
        return f"{float(value):.5f}"
    except (TypeError, ValueError):
        return str(value)
