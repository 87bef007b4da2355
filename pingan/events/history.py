"""Keep every edit of the data that decides where and how fast events go: who, when, before, after.

Categories (with their deadlines and replies), routing rules and keyword rules each get a
historical table from django-simple-history, as FixMyStreet keeps its contacts' history. Every
``save()`` and ``delete()`` writes a row; ``HistoryRequestMiddleware`` supplies the acting user
for pages and the admin. Bulk writes (``bulk_create``, ``update()``) and migrations' historical
models write none.

``register()`` keeps ``models.py`` as it is: the models module imports this one at its bottom,
so the historical models exist whenever the app registry and migrations load the models.
"""

from __future__ import annotations

import simple_history
from django.db import models
from django.utils.translation import gettext_lazy as _

from pingan.events.models import Category, KeywordRule, RoutingRule


def _register(model: type[models.Model], verbose_name, verbose_name_plural) -> None:
    simple_history.register(
        model,
        verbose_name=verbose_name,
        verbose_name_plural=verbose_name_plural,
        # The project's ids are 64-bit; history grows faster than the rows it follows.
        history_id_field=models.BigAutoField(primary_key=True),
    )
    # The library names the app package ("pingan.events") as the historical model's module, but
    # puts the class in the model's module; say so, or `manage.py shell` cannot auto-import it
    # (django-simple-history issue #1479).
    model.history.model.__module__ = model.__module__


_register(Category, _("event category version"), _("event category history"))
_register(RoutingRule, _("routing rule version"), _("routing rule history"))
_register(KeywordRule, _("keyword rule version"), _("keyword rule history"))
