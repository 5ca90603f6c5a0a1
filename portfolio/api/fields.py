from rest_framework import serializers


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a record the requesting user may see; anything else is "does not exist"."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().visible_to(getattr(request, "user", None))


class FixedParentSerializer(serializers.ModelSerializer):
    """A record stays under the parent it was created under: on a change, `parent_field` is read-only."""

    parent_field = "project"

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            fields[self.parent_field].read_only = True
        return fields
