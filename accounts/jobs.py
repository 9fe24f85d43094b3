"""RQ jobs of accounts: take ids, call a service."""

from accounts.services import account_deletion_run, email_delivery_send


def send_email(delivery_id: int) -> str:
    """Send one EmailDelivery (queue "email"); safe to run any number of times."""
    return email_delivery_send(delivery_id=delivery_id)


def delete_account(deletion_id: int) -> str:
    """Delete the account of one AccountDeletion and send the goodbye email (queue "default");
    safe to run any number of times."""
    return account_deletion_run(deletion_id=deletion_id)
