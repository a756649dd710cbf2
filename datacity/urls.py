"""Root URLs: the admin and the language switch outside the language prefix; public pages inside it.

French (the default language) has no prefix (/challenges/), Arabic and English have one (/ar/challenges/).
"""

from allauth.account.decorators import secure_admin_login
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from challenges.views import home

from .views import my_space

admin.site.site_header = _("DataCity administration")
admin.site.site_title = _("DataCity")
admin.site.index_title = _("Program management")
# The admin logs in through allauth: one login form, with its rate limits and two-factor authentication.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("me/", my_space, name="my_space"),
    path("", include("challenges.urls")),
    path("partners/", include("partners.urls")),
    path("startups/", include("startups.urls")),
    path("accounts/", include("allauth.urls")),
    prefix_default_language=False,
)
