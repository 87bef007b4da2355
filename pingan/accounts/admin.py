"""Admin for users, departments and role memberships, scoped like every other read."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from pingan.accounts.forms import UserChangeForm, UserCreationForm
from pingan.accounts.models import Department, Membership, User


class ScopedAdminMixin:
    """Show staff who are not superusers only the objects in their scope.

    Model permissions still decide what staff may do; the scope decides which rows they see,
    in changelists, change pages (others answer "not found"), autocompletes and FK choices.
    """

    def visible_queryset(self, request, queryset):
        """Return ``queryset`` cut down to what ``request.user`` may see."""
        return queryset.filter(pk__in=self.model.objects.visible_to(request.user).values("pk"))

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return self.visible_queryset(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        model = db_field.related_model
        if (
            not request.user.is_superuser
            and "queryset" not in kwargs
            and hasattr(model._default_manager, "visible_to")
        ):
            kwargs["queryset"] = model._default_manager.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Rows made by services: the admin shows them and changes nothing."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ScopedInlineMixin(ScopedAdminMixin):
    """Inlines do not filter their rows by scope (the parent is in scope); only FK choices."""

    def get_queryset(self, request):
        return super(ScopedAdminMixin, self).get_queryset(request)


def visible_memberships(user, queryset):
    """Return the memberships held on a region, grid or department that ``user`` may see."""
    from pingan.geo.models import Grid, Region

    return queryset.filter(
        Q(region__in=Region.objects.visible_to(user).values("pk"))
        | Q(grid__in=Grid.objects.visible_to(user).values("pk"))
        | Q(department__in=Department.objects.visible_to(user).values("pk"))
    )


class MembershipInline(ScopedAdminMixin, admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["region", "grid", "department"]
    fields = ["role", "region", "grid", "department"]

    def visible_queryset(self, request, queryset):
        # Roles held outside the staff member's scope stay hidden and untouched.
        return visible_memberships(request.user, queryset)


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "full_name", "is_active", "is_staff", "is_demo", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "is_demo", "memberships__role"]
    search_fields = ["username", "full_name", "email"]
    ordering = ["username"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "email", "is_demo")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Staff may manage accounts in their scope but never grant themselves more power.
            readonly += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return readonly

    def visible_queryset(self, request, queryset):
        visible = User.objects.visible_to(request.user).filter(is_superuser=False)
        return queryset.filter(pk__in=visible.values("pk"))


@admin.register(Department)
class DepartmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "kind", "region", "phone", "is_active"]
    list_filter = ["kind", "is_active", "is_demo"]
    search_fields = ["code", "name", "short_name"]
    list_select_related = ["region"]
    autocomplete_fields = ["region", "parent"]


@admin.register(Membership)
class MembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "role", "region", "grid", "department", "created_at"]
    list_filter = ["role"]
    search_fields = [
        "user__username",
        "user__full_name",
        "region__name",
        "grid__name",
        "grid__code",
        "department__name",
    ]
    list_select_related = ["user", "region", "grid", "department"]
    autocomplete_fields = ["user", "region", "grid", "department"]

    def visible_queryset(self, request, queryset):
        return visible_memberships(request.user, queryset)


# The admin has its own password-only login form, which would skip the TOTP step: send
# everyone through the site's sign-in instead.
def admin_login(request, extra_context=None):
    """Redirect to the site's sign-in; signed-in users without admin access get 403."""
    next_url = request.GET.get("next") or reverse("admin:index")
    if admin.site.has_permission(request):
        return redirect(reverse("admin:index"))
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(next_url)


admin.site.login = admin_login


# The login-security sections of third-party apps, in Chinese (registered on import).
from pingan.accounts import admin_security  # noqa: E402, F401
