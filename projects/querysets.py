"""Chainable reads on projects' own tables. Scoping to a user is decided in portfolio.access."""

from django.db.models import Q
from django.utils import timezone

from portfolio.access import ScopedQuerySet


class ProjectQuerySet(ScopedQuerySet):
    def in_library(self):
        return self.filter(review_status="accepted")


class MilestoneQuerySet(ScopedQuerySet):
    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(Q(actual_date__isnull=True) & Q(planned_date__lt=today))
