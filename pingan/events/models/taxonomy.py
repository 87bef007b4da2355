"""The event taxonomy and what routes it: categories with their SLA policies and replies,
routing rules and keyword rules. All of it is data that admins edit (with its history).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pingan.core.fields import LineField, NoteField
from pingan.core.sla import Unit


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Category(models.Model):
    """A category of event (大类 at level 1, 小类 at level 2) with its SLA policy and replies."""

    code = models.CharField(_("code"), max_length=8, unique=True)
    name = LineField(_("name"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    sign_amount = models.DecimalField(
        _("time to sign for"), max_digits=8, decimal_places=2, default=2
    )
    sign_unit = models.CharField(
        _("sign-for time unit"), max_length=16, choices=Unit.choices, default=Unit.WORKING_HOURS
    )
    resolve_amount = models.DecimalField(
        _("time to resolve"), max_digits=8, decimal_places=2, default=3
    )
    resolve_unit = models.CharField(
        _("resolution time unit"), max_length=16, choices=Unit.choices, default=Unit.WORKING_DAYS
    )
    auto_dispatch = models.BooleanField(
        _("dispatch automatically"),
        default=True,
        help_text=_("Send events to the routed department at once, without the centre's review."),
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("duplicate radius (m)"),
        default=100,
        help_text=_(
            "Open events of this category this close are listed as possible duplicates; "
            "0 turns it off."
        ),
    )
    reply_signed = models.TextField(
        _("reply when signed for"),
        blank=True,
        help_text=_("What the reporter reads when a department signs for the event."),
    )
    reply_resolved = models.TextField(_("reply when resolved"), blank=True)
    reply_closed = models.TextField(_("reply when closed"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("event category")
        verbose_name_plural = _("event categories")
        ordering = ["code"]

    def __str__(self) -> str:
        if self.parent_id and self.parent:
            return f"{self.parent.name} / {self.name}"
        return self.name

    def clean(self) -> None:
        # Collected, not raised one by one: the admin form shows every problem at once.
        errors: dict[str, str] = {}
        if self.parent_id and self.parent.parent_id:
            errors["parent"] = _("Categories have two levels: major and minor.")
        if self.parent_id and not self.code.startswith(self.parent.code):
            errors["code"] = _("A minor category's code starts with its major category's code.")
        for field in ("sign_amount", "resolve_amount"):
            if getattr(self, field) is not None and getattr(self, field) <= 0:
                errors[field] = _("Give a time greater than zero.")
        if errors:
            raise ValidationError(errors)

    @property
    def level(self) -> int:
        return 2 if self.parent_id else 1

    def reply_for(self, state: str) -> str:
        """Return the standard public reply for ``state`` (signed, resolved, closed) or ""."""
        return getattr(self, f"reply_{state}", "") or ""


class RoutingRule(models.Model):
    """(category, region subtree) → department. The most specific rule wins (see routing.py)."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text=_("A major category covers its minor ones; empty: every category."),
    )
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
        help_text=_("The rule covers this region and everything under it; empty: everywhere."),
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    note = NoteField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["category__code", "region__path", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "region", "department"],
                name="routing_rule_unique",
                violation_error_message=_("This rule exists already."),
            )
        ]

    def __str__(self) -> str:
        category = self.category or _("every category")
        region = self.region or _("everywhere")
        return f"{category} @ {region} → {self.department}"


class KeywordRule(models.Model):
    """A phrase in a report's title or description that suggests a category (classification)."""

    phrase = models.CharField(
        _("phrase"),
        max_length=100,
        help_text=_(
            "Matched in the title and description. Separate alternatives with |; "
            "join words that must all occur with +, e.g. 挡墙+垮塌|滑坡."
        ),
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="keyword_rules",
    )
    weight = models.DecimalField(
        _("confidence"),
        max_digits=3,
        decimal_places=2,
        default=0.8,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("0–1: how sure a match makes us. Matches for one category add up."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("keyword rule")
        verbose_name_plural = _("keyword rules")
        ordering = ["category__code", "-weight", "id"]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.category}"

    def clean(self) -> None:
        if not any(part.strip() for part in self.phrase.split("|")):
            raise ValidationError({"phrase": _("Give at least one word.")})
