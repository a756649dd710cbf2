"""The admin as one more caller of the services: every save, delete, inline change and action of staff goes
through a service, so the same rules hold and the same audit entries (with the fields that changed) are written.

`ServiceModelAdmin` is the base of every domain model's admin. By default it saves and deletes through the generic
audited services; a model with rules of its own overrides `save_service` / `delete_service` to call its service.
Inlines do the same through `ServiceInline`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from datacity.audit.services import Refused

from .models import MembershipRole
from .organisations import (
    Space,
    invitation_create,
    invitation_revoke,
    keeps_an_owner,
    membership_add,
    membership_change_role,
    membership_remove,
)
from .services import audited_delete, audited_save


def many_to_many_changes(form: forms.ModelForm) -> dict[str, Any]:
    """The many-to-many fields of a model form that changed, with their new values."""
    names = {field.name for field in form._meta.model._meta.many_to_many}
    return {name: form.cleaned_data[name] for name in form.changed_data if name in names}


class _ValidIdsOnly:
    """Django's autocomplete widgets look the submitted ids up as they are when a form is shown again; an id that is
    not a valid value (text for a numeric key) would raise there. Such ids are dropped: the field's own validation
    already reports them to staff."""

    field: Any

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        target = self.field.target_field
        valid = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)  # type: ignore[misc]


class SafeAutocompleteSelect(_ValidIdsOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ValidIdsOnly, AutocompleteSelectMultiple):
    pass


if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    # The mixins below are only ever mixed into admin classes: give the type checker their real base.
    _AdminBase = admin.options.BaseModelAdmin[Any]
    _InlineBase = admin.options.InlineModelAdmin[Any, Any]
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = _InlineBase = _ModelAdminBase = object


class RightToLeftArabic(_AdminBase):
    """Arabic inputs (the `_ar` columns of translated fields) are typed right to left, whatever the page's direction;
    autocomplete fields take hostile ids without error (see `_ValidIdsOnly`)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name.endswith("_ar"):
            field.widget.attrs.update({"dir": "rtl", "lang": "ar"})
        return field


class ServiceWrites:
    """What an admin (or inline) calls to write one object; overridden where a model has a service of its own."""

    def save_service(self, *, instance: models.Model, actor: Any, m2m: dict[str, Any]) -> None:
        audited_save(instance=instance, actor=actor, m2m=m2m)

    def delete_service(self, *, instance: models.Model, actor: Any) -> None:
        audited_delete(instance=instance, actor=actor)


