"""The project's URLs plus ``POST /bench/baseline/``: a bare authenticated view that inserts one
event row, the floor ``bench/intake.py`` compares the real intake with."""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

_PLACE: dict = {}


def _place() -> dict:
    """Return the fields of grid01's grid, looked up once per process."""
    if not _PLACE:
        from pingan.geo.models import Grid

        grid = Grid.objects.select_related("region").get(code="513999001001001")
        _PLACE.update(
            region_id=grid.region_id,
            grid_id=grid.pk,
            path=grid.region.path,
            county_code=grid.region.path.strip("/").split("/")[0],
        )
    return _PLACE


@csrf_exempt
@require_POST
def baseline(request: HttpRequest) -> JsonResponse:
    """Check the API token, insert one event row, answer its id: nothing else."""
    from pingan.accounts.tokens import token_for_key
    from pingan.events.models import Event

    key = request.headers.get("Authorization", "").removeprefix("Token ").strip()
    token = token_for_key(key)
    if token is None or not token.user.is_active:
        return JsonResponse({"detail": "not authenticated"}, status=401)
    data = json.loads(request.body)
    event = Event.objects.create(
        number=f"BENCH-{uuid.uuid4().hex[:18]}",
        description=data["description"],
        channel=Event.Channel.GRID_WORKER,
        client_key=data.get("client_key", ""),
        source_key=f"bench:{token.user_id}",
        reporter=token.user,
        lng=data["lng"],
        lat=data["lat"],
        located_by=Event.LocatedBy.GRID,
        **_place(),
    )
    return JsonResponse({"id": event.pk, "number": event.number}, status=201)


urlpatterns = [
    path("bench/baseline/", baseline, name="bench-baseline"),
    path("", include("pingan.urls")),
]
