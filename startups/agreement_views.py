"""The page of a selected startup's experimentation agreement: its text and IP clause, the three parties and their
signatures; each party's people sign for it there, and staff offer the agreement when there is none yet."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import agreements, permissions
from .models import AgreementParty


@login_required
def page(request, pk: int):
    selection = permissions.access_experiment(request.user, pk)
    role = permissions.experiment_role(request.user, selection)
    if request.method == "POST":
        return _act(request, selection, role)
    agreement = agreements.agreement_for(selection)
    signatures = {}
    if agreement is not None:
        signatures = {signature.party: signature for signature in agreement.signatures.select_related("user")}
    parties = [
        {"value": party.value, "label": party.label, "signature": signatures.get(party.value)}
        for party in AgreementParty
    ]
    context = {
        "selection": selection,
        "agreement": agreement,
        "parties": parties,
        "role": role,
        "role_label": AgreementParty(role).label if role else "",
        "can_sign": agreement is not None and role != "" and role not in signatures,
        "in_force": agreement is not None and len(signatures) == len(parties),
        "can_offer": agreement is None and role == "city",
    }
    return render(request, "experiments/agreement.html", context)


def _act(request, selection, role: str):
    try:
        if request.POST.get("action") == "offer":
            agreements.agreement_offer(selection=selection, actor=request.user)
            messages.success(request, _("The agreement is offered: the three parties are asked to sign it."))
        else:
            agreement = agreements.agreement_for(selection)
            if agreement is None:
                messages.error(request, _("No agreement is offered to this startup yet."))
            else:
                agreements.agreement_sign(agreement=agreement, user=request.user, party=request.POST.get("party", ""))
                messages.success(request, _("Your signature is recorded."))
    except agreements.AgreementRefused as refusal:
        messages.error(request, str(refusal))
    return redirect("experiments:agreement", pk=selection.pk)
