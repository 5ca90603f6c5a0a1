"""The site's URLs plus views that fail, a page and an API endpoint, to see what a 500 shows and logs."""

from django.urls import path
from rest_framework.views import APIView

from portfolio.urls import handler404, handler500
from portfolio.urls import urlpatterns as site


def boom(request):
    raise RuntimeError("secret internals: DATABASE_PASSWORD=hunter2")


class ApiBoom(APIView):
    def get(self, request):
        raise RuntimeError("secret internals: DATABASE_PASSWORD=hunter2")


urlpatterns = [*site, path("boom/", boom), path("api/v1/boom/", ApiBoom.as_view())]
__all__ = ["handler404", "handler500", "urlpatterns"]
