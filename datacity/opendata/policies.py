"""The API's rates and page sizes (a module of their own: the API settings import them before any view exists)."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonymousRate(AnonRateThrottle):
    """Requests per client address for visitors, read from the settings at each request (API_RATE_ANONYMOUS)."""

    def get_rate(self) -> str | None:
        return settings.API_RATE_ANONYMOUS


class MemberRate(UserRateThrottle):
    """Requests per signed-in person (API_RATE_SIGNED_IN)."""

    def get_rate(self) -> str | None:
        return settings.API_RATE_SIGNED_IN


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
