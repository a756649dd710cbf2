"""Admin building blocks shared by the domain apps: invitations sent by staff go through the same service."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .organisations import Space, invitation_create


class InvitationAdmin(admin.ModelAdmin):
    """Staff invite a partner's first member or a jury member here; the email leaves when the row is saved."""

    space: Space
    list_display = ["email", "organisation", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["email"]
    readonly_fields = ["invited_by", "created_at", "expires_at", "accepted_at", "accepted_by"]

    @admin.display(description=_("organisation"))
    def organisation(self, obj):
        return getattr(obj, self.space.organisation_field)

    def get_list_select_related(self, request):
        return [self.space.organisation_field, "invited_by"]

    def get_fields(self, request, obj=None):
        editable = [self.space.organisation_field, "email", "role"]
        return editable if obj is None else [*editable, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return (
            self.readonly_fields
            if obj is None
            else [self.space.organisation_field, "email", "role", *self.readonly_fields]
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        space = self.space

        class Form(form):
            def clean(self):
                cleaned = super().clean()
                organisation, email = cleaned.get(space.organisation_field), cleaned.get("email")
                if (
                    organisation
                    and email
                    and space.memberships(organisation).filter(user__email__iexact=email).exists()
                ):
                    raise forms.ValidationError(_("%(email)s is already a member.") % {"email": email})
                return cleaned

        return Form

    def save_model(self, request, obj, form, change):
        if change:
            return
        invitation, _token = invitation_create(
            space=self.space,
            organisation=form.cleaned_data[self.space.organisation_field],
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            actor=request.user,
            request=request,
        )
        obj.pk = invitation.pk
        obj.token_hash, obj.expires_at, obj.invited_by = invitation.token_hash, invitation.expires_at, request.user

    def has_change_permission(self, request, obj=None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)
