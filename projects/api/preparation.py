"""The procedures API (`procedures`): a project's preparatory procedures, one row per kind; listed, read,
recorded and changed, never deleted (a procedure no longer needed is 无需办理)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from portfolio import access
from portfolio.api.fields import ScopedRelatedField
from portfolio.api.viewsets import ServiceModelViewSet
from projects.choices import ProcedureKind
from projects.filtersets import ProcedureFilterSet
from projects.models import Procedure, Project
from projects.selectors.preparation import procedure_list
from projects.services import preparation as preparation_services

from .serializers import FixedParentAndKeySerializer


class ProcedureSerializer(FixedParentAndKeySerializer):
    """Shapes the input; procedure_create / procedure_update decide (one row per project and kind, a done
    procedure has its number) and write the audit entry. The project and the kind are fixed once recorded."""

    project = ScopedRelatedField(queryset=Project.objects.all())
    kind = serializers.ChoiceField(choices=ProcedureKind.choices, help_text=_("手续种类；每个项目每种一条"))
    fixed_on_change = ("kind",)

    class Meta:
        model = Procedure
        fields = ["id", "project", "kind", *preparation_services.PROCEDURE_FIELDS]
        validators = []  # one row per project and kind: the service decides

    def create(self, validated_data):
        return preparation_services.procedure_create(
            acting_user=self.context["request"].user, **validated_data
        )

    def update(self, instance, validated_data):
        return preparation_services.procedure_update(
            acting_user=self.context["request"].user, procedure=instance, **validated_data
        )


class ProcedureViewSet(ServiceModelViewSet):
    """前期手续. A kind a project has no row of is 未办理; creating a second row of a kind answers 400. City
    staff record any project's, a district user its own district's; finance reads; banks see none."""

    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilterSet
    selector = staticmethod(procedure_list)
    write_roles = access.EDITORS
