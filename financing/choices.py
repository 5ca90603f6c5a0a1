from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    BANK = "bank", _("银行")
    ENTERPRISE = "enterprise", _("企业")
    GOVERNMENT = "government", _("政府部门")
    FUND = "fund", _("基金")


class SourceType(models.TextChoices):
    SPECIAL_TREASURY_BOND = "special_treasury_bond", _("超长期特别国债")
    SPECIAL_BOND = "special_bond", _("地方政府专项债券")
    CENTRAL_BUDGET = "central_budget", _("中央预算内投资")
    PREPARATORY_FUND = "preparatory_fund", _("省市重大项目前期工作经费")
    FISCAL = "fiscal", _("本级财政资金")
    INTEREST_SUBSIDY = "interest_subsidy", _("财政贴息")
    POLICY_LOAN = "policy_loan", _("政策性开发性金融贷款")
    COMMERCIAL_LOAN = "commercial_loan", _("商业银行贷款")
    GREEN_BOND = "green_bond", _("绿色债券")
    SOCIAL_CAPITAL = "social_capital", _("社会资本")
    SELF_RAISED = "self_raised", _("企业自筹")
    OTHER = "other", _("其他")


# Loans are counted through their signed contracts (Loan), not through these funding lines.
LOAN_SOURCE_TYPES = (SourceType.POLICY_LOAN, SourceType.COMMERCIAL_LOAN)


class FundingStatus(models.TextChoices):
    PLANNED = "planned", _("拟申报")
    APPLIED = "applied", _("已申报")
    APPROVED = "approved", _("已批复")
    RECEIVED = "received", _("已到位")
    REJECTED = "rejected", _("未获批")


# The statuses in which a funding line's approved amount is granted: what counts as covered.
GRANTED_STATUSES = (FundingStatus.APPROVED, FundingStatus.RECEIVED)


class RateType(models.TextChoices):
    FIXED = "fixed", _("固定利率")
    LPR = "lpr", _("LPR 加点")


class RepaymentMethod(models.TextChoices):
    EQUAL_PRINCIPAL = "equal_principal", _("等额本金")
    EQUAL_INSTALLMENT = "equal_installment", _("等额本息")
    BULLET = "bullet", _("到期一次还本")


class LoanStatus(models.TextChoices):
    SIGNED = "signed", _("已签约")
    SETTLED = "settled", _("已结清")
    TERMINATED = "terminated", _("已终止")


class PaymentInterval(models.IntegerChoices):
    MONTHLY = 1, _("按月")
    QUARTERLY = 3, _("按季")
    SEMIANNUAL = 6, _("按半年")
    ANNUAL = 12, _("按年")


class DemandStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CLOSED = "closed", _("已关闭")


class IntentionStatus(models.TextChoices):
    INTENDED = "intended", _("有意向")
    APPROVED = "approved", _("已授信")
    SIGNED = "signed", _("已签约")
    DECLINED = "declined", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


# The intentions still alive: a bank has at most one of them on a demand.
LIVE_INTENTIONS = (IntentionStatus.INTENDED, IntentionStatus.APPROVED, IntentionStatus.SIGNED)
# The intentions whose credit the bank has approved (signed ones were approved first).
CREDIT_APPROVED = (IntentionStatus.APPROVED, IntentionStatus.SIGNED)


class BatchStatus(models.TextChoices):
    OPEN = "open", _("申报中")
    CLOSED = "closed", _("已结束")


class EntryOutcome(models.TextChoices):
    PENDING = "pending", _("待批复")
    APPROVED = "approved", _("获批")
    REJECTED = "rejected", _("未获批")
