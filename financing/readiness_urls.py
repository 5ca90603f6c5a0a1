"""The 申报 pages, in the financing namespace: the ready list and the batches."""

from django.urls import path

from .views import readiness as views

urlpatterns = [
    path("readiness/", views.ready_list, name="ready_list"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/edit/", views.batch_edit, name="batch_edit"),
    path("batches/<int:pk>/close/", views.batch_close, name="batch_close"),
    path("batches/<int:pk>/entries/new/", views.batch_entry_add, name="batch_entry_add"),
    path("batch-entries/<int:pk>/edit/", views.batch_entry_edit, name="batch_entry_edit"),
    path("batch-entries/<int:pk>/outcome/", views.batch_entry_outcome, name="batch_entry_outcome"),
    path("batch-entries/<int:pk>/remove/", views.batch_entry_remove, name="batch_entry_remove"),
]
