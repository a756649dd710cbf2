"""The open data page (every file and every field documented, in the visitor's language) and the files themselves."""

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from datacity.pagecache import public_page

from . import files


@public_page
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    resources = [(resource, list(files.fields_of(resource.documented()))) for resource in files.RESOURCES]
    return render(request, "opendata/index.html", {"resources": resources, "licence": files.licence()})


@require_GET
def download(request: HttpRequest, name: str, extension: str) -> StreamingHttpResponse:
    """One resource, whole, streamed: CSV (UTF-8, a header row even when empty) or a JSON array."""
    resource = files.BY_NAME.get(name)
    if resource is None:
        raise Http404
    if extension == "csv":
        response = StreamingHttpResponse(files.csv_lines(resource), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="datacity-{resource.name}.csv"'
    else:
        response = StreamingHttpResponse(files.json_chunks(resource), content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response
