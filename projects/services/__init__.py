"""Every write of projects' tables, each with its audit entry in its transaction: the register
(project.py: projects, review, stages, milestones) and the monthly dispatch (progress.py: plans, monthly
reports, problems)."""

from .project import (
    CODE_PREFIX,
    DISTRICT_EDITABLE,
    MILESTONE_FIELDS,
    PROJECT_FIELDS,
    BatchRefused,
    milestone_record,
    project_accept,
    project_create,
    project_create_many,
    project_create_refusal,
    project_edit_refusal,
    project_return,
    project_review_refusal,
    project_submit,
    project_transition,
    project_update,
)

__all__ = [
    "CODE_PREFIX",
    "DISTRICT_EDITABLE",
    "MILESTONE_FIELDS",
    "PROJECT_FIELDS",
    "BatchRefused",
    "milestone_record",
    "project_accept",
    "project_create",
    "project_create_many",
    "project_create_refusal",
    "project_edit_refusal",
    "project_return",
    "project_review_refusal",
    "project_submit",
    "project_transition",
    "project_update",
]
