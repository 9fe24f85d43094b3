import pytest
from django.core import mail

from accounts.models import EmailDelivery
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-velvet-42"


def delivery_for(user, **fields) -> EmailDelivery:
    return EmailDelivery.objects.create(user=user, recipient=user.email, kind="welcome", **fields)


def test_admin_lists_users_and_deliveries_links_rq_and_sends_again(
    client, run_worker, django_capture_on_commit_callbacks
):
    admin = UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory(username="findme")
    sent = delivery_for(user, status="sent", attempts=1)
    client.force_login(admin)

    assert "/admin/django_rq/dashboard/" in client.get("/admin/").content.decode()
    assert client.get("/admin/django_rq/dashboard/").status_code == 200
    users = client.get("/admin/accounts/user/", {"q": "findme", "is_active__exact": "1"})
    assert "findme@example.com" in users.content.decode()
    deliveries = client.get("/admin/accounts/emaildelivery/", {"status__exact": "sent"})
    assert "findme@example.com" in deliveries.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/emaildelivery/",
            {"action": "send_again", "_selected_action": [sent.pk]},
            follow=True,
        )
    assert "Queued 1 email again." in response.content.decode()
    run_worker()

    assert [m.to for m in mail.outbox] == [["findme@example.com"]]
    assert EmailDelivery.objects.filter(user=user, status="sent").count() == 2


def test_admin_refuses_a_user_whose_name_differs_only_in_case(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    UserFactory(username="taken", email="taken@example.com")

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "TAKEN",
            "email": "TAKEN@example.com",
            "usable_password": "true",
            "password1": STRONG,
            "password2": STRONG,
        },
    )

    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert EmailDelivery.objects.count() == 0
