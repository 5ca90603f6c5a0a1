"""The codes shared by the pages, the API and Excel (../shared/DOMAIN.md), with their Chinese labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    RIVER_LAKE = "river_lake", _("美丽河湖")
    BAY = "bay", _("美丽海湾")
    ECO_COMMUNITY = "eco_community", _("生态社区")
    VILLAGE = "village", _("美丽乡村")
    PARK = "park", _("美丽园区")
    LOW_CARBON = "low_carbon", _("绿色低碳")
    ECO_RESTORATION = "eco_restoration", _("生态保护修复")
    LAND_CONSOLIDATION = "land_consolidation", _("全域土地综合整治")
    INFRASTRUCTURE = "infrastructure", _("环境基础设施")
    OTHER = "other", _("其他")


class Stage(models.TextChoices):
    PLANNING = "planning", _("谋划")
    MATURE = "mature", _("成熟")
    IMPLEMENTATION = "implementation", _("实施")
    COMPLETED = "completed", _("完工")

    @classmethod
    def order(cls, stage: str) -> int:
        return list(cls.values).index(stage)


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("已入库")


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", _("提交")
    RETURN = "return", _("退回")
    ACCEPT = "accept", _("入库")


class PlanKind(models.TextChoices):
    PREPARATORY = "preparatory", _("预备")
    NEW_START = "new_start", _("新开工")
    CONTINUING = "continuing", _("续建")


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONFIRMED = "confirmed", _("已确认")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("已审核")


class ProblemCategory(models.TextChoices):
    LAND = "land", _("用地")
    APPROVAL = "approval", _("审批")
    FUNDING = "funding", _("资金")
    DEMOLITION = "demolition", _("征拆")
    CONSTRUCTION = "construction", _("施工")
    OTHER = "other", _("其他")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("未解决")
    RESOLVED = "resolved", _("已解决")


# The 11 districts of Guangzhou and their administrative division codes.
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
# Division codes a national project code may carry in its region block: the city itself and its districts.
GUANGZHOU_DIVISION_CODES = frozenset({"440100", *(code for code, _name in DISTRICTS)})


class ProcedureKind(models.TextChoices):
    """前期手续: the preparatory procedures of a project, in the order they are usually done."""

    PROPOSAL = "proposal", _("项目建议书")
    FEASIBILITY = "feasibility", _("可研批复")
    LAND = "land", _("用地")
    PLANNING = "planning", _("规划许可")
    EIA = "eia", _("环评")
    ENERGY = "energy", _("节能审查")
    FOREST = "forest", _("使用林地")
    WATER_CONSERVATION = "water_conservation", _("水土保持")
    CONSTRUCTION_PERMIT = "construction_permit", _("施工许可")


class ProcedureStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("无需办理")
    PENDING = "pending", _("未办理")
    IN_PROGRESS = "in_progress", _("办理中")
    DONE = "done", _("已办结")


# A procedure that is done, or that the project does not need, asks nothing more of it.
PROCEDURE_SATISFIED = (ProcedureStatus.DONE, ProcedureStatus.NOT_NEEDED)


class DocumentKind(models.TextChoices):
    APPROVAL = "approval", _("批复文件")
    CONTRACT = "contract", _("合同")
    FUNDING = "funding", _("资金文件")
    PHOTO = "photo", _("照片")
    OTHER = "other", _("其他")
