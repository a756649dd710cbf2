"""Staff's pages for the program: editions with their phases and jury, phases, themes, challenges, jury invitations."""

from typing import Any, cast

from django.contrib import admin, messages
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline, TranslationTabularInline
from modeltranslation.utils import get_translation_fields

from datacity.audit.services import Refused
from datacity.core.admin import InvitationAdmin, InvitesMembers, ServiceInline, ServiceModelAdmin

from . import rubrics, services
from .forms import PhaseInlineFormSet, standard_phases
from .models import (
    AgreementTemplate,
    Challenge,
    ChallengeJuror,
    ChallengeStatus,
    Criterion,
    DemoDay,
    JuryInvitation,
    JuryMembership,
    Milestone,
    Phase,
    PhaseStatus,
    PhaseTransition,
    Program,
    ProgramQuerySet,
    ReminderRun,
    Rubric,
    Theme,
)
from .services import JURY_SPACE, phase_save


def offers_standard_phases(program: Program | None) -> bool:
    """An edition being created, or one with no phase yet, is offered the seven standard phases."""
    return program is None or program.pk is None or not program.phases.exists()


class PhaseInline(ServiceInline, TranslationStackedInline):
    """An edition's phases, one compact block each (kind and order, the dates, the titles), so that their dates
    show on a 1280-pixel screen beside the admin's menu, which a table row of eight columns pushed off it."""

    model = Phase
    formset = PhaseInlineFormSet
    ordering = ["order", "starts_at"]
    fieldsets = [
        (None, {"fields": [("kind", "order"), ("starts_at", "ends_at"), tuple(get_translation_fields("title"))]}),
    ]

    def get_extra(self, request, obj=None, **kwargs) -> int:
        return len(standard_phases()) if offers_standard_phases(obj) else 0

    def save_service(self, *, instance, actor, m2m) -> None:
        phase_save(phase=instance, actor=actor, m2m=m2m)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name.startswith("title_"):
            # Three titles (one per language) on one line: narrower than the admin's 20em text inputs.
            field.widget.attrs["class"] = "phase-title"
            field.widget.attrs["size"] = 18
        return field


