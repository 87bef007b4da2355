"""The jurisdiction tree (行政区划) and the grids (网格) that tile it."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pingan.core.fields import LineField, LongTextField
from pingan.geo import geometry

# GB/T 2260 and the 12-digit 统计用区划代码: how many digits a code has at each level.
CODE_LENGTHS = {
    "province": 6,
    "city": 6,
    "county": 6,
    "township": 9,
    "village": 12,
}


class RegionQuerySet(models.QuerySet):
    def visible_to(self, user) -> RegionQuerySet:
        """Return the regions ``user`` may see: the subtrees of their region memberships."""
        from pingan.accounts.scope import scope_for

        scope = scope_for(user)
        return scope.restrict(self, "path", pk__in=scope.grid_region_ids)

    def subtree(self, region: Region) -> RegionQuerySet:
        """Return ``region`` and everything under it (a prefix query on the path)."""
        return self.filter(path__startswith=region.path)


class Region(models.Model):
    """A node of the jurisdiction tree: province > city > county > township > village."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")
        TOWNSHIP = "township", _("Township / street")
        VILLAGE = "village", _("Village / community")

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = LineField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/510000/513900/513999/" — maintained on save; subtree queries are prefix queries.
    path = models.CharField(_("path"), max_length=120, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    county_code = models.CharField(_("county code"), max_length=6, blank=True, db_index=True)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs) -> None:
        self.path = (self.parent.path if self.parent_id else "/") + self.code + "/"
        self.depth = self.path.count("/") - 2
        self.county_code = self._county_code()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("geo:region_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, list] = {}
        expected = CODE_LENGTHS.get(self.level)
        if not self.code.isdigit() or (expected and len(self.code) != expected):
            errors.setdefault("code", []).append(
                _("A %(level)s code has %(n)d digits.")
                % {"level": self.get_level_display(), "n": expected}
            )
        if self.parent_id:
            parent = self.parent
            order = list(CODE_LENGTHS)
            if order.index(parent.level) >= order.index(self.level):
                errors.setdefault("parent", []).append(
                    _("The parent must be above this region in the tree.")
                )
            elif len(self.code) > len(parent.code) and not self.code.startswith(parent.code):
                errors.setdefault("code", []).append(
                    _("The code must start with the parent's code %(code)s.")
                    % {"code": parent.code}
                )
            if self.pk and parent.path.startswith(self.path or "\0"):
                errors.setdefault("parent", []).append(_("A region cannot be its own ancestor."))
        if self.boundary:
            try:
                shape = geometry.parse_polygon(self.boundary)
            except geometry.GeometryError as exc:
                errors.setdefault("boundary", []).append(str(exc))
            else:
                if self.parent_id and self.parent.boundary:
                    parent_shape = geometry.parse_polygon(self.parent.boundary)
                    if not geometry.within(shape, parent_shape):
                        errors.setdefault("boundary", []).append(
                            _("The boundary must lie inside the parent's boundary.")
                        )
        if errors:
            raise ValidationError(errors)

    def _county_code(self) -> str:
        if self.level in (self.Level.PROVINCE, self.Level.CITY):
            return ""
        if self.level == self.Level.COUNTY:
            return self.code
        return self.code[:6]

    def ancestors(self) -> RegionQuerySet:
        codes = [c for c in self.path.strip("/").split("/") if c]
        return Region.objects.filter(code__in=codes).order_by("depth")


class GridQuerySet(models.QuerySet):
    def visible_to(self, user) -> GridQuerySet:
        """Return the grids ``user`` may see: under their regions, or their own grids."""
        from pingan.accounts.scope import scope_for

        scope = scope_for(user)
        return scope.restrict(self, "path", pk__in=scope.grid_ids)

    def in_region(self, region: Region) -> GridQuerySet:
        return self.filter(path__startswith=region.path)

    def active_on(self, day: dt.date) -> GridQuerySet:
        return self.filter(is_active=True).filter(
            models.Q(active_from__isnull=True) | models.Q(active_from__lte=day),
            models.Q(active_until__isnull=True) | models.Q(active_until__gte=day),
        )


def validate_grid_code(value: str) -> None:
    if not re.fullmatch(settings.PINGAN_GRID_CODE_REGEX, value or ""):
        raise ValidationError(
            _("A grid code is %(pattern)s (by default 15 digits: village code + 3-digit number)."),
            params={"pattern": settings.PINGAN_GRID_CODE_REGEX},
            code="grid_code",
        )


class Grid(models.Model):
    """A grid (网格): a polygon of a village or township with a team that walks it."""

    class Kind(models.TextChoices):
        RURAL = "rural", _("Rural grid")
        COMMUNITY = "community", _("Urban community grid")
        DEDICATED = "dedicated", _("Dedicated grid")
        MOBILE = "mobile", _("Mobile / seasonal grid")

    class SubKind(models.TextChoices):
        NONE = "", _("—")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        MARKET = "market", _("Market")
        SCENIC = "scenic", _("Scenic area")
        ENTERPRISE = "enterprise", _("Enterprise")
        GOVERNMENT = "government", _("Government compound")
        OTHER = "other", _("Other")

    # Dedicated and mobile grids lie over the rural/community grids ("overlay layer") and win
    # in locate(); base grids tile their villages without gaps or overlaps.
    OVERLAY_KINDS = (Kind.DEDICATED, Kind.MOBILE)

    code = models.CharField(
        _("grid code"), max_length=20, unique=True, validators=[validate_grid_code]
    )
    name = LineField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.RURAL)
    subkind = models.CharField(
        _("sub-kind"), max_length=12, choices=SubKind.choices, blank=True, default=""
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("village or township"),
        on_delete=models.PROTECT,
        related_name="grids",
    )
    path = models.CharField(_("path"), max_length=120, editable=False, db_index=True)
    county_code = models.CharField(_("county code"), max_length=6, blank=True, db_index=True)
    geometry = models.JSONField(_("geometry (GeoJSON)"))
    area_km2 = models.FloatField(_("area (km²)"), default=0, editable=False)
    households = models.PositiveIntegerField(_("households"), default=0)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_until = models.DateField(_("active until"), null=True, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    description = LongTextField(_("description"), max_length=5000, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GridQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(active_from__isnull=True)
                | models.Q(active_until__isnull=True)
                | models.Q(active_from__lte=models.F("active_until")),
                name="grid_season_in_order",
                violation_error_message=_("The season must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        region = self.region
        self.path = region.path
        self.county_code = region.county_code
        self.area_km2 = geometry.area_km2(geometry.parse_polygon(self.geometry))
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "path", "county_code", "area_km2"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("geo:grid_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.region_id:
            region = self.region
            if region.level not in (Region.Level.VILLAGE, Region.Level.TOWNSHIP):
                errors.setdefault("region", []).append(
                    _("A grid belongs to a village/community or a township/street.")
                )
            if self.code and not self.code.startswith(region.code):
                errors.setdefault("code", []).append(
                    _("The grid code must start with its region's code %(code)s.")
                    % {"code": region.code}
                )
        if self.kind == self.Kind.DEDICATED and not self.subkind:
            errors.setdefault("subkind", []).append(
                _("A dedicated grid needs a sub-kind (school, hospital, market…).")
            )
        if self.kind != self.Kind.DEDICATED and self.subkind:
            errors.setdefault("subkind", []).append(_("Only dedicated grids have a sub-kind."))
        if self.kind == self.Kind.MOBILE and not (self.active_from and self.active_until):
            errors.setdefault("active_from", []).append(
                _("A mobile or seasonal grid needs the dates it is active.")
            )
        if self.active_from and self.active_until and self.active_from > self.active_until:
            errors.setdefault("active_until", []).append(_("The season must end after it starts."))
        try:
            shape = geometry.parse_polygon(self.geometry)
        except geometry.GeometryError as exc:
            errors.setdefault("geometry", []).append(str(exc))
        else:
            if self.region_id and self.region.boundary:
                parent_shape = geometry.parse_polygon(self.region.boundary)
                if not geometry.within(shape, parent_shape):
                    errors.setdefault("geometry", []).append(
                        _("The grid must lie inside the boundary of %(region)s.")
                        % {"region": self.region.name}
                    )
        if errors:
            raise ValidationError(errors)

    @property
    def is_overlay(self) -> bool:
        return self.kind in self.OVERLAY_KINDS

    def is_active_on(self, day: dt.date | None = None) -> bool:
        day = day or timezone.localdate()
        if not self.is_active:
            return False
        if self.active_from and day < self.active_from:
            return False
        return not (self.active_until and day > self.active_until)


class GridMember(models.Model):
    """A member of a grid's team ("1+2+X", "1+1+N" are simply rows here)."""

    class Role(models.TextChoices):
        GRID_CHIEF = "grid_chief", _("Grid chief")
        GRID_WORKER = "grid_worker", _("Grid worker")
        GRID_POLICE = "grid_police", _("Grid police officer")
        AUXILIARY_POLICE = "auxiliary_police", _("Auxiliary police")
        VILLAGE_OFFICER = "village_officer", _("Village affairs officer")
        LEGAL_ADVISER = "legal_adviser", _("Legal adviser")
        MEDIATOR = "mediator", _("Mediator")
        VOLUNTEER = "volunteer", _("Volunteer")
        OTHER = "other", _("Other")

    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_teams",
    )
    name = LineField(_("name"), max_length=50)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # A work phone posted on the grid's public notice board (网格公示牌), not a private number.
    work_phone = models.CharField(_("work phone"), max_length=20, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("grid team member")
        verbose_name_plural = _("grid team members")
        ordering = ["grid", "sort_order", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"


class Place(models.Model):
    """Where a case lies: its village or township, its grid, and the copies scope relies on.

    Every per-county case model (events, basic data, disputes, care…) inherits these fields.
    ``path`` (the region's path) makes a subtree a prefix query; ``county_code`` is the key a
    province-wide install distributes rows by. :meth:`save` fills both from the region (and the
    region from the grid when only the grid is given) whenever the place is saved.
    """

    region = models.ForeignKey(
        Region,
        verbose_name=_("village or township"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    path = models.CharField(_("path"), max_length=120, db_index=True, editable=False)
    county_code = models.CharField(_("county code"), max_length=6, editable=False)

    # The fields a save must write whenever the region or the grid changes.
    PLACE_FIELDS = ("region", "grid", "path", "county_code")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"region", "grid"}.intersection(update_fields):
            self.fill_place()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "path", "county_code"}
        super().save(*args, **kwargs)

    def fill_place(self) -> None:
        """Copy the region's path and county code (the grid's region when none is given)."""
        if self.grid_id and not self.region_id:
            self.region_id = self.grid.region_id
        region = self.region
        self.path = region.path
        self.county_code = region.county_code
