"""The pages of the data room's access: the permission-checked, logged download of a file version; the data-use
agreement to accept; a startup's access request; the partner's requests and grants, and its download log."""

import csv
from collections.abc import Iterator
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from storages.backends.s3 import S3Storage

from datacity.audit.services import record
from datacity.core.uploads import clean_filename, download_response
from startups.models import Startup
from startups.permissions import access_startup

from . import access, permissions
from .models import AccessGrant, AccessRequest, Dataset, Distribution

SIGNED_URL_SECONDS = 60
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AccessRequestForm(forms.Form):
    startup: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("For the startup"), queryset=Startup.objects.none()
    )
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What your startup will do with the data, and for which challenge."),
    )

    def __init__(self, *args, startups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["startup"].queryset = startups  # type: ignore[attr-defined]
        if len(startups) == 1:
            self.fields["startup"].initial = startups[0]


class ApproveForm(forms.Form):
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Access until"),
        required=False,
        widget=DATETIME_INPUT,
        help_text=gettext_lazy("Empty: the end of the startup's program edition."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


# --- Download ------------------------------------------------------------------------------------------------------


def _refused(request, dataset: Dataset, distribution: Distribution, why: str) -> None:
    record(
        action="dataset.download_refused",
        obj=distribution,
        dataset=dataset.pk,
        version=distribution.version,
        why=why,
        path=request.path,
    )


def _serve(distribution: Distribution):
    storage = distribution.file.storage
    filename = clean_filename(distribution.name)
    if isinstance(storage, S3Storage):
        # The bytes never pass through the web process: a redirect to a URL signed for about a minute.
        url = storage.url(
            distribution.file.name,
            expire=SIGNED_URL_SECONDS,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, filename),
                "ResponseContentType": distribution.media_type,
            },
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    return download_response(distribution.file, filename=filename, content_type=distribution.media_type)


def download(request, slug: str, version: int):
    """A file version of a dataset, if the rules allow it now; every allowed download of governed data is logged
    once, every refusal audited. Someone who may not see the dataset gets 404; someone who may see it but not its
    files gets 403 and how to get more; a missing agreement sends to the agreement page."""
    dataset: Dataset = get_object_or_404(Dataset.objects.select_related("owner"), slug=slug)
    distribution = get_object_or_404(Distribution, dataset=dataset, version=version)
    if not permissions.datasets_visible_to(request.user).filter(pk=dataset.pk).exists():
        _refused(request, dataset, distribution, "hidden")
        raise Http404
    decision = permissions.download_decision(request.user, dataset)
    if decision.agreement_to_accept is not None:
        _refused(request, dataset, distribution, "agreement")
        url = reverse("datasets:agreement", kwargs={"slug": dataset.slug})
        return redirect(f"{url}?next={request.path}")
    if not decision.allowed:
        _refused(request, dataset, distribution, "no_access")
        context = {"dataset": dataset, "access": permissions.file_access(request.user, dataset)}
        return render(request, "datasets/access_refused.html", context, status=403)
    if decision.logged:
        access.download_record(
            user=request.user,
            distribution=distribution,
            startup=decision.startup,
            grant=decision.grant,
            agreement=decision.agreement,
        )
    return _serve(distribution)


# --- Agreement -----------------------------------------------------------------------------------------------------


@login_required
def agreement(request, slug: str):
    """The latest version of the dataset's data-use agreement, to read and accept (for one's granted startup)."""
    dataset = permissions.access_dataset(request.user, slug)
    latest = access.latest_agreement(dataset)
    grant = permissions.active_grant(request.user, dataset)
    accepted = latest is not None and latest.acceptances.filter(user=request.user).exists()
    if request.method == "POST":
        if latest is None or grant is None:
            raise Http404
        try:
            access.agreement_accept(agreement=latest, user=request.user, startup=grant.startup)
        except access.AccessRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("You accepted the agreement: you may download the files."))
            target = request.POST.get("next", "")
            if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                return redirect(target)
            return redirect(dataset)
    context = {
        "dataset": dataset,
        "agreement": latest,
        "grant": grant,
        "accepted": accepted,
        "next": request.GET.get("next", ""),
    }
    return render(request, "datasets/access_agreement.html", context)


class AgreementForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text of the agreement"),
        help_text=gettext_lazy(
            "Publishing makes a new version: everyone with access accepts it again before their next download."
        ),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 14}),
    )


@login_required
def agreement_publish(request, slug: str):
    """The owning partner's members write a new version of the dataset's data-use agreement."""
    dataset = permissions.access_dataset(request.user, slug, as_member=True)
    latest = access.latest_agreement(dataset)
    form = AgreementForm(request.POST or None, initial={"text": latest.text if latest else ""})
    if request.method == "POST" and form.is_valid():
        try:
            published = access.agreement_publish(dataset=dataset, text=form.cleaned_data["text"], actor=request.user)
        except access.AccessRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request, _("Version %(version)s of the agreement is published.") % {"version": published.version}
            )
            return redirect(dataset)
    context = {"dataset": dataset, "agreement": latest, "form": form}
    return render(
        request, "datasets/access_agreement_form.html", context, status=400 if request.method == "POST" else 200
    )


# --- Requests ------------------------------------------------------------------------------------------------------


