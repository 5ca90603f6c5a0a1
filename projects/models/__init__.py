"""Projects' tables: the register (project.py), the monthly dispatch (progress.py), the preparatory
procedures with their documents (preparation.py), and the text search index (search.py)."""

from .preparation import DOCUMENT_MAX_BYTES, Document, Procedure
from .progress import InvestmentPlan, Problem, ProgressReport
from .project import NATIONAL_CODE_TAKEN, District, Milestone, Project, ReviewRecord, StageChange, Unit
from .search import SearchGram

__all__ = [
    "DOCUMENT_MAX_BYTES",
    "NATIONAL_CODE_TAKEN",
    "District",
    "Document",
    "InvestmentPlan",
    "Milestone",
    "Problem",
    "Procedure",
    "ProgressReport",
    "Project",
    "ReviewRecord",
    "SearchGram",
    "StageChange",
    "Unit",
]
