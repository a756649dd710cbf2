"""Startup organisations and their selection in an edition, paired with a sponsoring partner."""

from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from challenges.models import Challenge, Program, TsTzRange
from datacity.core.models import Invitation, Membership, TimeStampedModel, logo_field
from datacity.core.uploads import storage_key
from datacity.core.validators import validate_single_line
from partners.models import Partner


class Sector(models.TextChoices):
    MOBILITY = "mobility", _("Mobility and transport")
    ENERGY = "energy", _("Energy")
    WATER = "water", _("Water and sanitation")
    CONSTRUCTION = "construction", _("Construction and housing")
    WASTE = "waste", _("Waste and circular economy")
    EDUCATION = "education", _("Education and training")
    TELECOM = "telecom", _("Telecommunications and IoT")
    CIVIC = "civic", _("Civic services")
    OTHER = "other", _("Other")


class StartupQuerySet(models.QuerySet):
    def selected(self) -> "StartupQuerySet":
        """Startups selected in at least one published edition: the ones the public may browse."""
        return self.filter(Exists(Selection.objects.public().filter(startup=OuterRef("pk"))))

    def for_listing(self) -> "StartupQuerySet":
        return self.prefetch_related(
            Prefetch("selections", queryset=Selection.objects.public().for_listing().order_by("-program__starts_on"))
        ).order_by("name")


