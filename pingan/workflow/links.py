"""Links from workflow rows (accountability records, deadlines) to the items they point at."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType


def attach_item_urls(rows: Iterable, user) -> None:
    """Set ``row.item_url`` on each row with a generic key to the page of its item.

    One query per kind of item; an item the user may not open (outside their scope, or with
    no page) gets an empty URL, so the row shows its number without a dead link.
    """
    rows = list(rows)
    ids: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        ids[row.content_type_id].add(row.object_id)
    urls: dict[tuple[int, int], str] = {}
    for type_id, pks in ids.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or not hasattr(model, "get_absolute_url"):
            continue
        manager = model._default_manager
        items = manager.visible_to(user) if hasattr(manager, "visible_to") else manager.none()
        for item in items.filter(pk__in=pks):
            urls[(type_id, item.pk)] = item.get_absolute_url()
    for row in rows:
        row.item_url = urls.get((row.content_type_id, row.object_id), "")
