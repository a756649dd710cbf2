"""Two-factor enrolment is compulsory for staff and jury members (allauth has no setting for it)."""

from allauth.mfa.utils import is_mfa_enabled
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

# Where a person who must enrol may still go: enrolment itself, logging out, the language switch (and /health/,
# which is no page).
ALLOWED_URL_NAMES = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_add_webauthn",
    "mfa_reauthenticate",
    "account_logout",
    "account_reauthenticate",
    "set_language",
    "health",
}


class RequireMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.requires_mfa:
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ALLOWED_URL_NAMES:
            return None
        if request.path.startswith(("/static/", "/media/")):
            return None
        if is_mfa_enabled(user):
            return None
        return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': request.get_full_path()})}")
