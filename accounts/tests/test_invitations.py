"""Invitations by email: sent through the email queue with a sign-up link and an unsubscribe
link; signing up through the link makes a mutual follow; an address that has an account, that
opted out or that was invited that day gets nothing, and the answer is the same."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.jobs import send_email
from accounts.models import EmailDelivery, Follow, Invitation, InvitationOptOut, User
from accounts.services import account_deactivate, invitation_send
from accounts.tests.factories import UserFactory, api_client_for

pytestmark = pytest.mark.django_db

API = "/api/v1"
STRONG = "plum-orchard-velvet-42"
LINK = re.compile(r"http://testserver/signup/\?invite=([\w-]+)")
UNSUBSCRIBE = re.compile(r"http://testserver/invite/unsubscribe/([\w-]+)/")


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver"
    settings.INVITATIONS_PER_DAY = 5


@pytest.fixture
def alice():
    return UserFactory(username="alice", display_name="Alice Liddell")


def invite(client, email: str):
    return client.post(f"{API}/invites/", {"email": email}, format="json")


def invitations_sent() -> list[EmailDelivery]:
    return list(EmailDelivery.objects.filter(kind=EmailDelivery.Kind.INVITATION))


def follows() -> set[tuple[str, str]]:
    return set(Follow.objects.values_list("follower__username", "followee__username"))


def sent_invitation(alice, email, django_capture_on_commit_callbacks, run_worker):
    """Alice invites `email`; the worker sends it; the message."""
    with django_capture_on_commit_callbacks(execute=True):
        assert invite(api_client_for(alice), email).status_code == 202
    run_worker()
    [message] = [m for m in mail.outbox if m.to == [email]]
    return message


# --- Sending ----------------------------------------------------------------------------------


def test_an_invitation_arrives_through_the_email_queue_with_both_links(
    alice, django_capture_on_commit_callbacks, run_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(api_client_for(alice), "  Newcomer@Example.COM ")

    assert response.status_code == 202
    assert response.json()["invitations_left"] == 4
    assert mail.outbox == []  # queued, not sent in the request
    [delivery] = invitations_sent()
    assert (delivery.recipient, delivery.user, delivery.status) == (
        "Newcomer@example.com",
        None,
        "pending",
    )
    run_worker()

    [message] = mail.outbox
    assert message.to == ["Newcomer@example.com"]
    assert message.subject == "Alice Liddell invited you to Friends"
    invitation = Invitation.objects.get()
    assert invitation.inviter == alice
    assert f"http://testserver/signup/?invite={invitation.token}" in message.body
    assert f"http://testserver/invite/unsubscribe/{invitation.token}/" in message.body
    assert message.extra_headers["List-Unsubscribe"] == (
        f"<http://testserver/invite/unsubscribe/{invitation.token}/>"
    )
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="http://testserver/signup/?invite={invitation.token}"' in html
    assert "Alice Liddell</strong>" in html
    delivery.refresh_from_db()
    assert delivery.status == EmailDelivery.Status.DONE


def test_the_invite_page_sends_one_and_says_how_many_are_left(
    client, alice, django_capture_on_commit_callbacks, run_worker
):
    client.force_login(alice)
    assert "You can send 5 more invitations today" in client.get("/invite/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/invite/", {"email": "friend@example.com"}, follow=True)

    assert response.redirect_chain == [("/invite/", 302)]
    html = response.content.decode()
    assert "We are emailing friend@example.com an invitation" in html
    assert "You can send 4 more invitations today" in html
    run_worker()
    assert [m.to for m in mail.outbox] == [["friend@example.com"]]


def test_the_invite_page_needs_a_log_in(client):
    response = client.get("/invite/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/invite/")


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-address", "Enter a valid email address."),
        ("someone@example.invalid", "This address cannot receive email."),
    ],
)
def test_an_address_no_mail_reaches_is_refused_and_counts_nothing(alice, email, message):
    response = invite(api_client_for(alice), email)

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": [message]}
    assert not Invitation.objects.exists()


def test_an_address_with_an_account_gets_nothing_and_the_answer_is_the_same(
    alice, django_capture_on_commit_callbacks, run_worker
):
    UserFactory(email="member@example.com")
    bob = UserFactory(username="bob")

    with django_capture_on_commit_callbacks(execute=True):
        to_a_stranger = invite(api_client_for(alice), "stranger@example.com")
        to_a_member = invite(api_client_for(bob), "MEMBER@example.com")
    run_worker()

    assert to_a_member.status_code == to_a_stranger.status_code == 202
    assert to_a_member.json() == to_a_stranger.json()
    assert [m.to for m in mail.outbox] == [["stranger@example.com"]]
    assert [d.recipient for d in invitations_sent()] == ["stranger@example.com"]


def test_the_invite_page_answers_the_same_for_an_address_with_an_account(client, alice):
    UserFactory(email="member@example.com")
    bob = UserFactory(username="bob")
    answers = []
    for person, email in ((alice, "stranger@example.com"), (bob, "member@example.com")):
        client.force_login(person)
        response = client.post("/invite/", {"email": email}, follow=True)
        answers.append(
            (response.redirect_chain, response.content.decode().replace(email, "ADDRESS"))
        )
        client.logout()

    assert [chain for chain, _html in answers] == [[("/invite/", 302)]] * 2
    stranger, member = (
        re.search(r'<ul class="messages">.*?</ul>', html, re.S).group() for _c, html in answers
    )
    assert stranger == member
    assert "We are emailing ADDRESS an invitation" in member
    assert [d.recipient for d in invitations_sent()] == ["stranger@example.com"]


def test_inviting_the_same_address_twice_in_a_day_sends_one(
    alice, django_capture_on_commit_callbacks, run_worker
):
    client = api_client_for(alice)
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(client, "friend@example.com")
        second = invite(client, "Friend@example.com")
    run_worker()

    assert first.status_code == second.status_code == 202
    assert [m.to for m in mail.outbox] == [["friend@example.com"]]
    # Every attempt counts, so the number left says nothing about the address.
    assert second.json()["invitations_left"] == 3


def test_an_address_invited_by_someone_else_gets_their_invitation_too(
    alice, django_capture_on_commit_callbacks, run_worker
):
    bob = UserFactory(username="bob", display_name="Bob")
    with django_capture_on_commit_callbacks(execute=True):
        invite(api_client_for(alice), "friend@example.com")
        invite(api_client_for(bob), "friend@example.com")
    run_worker()

    assert sorted(m.subject for m in mail.outbox) == [
        "Alice Liddell invited you to Friends",
        "Bob invited you to Friends",
    ]


def test_past_the_daily_limit_the_api_answers_429_with_retry_after(settings, alice):
    settings.INVITATIONS_PER_DAY = 2
    client = api_client_for(alice)
    assert invite(client, "one@example.com").status_code == 202
    assert invite(client, "member@example.com").status_code == 202

    refused = invite(client, "three@example.com")

    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["detail"].startswith("You can send 2 invitations a day.")
    assert 86_000 < int(refused["Retry-After"]) <= 86_401
    assert Invitation.objects.count() == 2

    # A day after the first, one more may go.
    Invitation.objects.filter(email="one@example.com").update(
        created_at=timezone.now() - timedelta(hours=24, minutes=1)
    )
    assert invite(client, "three@example.com").status_code == 202


def test_past_the_daily_limit_the_page_shows_it_on_the_form(client, settings, alice):
    settings.INVITATIONS_PER_DAY = 1
    client.force_login(alice)
    client.post("/invite/", {"email": "one@example.com"})

    page = client.get("/invite/").content.decode()
    assert "You can send 0 more invitations today" in page
    response = client.post("/invite/", {"email": "two@example.com"})

    assert response.status_code == 200
    assert "You can send 1 invitations a day." in response.content.decode()
    assert Invitation.objects.count() == 1


# --- Unsubscribing ----------------------------------------------------------------------------


def test_the_unsubscribe_link_changes_nothing_until_its_button_is_pressed(
    client, alice, django_capture_on_commit_callbacks, run_worker
):
    message = sent_invitation(
        alice, "friend@example.com", django_capture_on_commit_callbacks, run_worker
    )
    token = UNSUBSCRIBE.search(message.body).group(1)

    # A mail scanner, or the person, opens the link: a page with one button.
    page = client.get(f"/invite/unsubscribe/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<form method="post" action="/invite/unsubscribe/{token}/">' in html
    assert "Send me no more invitations" in html
    assert not InvitationOptOut.objects.exists()

    pressed = client.post(f"/invite/unsubscribe/{token}/", follow=True)

    assert pressed.redirect_chain == [(f"/invite/unsubscribe/{token}/", 302)]
    assert "friend@example.com gets no more invitations." in pressed.content.decode()
    assert list(InvitationOptOut.objects.values_list("email", flat=True)) == ["friend@example.com"]
    # Pressed again (twice, or from another invitation): still one.
    client.post(f"/invite/unsubscribe/{token}/")
    assert InvitationOptOut.objects.count() == 1


def test_an_opted_out_address_gets_no_invitation_from_anyone(
    alice, django_capture_on_commit_callbacks, run_worker
):
    InvitationOptOut.objects.create(email="quiet@example.com")
    bob = UserFactory(username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        opted_out = invite(api_client_for(bob), "Quiet@Example.com")
        stranger = invite(api_client_for(alice), "stranger@example.com")
    run_worker()

    assert opted_out.status_code == stranger.status_code == 202
    assert opted_out.json() == stranger.json()
    assert [m.to for m in mail.outbox] == [["stranger@example.com"]]


def test_an_invitation_queued_before_the_opt_out_is_not_sent(alice, run_worker):
    invitation_send(inviter=alice, email="friend@example.com")
    InvitationOptOut.objects.create(email="friend@example.com")
    [delivery] = invitations_sent()

    assert send_email(delivery.pk) == "failed"

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.last_error == "The address asked for no more invitations."


def test_an_unknown_unsubscribe_link_is_a_404(client):
    assert client.get("/invite/unsubscribe/nope/").status_code == 404
    assert client.post("/invite/unsubscribe/nope/").status_code == 404
    assert not InvitationOptOut.objects.exists()


# --- Signing up through the link --------------------------------------------------------------


def test_signing_up_through_the_link_on_the_page_makes_a_mutual_follow(
    client, alice, django_capture_on_commit_callbacks, run_worker
):
    message = sent_invitation(
        alice, "newcomer@example.com", django_capture_on_commit_callbacks, run_worker
    )
    link = LINK.search(message.body)
    token = link.group(1)

    page = client.get(link.group().removeprefix("http://testserver")).content.decode()
    assert "<strong>Alice Liddell</strong> invited you." in page
    assert f'<input type="hidden" name="invite" value="{token}"' in page
    assert 'value="newcomer@example.com"' in page  # the address, filled in
    response = client.post(
        "/signup/",
        {
            "username": "newcomer",
            "email": "another-address@example.com",  # whatever address they sign up with
            "password1": STRONG,
            "password2": STRONG,
            "invite": token,
        },
        follow=True,
    )

    assert response.redirect_chain == [("/", 302)]
    assert "You and Alice Liddell now follow each other." in response.content.decode()
    assert follows() == {("newcomer", "alice"), ("alice", "newcomer")}
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == User.objects.get(username="newcomer")
    assert invitation.accepted_at is not None


def test_signing_up_through_the_api_with_the_token_makes_a_mutual_follow(
    alice, django_capture_on_commit_callbacks, run_worker
):
    message = sent_invitation(
        alice, "newcomer@example.com", django_capture_on_commit_callbacks, run_worker
    )
    token = LINK.search(message.body).group(1)

    response = APIClient().post(
        f"{API}/auth/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "password": STRONG,
            "invite": token,
        },
        format="json",
    )

    assert response.status_code == 201
    assert follows() == {("newcomer", "alice"), ("alice", "newcomer")}
    assert Invitation.objects.get().accepted_by.username == "newcomer"


def test_a_used_or_unknown_token_just_signs_up(client, alice):
    invitation_send(inviter=alice, email="newcomer@example.com")
    token = Invitation.objects.get().token
    api = APIClient()
    first = api.post(
        f"{API}/auth/signup/",
        {"username": "first", "email": "first@example.com", "password": STRONG, "invite": token},
        format="json",
    )
    assert first.status_code == 201

    again = api.post(
        f"{API}/auth/signup/",
        {"username": "second", "email": "second@example.com", "password": STRONG, "invite": token},
        format="json",
    )
    unknown = client.post(
        "/signup/",
        {
            "username": "third",
            "email": "third@example.com",
            "password1": STRONG,
            "password2": STRONG,
            "invite": "no-such-token",
        },
    )

    assert again.status_code == 201
    assert unknown.status_code == 302
    assert follows() == {("first", "alice"), ("alice", "first")}
    client.logout()
    page = client.get("/signup/?invite=no-such-token")
    assert page.status_code == 200
    assert "invited you" not in page.content.decode()
    assert 'name="invite" value=' not in page.content.decode()


def test_the_invitation_of_someone_who_left_is_not_sent_and_makes_no_follow(
    alice, django_capture_on_commit_callbacks, run_worker
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(inviter=alice, email="newcomer@example.com")
        token = Invitation.objects.get().token
        account_deactivate(user=alice, actor=alice)

    run_worker()  # the invitation's email and the account's deletion
    response = APIClient().post(
        f"{API}/auth/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.com",
            "password": STRONG,
            "invite": token,
        },
        format="json",
    )

    assert response.status_code == 201
    assert not Follow.objects.exists()
    assert not [m for m in mail.outbox if m.to == ["newcomer@example.com"]]
