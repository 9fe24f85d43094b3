"""Feed and suggestions latency on PostgreSQL at a seed_demo scale, against a trivial endpoint.

    python scripts/bench_feed.py [--requests 200] [--scale benchmark|large]

The scale comes from --scale or BENCH_SCALE (default benchmark: 10,000 users, 200,000 posts,
1,000,000 likes, 300,000 follows; large: ten times that). Uses BENCH_DATABASE_URL (default: the
database friends_bench, or friends_bench_large, on 127.0.0.1), seeding it with
`seed_demo --scale <scale>` when it holds fewer demo users than that scale (the large one takes
about ten minutes). Serves the app with gunicorn (production settings, plain HTTP, rate limits
off) and times, on one kept-alive connection, `GET /api/v1/me/` (trivial), `GET /api/v1/feed/`,
the feed page `/` (with suggestions in its side column), `GET /api/v1/suggestions/` and the
people page `/people/`, for the person who follows 1,000 people (seed_demo makes one) and for a
median one. Exits 1 when an endpoint's median is over 3x the trivial one's.
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
from urllib.parse import urlsplit

from benchlib import BASE_DIR, gunicorn, production_env, summary, timed_get

DATABASES = {
    "benchmark": "postgres://postgres@127.0.0.1:5432/friends_bench",
    "large": "postgres://postgres@127.0.0.1:5432/friends_bench_large",
}
USERS = {"benchmark": 10_000, "large": 100_000}  # seed_demo's SCALES
TRIVIAL = "GET /api/v1/me/ (trivial)"
TARGET = 3.0  # times the trivial endpoint's median


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def credentials(env: dict) -> list[tuple[str, int, str, str]]:
    """(label, followees, token, session cookie) for the busy reader (the one who follows
    exactly BUSY_READER_FOLLOWS people; else whoever follows most) and a median one."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "friends_site.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from accounts.models import User
    from accounts.services import token_create
    from posts.management.commands.seed_demo import BUSY_READER_FOLLOWS

    ranked = list(
        User.objects.filter(username__startswith="demo_")
        .annotate(followees=Count("following_set"))
        .order_by("-followees", "id")
        .only("id", "username", "password")
    )
    busy = next((u for u in ranked if u.followees == BUSY_READER_FOLLOWS), ranked[0])
    viewers = [("busy reader", busy), ("median reader", ranked[len(ranked) // 2])]
    result = []
    for label, user in viewers:
        _token, key = token_create(user=user, name="Feed benchmark")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        result.append((f"{label} ({user.username})", user.followees, key, session.session_key))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--scale", choices=sorted(DATABASES), default=os.environ.get("BENCH_SCALE", "benchmark")
    )
    args = parser.parse_args()
    if args.scale not in DATABASES:
        print(f"BENCH_SCALE must be one of {', '.join(sorted(DATABASES))}, not {args.scale!r}.")
        return 2

    database_url = os.environ.get("BENCH_DATABASE_URL", DATABASES[args.scale])
    env = production_env(DATABASE_URL=database_url)
    try:
        ensure_database(database_url)
    except Exception as error:  # any reason means there is no PostgreSQL to measure on
        print(f"feed benchmark skipped: PostgreSQL at {database_url} is not reachable ({error})")
        return 0
    manage(env, "migrate", "--no-input", "-v0")
    probe = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from accounts.models import User; "
         "print(User.objects.filter(username__startswith='demo_').count())"],
        cwd=BASE_DIR, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    users = int((probe.stdout.split() or ["0"])[-1])
    if users < USERS[args.scale]:
        print(f"Seeding the {args.scale} scale ({USERS[args.scale]:,} users)...")
        manage(env, "seed_demo", "--scale", args.scale, "--reset", "--force")
        users = USERS[args.scale]

    viewers = credentials(env)
    over = []
    with gunicorn(env) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        print(
            f"\nFeed and suggestions at the {args.scale} scale ({users:,} people), PostgreSQL, "
            f"gunicorn 2 workers, {args.requests} requests each"
        )
        print(
            f"{'viewer / endpoint':<48}{'median ms':>10}{'p95 ms':>10}{'x median':>10}{'x p95':>8}"
        )
        for label, followees, token, session in viewers:
            api, page = {"Authorization": f"Token {token}"}, {"Cookie": f"sessionid={session}"}
            endpoints = {
                TRIVIAL: ("/api/v1/me/", api),
                "GET /api/v1/feed/": ("/api/v1/feed/", api),
                "GET / (feed page, suggestions beside)": ("/", page),
                "GET /api/v1/suggestions/": ("/api/v1/suggestions/", api),
                "GET /people/ (20 suggestions)": ("/people/", page),
            }
            timings: dict[str, list[float]] = {name: [] for name in endpoints}
            for _ in range(20):  # warm-up: connections, caches, query plans
                for path, headers in endpoints.values():
                    timed_get(connection, path, headers)
            for _ in range(args.requests):
                for name, (path, headers) in endpoints.items():
                    timings[name].append(timed_get(connection, path, headers))
            base_median, base_p95 = summary(timings[TRIVIAL])
            print(f"{label}, follows {followees:,}")
            for name, values in timings.items():
                median, p95 = summary(values)
                print(
                    f"  {name:<46}{median:>10.2f}{p95:>10.2f}"
                    f"{median / base_median:>10.2f}{p95 / base_p95:>8.2f}"
                )
                if median > TARGET * base_median:
                    over.append(f"{name} for the {label.split(' (')[0]}")
    if over:
        print(f"Over {TARGET:g}x the trivial endpoint's median: {'; '.join(over)}.")
        return 1
    print(f"Every endpoint within {TARGET:g}x of the trivial endpoint's median.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
