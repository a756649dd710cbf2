"""The platform's error pages (400, 403, 404, 500): its layout, in the visitor's language, with the right status.
Under /api/, the same errors as JSON (`{"detail": ...}`), as the API's own refusals are: an API client never gets a
web page.

The language is already active: LocaleMiddleware chose it from the URL's prefix before the error happened.
"""

import logging
from html import escape

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token

from datacity.audit.context import current

logger = logging.getLogger(__name__)

# Sent when even the 500 page cannot be rendered (a broken template or static files manifest): no template at all.
BARE_SERVER_ERROR = (
    '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>DataCity</title></head>'
    '<body><h1>Erreur du serveur (500)</h1><p lang="en">Server error (500)</p></body></html>'
)

API_PREFIX = "/api/"
API_ERRORS = {
    400: _("Bad request."),
    403: _("You may not do this."),
    404: _("Not found."),
    500: _("Server error."),
}


def request_id_of(request: HttpRequest) -> str:
    """The id this request is known by in the logs, the audit log, the error tracker and its X-Request-ID header
    (set by AuditContextMiddleware); empty when the error happened before that middleware saw the request."""
    return getattr(request, "request_id", "") or current().request_id


def api_error(request: HttpRequest, status: int) -> JsonResponse | None:
    """The error as the API gives it, for a request under /api/; None for any other."""
    if not request.path.startswith(API_PREFIX):
        return None
    answer = {"detail": str(API_ERRORS[status])}
    if request_id := request_id_of(request):
        answer["request_id"] = request_id  # the reference to quote when reporting the error
    return JsonResponse(answer, status=status, headers={"Access-Control-Allow-Origin": "*"})


# Like Django's own handlers, each makes sure the CSRF cookie goes out with the page: the layout's language form
# needs it, and an error can happen before CsrfViewMiddleware has seen the request.
@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_error(request, 400) or render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_error(request, 403) or render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return api_error(request, 404) or render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, rendered without the context processors: no session, user, messages or database, which may be
    what failed. The layout only reads the request's path and the CSRF token, neither of which needs them.

    The page shows the request id ("error reference"): quoted by the person, it finds the error in the logs, the
    error tracker or the admins' mail, and the audit entries of the same request."""
    if (answer := api_error(request, 500)) is not None:
        return answer
    request_id = request_id_of(request)
    try:
        body = loader.get_template("500.html").render(
            {"request": request, "csrf_token": get_token(request), "request_id": request_id}
        )
    except Exception:  # the page that reports errors must not raise one
        logger.exception("The 500 page could not be rendered")
        body = BARE_SERVER_ERROR
        if request_id:
            body = body.replace("</body>", f"<p>Référence : <code>{escape(request_id)}</code></p></body>")
    return HttpResponseServerError(body)
