"""Reads of the documents kept with projects, through the user's scope."""


def documents_panel(*, user, project) -> dict:
    """What the project page's 附件 card shows, and what `user` may do there."""
    return {}
