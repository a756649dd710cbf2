"""Program editions, their phases (state derived from dates), themes and challenges."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from timezone_field import TimeZoneField

from datacity.core.models import Invitation, Membership, TimeStampedModel
from datacity.core.validators import validate_single_line
from partners.models import Partner


class PhaseKind(models.TextChoices):
    """The generic phase model of a program edition; an edition's phase names and dates are data."""

    CHALLENGE_DEFINITION = "challenge_definition", _("Challenge definition")
    CALL_FOR_APPLICATIONS = "call_for_applications", _("Call for applications")
    SELECTION = "selection", _("Selection")
    CO_CONSTRUCTION = "co_construction", _("Co-construction")
    PROTOTYPING = "prototyping", _("Prototyping and experimentation")
    DEMO_DAY = "demo_day", _("Evaluation and demo day")
    FOLLOW_UP = "follow_up", _("Follow-up")


# The code of the error an overlap between two phases of one edition gives.
PHASE_OVERLAP = "phase_overlap"


class PhaseStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ProgramStatus(models.TextChoices):
    """Where an edition stands, from its dates in its own time zone; never stored."""

    UPCOMING = "upcoming", _("Upcoming")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")


@dataclass(frozen=True)
class EditionState:
    """An edition at one instant, derived from its dates and its phases' kinds and dates (never stored): its status,
    the phase open and the next one, and the call for applications a startup can act on (the open one, else the
    next one, else the last one closed) with that call's status."""

    status: str  # a ProgramStatus
    phases: tuple["Phase", ...]
    current_phase: "Phase | None"
    next_phase: "Phase | None"
    call: "Phase | None"  # None when the edition has no call for applications (yet)
    call_status: str | None  # the call's PhaseStatus

    @property
    def status_label(self) -> str:
        return str(ProgramStatus(self.status).label)

    @property
    def is_over(self) -> bool:
        """Finished by its dates, or every one of its phases is closed."""
        return self.status == ProgramStatus.FINISHED or bool(
            self.phases and self.current_phase is None and self.next_phase is None
        )


OFFSET_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_offsets(value: str) -> list[tuple[int, str]]:
    """ "7d 1d 2h" → [(7, "d"), (1, "d"), (2, "h")], longest first; ValueError when a part is not <number><d|h|m>."""
    offsets = []
    for part in value.replace(",", " ").split():
        number, unit = part[:-1], part[-1:].lower()
        if unit not in OFFSET_UNITS or not number.isdigit() or not 0 < int(number) <= 999:
            raise ValueError(part)
        offsets.append((int(number), unit))
    return sorted(set(offsets), key=lambda offset: timedelta(**{OFFSET_UNITS[offset[1]]: offset[0]}), reverse=True)


def validate_offsets(value: str) -> None:
    try:
        parse_offsets(value)
    except ValueError as error:
        raise ValidationError(
            _("%(part)s is not a delay: write numbers followed by d (days), h (hours) or m (minutes), e.g. 7d 1d 2h."),
            params={"part": str(error)[:20]},
        ) from None


class LateReminders(models.TextChoices):
    SEND = "send", _("Send them late, once")
    SKIP = "skip", _("Skip them")


class ProgramQuerySet(models.QuerySet):
    def published(self) -> "ProgramQuerySet":
        return self.filter(is_published=True)

    def with_phases(self) -> "ProgramQuerySet":
        return self.prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("order", "starts_at")))

    def current(self, today: date | None = None) -> "Program | None":
        """The edition people should act on: the one running today (the latest started, if several), else the next
        one to start, else the last one to have ended: an edition announced for later wins over a finished one."""
        today = today or timezone.localdate()
        return (
            self.filter(starts_on__lte=today, ends_on__gte=today).order_by("-starts_on").first()
            or self.filter(starts_on__gt=today).order_by("starts_on").first()
            or self.filter(ends_on__lt=today).order_by("-ends_on", "-starts_on").first()
        )


