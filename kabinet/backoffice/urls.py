from django.urls import path

from kabinet.backoffice import payment_views, rating_views, second_factor_views, views

app_name = "backoffice"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("login/code/", second_factor_views.code, name="second_factor"),
    path("second-factor/", second_factor_views.setup, name="second_factor_setup"),
    path("second-factor/codes/", second_factor_views.recovery_codes, name="second_factor_codes"),
    path("login/code/passkey/", second_factor_views.passkey_sign_in_options, name="passkey_sign_in_options"),
    path("second-factor/passkeys/", second_factor_views.passkey_add, name="passkey_add"),
    path("second-factor/passkeys/options/", second_factor_views.passkey_options, name="passkey_options"),
    path("second-factor/passkeys/remove/", second_factor_views.passkey_remove, name="passkey_remove"),
    path("second-factor/grant/", second_factor_views.grant, name="second_factor_grant"),
    path("", views.queue, name="queue"),
    path("appeals/<int:pk>/", views.appeal, name="appeal"),
    path("appeals/<int:pk>/take/", views.take, name="take"),
    path("appeals/<int:pk>/reply/", views.reply, name="reply"),
    path("appeals/<int:pk>/note/", views.note, name="note"),
    path("appeals/<int:pk>/status/", views.change_status, name="status"),
    path("appeals/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("appeals/<int:pk>/files/<int:attachment_id>/", views.attachment, name="file"),
    path("appeals/<int:pk>/forward/", views.forward, name="forward"),
    path("appeals/<int:pk>/letter-sent/", views.letter_sent, name="letter_sent"),
    path("appeals/<int:pk>/complaint.pdf", views.complaint_pdf, name="complaint_pdf"),
    path("appeals/<int:pk>/answer-letter.pdf", views.answer_letter_pdf, name="answer_letter_pdf"),
    path("payments/", payment_views.payments, name="payments"),
    path("ratings/", rating_views.ratings_page, name="ratings"),
    path("payments/<uuid:public_id>/", payment_views.payment, name="payment"),
    path("payments/<uuid:public_id>/refund/", payment_views.refund, name="refund"),
]
