from rest_framework import serializers


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a record the requesting user may see; anything else is "does not exist"."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().visible_to(getattr(request, "user", None))
