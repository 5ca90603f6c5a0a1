"""The viewset bases of the API: writes through services, ETags and If-Match."""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException

from .api import etag_of, if_match_allows


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("记录已被修改：If-Match 与当前版本不符。")
    default_code = "precondition_failed"


class ServiceWrites:
    """Writes go through the serializer to a service; reads give the record's `ETag`.

    `reread_after_write` reads the answer back through the scoped queryset, for computed fields."""

    reread_after_write = False

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response

    def perform_create(self, serializer):
        serializer.save()
        self._reread(serializer)

    def perform_update(self, serializer):
        serializer.save()
        self._reread(serializer)

    def _reread(self, serializer):
        if self.reread_after_write:
            serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)


class IfMatchUpdates:
    """A change sent with `If-Match` is compared with the record locked, in the transaction of the write:
    412 when the record changed since the client read its `ETag`."""

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            header = request.headers.get("If-Match")
            if header:
                locked = self.get_queryset().select_for_update(of=("self",))
                current = self.get_serializer(get_object_or_404(locked, pk=kwargs[self.lookup_field])).data
                if not if_match_allows(header, etag_of(current)):
                    raise PreconditionFailed()
            response = super().update(request, *args, **kwargs)
        response["ETag"] = etag_of(response.data)
        return response


class ServiceModelViewSet(
    ServiceWrites,
    IfMatchUpdates,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """List, read, create and change; nothing is deleted through the API."""


class RecordOnlyViewSet(
    ServiceWrites,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """List, read and record; entries are never changed or deleted through the API."""
