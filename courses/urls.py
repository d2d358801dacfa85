from django.urls import path

from . import views

urlpatterns = [
    # P9: the public registry of certified courses (no login)
    path("registry/", views.registry, name="registry"),
    path("registry/csv/", views.registry_csv, name="registry_csv"),
    path("registry/pdf/", views.registry_pdf, name="registry_pdf"),
    path("courses/", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<int:pk>/", views.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course_edit"),
    path("courses/<int:pk>/materials/", views.course_materials, name="course_materials"),
    path("courses/<int:pk>/plan/", views.course_plan, name="course_plan"),
    path("courses/<int:pk>/plan/import/", views.course_plan_import, name="course_plan_import"),
    path("courses/<int:pk>/structure/", views.course_structure, name="course_structure"),
    path("courses/<int:pk>/attachments/", views.course_attachments, name="course_attachments"),
    path(
        "courses/<int:pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("courses/<int:pk>/deliveries/new/", views.delivery_form, name="delivery_create"),
    path(
        "courses/<int:pk>/deliveries/<int:delivery_pk>/", views.delivery_form, name="delivery_edit"
    ),
    path(
        "courses/<int:pk>/deliveries/<int:delivery_pk>/delete/",
        views.delivery_delete,
        name="delivery_delete",
    ),
    path(
        "courses/<int:pk>/deliveries/<int:delivery_pk>/change/",
        views.delivery_change,
        name="delivery_change",
    ),
    path(
        "courses/<int:pk>/deliveries/<int:delivery_pk>/deletion/",
        views.delivery_deletion,
        name="delivery_deletion",
    ),
    path(
        "courses/<int:pk>/deliveries/<int:delivery_pk>/drop-exam/",
        views.delivery_drop_exam,
        name="delivery_drop_exam",
    ),
    path(
        "courses/<int:pk>/deliveries/<int:delivery_pk>/submit/",
        views.delivery_submit,
        name="delivery_submit",
    ),
    path("courses/<int:pk>/submit/", views.course_submit, name="course_submit"),
    path("courses/<int:pk>/delete/", views.course_delete, name="course_delete"),
    path("courses/<int:pk>/withdraw/", views.course_withdraw, name="course_withdraw"),
    path("review/courses/", views.review_course_queue, name="review_course_queue"),
    path("review/courses/<int:pk>/", views.review_course_detail, name="review_course_detail"),
    path(
        "review/courses/<int:pk>/return/", views.review_course_return, name="review_course_return"
    ),
    path("review/courses/<int:pk>/start/", views.review_course_start, name="review_course_start"),
    path(
        "review/courses/<int:pk>/approve/",
        views.review_course_approve,
        name="review_course_approve",
    ),
    path(
        "review/courses/<int:pk>/certify/",
        views.review_course_certify,
        name="review_course_certify",
    ),
    path(
        "review/courses/<int:pk>/revoke/", views.review_course_revoke, name="review_course_revoke"
    ),
    path(
        "review/courses/<int:pk>/materials/",
        views.review_course_materials,
        name="review_course_materials",
    ),
    path(
        "review/courses/<int:pk>/deliveries/<int:delivery_pk>/",
        views.review_delivery,
        name="review_delivery",
    ),
]
