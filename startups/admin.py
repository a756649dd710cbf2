"""Staff's pages for startups: profile, members (through the membership services), selections, and the calls
for applications (questions, eligibility conditions, the applications staff review)."""

import difflib
import re
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from challenges.models import Program
from datacity.audit.services import Refused
from datacity.core.admin import EvidenceAdmin, MembershipInline, ServiceInline, ServiceModelAdmin

from . import agreements, exports, kpis, partnerships, selection, services
from .models import (
    STAFF_TRANSITIONS,
    AgreementSignature,
    Application,
    ApplicationStatus,
    Attachment,
    ConflictDeclaration,
    Decision,
    Deliverable,
    DeliverableComment,
    DeliverableVersion,
    EligibilityCondition,
    ExperimentAgreement,
    FollowUpSurvey,
    Indicator,
    Measurement,
    Partnership,
    ProductStage,
    Question,
    QuestionKind,
    Review,
    Score,
    Selection,
    Startup,
    StartupInvitation,
    StartupMembership,
)


class StartupMembershipInline(MembershipInline):
    model = StartupMembership
    space = services.STARTUP_SPACE
    verbose_name_plural = _("members (adding someone here makes them a member at once; founders usually invite)")


class SelectionWrites:
    def save_service(self, *, instance, actor, m2m) -> None:
        services.selection_save(selection=instance, actor=actor)

    def delete_service(self, *, instance, actor) -> None:
        services.selection_delete(selection=instance, actor=actor)


class SelectionInline(SelectionWrites, ServiceInline, admin.TabularInline):
    """The startup's selections, in brief: their results (summaries in three languages) are edited on the
    selection's own page."""

    model = Selection
    extra = 0
    fields = ["program", "challenge", "sponsor", "selected_on", "outcome"]
    autocomplete_fields = ["program", "challenge", "sponsor"]


@admin.register(Startup)
class StartupAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "sector", "city", "founded_year", "updated_at"]
    list_filter = ["sector", "city", "selections__program"]
    search_fields = ["name", "slug", "pitch_fr", "pitch_en", "pitch_ar"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StartupMembershipInline, SelectionInline]


@admin.register(Selection)
class SelectionAdmin(SelectionWrites, ServiceModelAdmin, TranslationAdmin):
    """A selection and, once the experiment ends, its public results (written through `selection_save`)."""

    list_display = ["startup", "program", "challenge", "sponsor", "selected_on", "outcome", "presents_at_demo_day"]
    list_filter = ["program", "sponsor", "outcome", "presents_at_demo_day"]
    fieldsets = [
        (None, {"fields": ["program", "startup", "challenge", "sponsor", "selected_on"]}),
        (
            _("Results"),
            {
                "fields": ["prototype_summary", "outcome", "presents_at_demo_day", "demo_day_order"],
                "description": _("Public once the edition's results (or its demo day) are published."),
            },
        ),
    ]
    list_select_related = ["startup", "program", "challenge", "sponsor"]
    search_fields = ["startup__name"]
    autocomplete_fields = ["startup", "program", "challenge", "sponsor"]


