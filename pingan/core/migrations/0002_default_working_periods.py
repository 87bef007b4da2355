"""Create the default working hours, 08:30–12:00 and 14:30–18:00, when none are set."""

import datetime as dt

from django.db import migrations

DEFAULTS = [(dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 30), dt.time(18, 0))]


def create_defaults(apps, schema_editor):
    WorkingPeriod = apps.get_model("core", "WorkingPeriod")
    if not WorkingPeriod.objects.exists():
        WorkingPeriod.objects.bulk_create(WorkingPeriod(start=s, end=e) for s, e in DEFAULTS)


def remove_defaults(apps, schema_editor):
    WorkingPeriod = apps.get_model("core", "WorkingPeriod")
    for start, end in DEFAULTS:
        WorkingPeriod.objects.filter(start=start, end=end).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
