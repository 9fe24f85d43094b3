from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import EmailDelivery, Follow, SuggestionDismissal, User
from accounts.services import email_delivery_resend, tokens_revoke_all, user_delete
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
        ("Profile", {"fields": ["display_name", "bio", "avatar"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "email", "password1", "password2"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A deactivated account's apps stop now, and stay stopped if it is activated again.
        if not obj.is_active:
            tokens_revoke_all(user=obj)

    # Through the service: their media files are deleted by a job, others' posts recounted.
    def delete_through_service(self, request, obj):
        user_delete(user=obj, actor=request.user)


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

    @admin.action(description="Send again (as a new delivery)", permissions=["send"])
    def send_again(self, request, queryset):
        for delivery in queryset:
            email_delivery_resend(delivery=delivery)
        messages.success(request, f"Queued {queryset.count()} email(s) again.")


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