@login_required
def request_access(request, slug: str):
    """A member of a selected startup asks the partner for the files of a restricted dataset."""
    dataset = permissions.access_dataset(request.user, slug)
    startups = list(access.selected_startups_of(request.user))
    if not startups or dataset.access_level != "restricted":
        raise Http404
    form = AccessRequestForm(request.POST or None, startups=access.selected_startups_of(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            access.access_request(
                dataset=dataset,
                startup=form.cleaned_data["startup"],
                actor=request.user,
                purpose=form.cleaned_data["purpose"],
            )
        except access.AccessRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Your request is sent to the partner; your startup will be told."))
            return redirect(dataset)
    mine = (
        AccessRequest.objects.filter(dataset=dataset, startup__in=startups)
        .select_related("startup")
        .order_by("-created_at")
    )
    context = {"dataset": dataset, "form": form, "requests": mine}
    return render(request, "datasets/access_request.html", context, status=400 if form.errors else 200)


@login_required
def partner_requests(request, partner: str):
    """The partner's members decide on requests for its datasets and revoke grants in force."""
    organisation = permissions.partner_publishing_as(request.user, partner)
    if request.method == "POST":
        return _decide(request, organisation)
    pending = list(access.pending_requests(organisation.pk))
    ends = access.default_grant_ends([row.startup_id for row in pending])
    context = {
        "partner": organisation,
        "pending": [(row, ends.get(row.startup_id)) for row in pending],
        "grants": access.active_grants(organisation.pk),
        "ended": access.ended_grants(organisation.pk),
        "approve_form": ApproveForm(),
        "reason_form": ReasonForm(),
    }
    return render(request, "datasets/access_requests.html", context)


def _decide(request, organisation) -> HttpResponse:
    decision = request.POST.get("decision")
    try:
        if decision in ("approve", "refuse"):
            row = get_object_or_404(
                AccessRequest.objects.select_related("dataset__owner", "startup"),
                pk=request.POST.get("request"),
                dataset__owner=organisation,
            )
            if decision == "approve":
                form: forms.Form = ApproveForm(request.POST)
                ends_at: datetime | None = form.cleaned_data["ends_at"] if form.is_valid() else None
                access.access_approve(request=row, actor=request.user, ends_at=ends_at)
                messages.success(request, _("Access is granted; the startup is told."))
            else:
                form = ReasonForm(request.POST)
                reason = form.cleaned_data["reason"] if form.is_valid() else ""
                access.access_refuse(request=row, actor=request.user, reason=reason)
                messages.success(request, _("The request is refused; the startup is told."))
        elif decision == "revoke":
            grant = get_object_or_404(AccessGrant, pk=request.POST.get("grant"), dataset__owner=organisation)
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            access.access_revoke(grant=grant, actor=request.user, reason=reason)
            messages.success(request, _("Access is revoked: downloads stop now; the startup is told."))
        elif decision == "extend":
            grant = get_object_or_404(AccessGrant, pk=request.POST.get("grant"), dataset__owner=organisation)
            form = ApproveForm(request.POST)
            ends_at = form.cleaned_data["ends_at"] if form.is_valid() else None
            access.access_extend(grant=grant, actor=request.user, ends_at=ends_at)
            messages.success(request, _("The access has its new end date; the startup is told."))
        else:
            raise Http404
    except access.AccessRefused as refusal:
        messages.error(request, str(refusal))
    except ValueError as error:
        raise Http404 from error
    return redirect("datasets:requests", partner=organisation.slug)


@login_required
def startup_access(request, slug: str):
    """A startup's own page of data: its requests (and what became of them), its grants in force and ended; a
    request still waiting may be withdrawn."""
    startup = access_startup(request.user, slug, as_member=True)
    if request.method == "POST":
        pk = request.POST.get("request", "")
        if not pk.isdigit():
            raise Http404
        row = get_object_or_404(AccessRequest, pk=pk, startup=startup)
        try:
            access.access_withdraw(request=row, actor=request.user)
        except access.AccessRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The request is withdrawn."))
        return redirect("datasets:startup_access", slug=startup.slug)
    now = timezone.now()
    # Rows about a dataset the member may not see (its partner not announced yet) stay hidden with it.
    visible = permissions.datasets_visible_to(request.user).values("pk")
    grants = access.grants_of_startups([startup.pk]).filter(dataset__in=visible).order_by("-ends_at")
    context = {
        "startup": startup,
        "requests": access.requests_of_startups([startup.pk]).filter(dataset__in=visible),
        "grants": grants.active(now),
        "past_grants": grants.exclude(pk__in=grants.active(now).values("pk"))[:100],
    }
    return render(request, "datasets/startup_access.html", context)


# --- The partner's download log --------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(rows) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(
        [
            "at",
            "dataset",
            "version",
            "file",
            "sha256",
            "person",
            "email",
            "startup",
            "grant",
            "agreement_version",
            "ip_address",
            "request_id",
        ]
    )
    for row in rows.iterator(chunk_size=500):
        yield writer.writerow(
            [
                row.at.isoformat(),
                row.distribution.dataset.slug,
                row.distribution.version,
                _safe(row.distribution.name),
                row.distribution.sha256,
                _safe(row.user.full_name),
                _safe(row.user.email),
                _safe(row.startup.name) if row.startup else "",
                row.grant_id or "",
                row.agreement.version if row.agreement else "",
                row.ip_address or "",
                row.request_id,
            ]
        )


def _safe(value: str) -> str:
    """No formula injection when the export is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@login_required
def partner_downloads(request, partner: str):
    """Who downloaded which file version of the partner's datasets, when, under which grant; `?format=csv`."""
    organisation = permissions.partner_publishing_as(request.user, partner)
    rows = access.downloads_of_partner(organisation.pk).select_related("agreement")
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(_csv_rows(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"downloads-{organisation.slug}.csv") or ""
        response["Cache-Control"] = "private, no-store"
        return response
    context = {"partner": organisation, "downloads": rows[:500], "total": rows.count()}
    return render(request, "datasets/access_downloads.html", context)
