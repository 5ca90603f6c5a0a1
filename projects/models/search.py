"""The library's text search index: the pairs of adjacent characters of each project's searchable text.

A keyword search of the library matched every project's name, code, national code and content with LIKE
'%…%', which no ordinary index serves: at 100,000 projects it read them all (270 ms on SQLite, 650 ms on
PostgreSQL) where 10,000 took a tenth of that. A keyword of two characters or more occurs in a text only
where each of its pairs does, so the projects holding its pairs are the only ones to test; this table lists
them, one row per project and distinct pair, under an index by pair. Trigram indexes (pg_trgm, SQLite's
FTS5 trigram tokenizer) cannot answer the two-character words that most Chinese searches are (河湖, 碧道).

The services that write these fields keep the rows in step in the same transaction (projects.search);
`manage.py rebuild_search_index` and `/healthz?deep=1` compare them with the texts.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.labels import ChoiceLabels

from .project import Project


class SearchGram(ChoiceLabels, models.Model):
    """One pair of adjacent characters (lower-cased) that occurs in one of a project's searchable fields."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="+", verbose_name=_("项目"))
    gram = models.CharField(_("字符对"), max_length=2)

    class Meta:
        verbose_name = _("检索索引")
        verbose_name_plural = _("检索索引")
        constraints = [
            # Also the index a search reads: the projects holding a pair, in id order.
            models.UniqueConstraint(fields=["gram", "project"], name="search_gram_unique"),
        ]

    def __str__(self):
        return f"{self.project_id}：{self.gram}"
