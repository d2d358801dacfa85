from django.urls import path

from . import views

urlpatterns = [
    path("exam-sites/<int:pk>/examday/", views.examday_site, name="examday_site"),
    path(
        "exam-sites/<int:pk>/examday/special-measures/new/",
        views.special_measure_create,
        name="special_measure_create",
    ),
    path(
        "exam-sites/<int:pk>/examday/special-measures/<int:measure_pk>/",
        views.special_measure_edit,
        name="special_measure_edit",
    ),
]
