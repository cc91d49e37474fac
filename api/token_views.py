"""/api/v1/auth/tokens/: a signed-in user lists, issues and revokes their own API tokens.

Authenticated by a session (staff signed in to the admin: a browser or ``curl`` with the
session cookie and CSRF token) or by one of the user's tokens. The key of a new token is in
the 201 answer and nowhere else, ever: lists show the name, the first characters
(``token_key``), when it was issued and when it expires. A token issued with a token expires
no later than that token, so a leaked key cannot keep itself alive. Other users' tokens are
managed in the admin, by staff with the permission to (``api.manage_others_tokens``).
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema, tokens
from api.models import ApiToken
from api.parameters import unknown_parameter_errors
from api.renderers import DirectoryJSONRenderer

ALLOWED_PARAMETERS = {"format"}


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as lists show it: never its key, never its digest."""

    token_key = serializers.CharField(
        read_only=True, help_text="The key's first characters: which token this is."
    )
    current = serializers.SerializerMethodField(
        help_text="Whether this is the token that authenticated this request."
    )

    class Meta:
        model = ApiToken
        fields = ("name", "token_key", "created", "expiry", "current")
        read_only_fields = fields

    def get_current(self, token) -> bool:
        used = self.context["request"].auth
        return isinstance(used, ApiToken) and used.digest == token.digest


class IssuedApiTokenSerializer(ApiTokenSerializer):
    """A token just issued, with its key: shown in this answer only."""

    token = serializers.CharField(
        read_only=True,
        help_text="The key. Send it as `Authorization: Token <key>`. It is shown this once: "
        "only its digest is stored.",
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = (*ApiTokenSerializer.Meta.fields, "token")
        read_only_fields = fields


class NewApiTokenSerializer(serializers.Serializer):
    """What a new token is for, and how soon it expires."""

    name = serializers.CharField(
        max_length=tokens.NAME_MAX_LENGTH,
        help_text="What the token is for: the script, service or device that will use it.",
    )
    expires_in_days = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Days until it expires (default and most: API_TOKEN_TTL_DAYS, 90 unless "
        "configured otherwise).",
    )

    def validate_expires_in_days(self, days: int) -> int:
        most = tokens.max_ttl().days
        if days > most:
            raise serializers.ValidationError(
                _("At most %(days)s days on this server.") % {"days": most}
            )
        return days


TOKEN_ERRORS = {
    (400, schema.JSON): schema.ERROR_SCHEMA,
    (401, schema.JSON): schema.DETAIL_SCHEMA,
    (403, schema.JSON): schema.DETAIL_SCHEMA,
    (429, schema.JSON): schema.DETAIL_SCHEMA,
}


class SignedInView(APIView):
    """The signed-in user's own tokens: 401 for anonymous callers, never cached."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [DirectoryJSONRenderer]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        errors = unknown_parameter_errors(request, ALLOWED_PARAMETERS)
        if errors:
            raise ValidationError(errors)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers about credentials are kept by no cache (ours, a proxy's, the browser's).
        response["Cache-Control"] = "no-store"
        return response


class TokenListView(SignedInView):
    """The signed-in user's API tokens: list them, or issue a new one."""

    @extend_schema(
        summary="Your API tokens",
        description="Every token of the signed-in user that has not expired, newest first; "
        "never a key.",
        tags=["tokens"],
        responses={(200, schema.JSON): ApiTokenSerializer(many=True), **TOKEN_ERRORS},
    )
    def get(self, request):
        mine = tokens.live(ApiToken.objects.filter(user=request.user))
        return Response(ApiTokenSerializer(mine, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Issue yourself an API token",
        description="The answer holds the key, once: store it now. The token expires after "
        "`expires_in_days` (at most API_TOKEN_TTL_DAYS), and never after the token this "
        "request was sent with, if any.",
        tags=["tokens"],
        request=NewApiTokenSerializer,
        responses={
            (201, schema.JSON): IssuedApiTokenSerializer,
            **TOKEN_ERRORS,
            (409, schema.JSON): schema.DETAIL_SCHEMA,
        },
    )
    def post(self, request):
        data = request.data
        if hasattr(data, "keys"):
            known = set(NewApiTokenSerializer().fields)
            unknown = sorted(set(data.keys()) - known)
            if unknown:
                message = _("Unknown field. Allowed: %(names)s.") % {
                    "names": ", ".join(sorted(known))
                }
                raise ValidationError({name: [message] for name in unknown})
        asked = NewApiTokenSerializer(data=data)
        asked.is_valid(raise_exception=True)
        days = asked.validated_data.get("expires_in_days")
        used = request.auth if isinstance(request.auth, ApiToken) else None
        try:
            token, key = tokens.issue(
                request.user,
                asked.validated_data["name"],
                expires_in=datetime.timedelta(days=days) if days else None,
                not_after=used.expiry if used else None,
            )
        except tokens.TooManyTokens as refused:
            return Response({"detail": str(refused)}, status=status.HTTP_409_CONFLICT)
        token.token = key
        body = IssuedApiTokenSerializer(token, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenDetailView(SignedInView):
    """One of the signed-in user's tokens, by its first characters."""

    @extend_schema(
        summary="Revoke one of your API tokens",
        description="At once: the next request with its key is a 401. Revoking the token "
        "this request was sent with is allowed (sign out).",
        tags=["tokens"],
        parameters=[
            schema.parameter(
                "token_key",
                OpenApiTypes.STR,
                "The token's first characters, as the list shows them (`token_key`).",
                "fd_3f9a0c1b2d4e",
                location="path",
            )
        ],
        responses={
            204: None,
            **TOKEN_ERRORS,
            (404, schema.JSON): schema.DETAIL_SCHEMA,
        },
    )
    def delete(self, request, token_key: str):
        revoked = ApiToken.objects.filter(user=request.user, token_key=token_key).delete()[0]
        if not revoked:
            raise NotFound(_("You have no token starting %(key)s.") % {"key": token_key})
        return Response(status=status.HTTP_204_NO_CONTENT)
