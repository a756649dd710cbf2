"""Members pages and invitation links, shared by startups, partners and juries (each app sets `space` and says
which organisations the person may manage)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .access import get_visible_or_404
from .models import MembershipRole
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
    email = forms.EmailField(label=gettext_lazy("Email address"))
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=MembershipRole.choices, initial=MembershipRole.MEMBER)


class MembersView(LoginRequiredMixin, View):
    """Members and pending invitations of one organisation; owners invite, change roles, remove; anyone may leave."""

    space: Space
    template_name = "core/members.html"

    def organisations_of_member(self, user):
        raise NotImplementedError

    def get_organisation(self):
        return get_visible_or_404(
            self.request, self.organisations_of_member(self.request.user), slug=self.kwargs["slug"]
        )

    def render_page(self, organisation, invite_form=None, status=200):
        me = self.space.membership_of(organisation, self.request.user)
        is_owner = me.role == MembershipRole.OWNER
        context = {
            "organisation": organisation,
            "space": self.space,
            "me": me,
            "is_owner": is_owner,
            "memberships": self.space.memberships(organisation).select_related("user").order_by("role", "user__email"),
            "invitations": self.space.invitation_model.objects.filter(
                **{self.space.organisation_field: organisation}, accepted_at__isnull=True
            ).select_related("invited_by")
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
        try:
            if action == "leave":
                membership_remove(space=self.space, membership=me, actor=request.user, request=request)
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
                    request=request,
                )
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            elif action in {"role", "remove"}:
                membership = get_object_or_404(self.space.memberships(organisation), pk=request.POST.get("membership"))
                if action == "role":
                    role = request.POST.get("role")
                    if role not in MembershipRole.values:
                        raise MembershipError(_("Choose a role from the list."))
                    membership_change_role(
                        space=self.space, membership=membership, role=role, actor=request.user, request=request
                    )
                    messages.success(request, _("Role of %(email)s changed.") % {"email": membership.user.email})
                else:
                    membership_remove(space=self.space, membership=membership, actor=request.user, request=request)
                    messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
            elif action == "revoke":
                invitation = get_object_or_404(
                    self.space.invitation_model.objects.filter(
                        **{self.space.organisation_field: organisation}, accepted_at__isnull=True
                    ),
                    pk=request.POST.get("invitation"),
                )
                invitation_revoke(space=self.space, invitation=invitation, actor=request.user, request=request)
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

    def accept(self, *, token, user, request):
        return invitation_accept(space=self.space, token=token, user=user, request=request)

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
            membership = self.accept(token=token, user=request.user, request=request)
        except MembershipError as error:
            return render(request, self.template_name, {"error": str(error)}, status=400)
        organisation = getattr(membership, self.space.organisation_field)
        messages.success(request, _("Welcome to %(name)s.") % {"name": organisation})
        return redirect("my_space")
