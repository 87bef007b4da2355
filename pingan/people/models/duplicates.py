"""ID numbers registered again outside the registrar's scope, kept for the centre to resolve."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.geo.models import Place
from pingan.people.models.records import (
    Household,
    Resident,
)


class DuplicateQuerySet(models.QuerySet):
    def visible_to(self, user) -> DuplicateQuerySet:
        """Return the submissions ``user`` may resolve: centre staff who see both records.

        A grid worker never sees them, nor does a centre that sees only one side: the point
        is that nobody learns where a number is kept outside their own scope.
        """
        from pingan.accounts.scope import scope_for

        access = scope_for(user)
        if access.everything:
            return self
        if not access.centre_paths:
            return self.none()
        here = Q()
        there = Q()
        for path in access.centre_paths:
            here |= Q(path__startswith=path)
            there |= Q(existing__path__startswith=path)
        return self.filter(here, there)


class DuplicateSubmission(Place):
    """A resident registered with an ID number already kept outside the registrar's scope.

    The registrar is told only that the centre will check the number; what they entered is
    kept here (encrypted like a resident's numbers) until centre staff who see both records
    resolve it: the kept record moves to the registrar's grid, or the submission is dismissed.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting the centre's check")
        MOVED = "moved", _("Record moved to the registering grid")
        DISMISSED = "dismissed", _("Dismissed: the kept record stays")

    class Source(models.TextChoices):
        PAGE = "page", _("Household page")
        API = "api", _("API")
        IMPORT = "import", _("Excel import")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    existing = models.ForeignKey(
        Resident,
        verbose_name=_("kept record"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="duplicate_submissions",
    )
    name = models.CharField(_("name"), max_length=50)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), editable=False)
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, db_index=True)
    id_number_masked = models.CharField(_("ID number"), max_length=20, editable=False)
    phone_encrypted = models.TextField(_("phone (encrypted)"), blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    registered_address = models.CharField(
        _("household registration address"), max_length=200, blank=True
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    relation = models.CharField(_("relation to the head"), max_length=12, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = DuplicateQuerySet.as_manager()

    class Meta:
        verbose_name = _("ID number to check")
        verbose_name_plural = _("ID numbers to check")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"
