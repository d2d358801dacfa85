from django.urls import path

from . import views

urlpatterns = [
    path("fees/", views.fee_list, name="fee_list"),
    path("fees/history/", views.fee_history, name="fee_history"),
    path("fees/documents/", views.fee_document_issue, name="fee_document_issue"),
    path("fees/documents/<int:pk>/", views.fee_document_download, name="fee_document_download"),
    path("fees/requests/<int:pk>/", views.payment_request_detail, name="payment_request_detail"),
    path("review/payments/", views.review_payments, name="review_payments"),
    path(
        "review/payments/<int:pk>/confirm/",
        views.review_payment_confirm,
        name="review_payment_confirm",
    ),
    path(
        "review/payments/<int:pk>/return/",
        views.review_payment_return,
        name="review_payment_return",
    ),
]
