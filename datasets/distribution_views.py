"""Pages of a dataset's files: the form its partner's members upload a new version with, and the preview of a CSV or
GeoJSON version for the people allowed to see the data."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from datacity.core.uploads import DATASET_FILES, accept_attribute, accepted_label

from . import distributions, permissions
from .models import Dataset


class DistributionForm(forms.Form):
    change_note = forms.CharField(
        label=gettext_lazy("What changed"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Shown beside the version, e.g. “March figures added”."),
    )
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = accept_attribute(DATASET_FILES)
        self.fields["file"].widget.attrs["data-max-bytes"] = str(settings.DATASET_FILE_MAX_BYTES)
        self.fields["file"].help_text = _("%(types)s; at most %(limit)s.") % {
            "types": accepted_label(DATASET_FILES),
            "limit": filesizeformat(settings.DATASET_FILE_MAX_BYTES),
        }


# Django's documented way to change a request's upload handlers: the outer view must not read the body (CSRF would),
# so it is csrf_exempt, and the inner view, which reads it, is csrf_protect: the token is still checked (tested).
@csrf_exempt
@login_required
def distribution_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """A partner's members upload a new version of a dataset's file. The size limit is enforced while the body is
    read (the handler goes first, before CSRF reads the form), so an oversized file is cut, never spooled whole."""
    dataset = permissions.access_dataset(request.user, slug, as_member=True)
    limit = distributions.SizeLimitUploadHandler(settings.DATASET_FILE_MAX_BYTES, request)
    request.upload_handlers = [limit, *request.upload_handlers]
    return _distribution_upload(request, dataset, limit)


@csrf_protect
def _distribution_upload(
    request: HttpRequest, dataset: Dataset, limit: distributions.SizeLimitUploadHandler
) -> HttpResponse:
    form = DistributionForm(request.POST, request.FILES) if request.method == "POST" else DistributionForm()
    if request.method == "POST":
        if limit.exceeded:
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error(
                "file",
                _("The file is larger than %(limit)s: nothing was stored.")
                % {"limit": filesizeformat(settings.DATASET_FILE_MAX_BYTES)},
            )
        elif form.is_valid():
            try:
                distribution = distributions.distribution_add(
                    dataset=dataset,
                    upload=form.cleaned_data["file"],
                    change_note=form.cleaned_data["change_note"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                messages.success(
                    request, _("Version %(version)s of the file is published.") % {"version": distribution.version}
                )
                return redirect(dataset)
    context = {"form": form, "dataset": dataset, "max_bytes": settings.DATASET_FILE_MAX_BYTES}
    status = 400 if form.errors else 200
    return render(request, "datasets/distribution_form.html", context, status=status)


@require_GET
def distribution_preview(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    """The first rows of a CSV version, or the shapes of a GeoJSON one on a map: for whoever may see the data
    (404 for the others, like a dataset they may not see)."""
    dataset = permissions.access_dataset(request.user, slug)
    if not permissions.file_access(request.user, dataset).allowed:
        raise Http404
    distribution = get_object_or_404(dataset.distributions, version=version)
    context = {
        "dataset": dataset,
        "distribution": distribution,
        "preview": distributions.preview(distribution),
        "tile_url": settings.MAP_TILE_URL,
    }
    return render(request, "datasets/distribution_preview.html", context)
