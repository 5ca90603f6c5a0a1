"""Projects' composed reads, the one read path of each list: the register (project.py) and the monthly
dispatch (progress.py)."""

from .project import (
    district_overview,
    milestone_list,
    project_list,
    review_queue,
    stage_missing_conditions,
    unit_list,
)

__all__ = [
    "district_overview",
    "milestone_list",
    "project_list",
    "review_queue",
    "stage_missing_conditions",
    "unit_list",
]
