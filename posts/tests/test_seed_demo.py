"""seed_demo fills a development database, never a live one, and deletes only its own users."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.tests.factories import UserFactory
from posts.models import Post

pytestmark = pytest.mark.django_db

SMALL = ["--users", "5", "--posts", "10", "--likes", "5", "--follows", "5", "--comments", "3"]


def test_it_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo", *SMALL)
    assert not User.objects.exists()

    call_command("seed_demo", *SMALL, "--force")
    assert User.objects.filter(email__endswith="@demo.invalid").count() == 5


def test_reset_deletes_the_users_it_made_and_nobody_else(settings):
    settings.DEBUG = True
    real = UserFactory(username="ann")
    call_command("seed_demo", *SMALL)
    call_command("seed_demo", *SMALL, "--reset", "--seed", "7")

    assert User.objects.filter(username__startswith="demo_").count() == 5
    assert User.objects.filter(pk=real.pk).exists()


def test_a_real_person_named_like_a_demo_user_is_never_touched(settings):
    settings.DEBUG = True
    fan = UserFactory(username="demo_1", email="fan@example.com")
    Post.objects.create(author=fan, title="Mine")

    with pytest.raises(CommandError, match="not made by seed_demo"):
        call_command("seed_demo", *SMALL, "--reset")

    assert User.objects.get(pk=fan.pk).email == "fan@example.com"
    assert Post.objects.filter(author=fan).exists()
