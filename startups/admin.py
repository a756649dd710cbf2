"""Staff's pages for startups: profile, members (through the membership services), selections, and the calls
for applications (questions, eligibility conditions, the applications staff review)."""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from datacity.audit.services import Refused
from datacity.core.admin import MembershipInline, ServiceInline, ServiceModelAdmin

from . import services
from .models import (
    STAFF_TRANSITIONS,
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    EligibilityCondition,
    Question,
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
    model = Selection
    extra = 0
    autocomplete_fields = ["program", "challenge", "sponsor"]


@admin.register(Startup)
class StartupAdmin(ServiceModelAdmin, TranslationAdmin):
    list_display = ["name", "sector", "city", "founded_year", "updated_at"]
    list_filter = ["sector", "city", "selections__program"]
    search_fields = ["name", "slug", "pitch_fr", "pitch_en", "pitch_ar"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StartupMembershipInline, SelectionInline]


@admin.register(Selection)
class SelectionAdmin(SelectionWrites, ServiceModelAdmin):
    list_display = ["startup", "program", "challenge", "sponsor", "selected_on"]
    list_filter = ["program", "sponsor"]
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


class ReadOnlyInline(admin.TabularInline):
    """Rows an application shows as they are: nothing is added, changed or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AnswerInline(ReadOnlyInline):
    model = Answer
    fields = ["question", "value"]
    readonly_fields = ["question", "value"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")


class ApplicationVersionInline(ReadOnlyInline):
    model = ApplicationVersion
    fields = ["number", "submitted_at", "submitted_by", "content"]
    readonly_fields = ["number", "submitted_at", "submitted_by", "content"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("submitted_by")


@admin.register(Application)
class ApplicationAdmin(ServiceModelAdmin):
    """Applications are made by startups: staff read them and review them, moving the status as STAFF_TRANSITIONS
    allows (through `application_set_status`, which tells the startup)."""

    list_display = ["startup", "challenge", "program", "status", "submitted_at", "updated_at"]
    list_filter = ["challenge__program", "challenge", "status"]
    list_select_related = ["startup", "challenge__program"]
    search_fields = ["startup__name", "challenge__title_fr", "challenge__title_ar", "challenge__title_en"]
    actions = ["mark_under_review", "mark_eligible"]
    inlines = [AnswerInline, ApplicationVersionInline]
    fields = [
        "startup",
        "challenge",
        "status",
        "ineligible_reason",
        "submitted_at",
        "stage",
        "solution",
        "data_use",
        "team",
        "eligibility",
        "revision",
        "last_saved_by",
        "created_at",
        "updated_at",
    ]

    @admin.display(description=_("edition"), ordering="challenge__program")
    def program(self, obj: Application):
        return obj.challenge.program

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
        return [name for name in self.fields if name not in editable]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "status" in form.base_fields:
            # The statuses offered: the present one and those the table allows from it.
            allowed = {obj.status, *STAFF_TRANSITIONS.get(obj.status, frozenset())}
            status = cast(forms.ChoiceField, form.base_fields["status"])
            status.choices = [(value, label) for value, label in ApplicationStatus.choices if value in allowed]
        return form

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
