"""What identity tells other apps without importing them."""

from django.dispatch import Signal

# A user removed a personal account from the profile: sent inside remove_account's transaction,
# the link already gone, with `user` and `account` (payments stops the user's autopayment).
account_removed = Signal()
