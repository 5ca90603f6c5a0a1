from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        page = request.query_params.get(self.page_query_param)
        if (
            page is not None
            and not (page.isdigit() and int(page) >= 1)
            and page not in self.last_page_strings
        ):
            raise ValidationError({"page": [_("页码应为正整数。")]})
        return super().paginate_queryset(queryset, request, view)
