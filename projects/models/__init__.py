"""Projects' tables: the register (project.py) and the monthly dispatch (progress.py)."""

from .progress import InvestmentPlan, Problem, ProgressReport
from .project import NATIONAL_CODE_TAKEN, District, Milestone, Project, ReviewRecord, StageChange, Unit

__all__ = [
    "NATIONAL_CODE_TAKEN",
    "District",
    "InvestmentPlan",
    "Milestone",
    "Problem",
    "ProgressReport",
    "Project",
    "ReviewRecord",
    "StageChange",
    "Unit",
]
