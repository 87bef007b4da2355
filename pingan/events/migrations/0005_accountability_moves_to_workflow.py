"""Accountability records move to the workflow kit, keyed by any workflow item.

The rows are copied into ``workflow.AccountabilityRecord`` (content type ``events.event``, the
event's number kept alongside) before the old table is dropped, so a database loaded before
this change keeps every record. Events' region and grid become the shared place fields.
"""

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def copy_records(apps, schema_editor):
    Old = apps.get_model("events", "AccountabilityRecord")
    New = apps.get_model("workflow", "AccountabilityRecord")
    ContentType = apps.get_model("contenttypes", "ContentType")
    event_type, _created = ContentType.objects.get_or_create(app_label="events", model="event")
    rows = Old.objects.select_related("event").order_by("pk").iterator(chunk_size=BATCH)
    batch = []
    for old in rows:
        batch.append(
            New(
                content_type_id=event_type.pk,
                object_id=old.event_id,
                handler="events.event",
                number=old.event.number,
                department_id=old.department_id,
                kind=old.kind,
                due_at=old.due_at,
                recorded_at=old.recorded_at,
                county_code=old.county_code,
                note=old.note,
            )
        )
        if len(batch) >= BATCH:
            New.objects.bulk_create(batch)
            batch = []
    New.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    Old = apps.get_model("events", "AccountabilityRecord")
    New = apps.get_model("workflow", "AccountabilityRecord")
    rows = New.objects.filter(
        content_type__app_label="events", content_type__model="event"
    ).order_by("pk")
    Old.objects.bulk_create(
        [
            Old(
                event_id=new.object_id,
                department_id=new.department_id,
                kind=new.kind,
                due_at=new.due_at,
                recorded_at=new.recorded_at,
                county_code=new.county_code,
                note=new.note,
            )
            for new in rows.iterator(chunk_size=BATCH)
        ],
        batch_size=BATCH,
    )
    rows.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0004_rule_history"),
        ("geo", "0001_initial"),
        ("workflow", "0002_accountability_records"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="grid",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geo.grid",
                verbose_name="grid",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="region",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="geo.region",
                verbose_name="village or township",
            ),
        ),
        migrations.RunPython(copy_records, copy_back, elidable=False),
        migrations.DeleteModel(name="AccountabilityRecord"),
    ]
