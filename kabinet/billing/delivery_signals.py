"""Changes of bill delivery that bypass every service of Kabinet — made in /admin/ or the
shell: deleting a user (their account links and subscriptions go with them, CASCADE), deleting
an account's link, or pointing a link at another account or user. Each is recorded through
bill_delivery in the deleting or saving transaction. Connected in BillingConfig.ready; the
link model is named by its label, so billing does not import identity."""

from kabinet.billing import bill_delivery

LINK = "identity.AccountLink"


def link_saving(sender, instance, raw: bool = False, **kwargs) -> None:
    """pre_save: a link re-pointed leaves its old account held by nobody it was e-mailed to."""
    if raw or instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values_list("user_id", "account_id").first()
    if before is not None and before != (instance.user_id, instance.account_id):
        user_id, account_id = before
        bill_delivery.account_left(account_id, user_id)


def link_deleting(sender, instance, **kwargs) -> None:
    bill_delivery.account_left(instance.account_id, instance.user_id)


def subscription_deleting(sender, instance, **kwargs) -> None:
    bill_delivery.subscription_deleted(instance)