class Startup(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    pitch = models.CharField(_("pitch"), max_length=280, help_text=_("What the startup does, in one sentence."))
    description = models.TextField(_("description"), blank=True)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector, default=Sector.OTHER)
    website = models.URLField(_("website"), blank=True)
    city = models.CharField(_("city"), max_length=120, blank=True, validators=[validate_single_line])
    founded_year = models.PositiveSmallIntegerField(
        _("founded in"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    logo = logo_field()
    members: "models.ManyToManyField[Any, Any]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="StartupMembership",
        related_name="startups",
        verbose_name=_("members"),
        blank=True,
    )

    objects = StartupQuerySet.as_manager()

    class Meta:
        verbose_name = _("startup")
        verbose_name_plural = _("startups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("startups:detail", kwargs={"slug": self.slug})


class StartupMembership(Membership):
    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        verbose_name = _("startup membership")
        verbose_name_plural = _("startup memberships")
        constraints = [
            models.UniqueConstraint(fields=["startup", "user"], name="startups_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.startup}"


class StartupInvitation(Invitation):
    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("startup")
    )

    class Meta(Invitation.Meta):
        verbose_name = _("startup invitation")
        verbose_name_plural = _("startup invitations")


class SelectionQuerySet(models.QuerySet):
    def public(self) -> "SelectionQuerySet":
        """Selections the public may see: those of published editions. The one definition of it."""
        return self.filter(program__is_published=True)

    def for_listing(self) -> "SelectionQuerySet":
        return self.select_related("program", "startup", "challenge", "sponsor").order_by(
            "-program__starts_on", "startup__name"
        )


class Outcome(models.TextChoices):
    """Where a selected startup's experiment ended up, as the edition's results show it."""

    IN_PROGRESS = "in_progress", _("Experiment under way")
    TESTED = "tested", _("Prototype tested")
    PILOT = "pilot", _("Pilot agreed")
    CONTRACT = "contract", _("Contract signed")
    STOPPED = "stopped", _("Stopped")


class Selection(TimeStampedModel):
    """A startup selected in an edition, for a challenge, paired with one sponsoring partner."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="selections", verbose_name=_("edition"))
    startup = models.ForeignKey(Startup, on_delete=models.CASCADE, related_name="selections", verbose_name=_("startup"))
    challenge = models.ForeignKey(
        Challenge,
        on_delete=models.PROTECT,
        related_name="selections",
        null=True,
        blank=True,
        verbose_name=_("challenge"),
    )
    sponsor = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="sponsored_selections",
        null=True,
        blank=True,
        verbose_name=_("sponsoring partner"),
    )
    selected_on = models.DateField(_("selected on"), null=True, blank=True)
    # Results, written by staff when the experiment ends (public once the edition's results are published).
    prototype_summary = models.TextField(_("prototype summary"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome, blank=True)
    presents_at_demo_day = models.BooleanField(_("presents at the demo day"), default=False)
    demo_day_order = models.PositiveSmallIntegerField(_("order of presentation"), default=0)

    objects = SelectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("selection")
        verbose_name_plural = _("selections")
        ordering = ["program", "startup__name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "startup"], name="startups_selection_once_per_edition"),
        ]

    def __str__(self) -> str:
        return f"{self.startup} – {self.program}"

    def clean(self) -> None:
        if self.challenge is not None and self.program_id and self.challenge.program_id != self.program_id:
            raise ValidationError({"challenge": _("This challenge belongs to another edition.")})


# --- Applications to a call ------------------------------------------------------------------------------------


class QuestionKind(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    NUMBER = "number", _("Number")
    URL = "url", _("Web address")
    YES_NO = "yes_no", _("Yes or no")
    FILE = "file", _("File")


class Question(models.Model):
    """A question of an edition's application form, for every challenge or for one. Hidden, never deleted, once it
    has answers: no answer is ever orphaned."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questions", verbose_name=_("edition"))
    challenge = models.ForeignKey(
        Challenge,
        on_delete=models.CASCADE,
        related_name="questions",
        null=True,
        blank=True,
        verbose_name=_("challenge"),
        help_text=_("Empty: asked for every challenge of the edition."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionKind, default=QuestionKind.SHORT_TEXT)
    label = models.CharField(_("question"), max_length=300, validators=[validate_single_line])
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For choice questions: one choice per line."))
    required = models.BooleanField(_("required"), default=False)
    hidden = models.BooleanField(_("hidden"), default=False, help_text=_("No longer asked; its answers are kept."))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["program", "order", "pk"]

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        """The choices in the current language. Answers keep a choice's position, so they survive translation."""
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def display_answer(self, value: Any) -> str:
        """An answer as text in the current language (a file question's answer is its attachments: not here)."""
        if value is None or value == "" or value == []:
            return ""
        if self.kind == QuestionKind.YES_NO:
            return str(_("Yes") if value else _("No"))
        if self.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            choices = self.choice_list()
            positions = value if isinstance(value, list) else [value]
            return ", ".join(
                choices[position] if isinstance(position, int) and 0 <= position < len(choices) else str(position)
                for position in positions
            )
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return str(value)


class EligibilityCondition(models.Model):
    """A yes/no condition every applicant of an edition must meet (e.g. "registered in Morocco")."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="eligibility_conditions", verbose_name=_("edition")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    statement = models.CharField(_("statement"), max_length=300, validators=[validate_single_line])

    class Meta:
        verbose_name = _("eligibility condition")
        verbose_name_plural = _("eligibility conditions")
        ordering = ["program", "order", "pk"]

    def __str__(self) -> str:
        return self.statement


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    ELIGIBLE = "eligible", _("Eligible")
    INELIGIBLE = "ineligible", _("Ineligible")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The one table of who may move an application from which status to which (services.application_* enforce it;
# the admin shows it). Applicants move it while the call is open; staff review it.
APPLICANT_TRANSITIONS: dict[str, frozenset[str]] = {
    ApplicationStatus.DRAFT: frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN}),
    ApplicationStatus.SUBMITTED: frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN}),
    ApplicationStatus.WITHDRAWN: frozenset({ApplicationStatus.DRAFT}),
}
STAFF_TRANSITIONS: dict[str, frozenset[str]] = {
    ApplicationStatus.SUBMITTED: frozenset({ApplicationStatus.UNDER_REVIEW}),
    ApplicationStatus.UNDER_REVIEW: frozenset({ApplicationStatus.ELIGIBLE, ApplicationStatus.INELIGIBLE}),
    ApplicationStatus.ELIGIBLE: frozenset({ApplicationStatus.UNDER_REVIEW}),
    ApplicationStatus.INELIGIBLE: frozenset({ApplicationStatus.UNDER_REVIEW}),
}


class ProductStage(models.TextChoices):
    IDEA = "idea", _("Idea")
    PROTOTYPE = "prototype", _("Prototype")
    PILOT = "pilot", _("Tested with first users")
    MARKET = "market", _("On the market")


class Application(TimeStampedModel):
    """A startup's application to one challenge of an edition: one per startup and challenge."""

    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="applications", verbose_name=_("startup")
    )
    challenge = models.ForeignKey(
        Challenge, on_delete=models.PROTECT, related_name="applications", verbose_name=_("challenge")
    )
    status = models.CharField(_("status"), max_length=16, choices=ApplicationStatus, default=ApplicationStatus.DRAFT)
    solution = models.TextField(_("proposed solution"), blank=True)
    data_use = models.TextField(_("use of the partners' data and sites"), blank=True)
    team = models.TextField(_("team"), blank=True)
    stage = models.CharField(_("stage of the product"), max_length=16, choices=ProductStage, blank=True)
    eligibility = models.JSONField(
        _("eligibility answers"), default=dict, blank=True, help_text=_("Condition id: the applicant's yes or no.")
    )
    # Raised by every save: a form sent with an older number was written over another member's save (refused).
    revision = models.PositiveIntegerField(_("revision"), default=0)
    last_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    ineligible_reason = models.TextField(_("reason of ineligibility"), blank=True)
    extended_until = models.DateTimeField(
        _("deadline extended until"),
        null=True,
        blank=True,
        help_text=_("Granted by staff to this application only, for a reason recorded in the audit log."),
    )
    internal_notes = models.TextField(
        _("notes for the team"),
        blank=True,
        help_text=_("Seen by the startup's members only: never by partners, jurors or in exports."),
    )

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["startup", "challenge"], name="startups_application_once_per_challenge"),
        ]

    def __str__(self) -> str:
        return f"{self.startup} → {self.challenge}"

    def get_absolute_url(self) -> str:
        return reverse("startups:application", kwargs={"pk": self.pk})

    def named_files(self) -> set[int]:
        """The ids of the attachments the current answers or a submitted version name: what the startup sent or is
        sending (the others were uploaded with a refused submission, or dropped from a draft)."""
        named: set[int] = set()
        for value in self.answers.filter(question__kind=QuestionKind.FILE).values_list("value", flat=True):
            named.update(value or [])
        for content in self.versions.values_list("content", flat=True):
            named.update(int(pk) for pk in content.get("files") or {})
        return named


