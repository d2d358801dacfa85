from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import forms, health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("health/", health.health, name="health"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/2fa/", views.otp_settings, name="otp_settings"),
    path("accounts/2fa/setup/", views.otp_setup, name="otp_setup"),
    path("accounts/2fa/verify/", views.otp_verify, name="otp_verify"),
    path(
        "accounts/password_reset/",
        views.RateLimitedPasswordResetView.as_view(
            form_class=forms.JapanesePasswordResetForm,
            email_template_name="mail/password_reset.txt",
            subject_template_name="mail/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password_reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=forms.JapaneseSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("notices/", views.notice_list, name="notice_list"),
    path("settings/reminders/", views.reminder_settings, name="reminder_settings"),
    path("documents/<int:pk>/", views.document_detail, name="document_detail"),
    path("documents/<int:pk>/status/", views.document_status, name="document_status"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path(
        "documents/request/<str:doc_id>/<int:object_pk>/",
        views.document_request,
        name="document_request",
    ),
    path("review/inbox/", views.inbox, name="inbox"),
    path("review/inbox/assign/", views.inbox_assign, name="inbox_assign"),
    path("review/inbox/batch/", views.inbox_batch, name="inbox_batch"),
    path("", include("providers.urls")),
    path("", include("courses.urls")),
    path("", include("certifications.urls")),
    path("", include("fees.urls")),
    path("", include("exams.urls")),
    path("", include("exams.examday.urls")),
    path("admin/", admin.site.urls),
]

admin.site.login_form = forms.AdminLoginForm
admin.site.site_header = "免除対象講座ポータル 管理"
admin.site.site_title = "免除対象講座ポータル 管理"
admin.site.index_title = "IPA管理者メニュー"

# Issue 11 item 3: a lost database connection (PostgreSQL restarting) is a 503
# page in Japanese with Retry-After, not a 500 (portal.views.server_error).
handler500 = "portal.views.server_error"
