"""Intake systems and one-key call terminals: who may report without a person at a keyboard."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pingan.core import crypto
from pingan.core.fields import LineField


class IntakeSystem(models.Model):
    """Another system or a sensor that reports events through the API with its own key."""

    name = LineField(_("name"), max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="intake_system",
        help_text=_("The account the system's reports are filed under."),
    )
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The county whose centre receives reports the system cannot locate."),
    )
    key_prefix = models.CharField(_("key prefix"), max_length=12, blank=True, db_index=True)
    key_hash = models.CharField(_("key hash"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("intake system")
        verbose_name_plural = _("intake systems")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CallTerminal(models.Model):
    """A registered one-key call terminal or phone (一键呼) of an elderly resident."""

    name = LineField(_("holder"), max_length=50)
    phone_encrypted = models.TextField(_("phone (encrypted)"), editable=False)
    phone_hash = models.CharField(_("phone hash"), max_length=64, unique=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False)
    address = LineField(_("registered address"), max_length=200)
    village = models.ForeignKey(
        "geo.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    class Meta:
        verbose_name = _("one-key call terminal")
        verbose_name_plural = _("one-key call terminals")
        ordering = ["village__path", "name"]

    def __str__(self) -> str:
        return f"{self.name} {self.phone_masked}"

    def set_phone(self, phone: str) -> None:
        self.phone_encrypted, self.phone_hash, self.phone_masked = crypto.protect_phone(
            crypto.validate_phone(phone)  # a terminal always has a number
        )
