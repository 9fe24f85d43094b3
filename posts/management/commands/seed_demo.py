"""Fill the database with realistic demo data, fast (bulk inserts; COPY on PostgreSQL).

python manage.py seed_demo                      # 200 users and what goes with them
python manage.py seed_demo --scale benchmark    # 10,000 users, 200,000 posts,
                                                # 1,000,000 likes, 300,000 follows
python manage.py seed_demo --scale large        # 100,000 users, 2,000,000 posts, 10,000,000
                                                # likes, 3,000,000 follows (PostgreSQL only)

On PostgreSQL the rows go in by COPY; for a load of millions of rows the tables' secondary
indexes and unique and foreign-key constraints are dropped first and made again after, with
the same definitions (one sort per index, instead of millions of random index insertions and
trigger checks), all in the one transaction of the seed (posts/management/bulk_load.py). Each
phase prints its time.

The people get drawn avatars and some of the newest posts drawn photos (posts/management/
demo_media.py, drawn by demo_images.py). Those go through the services a person's uploads go
through (private original, pending Media, variants and blurhash by the media job's own code,
the avatar hook), then are processed here, so the site looks finished as soon as it starts;
--queue-media leaves them to a worker instead.
"""

from __future__ import annotations

import itertools
import random
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from faker import Faker
from tqdm import tqdm

from accounts.models import Follow
from media.models import Media
from media.services import media_discard
from posts.management.bulk_load import BATCH, SecondaryIndexesDeferred, batches, insert_rows
from posts.management.demo_media import DemoMedia
from posts.models import Comment, Like, Post, PostPhoto

User = get_user_model()

PREFIX = "demo_"
# The users seed_demo creates, and only they, have an address in this reserved domain (no one
# can sign up with it: accounts.services refuses .invalid addresses), so --reset deletes them and
# never a real person who picked a name starting with demo_.
DEMO_EMAIL_DOMAIN = "demo.invalid"
PASSWORD = "demo-password-1234"
SCALES = {
    # users, posts, likes, follows, comments
    "small": (200, 4_000, 20_000, 6_000, 2_000),
    "benchmark": (10_000, 200_000, 1_000_000, 300_000, 100_000),
    "large": (100_000, 2_000_000, 10_000_000, 3_000_000, 1_000_000),
}
# Too big for SQLite's one writer and its row-by-row inserts (hours, not minutes).
POSTGRESQL_ONLY = {"large"}
# In a network of more than twice this many people, the first one (PREFIX + "1") follows exactly
# this many: the benchmark's heaviest reader of a feed and of suggestions.
BUSY_READER_FOLLOWS = 1_000
# From this many rows in one seed (PostgreSQL), the loaded tables' secondary indexes and
# constraints are made after the load (SecondaryIndexesDeferred): faster from about here on.
DEFER_INDEXES_FROM = 1_000_000
# Generated media: avatars for the first people (None: every one) and how many of the newest
# posts get photos. Bounded at the benchmark scale, where every image costs the seed time
# (about 0.1 s each to draw, store and process).
MEDIA_SCALES = {"small": (None, 100), "benchmark": (300, 100), "large": (300, 100)}


