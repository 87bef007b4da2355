"""Timeline entries keep the actor's own unit, as it was when they acted.

Entries written before this change get the unit their actor holds now (a department, else a
grid, else the centre of their region, else their region): the best that is known of them.
"""

from django.db import migrations, models

# Which unit names a person best, first: their department, their grid, their centre, a region.
RANK = {"department": 0, "grid": 1, "centre": 2, "region": 3}
CENTRE_ROLES = ("admin", "center")


def backfill(apps, schema_editor):
    EventLog = apps.get_model("events", "EventLog")
    Membership = apps.get_model("accounts", "Membership")
    Department = apps.get_model("accounts", "Department")
    actors = set(
        EventLog.objects.filter(actor__isnull=False, actor_unit="")
        .order_by()
        .values_list("actor_id", flat=True)
        .distinct()
    )
    if not actors:
        return
    centres = dict(
        Department.objects.filter(kind="center", is_active=True)
        .order_by("-code")
        .values_list("region_id", "name")
    )
    best: dict[int, tuple[int, str]] = {}
    memberships = (
        Membership.objects.filter(user_id__in=actors)
        .select_related("region", "grid", "department")
        .order_by("pk")
    )
    for m in memberships:
        if m.department_id:
            kind, name = "department", m.department.name
        elif m.grid_id:
            kind, name = "grid", m.grid.name
        elif m.role in CENTRE_ROLES and m.region_id:
            kind, name = "centre", centres.get(m.region_id, m.region.name)
        elif m.region_id:
            kind, name = "region", m.region.name
        else:
            continue
        if m.user_id not in best or RANK[kind] < best[m.user_id][0]:
            best[m.user_id] = (RANK[kind], name)
    for user_id, (_rank, name) in best.items():
        EventLog.objects.filter(actor_id=user_id, actor_unit="").update(actor_unit=name[:100])


class Migration(migrations.Migration):
    dependencies = [("events", "0006_clean_text_fields")]

    operations = [
        migrations.AddField(
            model_name="eventlog",
            name="actor_unit",
            field=models.CharField(
                blank=True, default="", max_length=100, verbose_name="unit of the actor"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
