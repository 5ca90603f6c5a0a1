from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class StaleObjectError(ValidationError):
    """The record changed after the client read it: the change is refused and nothing is overwritten."""


def reject_unknown_fields(fields: dict, allowed) -> None:
    """Services take only the fields they own; a caller naming another one is told which."""
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError(_("不能设置这些字段：%(fields)s") % {"fields": ", ".join(unknown)})


class ImportFileError(Exception):
    """An uploaded file as a whole cannot be read: its message says why, for the person who uploaded it."""
