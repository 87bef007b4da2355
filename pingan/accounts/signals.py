"""Revoke a user's API tokens when their password changes or they are deactivated."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from pingan.accounts.models import ApiToken, User

WATCHED = {"password", "is_active"}


@receiver(pre_save, sender=User, dispatch_uid="accounts.tokens.note_credential_change")
def note_credential_change(sender, instance: User, update_fields=None, raw=False, **kwargs):
    """Note whether this save changes the password or deactivates the user."""
    instance._revoke_tokens = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and not WATCHED.intersection(update_fields):
        return  # e.g. last_login on every sign-in: no query
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    instance._revoke_tokens = before["password"] != instance.password or (
        before["is_active"] and not instance.is_active
    )


@receiver(post_save, sender=User, dispatch_uid="accounts.tokens.revoke_on_credential_change")
def revoke_on_credential_change(sender, instance: User, raw=False, **kwargs):
    """Revoke every API token of a user whose password changed or who was deactivated."""
    if not raw and getattr(instance, "_revoke_tokens", False):
        ApiToken.objects.filter(user=instance).delete()
        instance._revoke_tokens = False
