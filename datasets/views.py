"""Pages of the data catalogue: a dataset's metadata and the published challenges it serves."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from challenges import selectors as challenge_selectors

from . import permissions


def dataset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    dataset = permissions.access_dataset(request.user, slug)
    context = {"dataset": dataset, "challenges": challenge_selectors.published_challenges(dataset=dataset)}
    return render(request, "datasets/dataset_detail.html", context)
