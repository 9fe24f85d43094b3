import factory
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.services import token_create

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save_password(self, create, extracted, **kwargs):
        if create:
            self.save(update_fields=["password"])


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.Follow"

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)


def api_client_for(user) -> APIClient:
    """An API client that sends a new token of `user` (Authorization: Token ...), as apps do."""
    client = APIClient()
    _token, key = token_create(user=user, name="Test client")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
