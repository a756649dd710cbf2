"""`manage.py load_demo`: seed the DataCity Casablanca 2017 edition, a current demo edition whose call for
applications is open, a running demo edition in its prototyping phase (the demo startup selected and experimenting),
and one demo account per role.

Idempotent: rows are looked up by their natural keys and saved only when a value differs, so a second run the same
day writes nothing. The current and running editions' dates are counted from the day of the run: a run on a later day
moves their phases (the clock then records the call opening again), so that the current edition's call is open, and
the running edition in its prototyping phase, whenever the demo was last loaded.
The demo startup's applications to it are written once, through the application services, and then left as people
leave them (a draft someone submitted while trying the demo stays submitted). Demo accounts, and so those
applications, are created only where DEMO_ACCOUNTS_ENABLED is on (never on production settings).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus, JuryMembership, Phase, PhaseKind, Program, Theme
from challenges.services import phase_tick
from datacity.accounts.roles import JURY
from datacity.audit.context import system_context
from datacity.core.models import MembershipRole
from datacity.demo import content
from datacity.demo.access import load_access
from datacity.demo.agreements import load_agreements
from datacity.demo.catalogue import load_catalogue
from datacity.demo.experiments import load_deliverables
from datacity.demo.files import load_files
from datacity.demo.kpis import load_kpis
from datacity.demo.partnerships import load_partnerships
from datacity.demo.pilots import load_pilot_selection
from datacity.demo.results import load_results
from datacity.demo.selection import load_selection
from datacity.demo.sites import load_sites
from datasets.models import Dataset
from partners.models import Partner, PartnerMembership
from startups.models import Application, EligibilityCondition, Question, Selection, Startup, StartupMembership
from startups.services import application_save, application_submit

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
    help = (
        "Load the DataCity Casablanca 2017 demo edition, a current demo edition open to applications, a running demo "
        "edition in its prototyping phase (idempotent) and the demo accounts."
    )

    def handle(self, *args, **options):
        upsert = Upserter()
        now = timezone.now()
        with system_context("load_demo"), transaction.atomic():
            partners = self.load_partners(upsert)
            program = self.load_program(upsert)
            challenges = self.load_challenges(upsert, program, partners, content.CHALLENGES)
            startups = self.load_startups(upsert, program, partners, challenges)
            self.load_datasets(upsert, partners, challenges)
            load_catalogue()
            load_files()
            accounts = self.load_accounts(upsert, program, partners, startups)
            # The running edition's selection comes before the agreements: the demo startup's, signed there too.
            pilot = self.load_edition_from_today(upsert, content.PILOT_PROGRAM, content.PILOT_PHASES, now=now)
            pilot_challenges = self.load_challenges(upsert, pilot, partners, content.PILOT_CHALLENGES)
            if accounts:
                load_pilot_selection(pilot, pilot_challenges, today=timezone.localtime(now, pilot.time_zone).date())
            load_agreements()
            load_sites(now=now)
            load_access()
            current = self.load_edition_from_today(upsert, content.CURRENT_PROGRAM, content.CURRENT_PHASES, now=now)
            current_challenges = self.load_challenges(upsert, current, partners, content.CURRENT_CHALLENGES)
            questions, conditions = self.load_application_form(upsert, current, current_challenges)
            if accounts:
                self.load_applications(upsert, current_challenges, questions, conditions, now=now)
                load_selection()
                load_kpis()
            load_deliverables()
            load_results()
            load_partnerships()
        with system_context("load_demo"):
            # The clock tells the demo's people about the 2017 edition's phases as if it had run then (a real
            # edition entered after the fact would be recorded silently), and about the current and running
            # editions' so far (the demo founder, an applicant, hears that the call opened): notices in their
            # centres, mails sent by the worker of `make run`.
            transitions = phase_tick(catch_up=None)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo editions “{program.name}”, “{current.name}” and “{pilot.name}” ready: "
                f"{upsert.created} rows created, "
                f"{upsert.updated} updated, {len(transitions)} phase changes recorded by the clock."
            )
        )
        call = current.phases.get(kind=PhaseKind.CALL_FOR_APPLICATIONS)
        closes = timezone.localtime(call.ends_at, current.time_zone)
        self.stdout.write(
            f"“{current.name}” takes applications until {closes:%Y-%m-%d %H:%M:%S} ({current.time_zone} time)."
        )
        if accounts:
            self.stdout.write("Demo accounts (log in at /accounts/login/; the admin is at /admin/):")
            for email, role in accounts:
                self.stdout.write(f"  {role:<8} {email:<28} password: {content.DEMO_PASSWORD}")
            self.stdout.write(
                f"Staff and jury use two-factor authentication: add the TOTP secret {content.DEMO_TOTP_SECRET} "
                "to an authenticator app (any TOTP app) to get their codes."
            )
            founder, slug = self.demo_founder()
            self.stdout.write(
                f"To try applying, log in as {founder}: {startups[slug].name} was given a submitted application and "
                "a draft in the current demo edition, and may apply to its third challenge. In "
                f"“{pilot.name}” it is selected with its sponsoring partner (log in as the partner to follow it "
                "too): its experiment's agreement, deliverables and indicators are under My space."
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
        phases = [
            (kind, datetime(*start, tzinfo=zone), datetime(*end, tzinfo=zone), titles)
            for kind, start, end, titles in content.PHASES
        ]
        self.load_phases(upsert, program, phases)
        return program

    def load_edition_from_today(self, upsert, data: dict, offsets: list, *, now: datetime) -> Program:
        """A demo edition whose phases (`offsets`, as content.CURRENT_PHASES) are counted from the day `now` falls on
        in the edition's time zone: the current one, open to applications, or the running one, in prototyping."""
        zone = ZoneInfo(data["time_zone"])
        today = timezone.localtime(now, zone).date()

        def moment(offset: tuple[int, int, int, int]) -> datetime:
            days, hour, minute, second = offset
            return datetime.combine(today + timedelta(days=days), time(hour, minute, second), tzinfo=zone)

        titles = content.PHASE_TITLES
        phases = [(kind, moment(start), moment(end), titles[kind]) for kind, start, end in offsets]
        program = upsert(
            Program,
            {"slug": data["slug"]},
            {
                "starts_on": phases[0][1].date(),
                "ends_on": phases[-1][2].date(),
                "time_zone": zone,
                "is_published": True,
                **translated("name", data["name"]),
                **translated("city", data["city"]),
                **translated("description", data["description"]),
            },
        )
        self.load_phases(upsert, program, phases)
        return program

    def load_phases(self, upsert, program: Program, phases: list[tuple[str, datetime, datetime, dict]]) -> None:
        """The edition's phases, in order. When their dates move (the current edition loaded on a later day), the
        phase furthest in the direction of the move goes first, so that no phase overlaps one not moved yet: the
        database refuses overlapping phases at once (their edition's own dates are checked at commit)."""
        ordered = list(enumerate(phases))
        first_start = program.phases.filter(order=0).values_list("starts_at", flat=True).first()
        if first_start is not None and phases[0][1] > first_start:
            ordered.reverse()
        for order, (kind, starts_at, ends_at, titles) in ordered:
            upsert(
                Phase,
                {"program": program, "order": order},
                {"kind": kind, "starts_at": starts_at, "ends_at": ends_at, **translated("title", titles)},
            )

    def load_challenges(self, upsert, program, partners, entries: list[dict]) -> dict[str, Challenge]:
        themes = {slug: upsert(Theme, {"slug": slug}, translated("name", names)) for slug, names in content.THEMES}
        challenges = {}
        for data in entries:
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

    def load_application_form(
        self, upsert, program: Program, challenges: dict[str, Challenge]
    ) -> tuple[dict[str, Question], dict[str, EligibilityCondition]]:
        """The current edition's questions (for every challenge, or for one) and eligibility conditions, by key."""
        questions = {}
        for data in content.CURRENT_QUESTIONS:
            challenge = challenges[data["challenge"]] if data["challenge"] else None
            questions[data["key"]] = upsert(
                Question,
                {"program": program, "challenge": challenge, "order": data["order"]},
                {
                    "kind": data["kind"],
                    "required": data["required"],
                    **translated("label", data["label"]),
                    **translated("help_text", data.get("help_text")),
                    **translated("choices", data.get("choices")),
                },
            )
        conditions = {
            key: upsert(EligibilityCondition, {"program": program, "order": order}, translated("statement", statement))
            for order, (key, statement) in enumerate(content.CURRENT_CONDITIONS, start=1)
        }
        return questions, conditions

    def demo_founder(self) -> tuple[str, str]:
        """The demo founder's email and the slug of their startup (the demo account of the "startup" role)."""
        return next((email, slug) for email, _name, role, slug in content.DEMO_ACCOUNTS if role == "startup")

    def load_applications(self, upsert, challenges, questions, conditions, *, now: datetime) -> None:
        """The demo startup's applications, written as its founder through the services a founder's form calls (so
        with their version, audit entries and confirmation notice), once: one already there is left as it is."""
        email, slug = self.demo_founder()
        founder = get_user_model().objects.get(email=email)
        startup = Startup.objects.get(slug=slug)
        for entry in content.DEMO_APPLICATIONS:
            challenge = challenges[entry["challenge"]]
            if Application.objects.filter(startup=startup, challenge=challenge).exists():
                continue
            data = {
                **{field: entry[field] for field in ("solution", "data_use", "team", "stage")},
                "eligibility": {str(conditions[key].pk): True for key in entry["eligibility"]},
                "answers": {questions[key].pk: value for key, value in entry["answers"].items()},
            }
            write = application_submit if entry["submit"] else application_save
            write(startup=startup, challenge=challenge, actor=founder, data=data, now=now)
            upsert.created += 1

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