class Answer(models.Model):
    """An application's answer to one question (a file question's answer is a stored file)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(fields=["application", "question"], name="startups_answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.value}"


class ApplicationVersion(models.Model):
    """What an application said when it was submitted (each submission, and each edit after it, is kept)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    content = models.JSONField(_("content"))

    class Meta:
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="startups_application_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.application} v{self.number}"


def attachment_key(instance: "Attachment", filename: str) -> str:
    """The storage key of an attachment: made by the server, never from the uploader's file name (shown back only
    in the download's Content-Disposition)."""
    return storage_key(f"applications/{instance.application_id}")


class Attachment(models.Model):
    """A file uploaded for a file question of an application. Immutable: replacing a file adds another; a file a
    submitted version refers to is kept, so every version stays readable."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_key, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["application", "question", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("startups:attachment", kwargs={"pk": self.application_id, "attachment": self.pk})


# --- Bookings of experimentation sites ---------------------------------------------------------------------------

BOOKING_OVERLAP = "booking_overlap"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class SiteBookingQuerySet(models.QuerySet):
    def for_listing(self) -> "SiteBookingQuerySet":
        return self.select_related("site__partner", "startup", "decided_by").order_by("-starts_at")

    def overlapping(self, *, site_id: int, starts_at: Any, ends_at: Any) -> "SiteBookingQuerySet":
        """The bookings of a site whose periods overlap [starts_at, ends_at) (half-open, as the constraint)."""
        return self.filter(site_id=site_id, starts_at__lt=ends_at, ends_at__gt=starts_at)


class SiteBooking(TimeStampedModel):
    """A selected startup's request to use a partner's experimentation site for a period, and the partner's answer.

    The database refuses two approved bookings of one site whose periods overlap, whoever approves and however
    many at once."""

    site = models.ForeignKey(
        "partners.ExperimentationSite", on_delete=models.CASCADE, related_name="bookings", verbose_name=_("site")
    )
    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="site_bookings", verbose_name=_("startup")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"), help_text=_("The site is free again from this instant on."))
    purpose = models.TextField(_("purpose"))
    status = models.CharField(_("status"), max_length=16, choices=BookingStatus, default=BookingStatus.REQUESTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("requested by")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = SiteBookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("site booking")
        verbose_name_plural = _("site bookings")
        ordering = ["site", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="startups_sitebooking_ends_after_start"
            ),
            # Needs btree_gist (installed by challenges' first migration).
            ExclusionConstraint(
                name="startups_sitebooking_no_overlap",
                expressions=[
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                    ("site", RangeOperators.EQUAL),
                ],
                condition=models.Q(status="approved"),
                violation_error_message=_("This booking overlaps an approved booking of the same site."),
                violation_error_code=BOOKING_OVERLAP,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} – {self.startup} ({self.starts_at:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("startups:booking", kwargs={"pk": self.pk})


# --- Selection: conflicts of interest, reviews and scores, decisions --------------------------------------------------


class ConflictDeclaration(TimeStampedModel):
    """A link a juror declares with a startup (on the platform), or with an organisation or a person by name. The
    register is the juror's, kept across editions: a standing link excludes them from that startup's applications in
    every later edition too. Declared before seeing an application, or on an assigned one (a recusal)."""

    juror = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="conflict_declarations",
        verbose_name=_("juror"),
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conflict_declarations",
        verbose_name=_("declared during"),
    )
    startup = models.ForeignKey(
        Startup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="conflict_declarations",
        verbose_name=_("startup"),
    )
    organisation = models.CharField(
        _("organisation"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text=_("A company or body you are linked to, by name (a startup of that name is then excluded)."),
    )
    person = models.CharField(
        _("person"),
        max_length=200,
        blank=True,
        validators=[validate_single_line],
        help_text=_("Someone you are linked to (family, business partner, former colleague)."),
    )
    description = models.TextField(_("nature of the link"))

    class Meta:
        verbose_name = _("conflict-of-interest declaration")
        verbose_name_plural = _("conflict-of-interest register")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(startup__isnull=False) | ~models.Q(organisation="") | ~models.Q(person=""),
                name="startups_conflict_names_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.juror} – {self.startup or self.organisation or self.person}"


class ReviewStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")  # the juror has not declared yet: they see the startup's name only
    DRAFT = "draft", _("Draft")  # declared without conflict; scores may be saved
    SUBMITTED = "submitted", _("Submitted")
    RECUSED = "recused", _("Recused")  # a conflict: the juror never sees or scores this application


class ReviewQuerySet(models.QuerySet):
    def counting(self) -> "ReviewQuerySet":
        """Reviews that count towards an application's N (a recused one is replaced)."""
        return self.exclude(status=ReviewStatus.RECUSED)


