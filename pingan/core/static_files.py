"""Checks on the collected static files, for `pingan serve` and `pingan demo`."""

from __future__ import annotations

import os

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage


def missing_manifest() -> str:
    """Return the path of the static files' manifest if pages need it and it is missing."""
    # Under DEBUG the manifest storage names files as they are and needs no manifest.
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return ""
    if staticfiles_storage.exists(staticfiles_storage.manifest_name):
        return ""
    return staticfiles_storage.path(staticfiles_storage.manifest_name)


def collected_files_current() -> bool:
    """Return whether the collected static files are newer than every source file.

    Collecting hashes and compresses every file again (a minute on a slow machine), so the
    demo skips it when `make static` has just done it.
    """
    ignore = apps.get_app_config("staticfiles").ignore_patterns  # as collectstatic ignores
    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return False
    try:
        collected = os.path.getmtime(staticfiles_storage.path(staticfiles_storage.manifest_name))
    except OSError:
        return False
    for finder in get_finders():
        for path, storage in finder.list(ignore):
            if os.path.getmtime(storage.path(path)) > collected:
                return False
    return True
