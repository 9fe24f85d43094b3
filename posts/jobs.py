"""RQ jobs of posts (queue "default"): take ids, call a service. Safe to run any number of
times."""

from posts.services.export import export_run
from posts.services.notifications import notifications_deliver


def deliver_notifications(event_id: int) -> str:
    """Turn one NotificationEvent into the notifications of the people it concerns."""
    return notifications_deliver(event_id=event_id)


def export_data(export_id: int) -> str:
    """Write the zip of one DataExport and queue the email with its link; a run after a crash
    starts it again from the beginning."""
    return export_run(export_id=export_id)
