from django.urls import path

from . import views

urlpatterns = [
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
]
