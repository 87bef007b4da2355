from django.db import migrations


def load(apps, schema_editor):
    from pingan.events.taxonomy import load_taxonomy

    load_taxonomy(apps.get_model("events", "Category"), apps.get_model("events", "KeywordRule"))


class Migration(migrations.Migration):
    dependencies = [("events", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
