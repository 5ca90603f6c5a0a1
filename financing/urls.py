from django.urls import include, path

from . import platform_urls, readiness_urls
from .views import ledger as views

app_name = "financing"

urlpatterns = [
    path("projects/<int:pk>/funding-lines/new/", views.funding_line_create, name="funding_line_create"),
    path("funding-lines/<int:pk>/edit/", views.funding_line_edit, name="funding_line_edit"),
    path("projects/<int:pk>/loans/new/", views.loan_create, name="loan_create"),
    path("loans/", views.my_loans, name="my_loans"),
    path("loans/<int:pk>/", views.loan_detail, name="loan_detail"),
    path("loans/<int:pk>/edit/", views.loan_edit, name="loan_edit"),
    path("loans/<int:pk>/disbursements/new/", views.disbursement_create, name="disbursement_create"),
    path("loans/<int:pk>/repayments/new/", views.repayment_create, name="repayment_create"),
    path("", include(platform_urls)),
    path("", include(readiness_urls)),
]