class Command(BaseCommand):
    help = "Create demo users (demo_1, demo_2, ...), follows, posts, likes and comments."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--users", type=int, help="overrides the scale's count")
        parser.add_argument("--posts", type=int)
        parser.add_argument("--likes", type=int)
        parser.add_argument("--follows", type=int)
        parser.add_argument("--comments", type=int)
        parser.add_argument("--seed", type=int, default=42, help="random seed (same data)")
        parser.add_argument(
            "--avatars",
            type=int,
            help="how many people, the first ones, get a drawn avatar (default: every one; "
            "300 at the benchmark scale)",
        )
        parser.add_argument(
            "--photo-posts",
            type=int,
            help="how many posts get 1-4 drawn photos: one in four of the newest (default 100)",
        )
        parser.add_argument(
            "--queue-media",
            action="store_true",
            help="leave the avatars and photos pending for a worker (make run starts one) "
            "instead of processing them here",
        )
        parser.add_argument(
            "--reset", action="store_true", help="delete earlier demo users and their data first"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run with DJANGO_DEBUG=0 too (a benchmark database, never a live site)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo fills the database with made-up people: it runs with DJANGO_DEBUG=1, "
                "or with --force on a database that is not a live site's."
            )
        if options["scale"] in POSTGRESQL_ONLY and connection.vendor != "postgresql":
            raise CommandError(
                f"--scale {options['scale']} needs PostgreSQL (DATABASE_URL=postgres://...): "
                f"on {connection.display_name} its millions of rows would take hours to insert."
            )
        users, posts, likes, follows, comments = SCALES[options["scale"]]
        avatars, photo_posts = MEDIA_SCALES[options["scale"]]
        users = options["users"] or users
        avatars = options["avatars"] if options["avatars"] is not None else avatars
        avatars = users if avatars is None else min(users, avatars)
        photo_posts = options["photo_posts"] if options["photo_posts"] is not None else photo_posts
        posts = options["posts"] if options["posts"] is not None else posts
        likes = options["likes"] if options["likes"] is not None else likes
        follows = options["follows"] if options["follows"] is not None else follows
        comments = options["comments"] if options["comments"] is not None else comments
        if users < 2:
            raise CommandError("--users must be at least 2.")
        if avatars < 0 or photo_posts < 0:
            raise CommandError("--avatars and --photo-posts cannot be negative.")
        if follows > users * (users - 1):
            raise CommandError(f"{users} users can have at most {users * (users - 1)} follows.")
        if likes > users * posts:
            raise CommandError(
                f"{users} users and {posts} posts allow at most {users * posts} likes."
            )

        demo_users = User.objects.filter(
            username__startswith=PREFIX, email__endswith=f"@{DEMO_EMAIL_DOMAIN}"
        )
        others = User.objects.filter(username__startswith=PREFIX).exclude(pk__in=demo_users)
        if others.exists():
            raise CommandError(
                f"{others.count()} account(s) named {PREFIX}* were not made by seed_demo; "
                "seed_demo leaves them alone and cannot add demo users beside them."
            )
        if options["reset"]:
            self.stdout.write("Deleting earlier demo data...")
            with transaction.atomic():
                # Through the media service, so that their files go too (a job after commit).
                media_discard(media=list(Media.objects.filter(owner__in=demo_users)))
                demo_users.delete()
        elif demo_users.exists():
            raise CommandError("Demo users exist already: run again with --reset to replace them.")

        self.random = random.Random(options["seed"])
        self.faker = Faker()
        self.faker.seed_instance(options["seed"])
        started = time.monotonic()
        self.phase_started = started
        rows = follows + posts + likes + comments
        defer = connection.vendor == "postgresql" and rows >= DEFER_INDEXES_FROM
        with transaction.atomic():
            user_ids = self.create_users(users)
            self.phase("users")
            loaded = [Follow, Post, Like, Comment]
            with SecondaryIndexesDeferred(loaded, enabled=defer, report=self.phase):
                self.create_follows(user_ids, follows)
                self.phase("follows")
                like_counts = self.spread(posts, likes, len(user_ids))
                comment_counts = self.spread(posts, comments, None)
                post_ids, post_times = self.create_posts(
                    user_ids, posts, like_counts, comment_counts
                )
                self.phase("posts")
                self.create_likes(user_ids, post_ids, post_times, like_counts)
                self.phase("likes")
                self.create_comments(user_ids, post_ids, post_times, comment_counts)
                self.phase("comments")
        if connection.vendor == "postgresql":
            # VACUUM sets the visibility map, so the feed's ids query (posts by author, newest
            # first) is an index-only scan; ANALYZE gives the planner the new sizes. VACUUM
            # cannot run inside a transaction: there, ANALYZE alone.
            tables = ", ".join(
                connection.ops.quote_name(model._meta.db_table) for model in [User, *loaded]
            )
            with connection.cursor() as cursor:
                if connection.in_atomic_block:
                    cursor.execute(f"ANALYZE {tables}")
                else:
                    cursor.execute(f"VACUUM (ANALYZE) {tables}")
            self.phase("vacuum and analyze")
        # The media after the commit, each upload in its own transaction as a request's would
        # be: a running worker can start on the first while the next is drawn.
        media = DemoMedia(
            seed=options["seed"],
            queue_media=options["queue_media"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
        media_ids, photos = media.create(user_ids, post_ids, avatars, photo_posts)
        if options["queue_media"]:
            done = "queued for a worker, which make run starts"
        else:
            done = media.process(media_ids)
        if connection.vendor == "postgresql":
            # The photos' tables were empty at the ANALYZE above: without statistics the
            # planner reads every photo to find a page's (autovacuum may be off or late).
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE "
                    + ", ".join(
                        connection.ops.quote_name(model._meta.db_table)
                        for model in (Media, PostPhoto)
                    )
                )
        self.phase("avatars and photos")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {users:,} users, {follows:,} follows, {posts:,} posts, {likes:,} likes "
                f"and {comments:,} comments, {avatars:,} avatars and {photos:,} photos ({done}) "
                f"in {elapsed:.1f} s. Log in as {PREFIX}1 with the password {PASSWORD}."
            )
        )

    def phase(self, name: str) -> None:
        """Print how long the phase that just ended took."""
        now = time.monotonic()
        self.stdout.write(f"  {name}: {now - self.phase_started:.1f} s")
        self.phase_started = now

    # --- steps --------------------------------------------------------------------------------

    def create_users(self, count: int) -> list[int]:
        password = make_password(PASSWORD)  # hashed once: hashing is slow by design
        now = timezone.now()
        rows = []
        for number in range(1, count + 1):
            joined = now - timedelta(days=self.random.uniform(0, 720))
            rows.append(
                User(
                    username=f"{PREFIX}{number}",
                    email=f"{PREFIX}{number}@{DEMO_EMAIL_DOMAIN}",
                    display_name=self.faker.name(),
                    bio=self.faker.sentence(nb_words=10) if number % 3 else "",
                    password=password,
                    date_joined=joined,
                    last_login=now - timedelta(days=self.random.uniform(0, 30)),
                )
            )
        for batch in batches(rows, "users"):
            User.objects.bulk_create(batch)
        return list(
            User.objects.filter(username__startswith=PREFIX, email__endswith=DEMO_EMAIL_DOMAIN)
            .order_by("id")
            .values_list("id", flat=True)
        )

    def create_follows(self, user_ids: list[int], count: int) -> None:
        # Popularity is skewed, as in real networks: a few people have many followers.
        people = len(user_ids)
        weights = itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(people))
        cumulative = list(weights)
        # Each follow as one number, follower index * people + followee index: a set of ints
        # takes a third of the memory of a set of pairs, at millions of follows.
        pairs: set[int] = set()
        busy = min(BUSY_READER_FOLLOWS, count) if people > 2 * BUSY_READER_FOLLOWS else 0
        while len(pairs) < busy:  # the busy reader, index 0, follows popular people mostly
            followee = self.random.choices(range(people), cum_weights=cumulative)[0]
            if followee:
                pairs.add(followee)
        progress = tqdm(total=count, desc="follows", unit="row", disable=count < BATCH)
        progress.update(len(pairs))
        others = range(1 if busy else 0, people)  # nobody else adds to the busy reader's
        while len(pairs) < count:
            missing = count - len(pairs)
            followers = self.random.choices(others, k=missing)
            followees = self.random.choices(range(people), cum_weights=cumulative, k=missing)
            before = len(pairs)
            pairs.update(
                a * people + b for a, b in zip(followers, followees, strict=True) if a != b
            )
            progress.update(len(pairs) - before)
        progress.close()
        now = timezone.now()
        uniform = self.random.uniform
        insert_rows(
            Follow,
            ["follower_id", "followee_id", "created_at"],
            (
                (user_ids[key // people], user_ids[key % people], now - timedelta(uniform(0, 365)))
                for key in pairs
            ),
            count,
        )

    def spread(self, posts: int, total: int, most: int | None) -> list[int]:
        """How many of `total` likes (comments) each post gets, in the order of the posts'
        times: newer posts get more. At most `most` a post (likes: one per person)."""
        counts = [0] * posts
        if not posts:
            return counts
        random_number = self.random.random
        for _ in range(total):
            counts[min(posts - 1, int(posts * random_number() ** 0.5))] += 1
        if most is not None:
            # A tiny network where a post drew more likes than there are people: the excess
            # goes to the newest posts with room (the command checked that there is room).
            excess = sum(max(0, number - most) for number in counts)
            for index in reversed(range(posts)):
                counts[index] = min(counts[index], most)
            for index in reversed(range(posts)):
                if not excess:
                    break
                added = min(most - counts[index], excess)
                counts[index] += added
                excess -= added
        return counts

    def create_posts(
        self, user_ids: list[int], count: int, like_counts: list[int], comment_counts: list[int]
    ) -> tuple[list[int], list]:
        sentences = [self.faker.sentence(nb_words=self.random.randint(4, 14)) for _ in range(3000)]
        titles = [
            self.faker.sentence(nb_words=self.random.randint(2, 7)).rstrip(".") for _ in range(3000)
        ]
        now = timezone.now()
        times = sorted(now - timedelta(days=self.random.uniform(0, 365)) for _ in range(count))
        rows = (
            (
                self.random.choice(user_ids),
                self.random.choice(titles),
                " ".join(self.random.choices(sentences, k=self.random.randint(1, 6))),
                times[index],
                like_counts[index],
                comment_counts[index],
            )
            for index in range(count)
        )
        last = Post.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        insert_rows(
            Post,
            ["author_id", "title", "body", "created_at", "like_count", "comment_count"],
            rows,
            count,
        )
        # Inserted in the order of their times, so their ids come in the same order.
        post_ids = list(
            Post.objects.filter(pk__gt=last, author__email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if len(post_ids) != count:
            raise CommandError("Posts were written by someone else during the seed: run it again.")
        return post_ids, times

    def create_likes(
        self, user_ids: list[int], post_ids: list[int], post_times: list, like_counts: list[int]
    ) -> None:
        sample = self.random.sample
        five_minutes = timedelta(minutes=5)
        rows = (
            (user_id, post_ids[index], post_times[index] + five_minutes)
            for index, number in enumerate(like_counts)
            if number
            for user_id in sample(user_ids, number)  # distinct people: one like each
        )
        insert_rows(Like, ["user_id", "post_id", "created_at"], rows, sum(like_counts))

    def create_comments(
        self, user_ids: list[int], post_ids: list[int], post_times: list, comment_counts: list[int]
    ) -> None:
        count = sum(comment_counts)
        if not count:
            return
        # From a pool, as the posts' texts: a fresh sentence each costs minutes at a million.
        texts = [self.faker.sentence(nb_words=self.random.randint(3, 18)) for _ in range(3000)]
        now = timezone.now()
        rows = (
            (
                post_ids[index],
                self.random.choice(user_ids),
                self.random.choice(texts),
                min(now, post_times[index] + timedelta(minutes=self.random.randint(1, 600))),
            )
            for index, number in enumerate(comment_counts)
            for _ in range(number)
        )
        insert_rows(Comment, ["post_id", "author_id", "body", "created_at"], rows, count)