class Program(TimeStampedModel):
    """One edition of the program (e.g. DataCity Casablanca 2017)."""

    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    city = models.CharField(_("city"), max_length=120, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    time_zone = TimeZoneField(
        _("time zone"),
        default="Africa/Casablanca",
        help_text=_("Deadlines are shown and understood in this time zone."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    reminder_offsets = models.CharField(
        _("reminders before a deadline"),
        max_length=100,
        default="7d 1d 2h",
        validators=[validate_offsets],
        help_text=_(
            'When people are reminded before a phase ends, e.g. "7d 1d 2h" (days are calendar days in the '
            "edition's time zone, hours and minutes are exact durations)."
        ),
    )
    late_reminders = models.CharField(
        _("reminders missed while the platform was down"),
        max_length=8,
        choices=LateReminders,
        default=LateReminders.SEND,
    )
    reviews_per_application = models.PositiveSmallIntegerField(
        _("reviews per application"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("How many jurors score each application when reviews are assigned automatically."),
    )
    results_published = models.BooleanField(
        _("results published"),
        default=False,
        help_text=_("The edition's results page (prototypes, indicators, outcomes) is public."),
    )
    blind_review = models.BooleanField(
        _("blind review"),
        default=False,
        help_text=_("Jurors do not see which startup an application comes from (its name, members, website)."),
    )

    objects = ProgramQuerySet.as_manager()

    class Meta:
        verbose_name = _("program edition")
        verbose_name_plural = _("program editions")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="challenges_program_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("challenges:program", kwargs={"slug": self.slug})

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("An edition cannot end before it starts.")})

    def current_phase(self, now: datetime | None = None) -> "Phase | None":
        """The phase open at `now`, read from the (prefetched) phases."""
        now = now or timezone.now()
        return next((phase for phase in self.phases.all() if phase.status(now) == PhaseStatus.OPEN), None)

    def next_phase(self, now: datetime | None = None) -> "Phase | None":
        now = now or timezone.now()
        return next((phase for phase in self.phases.all() if phase.status(now) == PhaseStatus.UPCOMING), None)

    def state(self, now: datetime | None = None) -> EditionState:
        """Where the edition stands at `now` and what a startup can do, read from the (prefetched) phases: one query
        without a prefetch, none with it."""
        now = now or timezone.now()
        phases = tuple(self.phases.all())
        status_of = {phase.pk: phase.status(now) for phase in phases}

        def first(status: str, among=phases) -> "Phase | None":
            return min((p for p in among if status_of[p.pk] == status), key=lambda p: p.starts_at, default=None)

        calls = [phase for phase in phases if phase.kind == PhaseKind.CALL_FOR_APPLICATIONS]
        call = (
            first(PhaseStatus.OPEN, calls)
            or first(PhaseStatus.UPCOMING, calls)
            or max(calls, key=lambda p: p.ends_at, default=None)
        )
        today = timezone.localtime(now, self.time_zone).date()
        if today < self.starts_on:
            status = ProgramStatus.UPCOMING
        elif today > self.ends_on:
            status = ProgramStatus.FINISHED
        else:
            status = ProgramStatus.RUNNING
        return EditionState(
            status=status,
            phases=phases,
            current_phase=first(PhaseStatus.OPEN),
            next_phase=first(PhaseStatus.UPCOMING),
            call=call,
            call_status=status_of[call.pk] if call else None,
        )


class TsTzRange(Func):
    """PostgreSQL's tstzrange(start, end): half-open, so a phase may start the second the previous one ends."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def edition_period(program: Program) -> tuple[datetime, datetime] | None:
    """An edition's first instant and the instant after its last day, in its time zone; None while its dates are
    unknown (an edition form not filled in yet)."""
    if not (program.starts_on and program.ends_on and program.time_zone):
        return None
    zone = ZoneInfo(str(program.time_zone))
    return (
        datetime.combine(program.starts_on, time.min, tzinfo=zone),
        datetime.combine(program.ends_on + timedelta(days=1), time.min, tzinfo=zone),
    )


class Phase(models.Model):
    """A dated step of an edition. Its status is computed from the dates at request time, never stored."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="phases", verbose_name=_("edition"))
    order = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=32, choices=PhaseKind)
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), help_text=_("The phase is closed from this instant on."))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["program", "order"]
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="challenges_phase_order_unique"),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="challenges_phase_ends_after_start"
            ),
            # The database itself refuses two phases of one edition whose periods overlap (needs btree_gist).
            ExclusionConstraint(
                name="challenges_phase_no_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("program", RangeOperators.EQUAL),
                ],
                violation_error_message=_("This phase overlaps another phase of the same edition."),
                violation_error_code=PHASE_OVERLAP,
            ),
        ]
        # A phase must also fall within its edition's dates: clean() says so, and a constraint trigger
        # (challenges_phase_within_edition, see migration 0004) refuses it in the database, where a CHECK
        # constraint cannot look at another table.

    def __str__(self) -> str:
        return f"{self.program} – {self.title}"

    def status(self, now: datetime | None = None) -> str:
        """Upcoming before `starts_at`, open from `starts_at` (inclusive) to `ends_at` (exclusive), then closed."""
        now = now or timezone.now()
        if now < self.starts_at:
            return PhaseStatus.UPCOMING
        if now < self.ends_at:
            return PhaseStatus.OPEN
        return PhaseStatus.CLOSED

    def get_status_display(self) -> str:
        return str(PhaseStatus(self.status()).label)

    def is_open(self, now: datetime | None = None) -> bool:
        return self.status(now) == PhaseStatus.OPEN

    def clean(self) -> None:
        # Overlaps with other phases are refused by the exclusion constraint, which full_clean() validates too.
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A phase must end after it starts.")})
        self._validate_within_edition()

    def _validate_within_edition(self) -> None:
        """The phase runs from the edition's first day to the end of its last day, in the edition's time zone.

        The edition is the one this phase points to as it is in memory: on the edition's page, the one whose dates
        are being saved with its phases.
        """
        try:
            program = self.program
        except Program.DoesNotExist:  # not chosen yet: the form says so
            return
        period = edition_period(program)
        if period is None:
            return
        first, after_last = period
        dates = {"first": date_format(program.starts_on), "last": date_format(program.ends_on)}
        errors = {}
        if self.starts_at and self.starts_at < first:
            errors["starts_at"] = ValidationError(
                _("A phase cannot start before its edition, which runs from %(first)s to %(last)s."),
                code="phase_before_edition",
                params=dates,
            )
        if self.ends_at and self.ends_at > after_last:
            errors["ends_at"] = ValidationError(
                _("A phase cannot end after its edition, which runs from %(first)s to %(last)s."),
                code="phase_after_edition",
                params=dates,
            )
        if errors:
            raise ValidationError(errors)

    def overlapping_phases(self) -> "models.QuerySet[Phase]":
        """The other phases of the edition whose periods overlap this one's (half-open, as the constraint)."""
        return (
            Phase.objects.filter(program_id=self.program_id, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at)
            .exclude(pk=self.pk)
            .order_by("starts_at")
        )

    def validate_constraints(self, exclude=None) -> None:
        """The database's constraints, checked before saving; an overlap names the phase it clashes with."""
        try:
            super().validate_constraints(exclude)
        except ValidationError as error:
            raise ValidationError(
                {field: [self._name_the_overlap(each) for each in errors] for field, errors in error.error_dict.items()}
            ) from None

    def _name_the_overlap(self, error: ValidationError) -> ValidationError:
        clash = self.overlapping_phases().select_related("program").first() if error.code == PHASE_OVERLAP else None
        if clash is None:
            return error
        zone = clash.program.time_zone
        return ValidationError(
            _("This phase overlaps another phase of the same edition: “%(title)s” (%(start)s – %(end)s)."),
            code=PHASE_OVERLAP,
            params={
                "title": clash.title,
                "start": date_format(timezone.localtime(clash.starts_at, zone), "DATETIME_FORMAT"),
                "end": date_format(timezone.localtime(clash.ends_at, zone), "DATETIME_FORMAT"),
            },
        )


