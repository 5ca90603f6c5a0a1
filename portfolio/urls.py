from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portfolio.dispatch.views import dispatch_page
from portfolio.views import dashboard

urlpatterns = [
    path("", dashboard, name="home"),
    path("dispatch/", dispatch_page, name="dispatch"),
    path("notifications/", include("portfolio.notifications.urls")),
    path("jobs/", include("portfolio.jobs.urls")),
    path("", include("projects.urls")),
    path("", include("financing.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("portfolio.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler404 = "portfolio.views.page_not_found"
handler500 = "portfolio.views.server_error"
