"""/api/v1/: the nouns of DOMAIN.md, token authentication; the schema and its docs at /api/."""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib.auth.signals import user_logged_in
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from financing.api import views as financing
from portfolio import exports, imports_api
from projects.api import views as projects


class TokenView(ObtainAuthToken):
    """A token for a user name and password, under the pages' login protection: the lockout sees the
    request itself, so failures count and a locked-out pair is told so (429)."""

    authentication_classes = ()  # a user name and password, whatever session the client may also have

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "request": self.request._request}

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # A login like the page's: the failure count is reset and the last login recorded.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


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
router.register("funding-lines", financing.FundingLineViewSet, basename="funding-line")
router.register("loans", financing.LoanViewSet, basename="loan")
router.register("disbursements", financing.DisbursementViewSet, basename="disbursement")
router.register("repayments", financing.RepaymentViewSet, basename="repayment")

urlpatterns = [
    path("v1/auth/token/", TokenView.as_view(), name="api_token"),
    path("v1/exports/projects.xlsx", exports.ProjectsExport.as_view(), name="export_projects"),
    path("v1/exports/financing.xlsx", exports.FinancingExport.as_view(), name="export_financing"),
    path("v1/imports/projects/template.xlsx", imports_api.ImportTemplate.as_view(), name="import_template"),
    path("v1/imports/projects/", imports_api.ProjectImport.as_view(), name="import_projects"),
    path("v1/", include((router.urls, "api"), namespace="api")),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file of its own, not inline.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("redoc/", redoc, name="api_redoc"),
]
