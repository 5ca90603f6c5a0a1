"""/api/v1/: the apps' nouns of DOMAIN.md, their exports and imports, token authentication; the schema and
its docs at /api/. The roof: it composes the apps' API views."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from financing.api import readiness
from financing.api import views as financing
from portfolio.api.auth import TokenView
from portfolio.dispatch.api import DispatchBulletin, DispatchExport, DispatchView
from portfolio.jobs.api import JobDownload, JobView
from projects.api import views as projects
from projects.api.documents import DocumentViewSet
from projects.api.imports import ReportImport, ReportImportTemplate
from projects.api.preparation import ProcedureViewSet

# Redoc styles its page from script (inline styles) and renders in a worker made from a blob.
redoc = csp_update({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
    SpectacularRedocView.as_view(url_name="api_schema")
)

router = DefaultRouter()
router.register("districts", projects.DistrictViewSet, basename="district")
router.register("units", projects.UnitViewSet, basename="unit")
router.register("organizations", financing.OrganizationViewSet, basename="organization")
router.register("projects", projects.ProjectViewSet, basename="project")
router.register("milestones", projects.MilestoneViewSet, basename="milestone")
router.register("investment-plans", projects.InvestmentPlanViewSet, basename="investment-plan")
router.register("progress-reports", projects.ProgressReportViewSet, basename="progress-report")
router.register("problems", projects.ProblemViewSet, basename="problem")
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("documents", DocumentViewSet, basename="document")
router.register("funding-lines", financing.FundingLineViewSet, basename="funding-line")
router.register("loans", financing.LoanViewSet, basename="loan")
router.register("disbursements", financing.DisbursementViewSet, basename="disbursement")
router.register("repayments", financing.RepaymentViewSet, basename="repayment")
router.register("financing-demands", financing.DemandViewSet, basename="financing-demand")
router.register("credit-intentions", financing.IntentionViewSet, basename="credit-intention")
router.register("batches", readiness.BatchViewSet, basename="batch")
router.register("batch-entries", readiness.BatchEntryViewSet, basename="batch-entry")

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api_token"),
    path("v1/exports/projects.xlsx", projects.ProjectsExport.as_view(), name="export_projects"),
    path("v1/exports/financing.xlsx", financing.FinancingExport.as_view(), name="export_financing"),
    path("v1/exports/dispatch.xlsx", DispatchExport.as_view(), name="export_dispatch"),
    path("v1/exports/batches/<int:pk>.xlsx", readiness.BatchExport.as_view(), name="export_batch"),
    path("v1/reports/dispatch.pdf", DispatchBulletin.as_view(), name="report_dispatch"),
    path("v1/dispatch/", DispatchView.as_view(), name="api_dispatch"),
    path("v1/jobs/<int:pk>/", JobView.as_view(), name="api_job"),
    path("v1/jobs/<int:pk>/download/", JobDownload.as_view(), name="api_job_download"),
    path("v1/imports/projects/template.xlsx", projects.ImportTemplate.as_view(), name="import_template"),
    path("v1/imports/projects/", projects.ProjectImport.as_view(), name="import_projects"),
    path(
        "v1/imports/progress-reports/template.xlsx",
        ReportImportTemplate.as_view(),
        name="import_report_template",
    ),
    path("v1/imports/progress-reports/", ReportImport.as_view(), name="import_reports"),
    path("v1/", include((router.urls, "api"), namespace="api")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file of its own, not inline.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("redoc/", redoc, name="api_redoc"),
]
