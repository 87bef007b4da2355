"""Users, departments (职能部门) and role memberships scoped to an org unit."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from pingan.core.constraints import exactly_one_set
from pingan.core.fields import LineField


class UserQuerySet(models.QuerySet):
    def visible_to(self, user) -> UserQuerySet:
        """Return the users ``user`` may see: themselves and members of units in their scope."""
        from pingan.accounts.scope import scope_for

        scope = scope_for(user)
        if scope.everything:
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        q = models.Q(pk=user.pk)
        region_q = scope.path_q("memberships__region__path")
        if region_q:
            q |= region_q
            q |= scope.path_q("memberships__grid__path")
            q |= scope.path_q("memberships__department__region__path")
        if scope.grid_ids:
            q |= models.Q(memberships__grid_id__in=scope.grid_ids)
        return self.filter(q).distinct()


class PinganUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in: staff of a centre, a grid worker, a handler, or a resident."""

    # Chinese names are not split into first and last names.
    full_name = LineField(_("full name"), max_length=50, blank=True)
    is_demo = models.BooleanField(_("demo account"), default=False)

    objects = PinganUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DepartmentQuerySet:
        """Return departments under the user's regions, and the user's own departments."""
        from pingan.accounts.scope import scope_for

        scope = scope_for(user)
        return scope.restrict(self, "region__path", pk__in=scope.department_ids)


class Department(models.Model):
    """A functional department (职能部门) at county or township level that handles work."""

    class Kind(models.TextChoices):
        CENTER = "center", _("Governance centre (综治中心)")
        BUREAU = "bureau", _("Government bureau")
        POLICE = "police", _("Police")
        JUDICIAL = "judicial", _("Justice / court")
        ENTERPRISE = "enterprise", _("Public utility")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = LineField(_("name"), max_length=100)
    short_name = LineField(_("short name"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.BUREAU)
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("The county or township the department belongs to."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="branches",
    )
    phone = models.CharField(_("duty phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["region__path", "code"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    CENTER = "center", _("Centre dispatcher")
    LEADER = "leader", _("Leader (urges and supervises)")
    GRID_CHIEF = "grid_chief", _("Grid chief")
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_POLICE = "grid_police", _("Grid police officer")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    MEDIATOR = "mediator", _("Mediator")
    RESIDENT = "resident", _("Resident")


# Which kind of org unit each role is held on.
ROLE_UNITS = {
    Role.ADMIN: "region",
    Role.CENTER: "region",
    Role.LEADER: "region",
    Role.MEDIATOR: "region",
    Role.GRID_CHIEF: "grid",
    Role.GRID_WORKER: "grid",
    Role.GRID_POLICE: "grid",
    Role.RESIDENT: "grid",
    Role.DEPARTMENT_HANDLER: "department",
}


class Membership(models.Model):
    """A role held by a user over one org unit: a region, a grid or a department."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "geo.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    grid = models.ForeignKey(
        "geo.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one_set("region", "grid", "department"),
                name="membership_one_org_unit",
                violation_error_message=_(
                    "A membership is held on exactly one of: a region, a grid, a department."
                ),
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", "role", unit],
                    condition=models.Q(**{f"{unit}__isnull": False}),
                    name=f"membership_unique_{unit}",
                    violation_error_message=_("This user already holds this role here."),
                )
                for unit in ("region", "grid", "department")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.org_unit}"

    @property
    def org_unit(self):
        return self.region or self.grid or self.department

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        expected = ROLE_UNITS.get(self.role)
        units = {
            "region": self.region_id,
            "grid": self.grid_id,
            "department": self.department_id,
        }
        given = [k for k, v in units.items() if v]
        if len(given) != 1:
            raise ValidationError(
                _("A membership is held on exactly one of: a region, a grid, a department.")
            )
        if expected and given[0] != expected:
            labels = {"region": _("a region"), "grid": _("a grid"), "department": _("a department")}
            raise ValidationError(
                {given[0]: _("This role is held on %(unit)s.") % {"unit": labels[expected]}}
            )


class ApiTokenQuerySet(models.QuerySet):
    def live(self) -> ApiTokenQuerySet:
        """Return the tokens that have not expired."""
        from django.utils import timezone

        return self.filter(expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """An API token of one user: stored as a hash, with a lifetime; a user may hold several.

    The key itself is shown once, when it is issued; the first characters (``prefix``) let the
    owner tell their tokens apart on the tokens page.
    """

    user = models.ForeignKey(
        "accounts.User",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    prefix = models.CharField(_("key prefix"), max_length=8, db_index=True)
    digest = models.CharField(_("key hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    client = models.CharField(
        _("client"), max_length=200, blank=True, help_text=_("The program that asked for it.")
    )
    address = models.GenericIPAddressField(_("network address"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}…"