class PhaseTransition(models.Model):
    """A phase status change, recorded once by the clock (challenges.clock): the trace and the hook for notices.

    A phase's transitions form a sequence (opened, closed; and, when staff move its dates, reopened or postponed):
    `sequence` numbers them per phase, and its uniqueness is what keeps two ticks at the same instant from
    recording one change twice. `at` is the instant the dates give for the change, `recorded_at` when the tick saw it.
    """

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="transitions")
    sequence = models.PositiveIntegerField(_("sequence"))
    status = models.CharField(_("status"), max_length=16, choices=PhaseStatus)
    at = models.DateTimeField(_("at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("phase transition")
        verbose_name_plural = _("phase transitions")
        ordering = ["at", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "sequence"], name="challenges_transition_once"),
        ]

    def __str__(self) -> str:
        return f"{self.phase}: {self.status}"


class ReminderRun(models.Model):
    """One reminder moment dealt with: (phase, reminder, offset) for the phase's end at that time. Recorded by the
    clock once its notices are written (or skipped), so each moment is looked at once, even after downtime."""

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="reminder_runs")
    reminder = models.CharField(max_length=64)
    offset = models.CharField(max_length=8)
    deadline = models.DateTimeField()
    due_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)
    skipped = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "reminder", "offset", "deadline"], name="challenges_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase}: {self.reminder} {self.offset}"


