"""Reads of a project's preparatory procedures: its checklist, and the procedures list of the API."""


def procedures_panel(*, user, project) -> dict:
    """What the project page's 前期手续 checklist shows, and what `user` may do there."""
    return {}
