"""The DfES-number lookup the transfer wizard uses to show a school's name as it is typed."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from .selectors import school_by_dfes_number


class DfesLookupThrottle(UserRateThrottle):
    """Per account (or per address): enough for typing, too few to enumerate Wales."""

    scope = "dfes_lookup"


@extend_schema(
    summary="A school's name for its DfES number",
    responses={
        200: inline_serializer(
            "SchoolName",
            {
                "dfes_number": serializers.CharField(),
                "name": serializers.CharField(),
                "name_en": serializers.CharField(),
                "name_cy": serializers.CharField(),
            },
        ),
        404: OpenApiResponse(description="No such school (nothing more is said)."),
        429: OpenApiResponse(description="Too many look-ups; try again shortly."),
    },
)
@api_view(["GET"])
@authentication_classes([SessionAuthentication])
@permission_classes([IsAuthenticated])
@throttle_classes([DfesLookupThrottle])
def dfes_lookup(request, dfes_number: str):
    school = school_by_dfes_number(dfes_number)
    if school is None:
        return Response({"detail": _("No school has this DfES number.")}, status=404)
    return Response(
        {
            "dfes_number": school.dfes_number,
            "name": school.name,
            "name_en": school.name_en,
            "name_cy": school.name_cy or school.name_en,
        }
    )
