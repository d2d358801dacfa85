from django.urls import path

from . import views

urlpatterns = [
    path("register/", views.signup, name="registration_signup"),
    path("register/done/", views.signup_done, name="registration_signup_done"),
    path("register/status/<str:token>/", views.registration_status, name="registration_status"),
    path("provider/", views.provider_profile, name="provider_profile"),
    path("provider/withdrawal/", views.withdrawal_request, name="withdrawal_request"),
    path("provider/withdrawal/<int:pk>/", views.withdrawal_detail, name="withdrawal_detail"),
    path(
        "provider/withdrawal/<int:pk>/withdraw/",
        views.withdrawal_withdraw,
        name="withdrawal_withdraw",
    ),
    path("review/withdrawals/", views.review_withdrawal_list, name="review_withdrawal_list"),
    path(
        "review/withdrawals/<int:pk>/",
        views.review_withdrawal_detail,
        name="review_withdrawal_detail",
    ),
    path(
        "review/withdrawals/<int:pk>/accept/",
        views.review_withdrawal_accept,
        name="review_withdrawal_accept",
    ),
    path("review/registrations/", views.review_queue, name="review_queue"),
    path("review/registrations/<int:pk>/", views.review_detail, name="review_detail"),
    path("review/registrations/<int:pk>/return/", views.review_return, name="review_return"),
    path("review/registrations/<int:pk>/accept/", views.review_accept, name="review_accept"),
    path("review/registrations/<int:pk>/withdraw/", views.review_withdraw, name="review_withdraw"),
    path("review/providers/<int:pk>/", views.review_provider, name="review_provider"),
]
