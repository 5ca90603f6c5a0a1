from django.urls import path

from .views import batch, documents, preparation, progress
from .views import project as views

app_name = "projects"

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/import/", views.project_import, name="project_import"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/submit/", views.project_submit, name="project_submit"),
    path("projects/<int:pk>/review/", views.project_review, name="project_review"),
    path("projects/<int:pk>/stage/", views.project_stage, name="project_stage"),
    path("projects/<int:pk>/milestones/new/", views.milestone_create, name="milestone_create"),
    path("milestones/<int:pk>/edit/", views.milestone_edit, name="milestone_edit"),
    # Preparatory procedures: one kind of a project's checklist.
    path("projects/<int:pk>/procedures/<str:kind>/", preparation.procedure_edit, name="procedure_edit"),
    # A project's documents (附件): upload, download through the scope check, delete (city staff).
    path("projects/<int:pk>/documents/new/", documents.document_upload, name="document_upload"),
    path("documents/<int:pk>/download/", documents.document_download, name="document_download"),
    path("documents/<int:pk>/delete/", documents.document_delete, name="document_delete"),
    path("review/", views.review_queue, name="review_queue"),
    path("my-district/", views.my_district, name="my_district"),
    # The monthly dispatch: annual plans, monthly reports and their review, the problem ledger.
    path("projects/<int:pk>/plans/new/", progress.plan_create, name="plan_create"),
    path("plans/<int:pk>/edit/", progress.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/confirm/", progress.plan_confirm, name="plan_confirm"),
    path("projects/<int:pk>/reports/new/", progress.report_create, name="report_create"),
    path("reports/<int:pk>/", progress.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", progress.report_edit, name="report_edit"),
    path("reports/<int:pk>/submit/", progress.report_submit, name="report_submit"),
    path("reports/<int:pk>/return/", progress.report_return, name="report_return"),
    path("reports/<int:pk>/accept/", progress.report_accept, name="report_accept"),
    path("reports/<int:pk>/reopen/", progress.report_reopen, name="report_reopen"),
    path("reports/<int:pk>/problem/", progress.report_problem, name="report_problem"),
    path("progress/monthly/", progress.monthly, name="monthly"),
    path("progress/monthly/import/", batch.report_import, name="report_import"),
    path("progress/review/", progress.report_review_queue, name="report_review_queue"),
    path("progress/problems/", progress.problem_list, name="problem_list"),
    path("projects/<int:pk>/problems/new/", progress.problem_create, name="problem_create"),
    path("problems/<int:pk>/edit/", progress.problem_edit, name="problem_edit"),
]
