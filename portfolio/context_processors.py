from portfolio import access as access_rules


def access(request):
    """The signed-in user's role, for navigation by role."""
    role = access_rules.role_of(getattr(request, "user", None))
    return {"user_role": role, "user_role_label": access_rules.Role(role).label if role else ""}
