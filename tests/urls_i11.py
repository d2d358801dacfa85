"""Issue 11 (headers): the portal's URLs plus views that fail in each way and a
download that sets no Cache-Control itself (tests/test_headers.py)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

SECRET = "secret-detail-7f3a"  # must never reach the error page


def bad_request(request):
    raise SuspiciousOperation(f"bad request {SECRET}")


def forbidden(request):
    raise PermissionDenied(f"forbidden {SECRET}")


def not_found(request):
    raise Http404(f"not found {SECRET}")


def server_error(request):
    raise RuntimeError(f"server error {SECRET}")


def download(request):
    response = HttpResponse("氏名,生年月日\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="completers.csv"'
    return response


urlpatterns = [
    path("i11/400/", bad_request),
    path("i11/403/", forbidden),
    path("i11/404/", not_found),
    path("i11/500/", server_error),
    path("i11/download/", download, name="i11_download"),
    *portal_urlpatterns,
]
