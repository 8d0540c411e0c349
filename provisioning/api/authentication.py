"""Who is calling the Provisioning Client API: a school's client, by its bearer token."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from provisioning.credentials import client_token_verify
from provisioning.models import ClientToken


class ProvisioningClient:
    """The caller of the API: not a person, a school's client holding a live token."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __init__(self, token: ClientToken):
        self.token = token
        self.school = token.school

    def __str__(self) -> str:
        return f"Provisioning Client of {self.school.dfes_number}"


class ClientTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>`. A bad token is a 401, never a 403."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # no credentials at all: the permission turns this into a 401
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”, with nothing else.")
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = client_token_verify(raw)
        if token is None:
            raise AuthenticationFailed(
                _(
                    "This client token is unknown or has been revoked. "
                    "Ask the Hwb team to issue the school a new one."
                )
            )
        return ProvisioningClient(token), token

    def authenticate_header(self, request) -> str:
        # Its presence makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Bearer realm="Hwb Provisioning Client API"'


class IsProvisioningClient(BasePermission):
    message = _("Send the school's client token as “Authorization: Bearer <token>”.")

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ClientToken)


class ClientTokenScheme(OpenApiAuthenticationExtension):
    """Describes the bearer token in the OpenAPI schema (and the docs page's Authorize button)."""

    target_class = ClientTokenAuthentication
    name = "ClientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "The school's Provisioning Client token, issued by the Hwb team with "
                "`python manage.py issue_client_token <DfES number>`."
            ),
        }
