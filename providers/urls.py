from django.urls import path

from . import change_views, contact_views, question_views, views

urlpatterns = [
    path("register/", views.signup, name="registration_signup"),
    path("register/sent/", views.signup_sent, name="registration_signup_sent"),
    path("register/confirm/<str:token>/", views.signup_confirm, name="registration_confirm"),
    path("register/done/", views.signup_done, name="registration_signup_done"),
    path("register/status/<str:token>/", views.registration_status, name="registration_status"),
    path("provider/", views.provider_profile, name="provider_profile"),
    path("provider/terms/", views.provider_terms, name="provider_terms"),
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
    path("provider/change/", change_views.provider_change, name="provider_change"),
    path("provider/contact/change/", contact_views.contact_change, name="contact_change"),
    path(
        "changes/<int:pk>/login-confirmed/",
        contact_views.change_confirm_login,
        name="change_confirm_login",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        contact_views.contact_invitation,
        name="contact_invitation",
    ),
    path("changes/", change_views.change_list, name="change_list"),
    path("changes/<int:pk>/", change_views.change_detail, name="change_detail"),
    path("changes/<int:pk>/submit/", change_views.change_submit, name="change_submit"),
    path("changes/<int:pk>/withdraw/", change_views.change_withdraw, name="change_withdraw"),
    path("review/changes/", change_views.change_review_queue, name="change_review_queue"),
    path(
        "review/changes/<int:pk>/", change_views.change_review_detail, name="change_review_detail"
    ),
    path(
        "review/changes/<int:pk>/approve/",
        change_views.change_review_approve,
        name="change_review_approve",
    ),
    path(
        "review/changes/<int:pk>/return/",
        change_views.change_review_return,
        name="change_review_return",
    ),
    # Questions (質問書, W5, 別紙15) and the help page (M§12.2, M§13.1).
    path("help/", question_views.help_page, name="help"),
    path("questions/", question_views.question_list, name="question_list"),
    path("questions/new/", question_views.question_create, name="question_create"),
    path("questions/<int:pk>/", question_views.question_detail, name="question_detail"),
    path("questions/<int:pk>/edit/", question_views.question_edit, name="question_edit"),
    path("questions/<int:pk>/submit/", question_views.question_submit, name="question_submit"),
    path("questions/<int:pk>/message/", question_views.question_message, name="question_message"),
    path("questions/<int:pk>/close/", question_views.question_close, name="question_close"),
    path(
        "questions/<int:pk>/files/<int:file_pk>/",
        question_views.question_attachment,
        name="question_attachment",
    ),
    path("review/questions/", question_views.question_review_list, name="question_review_list"),
    path(
        "review/questions/<int:pk>/",
        question_views.question_review_detail,
        name="question_review_detail",
    ),
    path(
        "review/questions/<int:pk>/answer/",
        question_views.question_answer,
        name="question_answer",
    ),
    path("review/questions/<int:pk>/end/", question_views.question_end, name="question_end"),
]
