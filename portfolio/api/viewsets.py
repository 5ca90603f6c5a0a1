"""The viewset bases of the API: lists through their selector, writes through services, ETags and If-Match."""

import hashlib
import json

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import APIException


def etag_of(data) -> str:
    """A strong ETag for a record's representation: it changes whenever any field does."""
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:32]}"'


def if_match_allows(header: str, current: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or current in tags


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("记录已被修改：If-Match 与当前版本不符。")
    default_code = "precondition_failed"


class SelectorReads:
    """Every read goes through the list's selector, `selector(*, user, params)`: the list with the request's
    filters, a single record from the same scoped, annotated queryset without them. The view keeps its
    `filterset_class` so that the schema documents the filters; the selector applies them."""

    selector = None

    def get_queryset(self):
        return self.selector(user=self.request.user, params=None)

    def filter_queryset(self, queryset):
        if getattr(self, "action", None) == "list":
            return self.selector(user=self.request.user, params=self.request.query_params)
        return queryset


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
    SelectorReads,
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
    SelectorReads,
    ServiceWrites,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """List, read and record; entries are never changed or deleted through the API."""
