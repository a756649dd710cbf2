"""factory_boy factories for every model of the platform."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.utils import timezone

from challenges.models import (
    Challenge,
    ChallengeJuror,
    ChallengeStatus,
    Criterion,
    JuryMembership,
    Phase,
    PhaseKind,
    Program,
    Rubric,
    Theme,
)
from datacity.accounts.models import User
from datasets.models import AccessLevel, Dataset, Licence
from partners.models import Partner, PartnerKind, PartnerMembership
from startups.models import (
    Application,
    ApplicationStatus,
    Decision,
    Review,
    ReviewStatus,
    Sector,
    Selection,
    Startup,
    StartupMembership,
)

CASABLANCA = ZoneInfo("Africa/Casablanca")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.django.Password("a-strong-test-password")

    @factory.post_generation
    def verified_email(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """`verified_email=True`: the address is confirmed, as allauth requires before a password login."""
        if create and extracted:
            EmailAddress.objects.create(user=obj, email=obj.email.lower(), verified=True, primary=True)

    @factory.post_generation
    def totp(obj: User, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """Staff get a TOTP authenticator unless `totp=False` (they must have one to use the platform)."""
        if create and (extracted or (extracted is None and obj.is_staff)):
            TOTP.activate(obj, generate_totp_secret())
            RecoveryCodes.activate(obj)


class PartnerFactory(factory.django.DjangoModelFactory[Partner]):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    kind = PartnerKind.COMPANY
    description = "A partner of the program."


class PartnerMembershipFactory(factory.django.DjangoModelFactory[PartnerMembership]):
    class Meta:
        model = PartnerMembership

    partner = factory.SubFactory(PartnerFactory)
    user = factory.SubFactory(UserFactory)


class ProgramFactory(factory.django.DjangoModelFactory[Program]):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"DataCity edition {n}")
    slug = factory.Sequence(lambda n: f"edition-{n}")
    city = "Casablanca"
    description = "An edition of the program."
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=210))
    time_zone = CASABLANCA
    is_published = True


class PhaseFactory(factory.django.DjangoModelFactory[Phase]):
    """Phases of one program follow each other, 30 days each, from the program's start.

    A phase must fall within its edition, and the sequence behind `order` keeps growing across the test session: the
    30-day slot is the order modulo the number of slots the edition holds (nine in ProgramFactory's 270 days).
    """

    class Meta:
        model = Phase

    program = factory.SubFactory(ProgramFactory)
    order = factory.Sequence(lambda n: n)
    kind = PhaseKind.CALL_FOR_APPLICATIONS
    title = factory.Sequence(lambda n: f"Phase {n}")
    starts_at = factory.LazyAttribute(
        lambda o: (
            datetime.combine(o.program.starts_on, datetime.min.time(), tzinfo=CASABLANCA)
            + timedelta(days=30 * (o.order % max(1, (o.program.ends_on - o.program.starts_on).days // 30)))
        )
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(days=30))


def open_call(
    program: Program | None = None, *, opened: timedelta = timedelta(days=5), left: timedelta = timedelta(days=5)
) -> Phase:
    """A call for applications open now: opened `opened` ago, closing in `left`."""
    now = timezone.now()
    return PhaseFactory.create(
        program=program,
        kind=PhaseKind.CALL_FOR_APPLICATIONS,
        starts_at=now - opened,
        ends_at=now + left,
    )


class ThemeFactory(factory.django.DjangoModelFactory[Theme]):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Theme {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")


class ChallengeFactory(factory.django.DjangoModelFactory[Challenge]):
    class Meta:
        model = Challenge
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    title = factory.Sequence(lambda n: f"Challenge {n}")
    slug = factory.Sequence(lambda n: f"challenge-{n}")
    summary = "A short summary."
    problem_statement = "A real urban problem."
    kpis = "Waiting time\nSatisfaction"
    owner = factory.SubFactory(PartnerFactory)
    status = ChallengeStatus.PUBLISHED

    @factory.post_generation
    def themes(obj: Challenge, create: bool, extracted: Iterable[Theme] | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.themes.set(extracted)

    @factory.post_generation
    def co_sponsors(obj: Challenge, create: bool, extracted: Iterable[Partner] | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.co_sponsors.set(extracted)


class StartupFactory(factory.django.DjangoModelFactory[Startup]):
    class Meta:
        model = Startup

    name = factory.Sequence(lambda n: f"Startup {n}")
    slug = factory.Sequence(lambda n: f"startup-{n}")
    pitch = "We solve an urban problem."
    sector = Sector.MOBILITY
    city = "Casablanca"
    founded_year = 2016


class StartupMembershipFactory(factory.django.DjangoModelFactory[StartupMembership]):
    class Meta:
        model = StartupMembership

    startup = factory.SubFactory(StartupFactory)
    user = factory.SubFactory(UserFactory)


class SelectionFactory(factory.django.DjangoModelFactory[Selection]):
    class Meta:
        model = Selection
        skip_postgeneration_save = True

    program = factory.SubFactory(ProgramFactory)
    startup = factory.SubFactory(StartupFactory)
    challenge = factory.SubFactory(ChallengeFactory, program=factory.SelfAttribute("..program"))
    sponsor = factory.SubFactory(PartnerFactory)
    selected_on = factory.LazyFunction(lambda: date(2017, 6, 12))

    @factory.post_generation
    def signed(obj: Selection, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        """Data access and bookings open once the experimentation agreement is signed by all three parties: a
        selection is made with its agreement in force unless `signed=False` (the tests of that gate)."""
        if create and extracted is not False:
            sign_agreement(obj)


class DatasetFactory(factory.django.DjangoModelFactory[Dataset]):
    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Dataset {n}")
    slug = factory.Sequence(lambda n: f"dataset-{n}")
    owner = factory.SubFactory(PartnerFactory)
    licence = Licence.ODBL
    access_level = AccessLevel.PUBLIC

    @factory.post_generation
    def challenges(obj: Dataset, create: bool, extracted: Iterable[Challenge] | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.challenges.set(extracted)


# --- Selection ------------------------------------------------------------------------------------------------------


def open_selection(
    program: Program | None = None, *, opened: timedelta = timedelta(days=2), left: timedelta = timedelta(days=5)
) -> Phase:
    """The evaluation window (a SELECTION phase) open now: opened `opened` ago, closing in `left`."""
    now = timezone.now()
    return PhaseFactory.create(program=program, kind=PhaseKind.SELECTION, starts_at=now - opened, ends_at=now + left)


class SubmittedApplicationFactory(factory.django.DjangoModelFactory[Application]):
    """A submitted application (written directly: the call's rules are the application services' tests' business)
    of a startup with one member (who hears of the decisions) unless `member=False`."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    startup = factory.SubFactory(StartupFactory)
    challenge = factory.SubFactory(ChallengeFactory)
    status = ApplicationStatus.SUBMITTED
    solution = "Shade sails on the tram stops, measured by sensors."
    data_use = "The tram operator's ridership data."
    team = "Two engineers and a designer."
    submitted_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def member(obj: Application, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create and extracted is not False:
            StartupMembershipFactory.create(startup=obj.startup)


class RubricFactory(factory.django.DjangoModelFactory[Rubric]):
    class Meta:
        model = Rubric

    program = factory.SubFactory(ProgramFactory)


class CriterionFactory(factory.django.DjangoModelFactory[Criterion]):
    class Meta:
        model = Criterion

    rubric = factory.SubFactory(RubricFactory)
    order = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    description = "What a high score means."
    scale_min = 0
    scale_max = 5


class ReviewFactory(factory.django.DjangoModelFactory[Review]):
    """A juror's review, cleared (no conflict declared) unless `status` says otherwise; the juror sits on the jury."""

    class Meta:
        model = Review
        skip_postgeneration_save = True

    application = factory.SubFactory(SubmittedApplicationFactory)
    juror = factory.SubFactory(UserFactory)
    rubric = factory.SubFactory(RubricFactory, program=factory.SelfAttribute("..application.challenge.program"))
    status = ReviewStatus.DRAFT
    cleared_at = factory.LazyAttribute(lambda o: timezone.now() if o.status != ReviewStatus.ASSIGNED else None)

    @factory.post_generation
    def jury(obj: Review, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create and extracted is not False:
            JuryMembership.objects.get_or_create(program=obj.application.challenge.program, user=obj.juror)


class DecisionFactory(factory.django.DjangoModelFactory[Decision]):
    class Meta:
        model = Decision

    application = factory.SubFactory(SubmittedApplicationFactory)


class JuryMembershipFactory(factory.django.DjangoModelFactory[JuryMembership]):
    class Meta:
        model = JuryMembership

    program = factory.SubFactory(ProgramFactory)
    user = factory.SubFactory(UserFactory)


class ChallengeJurorFactory(factory.django.DjangoModelFactory[ChallengeJuror]):
    """A juror of a challenge, jury member of its edition unless `member=False`."""

    class Meta:
        model = ChallengeJuror
        skip_postgeneration_save = True

    challenge = factory.SubFactory(ChallengeFactory)
    user = factory.SubFactory(UserFactory)

    @factory.post_generation
    def member(obj: ChallengeJuror, create: bool, extracted: bool | None, **kwargs: Any) -> None:
        if create and extracted is not False:
            JuryMembership.objects.get_or_create(program_id=obj.challenge.program_id, user=obj.user)


# Experiment agreement


def sign_agreement(selection: Selection) -> Any:
    """The selection's experimentation agreement in force, written straight with the ORM (no rule, notice or audit):
    the edition's latest template (one made if none), the agreement, and a signature for each party. Signers are
    people already there (a member of the startup, of the sponsor, a staff account for the city), so that no test
    world gets extra accounts; a new user only when nobody is there yet."""
    from challenges.models import AgreementTemplate
    from startups.models import AgreementParty, AgreementSignature, ExperimentAgreement

    template = AgreementTemplate.objects.filter(program_id=selection.program_id).order_by("-version").first()
    if template is None:
        template = AgreementTemplate.objects.create(program_id=selection.program_id, text="The experimentation terms.")
    agreement, _created = ExperimentAgreement.objects.get_or_create(selection=selection, template=template)
    startup = StartupMembership.objects.filter(startup_id=selection.startup_id).select_related("user").first()
    partner = PartnerMembership.objects.filter(partner__sponsored_selections=selection).select_related("user").first()
    anyone = (startup.user if startup else None) or (partner.user if partner else None)
    if anyone is None:
        anyone = UserFactory.create()
    staff = User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()
    signers = {
        AgreementParty.CITY: staff or anyone,
        AgreementParty.PARTNER: partner.user if partner else anyone,
        AgreementParty.STARTUP: startup.user if startup else anyone,
    }
    for party, user in signers.items():
        AgreementSignature.objects.get_or_create(agreement=agreement, party=party, defaults={"user": user})
    return agreement


# Indicators


class IndicatorFactory(factory.django.DjangoModelFactory[Any]):
    class Meta:
        model = "startups.Indicator"

    selection = factory.SubFactory(SelectionFactory)
    name = factory.Sequence(lambda n: f"Indicator {n}")
    unit = "litres/day"
    baseline = Decimal(1000)
    target = Decimal(700)
    method = "Read on the district meter every Monday."


class MeasurementFactory(factory.django.DjangoModelFactory[Any]):
    class Meta:
        model = "startups.Measurement"

    indicator = factory.SubFactory(IndicatorFactory)
    value = Decimal(900)
    measured_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
    source = "District meter"
    measured_by = factory.SubFactory(UserFactory)


# Results


class DemoDayFactory(factory.django.DjangoModelFactory[Any]):
    """A published demo day on the edition's last day, 14:00 to 18:00 in Casablanca."""

    class Meta:
        model = "challenges.DemoDay"

    program = factory.SubFactory(ProgramFactory)
    starts_at = factory.LazyAttribute(
        lambda o: datetime.combine(o.program.ends_on, datetime.min.time(), tzinfo=CASABLANCA) + timedelta(hours=14)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=4))
    place = "Technopark"
    address = "Route de Nouaceur, Casablanca"
    programme = "Welcome\nPitches\nDrinks"
    is_published = True


class PartnershipFactory(factory.django.DjangoModelFactory[Any]):
    """A partnership grown from a selection's experiment, with its startup and sponsor."""

    class Meta:
        model = "startups.Partnership"

    selection = factory.SubFactory(SelectionFactory)
    startup = factory.LazyAttribute(lambda o: o.selection.startup)
    partner = factory.LazyAttribute(lambda o: o.selection.sponsor)
    stage = "contract"
    signed_on = factory.LazyFunction(lambda: date(2017, 11, 20))
    startup_agrees_public = True
    partner_agrees_public = True
