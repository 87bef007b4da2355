"""What every basic-data record shares: who collected and verified it, where it lies, and
whom it is visible to."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.geo.models import Place


class PeopleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the rows ``user`` may see: under their centre regions, or in their grids.

        Centre staff and administrators see their regions; grid staff (chief, worker, police)
        their grids. Leaders, departments and residents see no one's personal records here.
        """
        from pingan.accounts.scope import scope_for

        access = scope_for(user)
        if access.everything:
            return self
        q = Q()
        for path in access.centre_paths:
            q |= Q(path__startswith=path)
        if access.staff_grid_ids:
            q |= Q(grid_id__in=access.staff_grid_ids)
        return self.filter(q) if q else self.none()


class Collected(Place):
    """Where a record lies (for scoping) and who collected and last verified it (信息格中采)."""

    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collected_at = models.DateTimeField(_("collected"), default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True, db_index=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = PeopleQuerySet.as_manager()

    class Meta:
        abstract = True


def normalise_address(*parts: str) -> str:
    """Return the comparable form of an address: no spaces, full-width digits made ASCII."""
    text = "|".join((p or "").strip() for p in parts)
    text = text.translate(str.maketrans("０１２３４５６７８９－", "0123456789-"))
    return re.sub(r"\s+", "", text).upper()
