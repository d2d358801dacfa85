"""Pages of the issued 認定証 (C12): downloads of the stored versions and the
reviewer's 再発行."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from courses.models import ExemptionCourse
from courses.views import _date, _review_action, reviewer_required
from portal.decorators import role_required
from portal.isolation import get_for_user_or_404
from portal.roles import is_ipa_staff, is_provider_staff

from . import services


@require_POST
@reviewer_required
def review_course_reissue(request, pk: int):
    """C12 再発行: a new version of the certificate with its own issue date."""

    def act(course):
        if request.POST.get("confirm") != "1":
            raise ValidationError(
                "再発行する場合は「新しい版として再発行することを確認しました」にチェックを付けてください。"
            )
        on = _date(request.POST.get("on", ""), "発行日")
        services.reissue_certificate(course.pk, request.user, request.POST.get("reason", ""), on)
        return f"認定証を{on:%Y年%-m月%-d日}付で再発行しました。以前の版も引き続きダウンロードできます。"

    return _review_action(request, pk, act)


@role_required(lambda user: is_provider_staff(user) or is_ipa_staff(user))
def certificate_download(request, pk: int, version: int):
    """C12: an issued certificate, exactly the bytes stored when it was issued;
    the provider's own staff and IPA staff; every download is audited."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    course = get_for_user_or_404(
        ExemptionCourse.objects.select_related("provider"), request.user, pk=pk
    )
    issued = get_object_or_404(course.issued_certificates, version=version)
    services.record_download(issued, request.user)
    response = HttpResponse(bytes(issued.content), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, issued.filename)
    response["Cache-Control"] = "no-store"
    return response
