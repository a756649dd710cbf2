"""Members pages and invitation links, shared by startups, partners and juries (each app sets `space` and says
which organisations the person may manage)."""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .access import visible_or_404
from .models import Invitation, MembershipRole
from .organisations import (
    MembershipError,
    Space,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    membership_change_role,
    membership_remove,
)


class InviteForm(forms.Form):
    # No longer than the column, or the database would refuse the address after the form accepted it.
    email = forms.EmailField(
        label=gettext_lazy("Email address"), max_length=Invitation._meta.get_field("email").max_length
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER)


class MembershipForm(forms.Form):
    """Names one membership of the organisation: the others, and anything else, are not valid choices."""

    membership: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(queryset=None)

    def __init__(self, data: Any, *, space: Space, organisation: Any):
        super().__init__(data)
        cast(forms.ModelChoiceField, self.fields["membership"]).queryset = space.memberships(
            organisation
        ).select_related("user")


class RoleForm(MembershipForm):
    role = forms.ChoiceField(choices=MembershipRole.choices)


class InvitationForm(forms.Form):
    """Names one pending invitation of the organisation."""

    invitation: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(queryset=None)

    def __init__(self, data: Any, *, space: Space, organisation: Any):
        super().__init__(data)
        cast(forms.ModelChoiceField, self.fields["invitation"]).queryset = space.pending_invitations(organisation)


def chosen_or_404(form: forms.Form, name: str) -> Any:
    """The object the form's field `name` names; 404 when it names none of the organisation's, as for a page the
    person may not see: an object that exists elsewhere (another organisation's member) is audited as refused."""
    form.is_valid()
    if name in form.cleaned_data:
        return form.cleaned_data[name]
    field = cast(forms.ModelChoiceField, form.fields[name])
    assert field.queryset is not None  # noqa: S101 - set by the form's constructor
    try:
        pk = field.queryset.model._meta.pk.to_python(form[name].data)
    except ValidationError:
        raise Http404 from None
    return visible_or_404(field.queryset, pk=pk)


class MembersView(LoginRequiredMixin, View):
    """Members and pending invitations of one organisation; owners invite, change roles, remove; anyone may leave."""

    space: Space
    template_name = "core/members.html"

    def organisations_of_member(self, user):
        raise NotImplementedError

    def get_organisation(self):
        return visible_or_404(self.organisations_of_member(self.request.user), slug=self.kwargs["slug"])

    def render_page(self, organisation, invite_form=None, status=200):
        me = self.space.membership_of(organisation, self.request.user)
        is_owner = me.role == MembershipRole.OWNER
        context = {
            "organisation": organisation,
            "space": self.space,
            "me": me,
            "is_owner": is_owner,
            "memberships": self.space.memberships(organisation).select_related("user").order_by("role", "user__email"),
            "invitations": self.space.pending_invitations(organisation).select_related("invited_by")
            if is_owner
            else [],
            "invite_form": invite_form or InviteForm(),
            "roles": MembershipRole.choices,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, slug):
        return self.render_page(self.get_organisation())

    def post(self, request, slug):
        organisation = self.get_organisation()
        me = self.space.membership_of(organisation, request.user)
        action = request.POST.get("action")
        scope = {"space": self.space, "organisation": organisation}
        try:
            if action == "leave":
                membership_remove(space=self.space, membership=me, actor=request.user)
                messages.success(request, _("You have left %(name)s.") % {"name": organisation})
                return redirect("my_space")
            if me.role != MembershipRole.OWNER:
                return self.render_page(organisation, status=403)
            if action == "invite":
                form = InviteForm(request.POST)
                if not form.is_valid():
                    return self.render_page(organisation, invite_form=form, status=400)
                invitation_create(
                    space=self.space,
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    actor=request.user,
                )
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            elif action == "role":
                role_form = RoleForm(request.POST, **scope)
                membership = chosen_or_404(role_form, "membership")
                if not role_form.is_valid():
                    messages.error(request, _("Choose a role from the list."))
                    return self.render_page(organisation, status=400)
                role = role_form.cleaned_data["role"]
                membership_change_role(space=self.space, membership=membership, role=role, actor=request.user)
                messages.success(request, _("Role of %(email)s changed.") % {"email": membership.user.email})
            elif action == "remove":
                membership = chosen_or_404(MembershipForm(request.POST, **scope), "membership")
                membership_remove(space=self.space, membership=membership, actor=request.user)
                messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
            elif action == "revoke":
                invitation = chosen_or_404(InvitationForm(request.POST, **scope), "invitation")
                invitation_revoke(space=self.space, invitation=invitation, actor=request.user)
                messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
            else:
                return self.render_page(organisation, status=400)
        except MembershipError as error:
            if action == "invite":
                form = InviteForm(request.POST)
                form.is_valid()
                form.add_error("email", str(error))
                return self.render_page(organisation, invite_form=form, status=400)
            messages.error(request, str(error))
        return redirect(request.path)


class AcceptInvitationView(View):
    """The link in an invitation email: shows what it is, then accepts it for the logged-in person."""

    space: Space
    template_name = "core/invitation_accept.html"

    def accept(self, *, token, user):
        return invitation_accept(space=self.space, token=token, user=user)

    def get(self, request, token):
        try:
            invitation = invitation_for_token(space=self.space, token=token)
        except MembershipError as error:
            return render(request, self.template_name, {"error": str(error)}, status=410)
        organisation = getattr(invitation, self.space.organisation_field)
        return render(request, self.template_name, {"invitation": invitation, "organisation": organisation})

    def post(self, request, token):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            membership = self.accept(token=token, user=request.user)
        except MembershipError as error:
            return render(request, self.template_name, {"error": str(error)}, status=400)
        organisation = getattr(membership, self.space.organisation_field)
        messages.success(request, _("Welcome to %(name)s.") % {"name": organisation})
        return redirect("my_space")
