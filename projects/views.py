from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import render

from financing.models import Loan

from .models import Project


@login_required
def home(request):
    """The library as the user may see it: each project with its investment and its loans."""
    projects = (
        Project.objects.visible_to(request.user)
        .select_related("district", "unit")
        .prefetch_related(Prefetch("loans", queryset=Loan.objects.select_related("lender", "borrower")))
        .order_by("is_demo", "district", "code")
    )
    page = Paginator(projects, 50).get_page(request.GET.get("page"))
    return render(request, "projects/home.html", {"page": page})
