from django.urls import path, register_converter

from kabinet.portal.converters import PeriodConverter
from kabinet.portal.views import (
    accounts,
    appeals,
    auth,
    bills,
    complaints,
    home,
    payments,
    profile,
    public,
    ratings,
    readings,
    recovery,
    registration,
    second_factor,
    tokens,
)
from kabinet.portal.views import autopayments as autopayment_views

register_converter(PeriodConverter, "period")

app_name = "portal"
urlpatterns = [
    path("", public.landing, name="landing"),
    path("consent/", public.consent, name="consent"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("login/code/", second_factor.code, name="second_factor"),
    path("login/code/sms/", second_factor.send_sms, name="second_factor_sms"),
    path("login/code/passkey/", second_factor.passkey_sign_in_options, name="passkey_sign_in_options"),
    path("register/", registration.register, name="register"),
    path("register/confirm/", registration.register_confirm, name="register_confirm"),
    path("register/resend/", registration.register_resend, name="register_resend"),
    path("recover/", recovery.recover, name="recover"),
    path("recover/code/", recovery.recover_code, name="recover_code"),
    path("recover/resend/", recovery.recover_resend, name="recover_resend"),
    path("recover/link/<uidb64>/<token>/", recovery.reset_by_link, name="reset_by_link"),
    path("recover/password/", recovery.set_password, name="set_password"),
    path("home/", home.home, name="home"),
    path("tour/", home.tour, name="tour"),
    path("tour/done/", home.tour_done, name="tour_done"),
    path("profile/", profile.profile_view, name="profile"),
    path("profile/names/", profile.names, name="names"),
    path("profile/email/", profile.email, name="email"),
    path("profile/email/resend/", profile.email_resend, name="email_resend"),
    path("profile/email/confirm/<str:token>/", profile.confirm_email, name="confirm_email"),
    path("profile/phone/", profile.phone, name="phone"),
    path("profile/phone/confirm/", profile.phone_confirm, name="phone_confirm"),
    path("profile/phone/resend/", profile.phone_resend, name="phone_resend"),
    path("profile/password/", profile.password, name="password"),
    path("profile/second-factor/", second_factor.settings_page, name="second_factor_settings"),
    path("profile/second-factor/codes/", second_factor.recovery_codes, name="second_factor_codes"),
    path("profile/second-factor/off/", second_factor.turn_off, name="second_factor_off"),
    path("profile/second-factor/sms/", second_factor.sms_setup, name="second_factor_sms_setup"),
    path("profile/second-factor/sms/confirm/", second_factor.sms_confirm, name="second_factor_sms_confirm"),
    path("profile/second-factor/passkeys/", second_factor.passkey_add, name="passkey_add"),
    path("profile/second-factor/passkeys/options/", second_factor.passkey_options, name="passkey_options"),
    path("profile/second-factor/passkeys/remove/", second_factor.passkey_remove, name="passkey_remove"),
    path("profile/tokens/", tokens.tokens_page, name="tokens"),
    path("profile/tokens/<int:token_id>/revoke/", tokens.revoke, name="revoke_token"),
    path("profile/accounts/add/", profile.add_account, name="add_account"),
    path("profile/accounts/<int:link_id>/remove/", profile.remove_account, name="remove_account"),
    path(
        "profile/accounts/<int:link_id>/remove/confirm/", profile.confirm_remove_account, name="confirm_remove_account"
    ),
]

urlpatterns += [
    path("appeals/", appeals.appeal_list, name="appeals"),
    path("appeals/new/", appeals.appeal_new, name="appeal_new"),
    path("appeals/complaint/new/", complaints.complaint_new, name="complaint_new"),
    path("appeals/<str:number>/", appeals.appeal_detail, name="appeal"),
    path("appeals/<str:number>/created/", appeals.appeal_created, name="appeal_created"),
    path("appeals/<str:number>/message/", appeals.appeal_message, name="appeal_message"),
    path("appeals/<str:number>/files/<int:attachment_id>/", appeals.appeal_file, name="appeal_file"),
    path("appeals/<str:number>/complaint.pdf", complaints.complaint_pdf, name="complaint_pdf"),
    path("appeals/<str:number>/rating/", ratings.appeal_rating, name="appeal_rating"),
    path("rate/comment/", ratings.rate_comment, name="rate_comment"),
    path("rate/<str:token>/", ratings.rate, name="rate"),
    path("rate/<str:token>/<int:score>/", ratings.rate, name="rate_score"),
]

urlpatterns += [
    path("accounts/<int:account_id>/", accounts.account_detail, name="account"),
]

urlpatterns += [
    path("accounts/<int:account_id>/readings/", readings.readings, name="readings"),
    path("accounts/<int:account_id>/readings/history/", readings.readings_history, name="readings_history"),
]

urlpatterns += [
    path("accounts/<int:account_id>/bills/", bills.bill_list, name="bills"),
    path("accounts/<int:account_id>/bills/<period:period>/", bills.bill_pdf, name="bill"),
]

urlpatterns += [
    path("accounts/<int:account_id>/pay/", payments.pay, name="pay"),
    path("pay/<uuid:payment_id>/", payments.payment_page, name="payment"),
    path("pay/<uuid:payment_id>/status/", payments.payment_status, name="payment_status"),
    path("accounts/<int:account_id>/autopayment/", autopayment_views.autopayment, name="autopayment"),
    path("accounts/<int:account_id>/autopayment/off/", autopayment_views.autopayment_off, name="autopayment_off"),
]
