"""RQ jobs of accounts: take ids, call a service."""

from accounts.services import email_delivery_send


def send_email(delivery_id: int) -> str:
    """Send one EmailDelivery (queue "email"); safe to run any number of times."""
    return email_delivery_send(delivery_id=delivery_id)
