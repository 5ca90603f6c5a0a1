"""/api/v1/: the nouns of DOMAIN.md, token authentication; the schema and its docs at /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from financing.api import views as financing
from portfolio import exports, imports_api
from projects.api import views as projects

router = DefaultRouter()
router.register("districts", projects.DistrictViewSet, basename="district")
router.register("units", projects.UnitViewSet, basename="unit")
router.register("organizations", financing.OrganizationViewSet, basename="organization")
router.register("projects", projects.ProjectViewSet, basename="project")
router.register("milestones", projects.MilestoneViewSet, basename="milestone")
router.register("funding-lines", financing.FundingLineViewSet, basename="funding-line")
router.register("loans", financing.LoanViewSet, basename="loan")
router.register("disbursements", financing.DisbursementViewSet, basename="disbursement")
router.register("repayments", financing.RepaymentViewSet, basename="repayment")

urlpatterns = [
    path("v1/auth/token/", obtain_auth_token, name="api_token"),
    path("v1/exports/projects.xlsx", exports.ProjectsExport.as_view(), name="export_projects"),
    path("v1/exports/financing.xlsx", exports.FinancingExport.as_view(), name="export_financing"),
    path("v1/imports/projects/template.xlsx", imports_api.ImportTemplate.as_view(), name="import_template"),
    path("v1/imports/projects/", imports_api.ProjectImport.as_view(), name="import_projects"),
    path("v1/", include((router.urls, "api"), namespace="api")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
]
