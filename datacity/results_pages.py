"""The public pages of an edition's outcome: its demo day and its results (staff preview them before they are
published)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from datacity.pagecache import public_page
from startups import results as edition_results


@public_page
def demo_day(request: HttpRequest, slug: str) -> HttpResponse:
    program = edition_results.access_demo_day(request.user, slug)
    context = {
        "program": program,
        "demo_day": program.demo_day,
        "programme": [line.strip() for line in program.demo_day.programme.splitlines() if line.strip()],
        "presenters": edition_results.demo_day_presenters(program),
        "preview": not (program.is_published and program.demo_day.is_published),
    }
    return render(request, "challenges/demo_day.html", context)


@public_page
def results(request: HttpRequest, slug: str) -> HttpResponse:
    program = edition_results.access_results(request.user, slug)
    context = {
        "program": program,
        "summary": edition_results.edition_summary(program),
        "results": edition_results.results_of(program),
        "preview": not (program.is_published and program.results_published),
    }
    return render(request, "challenges/results.html", context)