class Theme(models.Model):
    name = models.CharField(_("name"), max_length=100, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChallengeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ChallengeQuerySet(models.QuerySet):
    def published(self) -> "ChallengeQuerySet":
        """What the public sees: published challenges of published editions. The one definition of it."""
        return self.filter(status=ChallengeStatus.PUBLISHED, program__is_published=True)

    def of_partners(self, partners: models.QuerySet | Partner) -> "ChallengeQuerySet":
        """Challenges owned or co-sponsored by `partners` (a queryset or one partner), without a DISTINCT: the
        co-sponsorship is a subquery, not a join."""
        if isinstance(partners, Partner):
            partners = Partner.objects.filter(pk=partners.pk)
        partner_ids = partners.values("pk")
        co_sponsored = Challenge.co_sponsors.through.objects.filter(partner__in=partner_ids).values("challenge_id")
        return self.filter(Q(owner__in=partner_ids) | Q(pk__in=co_sponsored))

    def for_listing(self) -> "ChallengeQuerySet":
        return (
            self.select_related("program", "owner").prefetch_related("themes").order_by("-program__starts_on", "title")
        )

    def for_detail(self) -> "ChallengeQuerySet":
        return self.select_related("program", "owner").prefetch_related(
            "themes", Prefetch("co_sponsors", queryset=Partner.objects.order_by("name"))
        )


class Challenge(TimeStampedModel):
    """An urban problem posed by an owner partner (a problem, not a solution)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="challenges", verbose_name=_("edition"))
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True, help_text=_("One sentence for lists."))
    problem_statement = models.TextField(_("problem statement"))
    context = models.TextField(_("context"), blank=True)
    expected_outcomes = models.TextField(_("expected outcomes"), blank=True)
    kpis = models.TextField(_("KPIs"), blank=True, help_text=_("How success will be measured, one per line."))
    themes = models.ManyToManyField(Theme, related_name="challenges", blank=True, verbose_name=_("themes"))
    owner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="owned_challenges", verbose_name=_("owner")
    )
    co_sponsors: "models.ManyToManyField[Partner, Any]" = models.ManyToManyField(
        Partner, related_name="co_sponsored_challenges", blank=True, verbose_name=_("co-sponsors")
    )
    status = models.CharField(_("status"), max_length=16, choices=ChallengeStatus, default=ChallengeStatus.DRAFT)
    is_featured = models.BooleanField(_("featured on the home page"), default=False)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        verbose_name = _("challenge")
        verbose_name_plural = _("challenges")
        ordering = ["title"]
        indexes = [models.Index(fields=["program", "status"], name="challenges_program_status_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenges:detail", kwargs={"slug": self.slug})

    def kpi_list(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.kpis.splitlines() if line.strip(" -•\t")]


class JuryMembership(Membership):
    """A jury member of an edition."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="jury", verbose_name=_("edition"))

    class Meta:
        verbose_name = _("jury member")
        verbose_name_plural = _("jury members")
        constraints = [models.UniqueConstraint(fields=["program", "user"], name="challenges_jury_once_per_edition")]

    def __str__(self) -> str:
        return f"{self.user} – {self.program}"


class JuryInvitation(Invitation):
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="jury_invitations", verbose_name=_("edition")
    )

    class Meta(Invitation.Meta):
        verbose_name = _("jury invitation")
        verbose_name_plural = _("jury invitations")


