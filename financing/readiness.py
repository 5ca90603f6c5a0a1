"""Readiness (申报条件): whether a project meets each funding programme's rules, and what it lacks."""


def readiness_panel(*, user, project) -> dict:
    """What the project page's 申报条件 section shows."""
    return {}
