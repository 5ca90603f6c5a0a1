"""The site's URLs plus one view that fails, to see what a 500 shows and logs."""

from django.urls import path

from portfolio.urls import handler404, handler500
from portfolio.urls import urlpatterns as site


def boom(request):
    raise RuntimeError("secret internals: DATABASE_PASSWORD=hunter2")


urlpatterns = [*site, path("boom/", boom)]
__all__ = ["handler404", "handler500", "urlpatterns"]
