"""Account e-mails, sent from the task queue (care2.users.adapters.AccountAdapter).

Signing up with an address that is already registered and with a new one must look
alike from outside, time included: neither path sends mail in the request.
"""

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from celery import shared_task


@shared_task(name="care2.users.tasks.send_account_exists_mail_task", acks_late=True)
def send_account_exists_mail_task(email: str) -> bool:
    """Tell the owner of ``email`` that someone tried to sign up with it."""
    get_adapter().send_account_already_exists_mail_now(email)
    return True


@shared_task(name="care2.users.tasks.send_confirmation_mail_task", acks_late=True)
def send_confirmation_mail_task(email_address_id: int, signup: bool) -> bool:
    """The link that verifies an address; none once it is verified (a repeated delivery
    after the member clicked sends nothing). The key is an HMAC of the address, so a
    repeat before that sends a link that works the same."""
    address = EmailAddress.objects.filter(pk=email_address_id, verified=False).first()
    if address is None:
        return False
    get_adapter().send_confirmation_mail_now(EmailConfirmationHMAC(address), signup)
    return True
