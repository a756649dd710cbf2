"""`manage.py load_demo`: seed the DataCity Casablanca 2017 edition and one demo account per role.

Idempotent: rows are looked up by their natural keys and saved only when a value differs, so a second run writes
nothing. Demo accounts are created only where DEMO_ACCOUNTS_ENABLED is on (never on production settings).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import models, transaction

from challenges.models import Challenge, ChallengeStatus, JuryMembership, Phase, Program, Theme
from challenges.services import phase_tick
from datacity.accounts.roles import JURY
from datacity.audit.context import system_context
from datacity.core.models import MembershipRole
from datacity.demo import content
from datasets.models import Dataset
from partners.models import Partner, PartnerMembership
from startups.models import Selection, Startup, StartupMembership

LANGUAGES = ("fr", "ar", "en")


def translated(field: str, values: dict[str, str] | None) -> dict[str, str]:
    """{"fr": ..., "en": ...} -> {"field_fr": ..., "field_en": ..., "field_ar": ""} for modeltranslation."""
    values = values or {}
    return {f"{field}_{language}": values.get(language, "") for language in LANGUAGES}


class Upserter:
    """update_or_create that leaves a row untouched when nothing changed, and counts what it did."""

    def __init__(self):
        self.created = 0
        self.updated = 0

    def __call__(self, model: type[models.Model], lookup: dict, values: dict) -> models.Model:
        instance = model._default_manager.filter(**lookup).first()
        if instance is None:
            instance = model(**lookup, **values)
            instance.full_clean()
            instance.save()
            self.created += 1
            return instance
        changed = {name: value for name, value in values.items() if getattr(instance, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(instance, name, value)
            instance.full_clean()
            instance.save(update_fields=[*changed, *self._auto_now_fields(model)])
            self.updated += 1
        return instance

    @staticmethod
    def _auto_now_fields(model) -> list[str]:
        return [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]

    def set_m2m(self, manager, objects) -> None:
        wanted = {obj.pk for obj in objects}
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(objects)
            self.updated += 1


class Command(BaseCommand):
    help = "Load the DataCity Casablanca 2017 demo edition (idempotent) and the demo accounts."

    def handle(self, *args, **options):
        upsert = Upserter()
        with system_context("load_demo"), transaction.atomic():
            partners = self.load_partners(upsert)
            program = self.load_program(upsert)
            challenges = self.load_challenges(upsert, program, partners)
            startups = self.load_startups(upsert, program, partners, challenges)
            self.load_datasets(upsert, partners, challenges)
            accounts = self.load_accounts(upsert, program, partners, startups)
        with system_context("load_demo"):
            # The clock tells the demo's people about the 2017 edition's phases as if it had run then (a real
            # edition entered after the fact would be recorded silently): notices in their centres, mails sent
            # by the worker of `make run`.
            transitions = phase_tick(catch_up=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo edition “{program.name}” ready: {upsert.created} rows created, {upsert.updated} updated, "
                f"{len(transitions)} phase changes recorded by the clock."
            )
        )
        if accounts:
            self.stdout.write("Demo accounts (log in at /accounts/login/; the admin is at /admin/):")
            for email, role in accounts:
                self.stdout.write(f"  {role:<8} {email:<28} password: {content.DEMO_PASSWORD}")
            self.stdout.write(
                f"Staff and jury use two-factor authentication: add the TOTP secret {content.DEMO_TOTP_SECRET} "
                "to an authenticator app (any TOTP app) to get their codes."
            )
        else:
            self.stdout.write("Demo accounts are disabled here (DEMO_ACCOUNTS_ENABLED is off): none created.")

    def load_partners(self, upsert) -> dict[str, Partner]:
        partners = {}
        for slug, kind, names, description, website in content.PARTNERS:
            values = {"kind": kind, "website": website, "is_public": True, **translated("name", names)}
            values |= translated("description", description)
            partners[slug] = upsert(Partner, {"slug": slug}, values)
        return partners

    def load_program(self, upsert) -> Program:
        data = content.PROGRAM
        zone = ZoneInfo(data["time_zone"])
        program = upsert(
            Program,
            {"slug": data["slug"]},
            {
                "starts_on": data["starts_on"],
                "ends_on": data["ends_on"],
                "time_zone": zone,
                "is_published": True,
                **translated("name", data["name"]),
                **translated("city", data["city"]),
                **translated("description", data["description"]),
            },
        )
        for order, (kind, start, end, titles) in enumerate(content.PHASES):
            upsert(
                Phase,
                {"program": program, "order": order},
                {
                    "kind": kind,
                    "starts_at": datetime(*start, tzinfo=zone),
                    "ends_at": datetime(*end, tzinfo=zone),
                    **translated("title", titles),
                },
            )
        return program

    def load_challenges(self, upsert, program, partners) -> dict[str, Challenge]:
        themes = {slug: upsert(Theme, {"slug": slug}, translated("name", names)) for slug, names in content.THEMES}
        challenges = {}
        for data in content.CHALLENGES:
            challenge = upsert(
                Challenge,
                {"slug": data["slug"]},
                {
                    "program": program,
                    "owner": partners[data["owner"]],
                    "status": ChallengeStatus.PUBLISHED,
                    "is_featured": data["featured"],
                    **translated("title", data["title"]),
                    **translated("summary", data["summary"]),
                    **translated("problem_statement", data["problem"]),
                    **translated("kpis", data["kpis"]),
                    **translated("context", content.DEMO_NOTE),
                },
            )
            upsert.set_m2m(challenge.co_sponsors, [partners[slug] for slug in data["co_sponsors"]])
            upsert.set_m2m(challenge.themes, [themes[slug] for slug in data["themes"]])
            challenges[data["slug"]] = challenge
        return challenges

    def load_startups(self, upsert, program, partners, challenges) -> dict[str, Startup]:
        startups = {}
        selected_on = program.phases.get(kind="selection").ends_at.date()
        for slug, name, sector, city, founded, challenge, sponsor, pitch in content.STARTUPS:
            fictional = slug.endswith("-fictive")
            startup = upsert(
                Startup,
                {"slug": slug},
                {
                    "name": name,
                    "sector": sector,
                    "city": city,
                    "founded_year": founded,
                    **translated("pitch", pitch),
                    **translated("description", content.DEMO_NOTE if fictional else None),
                },
            )
            upsert(
                Selection,
                {"program": program, "startup": startup},
                {
                    "challenge": challenges[challenge],
                    "sponsor": partners[sponsor],
                    "selected_on": selected_on,
                },
            )
            startups[slug] = startup
        return startups

    def load_datasets(self, upsert, partners, challenges) -> None:
        for slug, owner, access_level, licence, related, titles in content.DATASETS:
            dataset = upsert(
                Dataset,
                {"slug": slug},
                {
                    "owner": partners[owner],
                    "access_level": access_level,
                    "licence": licence,
                    **translated("title", titles),
                    **translated("description", content.DEMO_NOTE),
                },
            )
            upsert.set_m2m(dataset.challenges, [challenges[slug] for slug in related])

    def load_accounts(self, upsert, program, partners, startups) -> list[tuple[str, str]]:
        if not settings.DEMO_ACCOUNTS_ENABLED:
            return []
        user_model = get_user_model()
        accounts = []
        for email, full_name, role, organisation in content.DEMO_ACCOUNTS:
            user = user_model.objects.filter(email=email).first()
            if user is None:
                # The password is set once: a second run must not rewrite the hash (new salt, changed row).
                user = user_model.objects.create_user(email, content.DEMO_PASSWORD, full_name=full_name, is_demo=True)
                upsert.created += 1
            staff = role == "staff"
            user = upsert(user_model, {"pk": user.pk}, {"is_demo": True, "is_staff": staff, "is_superuser": staff})
            upsert(EmailAddress, {"user": user, "email": email}, {"verified": True, "primary": True})
            if role == "partner":
                upsert(
                    PartnerMembership,
                    {"partner": partners[organisation], "user": user},
                    {"role": MembershipRole.OWNER},
                )
            elif role == "startup":
                upsert(
                    StartupMembership,
                    {"startup": startups[organisation], "user": user},
                    {"role": MembershipRole.OWNER},
                )
            elif role == "jury":
                upsert(JuryMembership, {"program": program, "user": user}, {"role": MembershipRole.MEMBER})
                if not user.groups.filter(name=JURY).exists():
                    user.groups.add(Group.objects.get(name=JURY))
            if user.requires_mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, content.DEMO_TOTP_SECRET)
                upsert.created += 1
            accounts.append((email, role))
        return accounts
