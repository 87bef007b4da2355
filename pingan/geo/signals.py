"""Keep the in-memory locate() index in step with the grids and villages in the database."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from pingan.geo import locate
from pingan.geo.models import Grid, Region


@receiver(post_save, sender=Grid)
@receiver(post_delete, sender=Grid)
@receiver(post_save, sender=Region)
@receiver(post_delete, sender=Region)
def grids_changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    locate.invalidate()
