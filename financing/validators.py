"""统一社会信用代码 per GB 32100-2015."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Registration authority and kind (2 characters), division code (6 digits), organisation code and check (10).
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"
_USCC = re.compile(USCC_PATTERN)
_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def validate_uscc_shape(value: str) -> None:
    if not _USCC.match(value or ""):
        raise ValidationError(
            _(
                "统一社会信用代码应为 18 位，由数字和大写字母（不含 I、O、Z、S、V）组成，"
                "第 3–8 位为行政区划代码。"
            ),
            code="uscc_shape",
        )


def uscc_check_character(value: str) -> str:
    """The 18th character that the first 17 imply."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(value[:17], _WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_check_passes(value: str) -> bool:
    return uscc_check_character(value) == value[17]
