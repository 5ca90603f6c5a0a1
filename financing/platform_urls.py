"""The 政银企 platform's pages, in the financing namespace."""

from django.urls import path

from .views import platform as views

urlpatterns = [
    path("financing-platform/", views.platform, name="platform"),
    path("financing-platform/projects/<int:pk>/", views.project_summary, name="project_summary"),
    path("financing-demands/", views.demand_list, name="demand_list"),
    path("projects/<int:pk>/financing-demands/new/", views.demand_create, name="demand_create"),
    path("financing-demands/<int:pk>/", views.demand_detail, name="demand_detail"),
    path("financing-demands/<int:pk>/edit/", views.demand_edit, name="demand_edit"),
    path("financing-demands/<int:pk>/publish/", views.demand_publish, name="demand_publish"),
    path("financing-demands/<int:pk>/close/", views.demand_close, name="demand_close"),
    path("financing-demands/<int:pk>/intentions/new/", views.intention_create, name="intention_create"),
    path("credit-intentions/<int:pk>/edit/", views.intention_edit, name="intention_edit"),
    path("credit-intentions/<int:pk>/approve/", views.intention_approve, name="intention_approve"),
    path("credit-intentions/<int:pk>/decline/", views.intention_decline, name="intention_decline"),
    path("credit-intentions/<int:pk>/withdraw/", views.intention_withdraw, name="intention_withdraw"),
    path("credit-intentions/<int:pk>/sign/", views.intention_sign, name="intention_sign"),
]
