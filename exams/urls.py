from django.urls import path

from . import delivery_views, views

urlpatterns = [
    path("exams/", views.exam_calendar, name="exam_calendar"),
    path("exams/<int:pk>/", views.exam_session, name="exam_session"),
    path("exams/<int:pk>/sites/new/", views.site_form, name="exam_site_create"),
    path("exams/<int:pk>/sites/<int:site_pk>/", views.site_form, name="exam_site_edit"),
    path(
        "exams/sites/<int:site_pk>/applications/", views.application_save, name="application_save"
    ),
    path("exams/sites/<int:site_pk>/submit/", views.site_submit, name="site_submit"),
    path(
        "exams/applications/<int:pk>/change/", views.application_change, name="application_change"
    ),
    path(
        "exams/applications/<int:pk>/withdraw/",
        views.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "exams/applications/<int:pk>/delete/", views.application_delete, name="application_delete"
    ),
    path("exams/applications/<int:pk>/report/", views.report_open, name="report_open"),
    path(
        "exams/deliveries/<int:pk>/reviewed-report/",
        views.reviewed_report_create,
        name="reviewed_report_create",
    ),
    path("exams/reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("exams/reports/<int:pk>/submit/", views.report_submit, name="report_submit"),
    # E3 (M§6.3–6.6): the exam-problem delivery.
    path("exams/problems/", delivery_views.problem_list, name="problem_list"),
    path(
        "exams/problems/<int:site_pk>/files/<int:file_pk>/",
        delivery_views.problem_download,
        name="problem_download",
    ),
    path(
        "exams/problems/<int:site_pk>/files/<int:file_pk>/password/",
        delivery_views.problem_password,
        name="problem_password",
    ),
    path(
        "exams/problems/invitation/<uidb64>/<token>/",
        delivery_views.problem_recipient_invitation,
        name="problem_recipient_invitation",
    ),
    path("review/exams/<int:pk>/problems/", delivery_views.review_problems, name="review_problems"),
    path(
        "review/exams/<int:pk>/problems/upload/",
        delivery_views.review_problem_upload,
        name="review_problem_upload",
    ),
    path("review/exams/", views.review_exams, name="review_exams"),
    path("review/exams/<int:pk>/", views.review_exam_session, name="review_exam_session"),
    path(
        "review/exams/<int:pk>/cancel/", views.review_session_cancel, name="review_session_cancel"
    ),
    path(
        "review/applications/<int:pk>/late-payment/",
        views.review_late_payment_decide,
        name="review_late_payment_decide",
    ),
    path("review/reports/<int:pk>/", views.review_report, name="review_report"),
    path(
        "review/reports/<int:pk>/decide/", views.review_report_decide, name="review_report_decide"
    ),
]
