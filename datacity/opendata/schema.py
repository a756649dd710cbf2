"""The OpenAPI description's answers besides 200: what each endpoint refuses, and why, so a client (and the
schemathesis run in the tests) knows every status it may get."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated


class Problem(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What went wrong, in the language asked for."))


class OpenDataSchema(AutoSchema):
    def get_response_serializers(self):
        found = super().get_response_serializers()
        responses = {200: found, 429: OpenApiResponse(Problem, description=_("Too many requests: wait and retry."))}
        if self._is_list_view(found):
            # A filter value of the wrong kind (400); a page past the last one (404).
            responses[400] = OpenApiResponse(description=_("A filter with a wrong value, named in the answer."))
            responses[404] = OpenApiResponse(Problem, description=_("No such page."))
        else:
            responses[404] = OpenApiResponse(Problem, description=_("Not found, or not yours to see."))
        if any(isinstance(permission, IsAuthenticated) for permission in self.view.get_permissions()):
            responses[403] = OpenApiResponse(Problem, description=_("Sign in first."))
        return responses