class JuryMembershipInline(ServiceInline, admin.TabularInline):
    model = JuryMembership
    extra = 0
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    can_delete = True
    verbose_name_plural = _("jury (members join through an invitation)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def delete_service(self, *, instance, actor) -> None:
        services.jury_member_remove(membership=instance, actor=actor)


@admin.register(Program)
class ProgramAdmin(InvitesMembers, ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "is_published", "starts_on", "ends_on", "current_phase", "city"]
    list_filter = ["is_published"]
    search_fields = ["name_fr", "name_ar", "name_en", "city", "slug"]
    prepopulated_fields = {"slug": ["name_fr"]}
    date_hierarchy = "starts_on"
    inlines = [PhaseInline, JuryMembershipInline]
    invitation_model = JuryInvitation
    invite_label = _("Invite a jury member")
    actions = ["assign_reviews"]

    @admin.action(description=_("Assign reviews to the applications"), permissions=["change"])
    def assign_reviews(self, request, queryset) -> None:
        from startups import assignment

        for program in queryset:
            try:
                created = assignment.reviews_assign(program=program, actor=request.user)
            except Refused as refusal:
                self.message_user(request, f"{program}: {refusal}", messages.ERROR)
                continue
            self.message_user(
                request,
                ngettext("%(program)s: %(count)d review assigned.", "%(program)s: %(count)d reviews assigned.", created)
                % {"program": program, "count": created},
            )
            short = assignment.shortfalls(program=program)
            if short:
                self.message_user(
                    request,
                    ngettext(
                        "%(program)s: %(count)d application cannot get all its reviews (too few jurors free of a "
                        "conflict): %(list)s",
                        "%(program)s: %(count)d applications cannot get all their reviews (too few jurors free of a "
                        "conflict): %(list)s",
                        len(short),
                    )
                    % {
                        "program": program,
                        "count": len(short),
                        "list": ", ".join(f"#{item.application.pk} ({item.application})" for item in short),
                    },
                    messages.WARNING,
                )

    def get_queryset(self, request):
        return cast(ProgramQuerySet, super().get_queryset(request)).with_phases()

    @admin.display(description=_("current phase"))
    def current_phase(self, obj: Program) -> str | None:
        phase = obj.current_phase()
        return phase.title if phase else None

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        # The same initial rows on the page and on its submission: a row left as offered has not changed.
        if isinstance(inline, PhaseInline) and offers_standard_phases(obj):
            kwargs["initial"] = standard_phases()
        return kwargs


class PhaseStatusFilter(admin.SimpleListFilter):
    """Upcoming, open or closed now, from the dates (as the status itself)."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return PhaseStatus.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case PhaseStatus.UPCOMING:
                return queryset.filter(starts_at__gt=now)
            case PhaseStatus.OPEN:
                return queryset.filter(starts_at__lte=now, ends_at__gt=now)
            case PhaseStatus.CLOSED:
                return queryset.filter(ends_at__lte=now)
        return queryset


@admin.register(Phase)
class PhaseAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["title", "status_display", "starts_at", "ends_at", "program", "kind", "order"]
    list_filter = [PhaseStatusFilter, "program", "kind"]
    list_select_related = ["program"]
    search_fields = ["title_fr", "title_ar", "title_en"]
    ordering = ["-program__starts_on", "order"]

    def save_service(self, *, instance, actor, m2m) -> None:
        phase_save(phase=instance, actor=actor, m2m=m2m)

    @admin.display(description=_("status"))
    def status_display(self, obj: Phase) -> str:
        return obj.get_status_display()


@admin.register(ReminderRun)
class ReminderRunAdmin(admin.ModelAdmin):
    """The reminder moments the clock dealt with (sent, or skipped): read-only, a technical table."""

    list_display = ["phase", "reminder", "offset", "due_at", "recorded_at", "recipients", "skipped"]
    list_filter = ["skipped", "reminder", "phase__program"]
    list_select_related = ["phase__program"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(admin.ModelAdmin):
    """What the clock recorded: read-only, and for superusers only (a technical table, see datacity.admin_site)."""

    list_display = ["phase", "sequence", "status", "at", "recorded_at"]
    list_filter = ["status", "phase__program"]
    list_select_related = ["phase__program"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Theme)
class ThemeAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name_fr", "name_ar", "name_en"]
    prepopulated_fields = {"slug": ["name_fr"]}


class ChallengeJurorFormSet(BaseInlineFormSet):
    """New jurors are checked by the service's rule before anything is saved."""

    def clean(self) -> None:
        super().clean()
        from startups.assignment import juror_refusal

        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if form.instance.pk is None and data.get("user") and not data.get("DELETE"):
                refusal = juror_refusal(challenge=self.instance, user=data["user"])
                if refusal is not None:
                    form.add_error("user", str(refusal))


class ChallengeJurorInline(ServiceInline, admin.TabularInline):
    """The jury members of the edition who review this challenge's applications."""

    model = ChallengeJuror
    formset = ChallengeJurorFormSet
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "assigned_at"]
    readonly_fields = ["assigned_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is None else super().has_change_permission(request, obj)

    def save_service(self, *, instance, actor, m2m) -> None:
        from startups.assignment import juror_add

        if instance.pk is None:
            juror_add(challenge=instance.challenge, user=instance.user, actor=actor)

    def delete_service(self, *, instance, actor) -> None:
        from startups.assignment import juror_remove

        juror_remove(challenge=instance.challenge, user=instance.user, actor=actor)


@admin.register(Challenge)
class ChallengeAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["title", "program", "owner", "status", "is_featured", "updated_at"]
    list_filter = ["status", "is_featured", "program", "themes", "owner"]
    list_select_related = ["program", "owner"]
    actions = ["publish", "unpublish"]
    search_fields = ["title_fr", "title_ar", "title_en", "slug", "owner__name_fr"]
    prepopulated_fields = {"slug": ["title_fr"]}
    autocomplete_fields = ["owner", "co_sponsors", "themes", "program"]
    fieldsets = [
        (None, {"fields": ["program", "title", "slug", "summary", "status", "is_featured"]}),
        (_("The problem"), {"fields": ["problem_statement", "context", "expected_outcomes", "kpis"]}),
        (_("Who poses it"), {"fields": ["owner", "co_sponsors", "themes"]}),
    ]
    inlines = [ChallengeJurorInline]

    def save_service(self, *, instance, actor, m2m) -> None:
        services.challenge_save(challenge=instance, actor=actor, m2m=m2m)

    def _set_status(self, request, queryset, status: str) -> int:
        return self.run_service(
            request,
            lambda challenge: services.challenge_set_status(challenge=challenge, status=status, actor=request.user),
            queryset.exclude(status=status),
        )

    @admin.action(description=_("Publish the selected challenges"), permissions=["change"])
    def publish(self, request, queryset) -> None:
        done = self._set_status(request, queryset, ChallengeStatus.PUBLISHED)
        self.message_user(request, ngettext("%d challenge published.", "%d challenges published.", done) % done)

    @admin.action(description=_("Unpublish the selected challenges (back to draft)"), permissions=["change"])
    def unpublish(self, request, queryset) -> None:
        done = self._set_status(request, queryset, ChallengeStatus.DRAFT)
        self.message_user(request, ngettext("%d challenge unpublished.", "%d challenges unpublished.", done) % done)


@admin.register(JuryInvitation)
class JuryInvitationAdmin(InvitationAdmin):
    """Everyone invited sits on the jury as a member: the form asks no role, the mail says "jury"."""

    space = JURY_SPACE
    ask_role = False
    autocomplete_fields = ["program"]


class CriterionInline(TranslationTabularInline):
    """The criteria of a rubric, saved together through `rubric_update` (see RubricAdmin.save_formset); read-only
    once the rubric is frozen."""

    model = Criterion
    extra = 0
    fields = ["order", "name", "description", "weight", "scale_min", "scale_max"]
    ordering = ["order", "pk"]

    def _frozen(self, obj) -> bool:
        return obj is not None and obj.is_frozen

    def has_add_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(Rubric)
class RubricAdmin(ServiceModelAdmin):
    """An edition's (or a challenge's) weighted criteria. Until the first score, staff change them freely (audited);
    once frozen, a change is a new version: the reviews already scored are scored again."""

    list_display = ["__str__", "program", "challenge", "version", "frozen_at", "created_at"]
    list_filter = ["program", ("frozen_at", admin.EmptyFieldListFilter)]
    list_select_related = ["program", "challenge"]
    autocomplete_fields = ["program", "challenge"]
    fields = ["program", "challenge", "version", "note", "frozen_at", "created_by"]
    readonly_fields = ["frozen_at", "created_by"]
    inlines = [CriterionInline]
    actions = ["new_version"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return ["program", "challenge", "version", "note", "frozen_at", "created_by"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rubric = self.get_object(request, object_id)
        if rubric is not None and rubric.is_frozen and request.method == "GET":
            self.message_user(
                request,
                _(
                    "Scores were saved under this rubric: its criteria can no longer change. To change them, select "
                    "it in the list and run the action “Make a new version of the selected rubrics”: the reviews "
                    "already scored will be scored again."
                ),
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not Criterion:
            return super().save_formset(request, form, formset, change)
        rubric = form.instance
        # The service replaces the criteria as a whole (its audit entry has the before and after); the admin's own
        # change message counts no row.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if rubric.is_frozen:
            return None
        if change and not formset.has_changed():
            return None
        # A rubric added without criteria gets the five default ones.
        criteria = self._criteria(formset) or ([] if change else rubrics.DEFAULT_CRITERIA)
        try:
            rubrics.rubric_update(rubric=rubric, actor=request.user, criteria=criteria)
        except Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        return None

    @staticmethod
    def _criteria(formset) -> list[dict[str, Any]]:
        rows = []
        for row in formset.forms:
            data = getattr(row, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if row.instance.pk is None and not row.has_changed():
                continue
            rows.append({name: value for name, value in data.items() if name not in ("id", "rubric", "DELETE")})
        rows.sort(key=lambda item: item.get("order") or 0)
        return rows

    @admin.action(description=_("Make a new version of the selected rubrics"), permissions=["change"])
    def new_version(self, request, queryset) -> None:
        done = 0
        for rubric in queryset:
            criteria = [
                {
                    **{field: getattr(criterion, field) for field in rubrics.CRITERION_FIELDS},
                    "weight": criterion.weight,
                    "scale_min": criterion.scale_min,
                    "scale_max": criterion.scale_max,
                }
                for criterion in rubric.criteria.order_by("order", "pk")
            ]
            note = gettext("A copy of version %(version)d, made in the admin to change the criteria.") % {
                "version": rubric.version
            }
            try:
                rubrics.rubric_new_version(rubric=rubric, actor=request.user, note=note, criteria=criteria)
            except Refused as refusal:
                self.message_user(request, f"{rubric}: {refusal}", messages.ERROR)
            else:
                done += 1
        self.message_user(
            request,
            ngettext(
                "%d new version made: change its criteria, then save.",
                "%d new versions made: change their criteria, then save.",
                done,
            )
            % done,
        )


@admin.register(AgreementTemplate)
class AgreementTemplateAdmin(ServiceModelAdmin, TranslationAdmin):
    """An edition's experimentation agreement, version by version. A new template is a new version (through
    `template_publish`); a template no agreement uses yet may be corrected; once one does, it is read-only."""

    list_display = ["__str__", "program", "version", "created_by", "created_at"]
    list_filter = ["program"]
    list_select_related = ["program", "created_by"]
    search_fields = ["program__name"]
    autocomplete_fields = ["program"]
    fields = ["program", "version", "text", "ip_clause", "created_by"]
    readonly_fields = ["version", "created_by"]

    @staticmethod
    def _in_use(obj: AgreementTemplate | None) -> bool:
        return obj is not None and obj.pk is not None and obj.agreements.exists()

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # The edition of a version never changes; the text neither once an agreement is made from it.
        return ["program", *self.readonly_fields]

    def has_change_permission(self, request, obj=None) -> bool:
        return not self._in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not self._in_use(obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        from startups.agreements import TRANSLATED_COLUMNS, template_publish

        try:
            published = template_publish(
                program=obj.program,
                actor=request.user,
                text=obj.text or "",
                ip_clause=obj.ip_clause or None,
                translations={column: getattr(obj, column) or "" for column in TRANSLATED_COLUMNS},
            )
        except Refused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
            return None
        obj.pk, obj.version = published.pk, published.version
        return None


# --- Experimentation milestones ---------------------------------------------------------------------------------------


@admin.register(Milestone)
class MilestoneAdmin(ServiceModelAdmin, TranslationAdmin):
    """The dated steps of an edition's experimentation (kickoff, mid-term, final): each selected startup delivers
    for each on its experiment's page."""

    list_display = ["title", "program", "kind", "due_at"]
    list_filter = ["program", "kind"]
    list_select_related = ["program"]
    search_fields = ["title_fr", "title_ar", "title_en"]
    autocomplete_fields = ["program"]
    date_hierarchy = "due_at"


# --- Demo day ---------------------------------------------------------------------------------------------------------
# Imported here, not at the top: this block is appended on its own while other blocks are being added to the file.


@admin.register(DemoDay)
class DemoDayAdmin(ServiceModelAdmin, TranslationAdmin):
    """An edition's demo day: public once it and its edition are published. The startups presenting, and their order,
    are set on their selections."""

    list_display = ["program", "starts_at", "place", "is_published"]
    list_filter = ["is_published"]
    list_select_related = ["program"]
    search_fields = ["program__name_fr", "program__name_ar", "program__name_en", "place_fr", "place_ar", "place_en"]
    autocomplete_fields = ["program"]
    date_hierarchy = "starts_at"
