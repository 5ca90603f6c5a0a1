from django.core.exceptions import ValidationError


class StaleObjectError(ValidationError):
    """The record changed after the client read it: the change is refused and nothing is overwritten."""