class Review(TimeStampedModel):
    """One juror's review of one application: the assignment, the declaration of no conflict, then the scores per
    criterion of the rubric it is made under, saved as a draft and then submitted."""

    application = models.ForeignKey(
        "Application", on_delete=models.CASCADE, related_name="reviews", verbose_name=_("application")
    )
    juror = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("juror")
    )
    rubric = models.ForeignKey(
        "challenges.Rubric", on_delete=models.PROTECT, related_name="reviews", verbose_name=_("rubric")
    )
    status = models.CharField(_("status"), max_length=16, choices=ReviewStatus, default=ReviewStatus.ASSIGNED)
    comment = models.TextField(_("comment"), blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cleared_at = models.DateTimeField(_("no conflict declared at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    recusal = models.ForeignKey(
        ConflictDeclaration,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recusals",
        verbose_name=_("conflict declared"),
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["application", "juror"]
        constraints = [
            models.UniqueConstraint(fields=["application", "juror"], name="startups_review_once_per_juror"),
        ]
        indexes = [models.Index(fields=["juror", "status"], name="startups_review_juror_idx")]

    def __str__(self) -> str:
        return f"{self.juror} – {self.application}"


class Score(models.Model):
    """A juror's score for one criterion, with an optional comment."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review"))
    criterion = models.ForeignKey(
        "challenges.Criterion", on_delete=models.PROTECT, related_name="scores", verbose_name=_("criterion")
    )
    value = models.SmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["review", "criterion__order"]
        constraints = [models.UniqueConstraint(fields=["review", "criterion"], name="startups_score_once")]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.value}"


class DecisionStage(models.TextChoices):
    PENDING = "pending", _("Not decided")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    AUDITION = "audition", _("Invited to an audition")
    SELECTED = "selected", _("Selected")
    NOT_SELECTED = "not_selected", _("Not selected")


class Decision(TimeStampedModel):
    """Staff's decision on an application after the jury: shortlist, audition, then selected (with a sponsoring
    partner) or not (with the jury's consolidated feedback, shared if staff choose). Published to every applicant at
    one moment; publishing a selection writes the edition's `Selection` record."""

    application = models.OneToOneField(
        "Application", on_delete=models.CASCADE, related_name="decision", verbose_name=_("application")
    )
    stage = models.CharField(_("stage"), max_length=16, choices=DecisionStage, default=DecisionStage.PENDING)
    audition_at = models.DateTimeField(_("audition at"), null=True, blank=True)
    audition_place = models.CharField(
        _("audition place"), max_length=300, blank=True, validators=[validate_single_line]
    )
    sponsor = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sponsoring partner"),
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("For the minutes: why this decision."))
    feedback = models.TextField(_("feedback to the startup"), blank=True)
    share_feedback = models.BooleanField(_("share the feedback with the startup"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["application"]

    def __str__(self) -> str:
        return f"{self.application} – {self.get_stage_display()}"


# --- Experimentation: the agreement, deliverables, indicators ---------------------------------------------------------


class AgreementParty(models.TextChoices):
    CITY = "city", _("The city (program team)")
    PARTNER = "partner", _("The sponsoring partner")
    STARTUP = "startup", _("The startup")


class ExperimentAgreement(TimeStampedModel):
    """A selected startup's experimentation agreement, made from one version of its edition's template, signed by
    one person for each of the three parties. Data access and site bookings open once all three have signed."""

    selection = models.ForeignKey(
        Selection, on_delete=models.CASCADE, related_name="agreements", verbose_name=_("selection")
    )
    template = models.ForeignKey(
        "challenges.AgreementTemplate", on_delete=models.PROTECT, related_name="agreements", verbose_name=_("template")
    )

    class Meta:
        verbose_name = _("experimentation agreement")
        verbose_name_plural = _("experimentation agreements")
        ordering = ["selection", "-template__version"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "template"], name="startups_agreement_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.selection} – v{self.template.version}"


class AgreementSignature(models.Model):
    """One party's acceptance of an experimentation agreement: who, for which party, when (once per party)."""

    agreement = models.ForeignKey(
        ExperimentAgreement, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("agreement")
    )
    party = models.CharField(_("party"), max_length=16, choices=AgreementParty)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["agreement", "signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "party"], name="startups_signature_once_per_party"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} – {self.get_party_display()}"


class DeliverableStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")


class Deliverable(TimeStampedModel):
    """What a selected startup delivers for one milestone of its edition: a series of immutable versions, commented
    by the sponsoring partner and staff; an approved deliverable is frozen (a change would be a new version)."""

    selection = models.ForeignKey(
        Selection, on_delete=models.CASCADE, related_name="deliverables", verbose_name=_("selection")
    )
    milestone = models.ForeignKey(
        "challenges.Milestone", on_delete=models.PROTECT, related_name="deliverables", verbose_name=_("milestone")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DeliverableStatus, default=DeliverableStatus.SUBMITTED
    )

    class Meta:
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
        ordering = ["selection", "milestone__due_at"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "milestone"], name="startups_deliverable_once_per_milestone"),
        ]

    def __str__(self) -> str:
        return f"{self.selection.startup} – {self.milestone}"


class DeliverableVersion(models.Model):
    """One submitted version of a deliverable: text, links, a demo video address and files (checked like an
    application's attachments)."""

    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="versions", verbose_name=_("deliverable")
    )
    number = models.PositiveIntegerField(_("version"))
    summary = models.TextField(_("what is delivered"))
    links = models.JSONField(_("links"), default=list, blank=True)
    video_url = models.URLField(_("demo video"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deliverable version")
        verbose_name_plural = _("deliverable versions")
        ordering = ["deliverable", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["deliverable", "number"], name="startups_deliverable_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.deliverable} – v{self.number}"


def deliverable_file_key(instance: "DeliverableFile", filename: str) -> str:
    """Made by the server, like an attachment's: the sender's file name is only shown back in the download."""
    return storage_key(f"deliverables/{instance.version.deliverable_id}")


class DeliverableFile(models.Model):
    version = models.ForeignKey(
        DeliverableVersion, on_delete=models.CASCADE, related_name="files", verbose_name=_("version")
    )
    file = models.FileField(_("file"), upload_to=deliverable_file_key, max_length=200)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("deliverable file")
        verbose_name_plural = _("deliverable files")
        ordering = ["version", "pk"]

    def __str__(self) -> str:
        return self.name


class DeliverableComment(models.Model):
    """A comment of the sponsoring partner or staff (or the startup's answer) on a deliverable's version."""

    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="comments", verbose_name=_("deliverable")
    )
    version = models.ForeignKey(
        DeliverableVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("on version"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment on a deliverable")
        verbose_name_plural = _("comments on deliverables")
        ordering = ["deliverable", "created_at"]

    def __str__(self) -> str:
        return f"{self.author} – {self.deliverable}"


class IndicatorStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not measured yet")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    ACHIEVED = "achieved", _("Target reached")
    MISSED = "missed", _("Target missed")


class Indicator(TimeStampedModel):
    """One indicator of an experiment's KPI protocol: what is measured, in which unit, from which baseline to which
    target, and how; its measurements over time make its chart and its status."""

    selection = models.ForeignKey(
        Selection, on_delete=models.CASCADE, related_name="indicators", verbose_name=_("selection")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=200, validators=[validate_single_line])
    unit = models.CharField(
        _("unit"), max_length=40, validators=[validate_single_line], help_text=_("e.g. litres/day, %, minutes, kWh.")
    )
    baseline = models.DecimalField(_("baseline"), max_digits=14, decimal_places=4)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=4)
    method = models.TextField(_("how it is measured"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=IndicatorStatus, default=IndicatorStatus.NOT_STARTED)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["selection", "order", "pk"]

    def __str__(self) -> str:
        return self.name


class Measurement(models.Model):
    """One dated measurement of an indicator, in the indicator's unit: who measured, from which source."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="measurements", verbose_name=_("indicator")
    )
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    measured_on = models.DateField(_("measured on"))
    source = models.CharField(_("source"), max_length=300, validators=[validate_single_line])
    measured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["indicator", "measured_on", "pk"]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} ({self.measured_on})"


# --- After the experiment: the outcome, the partnership pipeline, follow-up questionnaires ---------------------------


class PartnershipStage(models.TextChoices):
    PILOT = "pilot", _("Pilot")
    LETTER_OF_INTENT = "letter_of_intent", _("Letter of intent")
    CONTRACT = "contract", _("Contract")
    SCALE = "scale", _("Scale-up")
    STOPPED = "stopped", _("Stopped")


class ProcurementRoute(models.TextChoices):
    DIRECT = "direct", _("Direct award (below thresholds)")
    NEGOTIATED = "negotiated", _("Negotiated procedure")
    TENDER = "tender", _("Call for tenders")
    INNOVATION = "innovation", _("Innovation partnership")
    PRIVATE = "private", _("Private contract (partner company)")
    OTHER = "other", _("Other")


class Partnership(TimeStampedModel):
    """What came after the experiment between a startup and a partner: the stage reached, its value and the
    procurement route, with dates. Public only when both parties agree."""

    startup = models.ForeignKey(
        Startup, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("startup")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="partnerships", verbose_name=_("partner")
    )
    selection = models.ForeignKey(
        Selection,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnerships",
        verbose_name=_("from the experiment"),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=PartnershipStage, default=PartnershipStage.PILOT)
    value = models.DecimalField(
        _("value (MAD)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    procurement_route = models.CharField(_("procurement route"), max_length=20, choices=ProcurementRoute, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    startup_agrees_public = models.BooleanField(_("the startup agrees to publish it"), default=False)
    partner_agrees_public = models.BooleanField(_("the partner agrees to publish it"), default=False)
    notes = models.TextField(_("notes (never public)"), blank=True)

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["startup", "partner", "selection"], name="startups_partnership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.startup} – {self.partner} ({self.get_stage_display()})"


class FollowUpSurvey(models.Model):
    """A questionnaire a selected startup answers 6, 12 and 24 months after its edition's demo day (or end): sent
    once by the clock per due date, answered by one of its members."""

    selection = models.ForeignKey(
        Selection, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("selection")
    )
    months = models.PositiveSmallIntegerField(_("months after the demo day"))
    due_on = models.DateField(_("due on"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up questionnaire")
        verbose_name_plural = _("follow-up questionnaires")
        ordering = ["selection", "months"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "months"], name="startups_followup_once"),
        ]

    def __str__(self) -> str:
        return f"{self.selection} – {self.months}"
