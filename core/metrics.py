"""Prometheus metrics at `/metrics` (docs/OPERATIONS.md).

Two sources make the page:

- what the web processes count as they answer: django-prometheus's middleware (requests by
  view, method and status; latency histograms). Under gunicorn each worker process counts its
  own; with PROMETHEUS_MULTIPROC_DIR set (in the environment, before the processes start),
  prometheus_client keeps the counts in files there and the page adds up every process's.
- what is read when the page is asked for (FriendsCollector): every queue's waiting, running,
  scheduled and failed jobs and its workers (core.queues), and the rows of every kind of
  durable work by status (email deliveries, media, notifications, exports, account deletions:
  one GROUP BY each). A source that does not answer leaves its figures out and says so in
  `friends_metrics_source_up`, instead of failing the whole page.

Only a request with `Authorization: Bearer <METRICS_TOKEN>`, or from an address of
METRICS_ALLOWED_IPS (the client's address as core.client finds it behind TRUSTED_PROXY_HOPS
proxies), sees the page; anyone else gets a plain 404, as for a page that is not there.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from core import durable
from core.client import client_ip
from core.queues import queue_figures

QUEUE_GAUGES = {
    "queued": ("friends_queue_jobs", "Jobs waiting in the queue."),
    "started": ("friends_queue_started_jobs", "Jobs of the queue being run by a worker now."),
    "scheduled": ("friends_queue_scheduled_jobs", "Jobs of the queue waiting for their time."),
    "failed": ("friends_queue_failed_jobs", "Jobs of the queue in its failed-job registry."),
    "workers": ("friends_queue_workers", "Workers that serve the queue."),
}


class FriendsCollector:
    """The figures read at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "friends_metrics_source_up",
            "1 when the source answered this scrape, 0 when its figures are missing.",
            labels=["source"],
        )
        try:
            figures = queue_figures()
        except (RedisError, OSError):
            figures = None
        up.add_metric(["redis"], 0 if figures is None else 1)
        for field, (name, documentation) in QUEUE_GAUGES.items():
            if figures is None:
                break
            gauge = GaugeMetricFamily(name, documentation, labels=["queue"])
            for queue in figures:
                gauge.add_metric([queue.name], getattr(queue, field))
            yield gauge

        try:
            counts = work_items_by_status()
        except DatabaseError:
            counts = None
        up.add_metric(["database"], 0 if counts is None else 1)
        if counts is not None:
            gauge = GaugeMetricFamily(
                "friends_work_items",
                "Rows of durable work (model) by status: email deliveries, media, and the rest.",
                labels=["model", "status"],
            )
            for (model, status), count in counts.items():
                gauge.add_metric([model, status], count)
            yield gauge
        yield up


def work_items_by_status() -> dict[tuple[str, str], int]:
    """{(model label, status): rows} for every kind of durable work, every status listed."""
    counts = {}
    for kind in durable.kinds():
        model = kind.model
        label = model._meta.label
        counts.update({(label, status): 0 for status in model.Status.values})
        rows = model.objects.order_by().values_list("status").annotate(rows=Count("pk"))
        counts.update({(label, status): rows for status, rows in rows})
    return counts


def metrics_allowed(request) -> bool:
    """The bearer of METRICS_TOKEN, or a client of METRICS_ALLOWED_IPS."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_IPS
    )


@never_cache
def metrics(request):
    if not metrics_allowed(request):
        return HttpResponseNotFound("Not Found", content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(FriendsCollector())
    return HttpResponse(
        generate_latest(processes) + generate_latest(scraped), content_type=CONTENT_TYPE_LATEST
    )
