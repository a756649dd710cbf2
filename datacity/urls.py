"""Root URLs: the admin and the language switch outside the language prefix; public pages inside it.

French (the default language) has no prefix (/challenges/), Arabic and English have one (/ar/challenges/).
"""

import re

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.static import serve

from challenges.views import home

from .composed_pages import my_space
from .health import health

admin.site.site_header = _("DataCity administration")
admin.site.site_title = _("DataCity")
admin.site.index_title = _("Program management")
# The admin logs in through allauth: one login form, with its rate limits and two-factor authentication.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # allauth wraps the view


def media_patterns() -> list[URLPattern]:
    """MEDIA_URL served from MEDIA_ROOT where SERVE_MEDIA is on (`make run`), DEBUG or not; elsewhere, no route.

    Unlike django.conf.urls.static.static(), this does not depend on DEBUG: `DEBUG=false make run` shows logos too.
    """
    if not settings.SERVE_MEDIA:
        return []
    prefix = re.escape(settings.MEDIA_URL.lstrip("/"))
    return [re_path(rf"^{prefix}(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}, name="media")]


urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # For load balancers and monitors: no language, no session, never cached (datacity/health.py).
    path("health/", health, name="health"),
    # Uploaded files, outside the language prefix (behind a reverse proxy, the proxy serves them).
    *media_patterns(),
    # The open data API: JSON in every language at once, so outside the language prefix.
    path("api/", include("datacity.opendata.api_urls")),
]

urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("me/", my_space, name="my_space"),
    path("", include("challenges.urls")),
    path("partners/", include("partners.urls")),
    path("", include("partners.site_urls")),
    path("startups/", include("startups.urls")),
    path("datasets/", include("datasets.urls")),
    path("staff/selection/", include("startups.selection_urls")),
    path("staff/", include("datacity.staff_dashboard")),
    path("jury/", include("startups.jury_urls")),
    path("experiments/", include("startups.experiment_urls")),
    path("partnerships/", include("startups.partnership_urls")),
    path("notifications/", include("datacity.notifications.urls")),
    path("open-data/", include("datacity.opendata.urls")),
    path("accounts/", include("allauth.urls")),
    prefix_default_language=False,
)


def bench_minimal(request: HttpRequest) -> HttpResponse:
    """`make bench`'s ceiling: the same middleware as every page, and a response of a few bytes."""
    return HttpResponse(b"ok", content_type="text/plain")


# Only when BENCH_MINIMAL_VIEW is on (bench_pages' own web process): never in a deployment nor in the tests.
if settings.BENCH_MINIMAL_VIEW:
    urlpatterns.append(path("bench/minimal/", bench_minimal, name="bench_minimal"))

# The platform's own error pages, in its layout and language (datacity/errors.py).
handler400 = "datacity.errors.bad_request"
handler403 = "datacity.errors.permission_denied"
handler404 = "datacity.errors.page_not_found"
handler500 = "datacity.errors.server_error"
