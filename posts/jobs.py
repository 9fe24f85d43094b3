"""RQ jobs of posts (queue "default"): take ids, call a service. Safe to run any number of
times."""

from posts.services.notifications import notifications_deliver


def deliver_notifications(event_id: int) -> str:
    """Turn one NotificationEvent into the notifications of the people it concerns."""
    return notifications_deliver(event_id=event_id)
