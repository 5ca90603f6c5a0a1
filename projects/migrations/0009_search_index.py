import django.db.models.deletion
from django.db import migrations, models

import portfolio.labels

# Projects per statement when the index is filled.
CHUNK = 2000
SEARCHED = ("name", "code", "national_code", "content")


def fill_index(apps, schema_editor):
    """Every project's pairs of adjacent characters, as projects.search.search_grams makes them."""
    Project = apps.get_model("projects", "Project")
    SearchGram = apps.get_model("projects", "SearchGram")
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        rows = []
        for pk, *texts in Project.objects.filter(pk__in=ids[start : start + CHUNK]).values_list(
            "pk", *SEARCHED
        ):
            grams = set()
            for text in texts:
                text = (text or "").lower()
                grams.update(text[i : i + 2] for i in range(len(text) - 1))
            rows += [SearchGram(project_id=pk, gram=gram) for gram in sorted(grams)]
        SearchGram.objects.bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_district_attention_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchGram",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("gram", models.CharField(max_length=2, verbose_name="字符对")),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="projects.project",
                        verbose_name="项目",
                    ),
                ),
            ],
            options={
                "verbose_name": "检索索引",
                "verbose_name_plural": "检索索引",
                "constraints": [
                    models.UniqueConstraint(fields=("gram", "project"), name="search_gram_unique")
                ],
            },
            bases=(portfolio.labels.ChoiceLabels, models.Model),
        ),
        migrations.RunPython(fill_index, migrations.RunPython.noop),
    ]
