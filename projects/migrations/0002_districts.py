from django.db import migrations

DISTRICTS = [
    ("440103", "荔湾区"),
    ("440104", "越秀区"),
    ("440105", "海珠区"),
    ("440106", "天河区"),
    ("440111", "白云区"),
    ("440112", "黄埔区"),
    ("440113", "番禺区"),
    ("440114", "花都区"),
    ("440115", "南沙区"),
    ("440117", "从化区"),
    ("440118", "增城区"),
]


def add_districts(apps, schema_editor):
    District = apps.get_model("projects", "District")
    for code, name in DISTRICTS:
        District.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [migrations.RunPython(add_districts, migrations.RunPython.noop)]