class ChallengeJuror(models.Model):
    """A jury member of the edition who reviews the applications to one challenge. A member of a partner sits only on
    the juries of that partner's own challenges (the services check it)."""

    challenge = models.ForeignKey(
        Challenge, on_delete=models.CASCADE, related_name="jurors", verbose_name=_("challenge")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="challenge_juries", verbose_name=_("juror")
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        verbose_name = _("challenge juror")
        verbose_name_plural = _("challenge jurors")
        ordering = ["challenge", "user"]
        constraints = [models.UniqueConstraint(fields=["challenge", "user"], name="challenges_juror_once")]

    def __str__(self) -> str:
        return f"{self.user} – {self.challenge}"


class RubricQuerySet(models.QuerySet):
    def current_for(self, challenge: "Challenge") -> "Rubric | None":
        """The rubric that scores applications to `challenge`: the challenge's own latest version if it has one,
        else the edition's latest. The one definition of it."""
        own = self.filter(challenge=challenge).order_by("-version").first()
        if own is not None:
            return own
        return self.filter(program_id=challenge.program_id, challenge__isnull=True).order_by("-version").first()


class Rubric(TimeStampedModel):
    """One version of the weighted criteria an edition (or one of its challenges) is scored by. Frozen when the first
    score is saved: a change is then a new version, audited, and the reviews already made are scored again."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="rubrics", verbose_name=_("edition"))
    challenge = models.ForeignKey(
        Challenge,
        on_delete=models.CASCADE,
        related_name="rubrics",
        null=True,
        blank=True,
        verbose_name=_("challenge"),
        help_text=_("Empty: the rubric of every challenge of the edition that has none of its own."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    note = models.TextField(_("why this version"), blank=True)
    frozen_at = models.DateTimeField(
        _("frozen at"), null=True, blank=True, help_text=_("Set when the first score is saved.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = RubricQuerySet.as_manager()

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["program", "challenge", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "challenge", "version"], name="challenges_rubric_version_once", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        scope = self.challenge or self.program
        return f"{scope} – v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class Criterion(models.Model):
    """One weighted criterion of a rubric, scored on an integer scale."""

    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("rubric"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    description = models.TextField(
        _("description"), blank=True, help_text=_("What a juror looks at, and what a high score means.")
    )
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, default=1, validators=[MinValueValidator(Decimal("0.01"))]
    )
    scale_min = models.SmallIntegerField(_("lowest score"), default=0)
    scale_max = models.SmallIntegerField(_("highest score"), default=5)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["rubric", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(scale_max__gt=models.F("scale_min")), name="challenges_criterion_scale"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="challenges_criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.scale_min is not None and self.scale_max is not None and self.scale_max <= self.scale_min:
            raise ValidationError({"scale_max": _("The highest score must be above the lowest.")})


# --- Experimentation: the agreement's template and the milestones of an edition -------------------------------------

DEFAULT_IP_CLAUSE = (
    "The startup keeps the intellectual property of everything it builds during the experimentation: code, designs, "
    "data products and know-how. The city and the partner receive a free, non-exclusive right to use the results "
    "of the experiment for its evaluation and publication; any further use is negotiated with the startup."
)


class AgreementTemplate(TimeStampedModel):
    """One version of an edition's tripartite experimentation agreement (city, sponsoring partner, startup):
    immutable once a party signed an agreement made from it; a change is a new version. Its IP clause states that
    the startup keeps the intellectual property of what it builds."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="agreement_templates", verbose_name=_("edition")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    text = models.TextField(_("text"), help_text=_("Data, sites, confidentiality, duration, publication of results."))
    ip_clause = models.TextField(
        _("intellectual property clause"),
        default=DEFAULT_IP_CLAUSE,
        help_text=_("It must state that the startup keeps the intellectual property of what it builds."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("agreement template")
        verbose_name_plural = _("agreement templates")
        ordering = ["program", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["program", "version"], name="challenges_agreementtemplate_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.program} – v{self.version}"


class MilestoneKind(models.TextChoices):
    KICKOFF = "kickoff", _("Kickoff")
    MID_TERM = "mid_term", _("Mid-term review")
    FINAL = "final", _("Final review")
    OTHER = "other", _("Other")


class Milestone(models.Model):
    """A dated step of an edition's experimentation (kickoff, mid-term, final): each selected startup delivers for
    it by its due date."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("edition"))
    kind = models.CharField(_("kind"), max_length=16, choices=MilestoneKind, default=MilestoneKind.OTHER)
    title = models.CharField(_("title"), max_length=200, validators=[validate_single_line])
    description = models.TextField(_("what is expected"), blank=True)
    due_at = models.DateTimeField(_("due at"))

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["program", "due_at"]

    def __str__(self) -> str:
        return self.title


class DemoDay(models.Model):
    """An edition's demo day: when and where the selected startups show their prototypes in public, and the
    programme of the day. The startups presenting are marked on their selections."""

    program = models.OneToOneField(
        Program, on_delete=models.CASCADE, related_name="demo_day", verbose_name=_("edition")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, validators=[validate_single_line])
    address = models.CharField(_("address"), max_length=300, blank=True, validators=[validate_single_line])
    programme = models.TextField(_("programme"), blank=True, help_text=_("The day's schedule, one item a line."))
    is_published = models.BooleanField(_("published"), default=False)

    class Meta:
        verbose_name = _("demo day")
        verbose_name_plural = _("demo days")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="challenges_demoday_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} – {self.place}"