class ServiceInline(RightToLeftArabic, ServiceWrites, _InlineBase):
    """An inline whose rows are written through services; its formset knows the inline (see `save_formset`)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.service_inline = self  # type: ignore[attr-defined]
        return formset


class ServiceModelAdmin(RightToLeftArabic, ServiceWrites, admin.ModelAdmin):
    """Base admin of the domain models: saves, deletes, inlines and bulk deletes through services."""

    def save_model(self, request, obj, form, change) -> None:
        self.save_service(instance=obj, actor=request.user, m2m=many_to_many_changes(form))

    def save_related(self, request, form, formsets, change) -> None:
        # Many-to-many values went through the service in save_model; only the inlines are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change) -> None:
        writer: ServiceWrites = getattr(formset, "service_inline", None) or ServiceWrites()
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            writer.delete_service(instance=obj, actor=request.user)
        for obj in instances:
            writer.save_service(instance=obj, actor=request.user, m2m={})

    def delete_model(self, request, obj) -> None:
        self.delete_service(instance=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_service(instance=obj, actor=request.user)

    def run_service(self, request, action, objects) -> int:
        """Call `action(obj)` for each object; a refusal is shown to staff, the others go on. Returns the count done."""
        done = 0
        for obj in objects:
            try:
                action(obj)
            except Refused as refusal:
                self.message_user(request, f"{obj}: {refusal}", messages.ERROR)
            else:
                done += 1
        return done


class MembershipFormSet(BaseInlineFormSet):
    """Membership rows edited together: refused when no owner would be left (the rule the service enforces)."""

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None:
            return
        owners, leaving, joining = set(), set(), 0
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            membership = form.instance
            if membership.pk is not None and "user" in form.changed_data:
                form.add_error("user", gettext("A membership's person cannot change: remove it and add another."))
            was_owner = membership.pk is not None and form.initial.get("role") == MembershipRole.OWNER
            if was_owner:
                owners.add(membership.pk)
            stays_owner = not data.get("DELETE") and data.get("role") == MembershipRole.OWNER
            if was_owner and not stays_owner:
                leaving.add(membership.pk)
            if not was_owner and stays_owner and data:
                joining += 1
        if not keeps_an_owner(owners=owners, leaving=leaving, joining=joining):
            raise forms.ValidationError(gettext("The last owner cannot leave: make someone else an owner first."))


class MembershipInline(ServiceInline, admin.TabularInline):
    """Members of an organisation. Adding a row here makes the person a member at once (an audited staff action);
    the usual way in is an invitation."""

    space: Space
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def save_service(self, *, instance, actor, m2m) -> None:
        if instance.pk is None:
            membership_add(
                space=self.space,
                organisation=getattr(instance, self.space.organisation_field),
                user=instance.user,
                role=instance.role,
                actor=actor,
            )
        else:
            membership_change_role(space=self.space, membership=instance, role=instance.role, actor=actor)

    def delete_service(self, *, instance, actor) -> None:
        membership_remove(space=self.space, membership=instance, actor=actor)


class InvitationAdmin(ServiceModelAdmin):
    """Staff invite a partner's first member or a jury member here; the email leaves when the row is saved.

    Opened from the organisation's page (`?<organisation field>=<pk>`, see InvitesMembers), the form comes
    pre-filled with it and staff go back there once the mail has left.
    """

    space: Space
    ask_role = True  # False where everyone invited gets the same role (a jury has no owners)
    list_display = ["email", "organisation", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    readonly_fields = ["invited_by", "created_at", "expires_at", "accepted_at", "accepted_by"]

    @admin.display(description=_("organisation"))
    def organisation(self, obj):
        return getattr(obj, self.space.organisation_field)

    def get_list_display(self, request):
        return [name for name in super().get_list_display(request) if self.ask_role or name != "role"]

    def get_list_filter(self, request):
        return [name for name in super().get_list_filter(request) if self.ask_role or name != "role"]

    def get_list_select_related(self, request):
        return [self.space.organisation_field, "invited_by"]

    def _editable(self) -> list[str]:
        return [self.space.organisation_field, "email", *(["role"] if self.ask_role else [])]

    def get_fields(self, request, obj=None):
        return self._editable() if obj is None else [*self._editable(), *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else [*self._editable(), *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        space = self.space

        class Form(form):  # type: ignore[valid-type,misc]
            def clean(self):
                cleaned = super().clean()
                organisation, email = cleaned.get(space.organisation_field), cleaned.get("email")
                if organisation and email and space.is_member(organisation, email):
                    raise forms.ValidationError(gettext("%(email)s is already a member.") % {"email": email})
                return cleaned

        if "email" in Form.base_fields:
            days = settings.INVITATION_VALID_DAYS
            Form.base_fields["email"].help_text = ngettext(
                "When you save, an email with a single-use link to accept is sent to this address. "
                "The link expires after %(days)d day.",
                "When you save, an email with a single-use link to accept is sent to this address. "
                "The link expires after %(days)d days.",
                days,
            ) % {"days": days}
        return Form

    def add_view(self, request, form_url="", extra_context=None):
        # A sent invitation is not edited: no "save and continue editing".
        return super().add_view(request, form_url, {"show_save_and_continue": False, **(extra_context or {})})

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        invitation, _token = invitation_create(
            space=self.space,
            organisation=form.cleaned_data[self.space.organisation_field],
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"] if self.ask_role else MembershipRole.MEMBER,
            actor=request.user,
        )
        obj.pk = invitation.pk
        obj.token_hash, obj.expires_at, obj.invited_by = invitation.token_hash, invitation.expires_at, request.user
        self.message_user(
            request, gettext("An invitation was emailed to %(email)s.") % {"email": invitation.email}, messages.SUCCESS
        )

    def response_add(self, request, obj, post_url_continue=None):
        """After the mail (which save_model announced, in place of Django's "added"): back to the organisation's
        page when the invitation was started there, else on as Django goes."""
        if IS_POPUP_VAR in request.POST:
            return super().response_add(request, obj, post_url_continue)
        if "_addanother" in request.POST:
            return HttpResponseRedirect(request.get_full_path())
        if request.GET.get(self.space.organisation_field):
            organisation = getattr(obj, self.space.organisation_field)
            opts = organisation._meta
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[organisation.pk],
                    current_app=self.admin_site.name,
                )
            )
        return self.response_post_save_add(request, obj)

    def delete_service(self, *, instance, actor) -> None:
        invitation_revoke(space=self.space, invitation=instance, actor=actor)

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)


class InvitesMembers(_ModelAdminBase):
    """An organisation's change page links to inviting someone to it: the invitation form, pre-filled with it."""

    invitation_model: type[models.Model]
    invite_label: StrOrPromise = _("Invite a member")
    change_form_template = "admin/invites_members_change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        invitation_admin: Any = (
            self.admin_site.get_model_admin(self.invitation_model)
            if self.admin_site.is_registered(self.invitation_model)
            else None
        )
        if invitation_admin is not None and invitation_admin.has_add_permission(request):
            opts = self.invitation_model._meta
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add", current_app=self.admin_site.name)
            query = urlencode({invitation_admin.space.organisation_field: object_id})
            extra_context["invite"] = {"url": f"{add}?{query}", "label": self.invite_label}
        return super().change_view(request, object_id, form_url, extra_context)


class EvidenceAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: records that are evidence (requests, grants, downloads, reviews,
    declarations...) change only through their services, on the pages of the people concerned, which audit and
    notify. Every field is shown read-only unless the admin names its `fields`."""

    def get_readonly_fields(self, request, obj=None):
        return self.fields or [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