@admin.register(StartupInvitation)
class StartupInvitationAdmin(ServiceModelAdmin):
    """Startups invite their own co-founders; staff look, and may withdraw an invitation."""

    list_display = ["email", "startup", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_select_related = ["startup", "invited_by"]
    search_fields = ["email", "startup__name"]
    exclude = ["token_hash"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_service(self, *, instance, actor) -> None:
        from datacity.core.organisations import invitation_revoke

        invitation_revoke(space=services.STARTUP_SPACE, invitation=instance, actor=actor)


@admin.register(Question)
class QuestionAdmin(ServiceModelAdmin, TranslationAdmin):
    """An edition's application form. A question that has answers cannot be deleted (Django's admin says so and
    lists them): staff hide it instead."""

    list_display = ["label", "program", "challenge", "kind", "required", "hidden", "order"]
    list_editable = ["order", "hidden"]
    list_filter = ["program", "kind", "required", "hidden"]
    list_select_related = ["program", "challenge"]
    search_fields = ["label_fr", "label_ar", "label_en"]
    autocomplete_fields = ["program", "challenge"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name == "hidden":
            field.help_text = _(
                "No longer asked; its answers are kept. A question that has answers cannot be deleted: hide it."
            )
        return field


@admin.register(EligibilityCondition)
class EligibilityConditionAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["statement", "program", "order"]
    list_filter = ["program"]
    list_select_related = ["program"]
    search_fields = ["statement_fr", "statement_ar", "statement_en"]
    autocomplete_fields = ["program"]


# --- Applications: staff read and review them ------------------------------------------------------------------

# Words with the blanks after them: the unit a readable diff marks as removed or added.
WORDS = re.compile(r"\S+\s*|\s+")


def diff_segments(old: str, new: str) -> list[tuple[str, str]]:
    """The text of `old` and `new`, word by word, each piece marked "same", "removed" or "added" (difflib)."""
    before, after = WORDS.findall(old), WORDS.findall(new)
    segments: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            segments.append(("same", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("removed", "".join(before[i1:i2])))
        if j2 > j1:
            segments.append(("added", "".join(after[j1:j2])))
    return segments


@dataclass
class ApplicationReading:
    """Everything an application says, as text staff read in the current language: its answers in the order of the
    form, its files, its eligibility answers, and what changed from one submitted version to the next. Five queries,
    whatever the number of answers, files and versions."""

    application: Application

    def __post_init__(self) -> None:
        application = self.application
        program_id = application.challenge.program_id
        # Every question of the edition: a version may answer one the form has since hidden or moved.
        self.questions = list(Question.objects.filter(program_id=program_id).order_by("order", "pk"))
        self.conditions = list(EligibilityCondition.objects.filter(program_id=program_id))
        self.answers = dict(application.answers.values_list("question_id", "value"))
        self.attachments = list(
            application.attachments.select_related("question", "uploaded_by").order_by("question__order", "pk")
        )
        self.versions = list(application.versions.select_related("submitted_by").order_by("number"))
        self.files = {attachment.pk: attachment for attachment in self.attachments}

    def applies(self, question: Question) -> bool:
        return question.challenge_id in (None, self.application.challenge_id)

    def files_of(self, value: Any) -> list[Attachment]:
        return [self.files[pk] for pk in value if pk in self.files] if isinstance(value, list) else []

    def answer_rows(self) -> list[dict[str, Any]]:
        """The form's questions in order, each with its answer (a hidden question only if it was answered)."""
        rows = []
        for question in self.questions:
            value = self.answers.get(question.pk)
            if not self.applies(question) or (question.hidden and question.pk not in self.answers):
                continue
            is_file = question.kind == QuestionKind.FILE
            rows.append(
                {
                    "question": question,
                    "text": "" if is_file else question.display_answer(value),
                    "files": self.files_of(value) if is_file else [],
                }
            )
        return rows

    def eligibility_rows(self) -> list[dict[str, Any]]:
        answers = self.application.eligibility or {}
        return [{"condition": condition, "answer": answers.get(str(condition.pk))} for condition in self.conditions]

    def meets_every_condition(self) -> bool:
        answers = self.application.eligibility or {}
        return all(answers.get(str(condition.pk)) is True for condition in self.conditions)

    def version_text(self, content: dict[str, Any]) -> dict[str, tuple[str, str]]:
        """A submitted version as (label, text) pairs, in the order of the form."""
        text: dict[str, tuple[str, str]] = {}
        for name in ("solution", "data_use", "team"):
            text[name] = (exports.field_label(name), str(content.get(name) or ""))
        stage = content.get("stage") or ""
        text["stage"] = (
            exports.field_label("stage"),
            str(ProductStage(stage).label) if stage in ProductStage.values else stage,
        )
        eligibility = content.get("eligibility") or {}
        for condition in self.conditions:
            answer = eligibility.get(str(condition.pk))
            text[f"eligibility-{condition.pk}"] = (
                condition.statement,
                "" if answer is None else str(_("Yes") if answer else _("No")),
            )
        answers = content.get("answers") or {}
        for question in self.questions:
            if str(question.pk) not in answers:
                continue
            value = answers[str(question.pk)]
            if question.kind == QuestionKind.FILE:
                shown = "; ".join(attachment.name for attachment in self.files_of(value))
            else:
                shown = question.display_answer(value)
            text[f"question-{question.pk}"] = (question.label, shown)
        return text

    def version_rows(self) -> list[dict[str, Any]]:
        """Each submitted version with what changed since the one before it (the first: nothing to compare)."""
        rows: list[dict[str, Any]] = []
        previous: dict[str, tuple[str, str]] | None = None
        for version in self.versions:
            current = self.version_text(version.content or {})
            changes = None
            if previous is not None:
                changes = [
                    {"label": label, "segments": diff_segments(previous.get(key, ("", ""))[1], text)}
                    for key, (label, text) in current.items()
                    if previous.get(key, ("", ""))[1] != text
                ]
                changes += [
                    {"label": label, "segments": diff_segments(text, "")}
                    for key, (label, text) in previous.items()
                    if key not in current and text
                ]
            rows.append({"version": version, "changes": changes})
            previous = current
        return list(reversed(rows))  # the latest first


def transition_table(current: str) -> list[dict[str, Any]]:
    """STAFF_TRANSITIONS as staff read it, the application's present status marked."""
    labels = dict(ApplicationStatus.choices)
    return [
        {
            "source": labels[status],
            "targets": [labels[target] for target in ApplicationStatus.values if target in targets],
            "current": status == current,
        }
        for status in ApplicationStatus.values
        if (targets := STAFF_TRANSITIONS.get(status))
    ]


class EligibilityFilter(admin.SimpleListFilter):
    """Whether the application answered yes to every eligibility condition of its edition (see `meets_conditions`,
    computed by the database)."""

    title = _("eligibility conditions")
    parameter_name = "conditions"

    def lookups(self, request, model_admin):
        return [
            ("met", _("Meets every condition of its edition")),
            ("unmet", _("Does not meet every condition of its edition")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "met":
            return queryset.filter(meets_conditions=True)
        if self.value() == "unmet":
            return queryset.filter(meets_conditions=False)
        return queryset


class ExportForm(forms.Form):
    program: "forms.ModelChoiceField[Program]" = forms.ModelChoiceField(
        label=_("edition"), queryset=Program.objects.order_by("-starts_on"), empty_label=None
    )


class ExtensionForm(forms.Form):
    until = forms.DateTimeField(
        label=_("new deadline for these applications"),
        help_text=_("Date and time in the platform's time zone, after the call's end."),
    )
    reason = forms.CharField(
        label=_("reason"),
        help_text=_("Recorded in the audit log (a network failure, a reported bug...)."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


REVIEW_FIELDS = ("status", "allowed_transitions", "ineligible_reason", "extended_until")
APPLICATION_FIELDS = ("startup", "challenge", "submitted_at", "stage", "solution", "data_use", "team")
RECORD_FIELDS = ("revision", "last_saved_by", "created_at", "updated_at")


@admin.register(Application)
class ApplicationAdmin(ServiceModelAdmin):
    """Applications are made by startups: staff read them and review them, moving the status as STAFF_TRANSITIONS
    allows (through `application_set_status`, which tells the startup). The change page shows the whole application
    (answers, files, versions and what changed between them, eligibility), never the startup's own notes."""

    list_display = ["startup", "challenge", "program", "status", "meets_conditions", "submitted_at", "updated_at"]
    list_filter = ["challenge__program", "challenge", "status", EligibilityFilter]
    list_select_related = ["startup", "challenge__program"]
    search_fields = [
        "startup__name",
        "challenge__title_fr",
        "challenge__title_ar",
        "challenge__title_en",
        "solution",
    ]
    actions = ["mark_under_review", "mark_eligible", "extend_deadline"]
    fieldsets = [
        (_("Review"), {"fields": REVIEW_FIELDS}),
        (_("Application"), {"fields": APPLICATION_FIELDS}),
        (_("Record"), {"fields": RECORD_FIELDS, "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("startup", "challenge__program", "last_saved_by")
            .annotate(meets_conditions=exports.meets_every_condition())
        )

    @admin.display(description=_("edition"), ordering="challenge__program")
    def program(self, obj: Application):
        return obj.challenge.program

    @admin.display(description=_("meets every condition"), boolean=True, ordering="meets_conditions")
    def meets_conditions(self, obj: Application) -> bool:
        return bool(getattr(obj, "meets_conditions", False))

    @admin.display(description=_("statuses staff may set next"))
    def allowed_transitions(self, obj: Application) -> str:
        allowed = STAFF_TRANSITIONS.get(obj.status, frozenset())
        if not allowed:
            return str(_("None: a draft or a withdrawn application is the startup's to move."))
        return ", ".join(str(label) for value, label in ApplicationStatus.choices if value in allowed)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        """Everything but the review: the status where the table lets staff move it, the reason where the
        application may become ineligible."""
        allowed = STAFF_TRANSITIONS.get(obj.status, frozenset()) if obj is not None else frozenset()
        editable = {"status"} if allowed else set()
        if ApplicationStatus.INELIGIBLE in allowed:
            editable.add("ineligible_reason")
        return [name for name in (*REVIEW_FIELDS, *APPLICATION_FIELDS, *RECORD_FIELDS) if name not in editable]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "status" in form.base_fields:
            # The statuses offered: the present one and those the table allows from it.
            allowed = {obj.status, *STAFF_TRANSITIONS.get(obj.status, frozenset())}
            status = cast(forms.ChoiceField, form.base_fields["status"])
            status.choices = [(value, label) for value, label in ApplicationStatus.choices if value in allowed]
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            reading = ApplicationReading(obj)
            context.update(
                {
                    "answer_rows": reading.answer_rows(),
                    "attachments": reading.attachments,
                    "eligibility_rows": reading.eligibility_rows(),
                    "meets_every_condition": reading.meets_every_condition(),
                    "version_rows": reading.version_rows(),
                    "transitions": transition_table(obj.status),
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        # The export starts on the edition the list is filtered by, if any.
        program = request.GET.get("challenge__program__id__exact", "")
        query = urlencode({"program": program}) if program.isdigit() else ""
        export_url = reverse("admin:startups_application_export", current_app=self.admin_site.name)
        extra_context = {"export_url": f"{export_url}?{query}" if query else export_url, **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        export = path(
            "export/",
            self.admin_site.admin_view(self.export_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_export",
        )
        return [export, *super().get_urls()]

    def export_view(self, request):
        """Staff who may view applications choose an edition (GET), and download its applications (POST)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        initial = request.GET.get("program", "")
        form = ExportForm(request.POST or None, initial={"program": initial} if initial.isdigit() else {})
        if request.method == "POST" and form.is_valid():
            return exports.export_response(program=form.cleaned_data["program"], actor=request.user)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Export the applications of an edition as CSV"),
            "form": form,
            "has_view_permission": True,
        }
        return TemplateResponse(
            request, "admin/startups/application/export.html", context, status=400 if form.errors else 200
        )

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except Refused as refusal:
            # Shown on the change page again, with nothing saved and no "changed successfully".
            self.message_user(request, str(refusal), messages.ERROR)
            request._application_refused = True

    def save_service(self, *, instance, actor, m2m) -> None:
        was = Application.objects.values_list("status", flat=True).get(pk=instance.pk)
        if instance.status != was:
            services.application_set_status(
                application=instance, status=instance.status, actor=actor, reason=instance.ineligible_reason
            )

    def log_change(self, request, obj, message) -> Any:
        if getattr(request, "_application_refused", False):
            return None
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(request, "_application_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)

    def _set_status(self, request, queryset, status: str) -> int:
        return self.run_service(
            request,
            lambda application: services.application_set_status(
                application=application, status=status, actor=request.user
            ),
            queryset.exclude(status=status),
        )

    @admin.action(description=_("Mark under review"), permissions=["change"])
    def mark_under_review(self, request, queryset) -> None:
        done = self._set_status(request, queryset, ApplicationStatus.UNDER_REVIEW)
        self.message_user(
            request, ngettext("%d application under review.", "%d applications under review.", done) % done
        )

    @admin.action(description=_("Mark eligible"), permissions=["change"])
    def mark_eligible(self, request, queryset) -> None:
        done = self._set_status(request, queryset, ApplicationStatus.ELIGIBLE)
        self.message_user(request, ngettext("%d application eligible.", "%d applications eligible.", done) % done)

    @admin.action(description=_("Extend the deadline for the selected applications"), permissions=["change"])
    def extend_deadline(self, request, queryset):
        """Let these applications be changed, submitted or withdrawn after the call's end: staff give the moment and
        the reason (on an intermediate page), each extension goes through `application_extend`."""
        form = ExtensionForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            until, reason = form.cleaned_data["until"], form.cleaned_data["reason"]
            done = self.run_service(
                request,
                lambda application: services.application_extend(
                    application=application, until=until, reason=reason, actor=request.user
                ),
                queryset,
            )
            self.message_user(request, ngettext("%d application extended.", "%d applications extended.", done) % done)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Extend the deadline for the selected applications"),
            "form": form,
            "applications": queryset.select_related("startup", "challenge"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/startups/application/extend.html", context, status=400 if form.errors else 200
        )


# --- Selection: decisions and the jury's reviews ---------------------------------------------------------------------


@admin.register(Decision)
class DecisionAdmin(ServiceModelAdmin):
    """Staff's decisions, made on the selection results page; corrected here through `decision_set` (which writes or
    removes the edition's Selection and tells the startup again when the decision is already published)."""

    list_display = ["application", "program", "stage", "sponsor", "decided_by", "decided_at", "published_at"]
    list_filter = ["stage", "application__challenge__program", ("published_at", admin.EmptyFieldListFilter)]
    list_select_related = ["application__startup", "application__challenge__program", "sponsor", "decided_by"]
    search_fields = ["application__startup__name"]
    fields = (
        "application",
        "stage",
        "sponsor",
        "audition_at",
        "audition_place",
        "reason",
        "feedback",
        "share_feedback",
        "decided_by",
        "decided_at",
        "published_at",
    )
    readonly_fields = ("application", "decided_by", "decided_at", "published_at")

    @admin.display(description=_("edition"), ordering="application__challenge__program")
    def program(self, obj: Decision):
        return obj.application.challenge.program

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            request._decision_refused = True

    def save_service(self, *, instance, actor, m2m) -> None:
        selection.decision_set(
            application=instance.application,
            actor=actor,
            stage=instance.stage,
            reason=instance.reason,
            feedback=instance.feedback,
            share_feedback=instance.share_feedback,
            sponsor=instance.sponsor,
            audition_at=instance.audition_at,
            audition_place=instance.audition_place,
        )

    def log_change(self, request, obj, message) -> Any:
        if getattr(request, "_decision_refused", False):
            return None
        return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if getattr(request, "_decision_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    fields = readonly_fields = ("criterion", "value", "comment")
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Review)
class ReviewAdmin(EvidenceAdmin):
    """The jury's reviews, read only: the evidence behind the results (jurors write them on their own pages)."""

    list_display = ["application", "juror", "status", "rubric", "submitted_at"]
    list_filter = ["status", "application__challenge__program", "application__challenge"]
    list_select_related = ["application__startup", "application__challenge", "juror", "rubric__challenge"]
    search_fields = ["application__startup__name", "juror__email", "juror__full_name"]
    fields = ("application", "juror", "rubric", "status", "comment", "cleared_at", "submitted_at", "recusal")
    inlines = [ScoreInline]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(EvidenceAdmin):
    """The jurors' register of declared links (read-only: jurors declare on their pages, the register is kept)."""

    list_display = ["juror", "startup", "organisation", "person", "program", "created_at"]
    list_filter = ["program", "created_at"]
    list_select_related = ["juror", "startup", "program"]
    search_fields = ["juror__email", "startup__name", "organisation", "person", "description"]
    fields = ("juror", "program", "startup", "organisation", "person", "description", "created_at")
    date_hierarchy = "created_at"


# --- Experiment deliverables ------------------------------------------------------------------------------------------


class DeliverableVersionInline(admin.StackedInline):
    model = DeliverableVersion
    extra = 0
    fields = readonly_fields = ("number", "summary", "links", "video_url", "submitted_by", "submitted_at", "files")
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("submitted_by").prefetch_related("files")

    @admin.display(description=_("files"))
    def files(self, obj) -> str:
        return ", ".join(f"{file.name} ({file.sha256[:12]}…)" for file in obj.files.all()) or "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class DeliverableCommentInline(admin.TabularInline):
    model = DeliverableComment
    extra = 0
    fields = readonly_fields = ("author", "version", "text", "created_at")
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author", "version")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Deliverable)
class DeliverableAdmin(EvidenceAdmin):
    """The startups' deliverables, read only: the evidence of the experiments (startups submit, sponsoring partners
    and staff review on the experiment's page, which audits and notifies)."""

    list_display = ["selection", "milestone", "status", "updated_at"]
    list_filter = ["status", "milestone__program", "milestone__kind"]
    list_select_related = ["selection__startup", "selection__program", "milestone"]
    search_fields = ["selection__startup__name"]
    fields = ("selection", "milestone", "status", "created_at", "updated_at")
    inlines = [DeliverableVersionInline, DeliverableCommentInline]


# --- Experimentation agreements --------------------------------------------------------------------------------------


@admin.action(description=_("Offer the experimentation agreement"), permissions=["change"])
def offer_agreement(model_admin: SelectionAdmin, request, queryset) -> None:
    """Offer each selected startup its edition's latest agreement (idempotent), through `agreement_offer`."""
    done = model_admin.run_service(
        request, lambda selection: agreements.agreement_offer(selection=selection, actor=request.user), queryset
    )
    model_admin.message_user(
        request,
        ngettext(
            "The agreement is offered to %d selection: its three parties are asked to sign it.",
            "The agreement is offered to %d selections: their three parties are asked to sign it.",
            done,
        )
        % done,
    )


SelectionAdmin.actions = [*(SelectionAdmin.actions or []), offer_agreement]  # type: ignore[misc]


class AgreementSignatureInline(admin.TabularInline):
    model = AgreementSignature
    fields = readonly_fields = ("party", "user", "signed_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExperimentAgreement)
class ExperimentAgreementAdmin(EvidenceAdmin):
    """Evidence: agreements are offered and signed through their services (the selection's action, the agreement's
    page), which audit and notify."""

    list_display = ["selection", "template", "created_at"]
    list_filter = ["selection__program"]
    list_select_related = ["selection__startup", "selection__program", "template__program"]
    search_fields = ["selection__startup__name"]
    fields = ("selection", "template", "created_at", "updated_at")
    inlines = [AgreementSignatureInline]


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(EvidenceAdmin):
    list_display = ["agreement", "party", "user", "signed_at"]
    list_filter = ["party", "agreement__selection__program"]
    list_select_related = [
        "agreement__selection__startup",
        "agreement__selection__program",
        "agreement__template",
        "user",
    ]
    search_fields = ["agreement__selection__startup__name", "user__email"]


# --- Experiments: indicators and their measurements ---------------------------------------------------------------


class MeasurementInline(admin.TabularInline):
    """An indicator's measurements, read only: evidence, recorded on the experiment's page through its service."""

    model = Measurement
    extra = 0
    fields = readonly_fields = ("measured_on", "value", "source", "measured_by", "created_at")
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("measured_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Indicator)
class IndicatorAdmin(ServiceModelAdmin):
    """The experiments' indicators, written through `kpis.indicator_save` (audited; the status is computed, the
    experiment and the unit of a measured indicator stay); their measurements are read only."""

    list_display = ["name", "selection", "unit", "baseline", "target", "status"]
    list_filter = ["selection__program", "status"]
    list_select_related = ["selection__startup", "selection__program"]
    search_fields = ["name", "selection__startup__name"]
    autocomplete_fields = ["selection"]
    fields = ("selection", "order", "name", "unit", "baseline", "target", "method", "status")
    inlines = [MeasurementInline]

    def get_readonly_fields(self, request, obj=None):
        return ("status",) if obj is None else ("selection", "status")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a measured indicator would delete its measurements, which are evidence.
        if obj is not None and obj.measurements.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            request._indicator_refused = True

    def save_service(self, *, instance, actor, m2m) -> None:
        fields = ("name", "unit", "baseline", "target", "method", "order")
        saved = kpis.indicator_save(
            selection=instance.selection,
            actor=actor,
            data={name: getattr(instance, name) for name in fields},
            indicator=instance if instance.pk else None,
        )
        instance.pk, instance.status = saved.pk, saved.status

    def save_related(self, request, form, formsets, change) -> None:
        if not getattr(request, "_indicator_refused", False):
            super().save_related(request, form, formsets, change)

    def construct_change_message(self, request, form, formsets, add=False):
        # A refused save saved no inline either: there is no change to describe.
        if getattr(request, "_indicator_refused", False):
            return []
        return super().construct_change_message(request, form, formsets, add)

    def log_addition(self, request, obj, message) -> Any:
        return None if getattr(request, "_indicator_refused", False) else super().log_addition(request, obj, message)

    def log_change(self, request, obj, message) -> Any:
        return None if getattr(request, "_indicator_refused", False) else super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_indicator_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_indicator_refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


# --- After the experiments: partnerships and follow-up questionnaires ------------------------------------------------


@admin.register(Partnership)
class PartnershipAdmin(ServiceModelAdmin):
    """Staff record what the parties told them (including a consent given in writing); saved through
    `partnership_save`, which checks the stage, value and dates and audits. A refusal is shown, nothing saved."""

    list_display = [
        "startup",
        "partner",
        "stage",
        "value",
        "signed_on",
        "startup_agrees_public",
        "partner_agrees_public",
    ]
    list_filter = ["stage", "procurement_route", "selection__program"]
    list_select_related = ["startup", "partner"]
    search_fields = ["startup__name", "partner__name"]
    autocomplete_fields = ["startup", "partner", "selection"]
    fields = (
        "startup",
        "partner",
        "selection",
        "stage",
        "value",
        "procurement_route",
        "started_on",
        "signed_on",
        "ended_on",
        "startup_agrees_public",
        "partner_agrees_public",
        "notes",
    )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("startup", "partner", "selection")

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            request._partnership_refused = True

    def save_service(self, *, instance, actor, m2m) -> None:
        names = ("stage", "value", "procurement_route", "started_on", "signed_on", "ended_on", "notes")
        flags = ("startup_agrees_public", "partner_agrees_public")
        saved = partnerships.partnership_save(
            actor=actor,
            startup=instance.startup,
            partner=instance.partner,
            selection=instance.selection,
            data={name: getattr(instance, name) for name in (*names, *flags)},
            partnership=instance if instance.pk else None,
        )
        instance.pk = saved.pk

    def _refused(self, request) -> bool:
        return getattr(request, "_partnership_refused", False)

    def log_addition(self, request, obj, message) -> Any:
        return None if self._refused(request) else super().log_addition(request, obj, message)

    def log_change(self, request, obj, message) -> Any:
        return None if self._refused(request) else super().log_change(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if self._refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if self._refused(request):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


@admin.register(FollowUpSurvey)
class FollowUpSurveyAdmin(EvidenceAdmin):
    """Read-only: the clock creates and sends the questionnaires, the startups answer them on their experiment's
    page; staff read the answers here (and the response rates on an edition's funnel)."""

    list_display = ["selection", "months", "due_on", "sent_at", "answered_at"]
    list_filter = ["months", "selection__program"]
    list_select_related = ["selection__startup", "selection__program"]
    search_fields = ["selection__startup__name"]
