import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .choices import GUANGZHOU_DIVISION_CODES

# YYYY-RRRRRR-NN-NN-NNNNNN, e.g. 2020-440112-77-01-123456
NATIONAL_CODE_PATTERN = r"^[0-9]{4}-4401[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{6}$"
_NATIONAL_CODE = re.compile(NATIONAL_CODE_PATTERN)


def validate_national_code(value: str) -> None:
    """The 24-character code of the national investment project platform, issued in Guangzhou."""
    if not _NATIONAL_CODE.match(value or ""):
        raise ValidationError(
            _("项目代码格式应为 YYYY-4401XX-NN-NN-NNNNNN（如 2020-440112-77-01-123456），共 24 位。"),
            code="national_code_shape",
        )
    year, region = int(value[:4]), value[5:11]
    if not 1990 <= year <= 2100:
        raise ValidationError(
            _("项目代码中的年份 %(year)s 不合理。"), code="national_code_year", params={"year": year}
        )
    if region not in GUANGZHOU_DIVISION_CODES:
        raise ValidationError(
            _("项目代码中的区划代码 %(region)s 不是广州市或其所辖区的代码。"),
            code="national_code_region",
            params={"region": region},
        )
