import factory

from accounts.tests.factories import UserFactory
from posts.models import Comment, Post


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    title = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence")


class LikeFactory(factory.django.DjangoModelFactory):
    """A like row without the counter: use posts.services.like_set to keep counts right."""

    class Meta:
        model = "posts.Like"

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)
