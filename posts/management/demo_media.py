"""seed_demo's avatars and photos: drawn by posts/management/demo_images.py, uploaded through
the services a person's uploads go through (private original, pending Media, the avatar hook),
then processed here by the media job's own code, or left to a worker (--queue-media)."""

from __future__ import annotations

import logging
import math
import random
from collections import Counter

import django_rq
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test.utils import override_settings
from redis.exceptions import RedisError
from tqdm import tqdm

from accounts.services import avatar_upload
from media.services import media_process
from posts.management import demo_images
from posts.models import Post
from posts.services import post_update

User = get_user_model()

PHOTOS_PER_POST = {1: 5, 2: 3, 3: 2, 4: 1}  # how many photos: weight


def _redis_answers() -> bool:
    try:
        return bool(django_rq.get_connection("media").ping())
    except (RedisError, OSError):
        return False


class DemoMedia:
    """Avatars and photos for a seed: `create` uploads them, `process` makes their variants.
    `seed` draws the same images again; `stdout` and `stderr` are the command's."""

    def __init__(self, *, seed: int, queue_media: bool, stdout, stderr):
        self.seed = seed
        self.queue_media = queue_media
        self.stdout = stdout
        self.stderr = stderr

    def create(
        self, user_ids: list[int], post_ids: list[int], avatars: int, photo_posts: int
    ) -> tuple[list[int], int]:
        """Upload the avatars, then the photos; returns the new media's ids (in the order to
        process them: avatars, then the newest post's photos first) and the photos' count."""
        if not avatars and not photo_posts:
            return [], 0
        redis_down = not _redis_answers()
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
                avatar_ids = self._avatars(user_ids[:avatars])
                photo_ids = self._photos(post_ids, photo_posts)
        finally:
            durable_log.setLevel(level)
        return avatar_ids + photo_ids, len(photo_ids)

    def _avatars(self, user_ids: list[int]) -> list[int]:
        people = list(User.objects.filter(pk__in=user_ids).order_by("id"))
        created = []
        for person in tqdm(people, desc="avatars", unit="image"):
            image = demo_images.avatar(f"{self.seed}-avatar-{person.username}", person.display_name)
            media = avatar_upload(user=person, file=ContentFile(image.data, name=image.file_name))
            created.append(media.pk)
        return created

    def _photos(self, post_ids: list[int], count: int) -> list[int]:
        """Photos on `count` posts picked among the newest 4 x `count` (a quarter of them, when
        there are fewer), through the same post service as the post form."""
        if not count or not post_ids:
            return []
        # Its own random numbers: the rest of a seed's data is unchanged.
        rng = random.Random(f"{self.seed}-photos")
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
            images = [demo_images.photo(f"{self.seed}-photo-{index}-{n}") for n in range(number)]
            post_update(
                post=post,
                editor=post.author,
                images=[ContentFile(image.data, name=image.file_name) for image in images],
                alt_texts=[image.alt_text for image in images],
            )
            created += post.photo_links.order_by("position").values_list("media_id", flat=True)
        return created

    def process(self, media_ids: list[int]) -> str:
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
