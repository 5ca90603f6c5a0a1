"""POST /api/v1/auth/token/: a token for a user name and password."""

from django.contrib.auth.signals import user_logged_in
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response


class TokenView(ObtainAuthToken):
    """A token for a user name and password, under the pages' login protection: the lockout sees the
    request itself, so failures count and a locked-out pair is told so (429)."""

    authentication_classes = ()  # a user name and password, whatever session the client may also have

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "request": self.request._request}

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        # A login like the page's: the failure count is reset and the last login recorded.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
