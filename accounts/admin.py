from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.models import (
    AccountDeletion,
    Block,
    EmailDelivery,
    Follow,
    Invitation,
    InvitationOptOut,
    Mute,
    SuggestionDismissal,
    User,
)
from accounts.services import (
    account_deactivate,
    account_deletion_restart,
    email_delivery_resend,
    tokens_revoke_all,
    user_delete,
)
from core.admin import DeleteThroughServiceMixin

# --- Users and email deliveries ---------------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User


@admin.register(User)
class UserAdmin(DeleteThroughServiceMixin, DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationForm
    list_display = ["username", "email", "display_name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-date_joined"]
    raw_id_fields = ["avatar"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (gettext_lazy("Profile"), {"fields": ["display_name", "bio", "avatar", "language"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "password1", "password2"]}),
    ]
    actions = ["deactivate_and_delete"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A deactivated account's apps stop now, and stay stopped if it is activated again.
        if not obj.is_active:
            tokens_revoke_all(user=obj)

    # Through the service: their media files are deleted by a job, others' posts recounted.
    def delete_through_service(self, request, obj):
        user_delete(user=obj, actor=request.user)

    @admin.action(
        description=gettext_lazy("Deactivate and delete (as if they left: goodbye email)"),
        permissions=["delete"],
    )
    def deactivate_and_delete(self, request, queryset):
        # The path of leaving (accounts.services, Leaving): deactivated now, deleted by a job.
        queued = 0
        for user in queryset:
            try:
                account_deactivate(user=user, actor=request.user)
            except PermissionDenied as error:
                messages.error(request, f"{user.username}: {error}")
            else:
                queued += 1
        if queued:
            messages.success(
                request,
                ngettext(
                    "Deactivated %(count)d account; a job deletes it with its content.",
                    "Deactivated %(count)d accounts; a job deletes them with their content.",
                    queued,
                )
                % {"count": queued},
            )


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "recipient", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["recipient", "user__username"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in EmailDelivery._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("accounts.add_emaildelivery")

    @admin.action(description=gettext_lazy("Send again (as a new delivery)"), permissions=["send"])
    def send_again(self, request, queryset):
        for delivery in queryset:
            email_delivery_resend(delivery=delivery)
        count = queryset.count()
        messages.success(
            request,
            ngettext("Queued %(count)d email again.", "Queued %(count)d emails again.", count)
            % {"count": count},
        )


# --- Follows and suggestion dismissals --------------------------------------------------------


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ["id", "follower", "followee", "created_at"]
    list_filter = ["created_at", "followee__is_active"]
    search_fields = ["follower__username", "followee__username"]
    list_select_related = ["follower", "followee"]
    raw_id_fields = ["follower", "followee"]
    date_hierarchy = "created_at"


@admin.register(SuggestionDismissal)
class SuggestionDismissalAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "dismissed", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["user__username", "dismissed__username"]
    list_select_related = ["user", "dismissed"]
    raw_id_fields = ["user", "dismissed"]


# --- Blocks and mutes -------------------------------------------------------------------------
# To read, as the people made them; only the people change them (their pages and the API).


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows to read: no adding or editing here. Deleting stays possible where the rows go with
    a user that staff delete (the admin asks for the permission on every row that goes)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Block)
class BlockAdmin(ReadOnlyAdmin):
    list_display = ["id", "blocker", "blocked", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    list_select_related = ["blocker", "blocked"]
    date_hierarchy = "created_at"


@admin.register(Mute)
class MuteAdmin(ReadOnlyAdmin):
    list_display = ["id", "muter", "muted", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["muter__username", "muted__username"]
    list_select_related = ["muter", "muted"]
    date_hierarchy = "created_at"


# --- Invitations and leaving ------------------------------------------------------------------


class InvitationAcceptedFilter(admin.SimpleListFilter):
    title = gettext_lazy("accepted")
    parameter_name = "accepted"

    def lookups(self, request, model_admin):
        return [("yes", gettext("Accepted")), ("no", gettext("Not accepted"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(accepted_at__isnull=self.value() == "no")
        return queryset


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Every invitation someone asked for; `emailed` is false where nothing was sent (the
    address has an account or opted out, or the same person invited it that day). The token
    is not shown: it is the invitee's link."""

    list_display = ["id", "inviter", "email", "emailed", "created_at", "accepted_by", "accepted_at"]
    list_filter = [InvitationAcceptedFilter, "created_at"]
    search_fields = ["email", "inviter__username", "accepted_by__username"]
    list_select_related = ["inviter", "accepted_by"]
    date_hierarchy = "created_at"
    fields = ["inviter", "email", "created_at", "accepted_by", "accepted_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        deliveries = EmailDelivery.objects.filter(invitation=OuterRef("pk"))
        return super().get_queryset(request).annotate(was_emailed=Exists(deliveries))

    @admin.display(boolean=True, ordering="was_emailed")
    def emailed(self, invitation) -> bool:
        return invitation.was_emailed


@admin.register(InvitationOptOut)
class InvitationOptOutAdmin(ReadOnlyAdmin):
    """Addresses that asked for no more invitations (the link in every invitation)."""

    list_display = ["id", "email", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["email"]
    date_hierarchy = "created_at"
    readonly_fields = ["email", "created_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # the address's own wish: only it could take it back


@admin.register(AccountDeletion)
class AccountDeletionAdmin(ReadOnlyAdmin):
    """Accounts that left or that staff deactivated and deleted: the record of each, kept,
    and the state of the job that deletes it."""

    list_display = ["id", "username", "email", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["username", "email"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AccountDeletion._meta.fields]
    actions = ["run_again"]

    def has_delete_permission(self, request, obj=None):
        return False  # the record of a deletion

    def has_run_again_permission(self, request) -> bool:
        return request.user.has_perm("accounts.delete_user")

    @admin.action(description=gettext_lazy("Run the deletion again"), permissions=["run_again"])
    def run_again(self, request, queryset):
        for deletion in queryset:
            try:
                account_deletion_restart(deletion=deletion, actor=request.user)
            except PermissionDenied as error:
                messages.error(request, f"{deletion.username}: {error}")
        messages.success(request, gettext("Queued again."))
