"""The user's own notifications: the list, and marking one or all of them read."""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from portfolio import access

from . import mark_read, notifications_of, unread_count

PAGE_SIZE = 50


@access.role_required(roles=access.ROLES)
def notification_list(request):
    page = Paginator(notifications_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread": unread_count(request.user), "query": ""},
    )


@access.role_required(roles=access.ROLES)
@require_POST
def notification_read(request):
    """Mark the posted `id` read, or all of the user's notifications without one; another user's
    notification is a 404, as if it did not exist."""
    posted = request.POST.get("id", "")
    if posted:
        notification = get_object_or_404(
            notifications_of(request.user), pk=posted if posted.isascii() and posted.isdigit() else None
        )
        mark_read(user=request.user, ids=[notification.pk])
    else:
        mark_read(user=request.user)
    target = reverse("notifications:list")
    page = request.POST.get("page", "")
    if page.isascii() and page.isdigit() and page != "1":
        target += "?" + urlencode({"page": page})
    return redirect(target)
