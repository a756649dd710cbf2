"""Authentication events into the audit log (Django's own auth signals are the only hook for them)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .services import record


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender, request, user, **kwargs):
    record(action="auth.login", actor=user, obj=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        record(action="auth.logout", actor=user, obj=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Never log the password: only the identifier that was tried.
    tried = credentials.get("email") or credentials.get("username") or ""
    record(action="auth.login_failed", request=request, email=str(tried)[:254], attempted=str(tried)[:254])
