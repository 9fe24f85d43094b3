"""`make fuzz`: Schemathesis over the live API schema, every check, against gunicorn on
PostgreSQL with a real worker, authenticated; a fixed seed and a bounded number of examples.

    python scripts/fuzz.py [--max-examples 100] [--seed 20261202]

Uses FUZZ_DATABASE_URL (default: the database friends_fuzz on 127.0.0.1, made anew each run) and
Redis database 8 of REDIS_URL's server (or an embedded Redis when none answers). Two runs:
every operation with the token of one person, then the operations that end a token
(`DELETE auth/token/`, `DELETE me/tokens/{id}/`) with tokens of their own, so that ending one
does not end the rest of the run. Exits non-zero on any failure; stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchlib import BASE_DIR, gunicorn, production_env, stop_processes

from friends_site.embedded_redis import free_port, redis_answers, start_redis

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/friends_fuzz"
REDIS_DB = 8
# Operations that end the token they are sent with: run with tokens of their own.
SESSION_ENDING = ["auth_token_destroy", "me_tokens_destroy"]
SETUP = """
import json
from accounts.models import Follow, User
from accounts.services import token_create
from posts.models import Post
from posts.services import comment_create, like_set

people = {}
for name in ("fuzzer", "alice", "bob", "ender"):
    people[name] = User.objects.create_user(name, f"{name}@example.com", "fuzz-password-2026")
Follow.objects.create(follower=people["fuzzer"], followee=people["alice"])
for author in ("fuzzer", "alice", "bob"):
    post = Post.objects.create(author=people[author], title=f"A post by {author}", body="Words.")
    comment_create(post=post, author=people["alice"], body="A comment.")
    like_set(user=people["bob"], post=post)
ending = [token_create(user=people["ender"], name=f"fuzz {n}") for n in range(3)]
tokens = {
    "main": token_create(user=people["fuzzer"], name="fuzz")[1],
    "ending": [key for _token, key in ending],
    # me/tokens/{id}/ ends a token of the same person, not the one the run is sent with.
    "ended_id": ending[2][0].pk,
}
print("TOKENS=" + json.dumps(tokens))
"""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=capture,
        text=True,
    )
    return result.stdout if capture else ""


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def schemathesis(port: int, token: str, seed: int, examples: int, *filters: str, **env: str) -> int:
    command = [
        str(Path(sys.executable).parent / "st"),
        "run",
        f"http://127.0.0.1:{port}/api/v1/schema/",
        "--checks",
        "all",
        "--seed",
        str(seed),
        "--max-examples",
        str(examples),
        "--header",
        f"Authorization: Token {token}",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--generation-deterministic",
        *filters,
    ]
    print(
        "$ "
        + " ".join(part if "Token" not in part else "Authorization: Token ..." for part in command)
    )
    hooks = {"SCHEMATHESIS_HOOKS": str(BASE_DIR / "scripts" / "fuzz_hooks.py")}
    return subprocess.run(command, cwd=BASE_DIR, env={**os.environ, **hooks, **env}).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    started = time.monotonic()

    database_url = os.environ.get("FUZZ_DATABASE_URL", DEFAULT_DATABASE_URL)
    fresh_database(database_url)
    base_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    embedded = None
    redis_url = f"{base_redis}/{REDIS_DB}"
    if not redis_answers(redis_url):
        embedded = start_redis(port=free_port(), data_dir=BASE_DIR / "var" / "fuzz-redis")
        redis_url = embedded.url.rsplit("/", 1)[0] + f"/{REDIS_DB}"
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # the run's own database, and no other
    media = tempfile.TemporaryDirectory(prefix="friends-fuzz-")
    env = production_env(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        MEDIA_ROOT=media.name,
        # Limits off: at a hundred examples per operation they would answer most requests with
        # 429 and leave the logic behind them untested. `make slow` checks them on gunicorn.
        RATELIMIT_ENABLE="0",
        LOG_LEVEL="ERROR",
        EMAIL_URL="",
    )
    env.pop("EMAIL_URL")  # the file backend under var/mail
    worker = None
    try:
        manage(env, "migrate", "--no-input", "-v0")
        output = manage(env, "shell", "-c", SETUP, capture=True)
        import json

        tokens = json.loads(output.split("TOKENS=", 1)[1])
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "default", "email", "media"],
            cwd=BASE_DIR,
            env=env,
        )
        failed = 0
        ids = {"FUZZ_ENDED_TOKEN_ID": str(tokens["ended_id"])}  # read by schemathesis.toml
        with gunicorn(env, workers=2) as port:
            apart = [f"--exclude-operation-id={operation}" for operation in SESSION_ENDING]
            print(f"\n== every operation, as one person (seed {args.seed})", flush=True)
            failed += schemathesis(
                port, tokens["main"], args.seed, args.max_examples, *apart, **ids
            )
            for number, operation in enumerate(SESSION_ENDING):
                print(f"\n== {operation}, with a token of its own", flush=True)
                failed += schemathesis(
                    port,
                    tokens["ending"][number],
                    args.seed,
                    args.max_examples,
                    f"--include-operation-id={operation}",
                    **ids,
                )
    finally:
        if worker is not None:
            stop_processes([worker], timeout=15)
        if embedded is not None:
            embedded.stop()
        media.cleanup()
    print(f"\nfuzz: {'FAILED' if failed else 'OK'} in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
