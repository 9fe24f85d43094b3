"""Fill the database with realistic demo data, fast (bulk inserts; COPY on PostgreSQL).

python manage.py seed_demo                      # 200 users and what goes with them
python manage.py seed_demo --scale benchmark    # 10,000 users, 200,000 posts,
                                                # 1,000,000 likes, 300,000 follows

The people get drawn avatars and some of the newest posts drawn photos (posts/management/
demo_images.py). Those go through the services a person's uploads go through (private
original, pending Media, variants and blurhash by the media job's own code, the avatar hook),
then are processed here, so the site looks finished as soon as it starts; --queue-media leaves
them to a worker instead.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter
from datetime import timedelta

import django_rq
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone
from faker import Faker
from redis.exceptions import RedisError
from tqdm import tqdm

from accounts.models import Follow
from accounts.services import avatar_upload
from media.models import Media
from media.services import media_discard, media_process
from posts.management import demo_images
from posts.models import Comment, Like, Post
from posts.services import post_update

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
}
# Generated media: avatars for the first people (None: every one) and how many of the newest
# posts get photos. Bounded at the benchmark scale, where every image costs the seed time
# (about 0.1 s each to draw, store and process).
MEDIA_SCALES = {"small": (None, 100), "benchmark": (300, 100)}
PHOTOS_PER_POST = {1: 5, 2: 3, 3: 2, 4: 1}  # how many photos: weight
BATCH = 10_000


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
        self.queue_media = options["queue_media"]
        self.faker = Faker()
        self.faker.seed_instance(options["seed"])
        started = time.monotonic()
        with transaction.atomic():
            user_ids = self.create_users(users)
            self.create_follows(user_ids, follows)
            post_ids, post_times = self.create_posts(user_ids, posts, likes)
            self.create_likes(user_ids, post_ids, post_times)
            self.create_comments(user_ids, post_ids, post_times, comments)
        if connection.vendor == "postgresql":
            # VACUUM sets the visibility map, so the feed's ids query (posts by author, newest
            # first) is an index-only scan; ANALYZE gives the planner the new sizes. VACUUM
            # cannot run inside a transaction: there, ANALYZE alone.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        # The media after the commit, each upload in its own transaction as a request's would
        # be: a running worker can start on the first while the next is drawn.
        media_ids, photos = self.create_media(
            user_ids, post_ids, avatars, photo_posts, options["seed"]
        )
        if options["queue_media"]:
            done = "queued for a worker, which make run starts"
        else:
            done = self.process_media(media_ids)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {users:,} users, {follows:,} follows, {posts:,} posts, {likes:,} likes "
                f"and {comments:,} comments, {avatars:,} avatars and {photos:,} photos ({done}) "
                f"in {elapsed:.1f} s. Log in as {PREFIX}1 with the password {PASSWORD}."
            )
        )

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
        for batch in self.batches(rows, "users"):
            User.objects.bulk_create(batch)
        return list(
            User.objects.filter(username__startswith=PREFIX, email__endswith=DEMO_EMAIL_DOMAIN)
            .order_by("id")
            .values_list("id", flat=True)
        )

    def create_follows(self, user_ids: list[int], count: int) -> None:
        # Popularity is skewed, as in real networks: a few people have many followers.
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(user_ids))]
        pairs: set[tuple[int, int]] = set()
        progress = tqdm(total=count, desc="follows", unit="row", disable=count < BATCH)
        while len(pairs) < count:
            followers = self.random.choices(user_ids, k=count - len(pairs))
            followees = self.random.choices(user_ids, weights=weights, k=len(followers))
            before = len(pairs)
            pairs.update((a, b) for a, b in zip(followers, followees, strict=True) if a != b)
            progress.update(len(pairs) - before)
        progress.close()
        now = timezone.now()
        self.insert(
            Follow,
            ["follower_id", "followee_id", "created_at"],
            ((a, b, now - timedelta(days=self.random.uniform(0, 365))) for a, b in pairs),
            count,
        )

    def create_posts(self, user_ids: list[int], count: int, likes: int) -> tuple[list[int], list]:
        sentences = [self.faker.sentence(nb_words=self.random.randint(4, 14)) for _ in range(3000)]
        titles = [
            self.faker.sentence(nb_words=self.random.randint(2, 7)).rstrip(".") for _ in range(3000)
        ]
        now = timezone.now()
        times = sorted(now - timedelta(days=self.random.uniform(0, 365)) for _ in range(count))
        self.like_targets = self.pick_like_targets(count, likes)
        like_counts = [0] * count
        for index in self.like_targets:
            like_counts[index] += 1
        rows = (
            (
                self.random.choice(user_ids),
                self.random.choice(titles),
                " ".join(self.random.choices(sentences, k=self.random.randint(1, 6))),
                times[index],
                like_counts[index],
                0,
            )
            for index in range(count)
        )
        self.insert(
            Post,
            ["author_id", "title", "body", "created_at", "like_count", "comment_count"],
            rows,
            count,
        )
        created = list(
            Post.objects.filter(author_id__in=user_ids)
            .order_by("created_at", "id")
            .values_list("id", "created_at")
        )
        return [pk for pk, _ in created], [when for _, when in created]

    def pick_like_targets(self, posts: int, likes: int) -> list[int]:
        # Newer posts get more likes; each target index is later paired with distinct users.
        if posts == 0:
            return []
        return [min(posts - 1, int(posts * self.random.random() ** 0.5)) for _ in range(likes)]

    def create_likes(self, user_ids: list[int], post_ids: list[int], post_times: list) -> None:
        taken: set[tuple[int, int]] = set()
        rows = []
        for index in self.like_targets:
            post_id = post_ids[index]
            while True:
                user_id = self.random.choice(user_ids)
                if (user_id, post_id) not in taken:
                    break
            taken.add((user_id, post_id))
            rows.append((user_id, post_id, post_times[index] + timedelta(minutes=5)))
        self.insert(Like, ["user_id", "post_id", "created_at"], rows, len(rows))

    def create_comments(
        self, user_ids: list[int], post_ids: list[int], post_times: list, count: int
    ) -> None:
        if not post_ids or not count:
            return
        per_post: dict[int, int] = {}
        rows = []
        for _ in range(count):
            index = min(len(post_ids) - 1, int(len(post_ids) * self.random.random() ** 0.5))
            per_post[post_ids[index]] = per_post.get(post_ids[index], 0) + 1
            rows.append(
                (
                    post_ids[index],
                    self.random.choice(user_ids),
                    self.faker.sentence(nb_words=self.random.randint(3, 18)),
                    post_times[index] + timedelta(minutes=self.random.randint(1, 600)),
                )
            )
        self.insert(Comment, ["post_id", "author_id", "body", "created_at"], rows, count)
        posts = Post.objects.in_bulk(list(per_post))
        for post_id, number in per_post.items():
            posts[post_id].comment_count = number
        Post.objects.bulk_update(posts.values(), ["comment_count"], batch_size=BATCH)

    # --- avatars and photos -------------------------------------------------------------------

    def create_media(
        self, user_ids: list[int], post_ids: list[int], avatars: int, photo_posts: int, seed: int
    ) -> tuple[list[int], int]:
        """Upload the avatars, then the photos; returns the new media's ids (in the order to
        process them: avatars, then the newest post's photos first) and the photos' count."""
        if not avatars and not photo_posts:
            return [], 0
        redis_down = not self.redis_answers()
        if redis_down:
            self.stdout.write(
                "Redis is not answering: no media job is queued now. "
                + (
                    "A worker's sweep queues them within a minute or two of its start."
                    if self.queue_media
                    else "The media is processed here all the same."
                )
            )
        durable_log = logging.getLogger("core.durable")
        level = durable_log.level
        if redis_down:
            # Each upload would warn that its job could not be queued: the line above says it once.
            durable_log.setLevel(logging.ERROR)
        try:
            # The upload limits protect the site from one person's requests. These uploads are
            # the operator's, from the command line, past 60 an hour for the busiest demo people;
            # counting them would also spend the demo people's own allowance. Off for this
            # process only: the site's limits are untouched.
            with override_settings(RATELIMIT_ENABLE=False):
                avatar_ids = self.create_avatars(user_ids[:avatars], seed)
                photo_ids = self.create_photos(post_ids, photo_posts, seed)
        finally:
            durable_log.setLevel(level)
        return avatar_ids + photo_ids, len(photo_ids)

    def redis_answers(self) -> bool:
        try:
            return bool(django_rq.get_connection("media").ping())
        except (RedisError, OSError):
            return False

    def create_avatars(self, user_ids: list[int], seed: int) -> list[int]:
        people = list(User.objects.filter(pk__in=user_ids).order_by("id"))
        created = []
        for person in tqdm(people, desc="avatars", unit="image"):
            image = demo_images.avatar(f"{seed}-avatar-{person.username}", person.display_name)
            media = avatar_upload(user=person, file=ContentFile(image.data, name=image.file_name))
            created.append(media.pk)
        return created

    def create_photos(self, post_ids: list[int], count: int, seed: int) -> list[int]:
        """Photos on `count` posts picked among the newest 4 x `count` (a quarter of them, when
        there are fewer), through the same post service as the post form."""
        if not count or not post_ids:
            return []
        rng = random.Random(f"{seed}-photos")  # its own: the rest of a seed's data is unchanged
        newest = post_ids[-4 * count :]
        # The newer a post, the likelier it has photos (about one in two at the top, one in
        # eight at the far end), so that the first screen of every feed shows some. Weighted
        # sampling: each post's key is random ** (1 / weight); the highest keys are drawn.
        spread = len(newest) / 5
        keys = [rng.random() ** (1 + age / spread) for age in range(len(newest))]
        drawn = sorted(range(len(newest)), key=keys.__getitem__, reverse=True)
        picked = drawn[: min(count, math.ceil(len(newest) / 4))]
        chosen = [(len(post_ids) - 1 - age, newest[-1 - age]) for age in sorted(picked)]
        posts = Post.objects.select_related("author").in_bulk([pk for _, pk in chosen])
        created = []
        for index, pk in tqdm(chosen, desc="photos", unit="post"):
            post = posts[pk]
            number = rng.choices(list(PHOTOS_PER_POST), weights=list(PHOTOS_PER_POST.values()))[0]
            images = [demo_images.photo(f"{seed}-photo-{index}-{n}") for n in range(number)]
            post_update(
                post=post,
                editor=post.author,
                images=[ContentFile(image.data, name=image.file_name) for image in images],
                alt_texts=[image.alt_text for image in images],
            )
            created += post.photo_links.order_by("position").values_list("media_id", flat=True)
        return created

    def process_media(self, media_ids: list[int]) -> str:
        """Make the variants here, with the code the media job runs (claims included: items a
        running worker took meanwhile are left to it)."""
        outcomes = Counter(
            media_process(media_id=pk) for pk in tqdm(media_ids, desc="processing", unit="image")
        )
        if outcomes["failed"] or outcomes["retrying"]:
            self.stderr.write(
                f"{outcomes['failed']} image(s) failed and {outcomes['retrying']} will be "
                "retried by a worker: see the admin's media list."
            )
        done = f"{outcomes['done']:,} processed here"
        if outcomes["skipped"]:
            done += f", {outcomes['skipped']:,} by a running worker"
        return done

    # --- bulk insert ----------------------------------------------------------------------------

    def insert(self, model, columns: list[str], rows, total: int) -> None:
        """Insert tuples: COPY on PostgreSQL, bulk_create elsewhere; with a progress bar."""
        progress = tqdm(total=total, desc=model._meta.verbose_name_plural, unit="row")
        if connection.vendor == "postgresql":
            table = model._meta.db_table
            fields = ", ".join(model._meta.get_field(c).column for c in columns)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({fields}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    progress.update()
        else:
            batch = []
            for row in rows:
                batch.append(model(**dict(zip(columns, row, strict=True))))
                if len(batch) == BATCH:
                    model.objects.bulk_create(batch)
                    progress.update(len(batch))
                    batch = []
            model.objects.bulk_create(batch)
            progress.update(len(batch))
        progress.close()

    def batches(self, rows: list, label: str):
        for start in tqdm(range(0, len(rows), BATCH), desc=label, unit="batch"):
            yield rows[start : start + BATCH]
