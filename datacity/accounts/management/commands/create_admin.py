"""`manage.py create_admin EMAIL`: the first administrator of a new installation, ready to log in.

`createsuperuser` makes an account whose address allauth has never verified, so its login stops at a verification
mail nobody asked for. This command creates (or promotes) the account with a verified primary address, asks for the
password on the terminal (or reads DATACITY_ADMIN_PASSWORD for scripted installs), and says what comes next:
staff must enrol two-factor authentication at their first login.
"""

import getpass
import os

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from datacity.audit.context import system_context
from datacity.audit.services import record


class Command(BaseCommand):
    help = "Create the first administrator (superuser, verified address); they enrol two-factor at first login."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--full-name", default="")

    def handle(self, *args, email: str, full_name: str, **options):
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"{email!r} is not a valid email address.") from error
        password = os.environ.get("DATACITY_ADMIN_PASSWORD") or self.ask_password()
        user_model = get_user_model()
        user = user_model.objects.filter(email__iexact=email).first() or user_model(email=email)
        user.full_name = full_name or user.full_name
        try:
            password_validation.validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with system_context("create_admin"), transaction.atomic():
            created = user.pk is None
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            EmailAddress.objects.filter(user=user).update(primary=False)
            EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
            record(action="accounts.admin_created" if created else "accounts.admin_promoted", obj=user)
        self.stdout.write(self.style.SUCCESS(f"{email} is an administrator and can log in at /accounts/login/."))
        self.stdout.write(
            "At the first login the platform asks them to enrol two-factor authentication (an authenticator app); "
            "keep the recovery codes it shows somewhere safe."
        )

    def ask_password(self) -> str:
        if not self.stdin_is_interactive():
            raise CommandError("Set DATACITY_ADMIN_PASSWORD, or run the command in a terminal to type the password.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first

    @staticmethod
    def stdin_is_interactive() -> bool:
        import sys

        return sys.stdin.isatty()
