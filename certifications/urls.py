"""The pages of certifications: the 認定証 (downloads, 再発行) and the completers (under the result report's URLs)."""

from django.urls import path

from . import views

urlpatterns = [
    # Every certificate and generated form of the provider (issue 10)
    path("documents/", views.provider_documents, name="provider_documents"),
    # Checking a certificate by its verification code (public, no login)
    path("verify/", views.certificate_verify_form, name="certificate_verify_form"),
    path("verify/<str:code>/", views.certificate_verify, name="certificate_verify"),
    path(
        "courses/<int:pk>/certificates/<int:version>/",
        views.certificate_download,
        name="certificate_download",
    ),
    path(
        "review/courses/<int:pk>/certificate/reissue/",
        views.review_course_reissue,
        name="review_course_reissue",
    ),
    path("exams/reports/<int:pk>/completers/add/", views.completer_add, name="completer_add"),
    path(
        "exams/reports/<int:pk>/completers/<int:completer_pk>/",
        views.completer_edit,
        name="completer_edit",
    ),
    path(
        "exams/reports/<int:pk>/completers/delete/", views.completer_delete, name="completer_delete"
    ),
    path(
        "exams/reports/<int:pk>/completers/correction/",
        views.completer_correction,
        name="completer_correction",
    ),
    path("exams/reports/<int:pk>/upload/", views.completer_upload, name="completer_upload"),
    path("exams/uploads/<int:pk>/", views.upload_preview, name="upload_preview"),
    path("exams/uploads/<int:pk>/confirm/", views.upload_confirm, name="upload_confirm"),
    path(
        "exams/reports/<int:pk>/certificates/<int:copy_pk>/",
        views.certificate_copy_download,
        name="certificate_copy_download",
    ),
    path(
        "exams/reports/<int:pk>/certificates/",
        views.certificate_copy_upload,
        name="certificate_copy_upload",
    ),
]
