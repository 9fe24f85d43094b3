"""A claimed row's heartbeat: how the sweeper tells a dead worker from a busy one in seconds.

A job that claims a row (an email being sent, a photo being processed) stamps a time on it.
While the slow part runs, `RowHeartbeat` moves that stamp forward from a thread every few
seconds. A stamp older than a few heartbeats therefore means the worker is gone (SIGKILL, a
lost host, a job timeout), and the sweeper hands the work out again; a busy worker is never
mistaken for a dead one, however long its mail server or its photo takes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


class RowHeartbeat:
    """Within `with`, set `field` of the rows of `queryset` to now every `interval` seconds.

    Each beat is a conditional update (the row must still hold the last stamp written), so it
    stops by itself once the claim is finished or taken over. `stamp` is the last value
    written, for the caller's own conditional update after the block.
    """

    def __init__(
        self,
        queryset: QuerySet,
        *,
        field: str,
        stamp: datetime,
        interval: float,
        on_miss: Callable[[], None] | None = None,
    ):
        self.queryset = queryset
        self.field = field
        self.stamp = stamp
        self.interval = interval
        # Called when a beat could not reach the database (the beats go on).
        self.on_miss = on_miss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="row-heartbeat", daemon=True)

    def __enter__(self) -> RowHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                now = timezone.now()
                claim = self.queryset.filter(**{self.field: self.stamp})
                try:
                    updated = claim.update(**{self.field: now})
                except (OperationalError, InterfaceError) as error:
                    # The database is away for a moment: beat again on a new connection, so
                    # that the claim is fresh again as soon as it is back.
                    logger.warning("A heartbeat missed the database: %s", error)
                    if self.on_miss is not None:
                        self.on_miss()
                    with contextlib.suppress(DatabaseError):
                        connections.close_all()
                    continue
                if not updated:
                    return  # finished, failed or taken over: nothing left to keep alive
                self.stamp = now
        except Exception:  # a missed beat only makes the claim look stale sooner
            logger.exception("Heartbeat of %s stopped", self.queryset.model.__name__)
        finally:
            connections.close_all()  # this thread's own connections
