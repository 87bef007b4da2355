"""Signing in (password, then a TOTP code when enrolled), two-factor set-up, and home pages."""

from __future__ import annotations

import base64
import time

import django_otp
import qrcode
import qrcode.image.svg
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.db.models import Count, F, Func, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from pingan.accounts.forms import DisableTwoFactorForm, LoginForm, TokenForm
from pingan.accounts.lockout import sign_in_despite_lock
from pingan.accounts.middleware import needs_two_factor
from pingan.accounts.models import ApiToken, Department, Membership, Role, User
from pingan.accounts.tokens import revoke_all_tokens, revoke_token
from pingan.core.views import safe_next
from pingan.geo.models import Grid, GridMember, Region

# Session keys of a sign-in that passed the password step and waits for the TOTP code.
PENDING_USER = "pingan_2fa_user"
PENDING_BACKEND = "pingan_2fa_backend"
PENDING_NEXT = "pingan_2fa_next"
PENDING_SINCE = "pingan_2fa_since"
PENDING_FAILURES = "pingan_2fa_failures"
PENDING_KEYS = (PENDING_USER, PENDING_BACKEND, PENDING_NEXT, PENDING_SINCE, PENDING_FAILURES)
# How long the code step may wait after the password step, and how many wrong codes it takes.
PENDING_MAX_SECONDS = 300
MAX_CODE_FAILURES = 5

FIGURE_ROLES = (Role.ADMIN, Role.CENTER, Role.LEADER)
TEAM_ROLES = (Role.GRID_CHIEF, Role.GRID_WORKER, Role.GRID_POLICE)


def confirmed_device(user) -> TOTPDevice | None:
    """Return the user's confirmed TOTP device, if they enrolled one."""
    if not getattr(user, "pk", None):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


# --- Signing in --------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Check the password; users with an authenticator continue to the code step."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        # Not signed in yet: the session only remembers who passed the password step.
        self.request.session.cycle_key()
        for key in PENDING_KEYS:
            self.request.session.pop(key, None)
        self.request.session.update(
            {
                PENDING_USER: user.pk,
                PENDING_BACKEND: user.backend,
                PENDING_NEXT: self.get_success_url(),
                PENDING_SINCE: time.time(),
                PENDING_FAILURES: 0,
            }
        )
        return redirect("accounts:otp_verify")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        demo_users = list(
            User.objects.filter(is_demo=True, is_active=True)
            .order_by("pk")
            .values_list("username", flat=True)[:20]
        )
        context["demo_usernames"] = demo_users
        return context


@sensitive_post_parameters("password", "token")
@csrf_protect
@never_cache
@require_POST
def login_with_code(request: HttpRequest) -> HttpResponse:
    """Sign in with password and authenticator code in one step: the way past a lock."""
    username = request.POST.get("username", "")[:150]
    credentials = {settings.AXES_USERNAME_FORM_FIELD: username}
    locked = settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, credentials)
    user = sign_in_despite_lock(
        request,
        username,
        request.POST.get("password", "")[:128],
        request.POST.get("token", "")[:12],
    )
    if user is None:
        if not locked:
            # Outside a lock this is an ordinary failed sign-in and counts as one.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        messages.error(
            request,
            _("The password or the code is wrong. Signing in from this address stays paused."),
        )
        return redirect("accounts:login")
    device = user.otp_device
    login(request, user, backend=user.backend)
    django_otp.login(request, device)
    return redirect(safe_next(request, reverse(settings.LOGIN_REDIRECT_URL)))


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as Django requires) and return to the login page."""

    http_method_names = ["post", "options"]


def _pending_user(request: HttpRequest) -> User | None:
    """Return the user waiting at the code step, or None if there is none or it expired."""
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(PENDING_SINCE) or 0
    if not user_id or time.time() - since > PENDING_MAX_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def _clear_pending(request: HttpRequest) -> None:
    for key in PENDING_KEYS:
        request.session.pop(key, None)


@sensitive_post_parameters("token")
@csrf_protect
@never_cache
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the TOTP code after the password step, then sign the user in."""
    user = _pending_user(request)
    device = confirmed_device(user) if user else None
    if user is None or device is None:
        if request.session.get(PENDING_USER):
            messages.warning(request, _("Your sign-in has expired. Please sign in again."))
        _clear_pending(request)
        return redirect("accounts:login")

    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.get_username()}
    if settings.AXES_ENABLED and AxesProxyHandler.is_locked(request, credentials):
        _clear_pending(request)
        return get_lockout_response(request, None, credentials)

    if request.method == "POST":
        form = TokenForm(request.POST, device=device)
        if form.is_valid():
            next_url = request.session.get(PENDING_NEXT) or reverse(settings.LOGIN_REDIRECT_URL)
            backend = request.session.get(PENDING_BACKEND)
            _clear_pending(request)
            login(request, user, backend=backend)
            django_otp.login(request, device)
            return redirect(next_url)
        # A wrong code counts as a failed sign-in for the per-user-and-IP throttle too.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        failures = request.session.get(PENDING_FAILURES, 0) + 1
        request.session[PENDING_FAILURES] = failures
        if failures >= MAX_CODE_FAILURES:
            _clear_pending(request)
            messages.error(request, _("Too many wrong codes. Please sign in again."))
            return redirect("accounts:login")
    else:
        form = TokenForm(device=device)
    return render(
        request,
        "registration/otp_verify.html",
        {"form": form, "pending_user": user},
    )


# --- Two-factor set-up ---------------------------------------------------------------------------


def _qr_svg(data: str) -> str:
    """Return an inline SVG QR code of ``data`` (drawn here, no outside service)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


def _grouped_secret(device: TOTPDevice) -> str:
    """Return the base32 secret in groups of four, as authenticator apps accept it."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@sensitive_post_parameters("token")
@never_cache
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Show the two-factor status; enrol an authenticator app or verify this session."""
    user = request.user
    required = needs_two_factor(user)
    device = confirmed_device(user)
    next_url = safe_next(request, reverse("accounts:home"))

    if device is not None:
        # Enrolled: a session that signed in without the code (e.g. before enrolment
        # elsewhere) can verify here, which the mandatory-2FA middleware sends it to do.
        verified = user.is_verified()
        form = None
        if not verified:
            form = TokenForm(request.POST or None, device=device)
            if request.method == "POST" and form.is_valid():
                django_otp.login(request, device)
                messages.success(request, _("Two-factor login verified."))
                return redirect(next_url)
        return render(
            request,
            "accounts/otp_setup.html",
            {
                "device": device,
                "verified": verified,
                "required": required,
                "form": form,
                "disable_form": DisableTwoFactorForm(),
                "next": next_url,
            },
        )

    # Not enrolled: keep one unconfirmed device so reloading the page keeps the same secret.
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    form = TokenForm(request.POST or None, device=pending)
    if request.method == "POST" and form.is_valid():
        pending.confirmed = True
        pending.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        django_otp.login(request, pending)
        messages.success(
            request, _("Two-factor login is on. You will be asked for a code when you sign in.")
        )
        return redirect(next_url)
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "device": None,
            "pending": pending,
            "required": required,
            "qr_svg": mark_safe(_qr_svg(pending.config_url)),  # noqa: S308 - SVG built by qrcode
            "secret": _grouped_secret(pending),
            "form": form,
            "next": next_url,
        },
    )


@login_required
@require_POST
def otp_disable(request: HttpRequest) -> HttpResponse:
    """Remove the user's authenticator after confirmation, unless 2FA is mandatory for them."""
    user = request.user
    if needs_two_factor(user):
        messages.error(request, _("Two-factor login is mandatory for your role."))
        return redirect("accounts:otp_setup")
    if confirmed_device(user) is not None and not user.is_verified():
        messages.error(request, _("Enter a code from your app first to prove it is you."))
        return redirect("accounts:otp_setup")
    form = DisableTwoFactorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the box to confirm that you want to turn it off."))
        return redirect("accounts:otp_setup")
    TOTPDevice.objects.filter(user=user).delete()
    request.session.pop(django_otp.DEVICE_ID_SESSION_KEY, None)
    messages.success(request, _("Two-factor login is off."))
    return redirect("accounts:otp_setup")


# --- API tokens ---------------------------------------------------------------------------------


@login_required
@never_cache
def tokens(request: HttpRequest) -> HttpResponse:
    """List the signed-in user's own live API tokens."""
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": ApiToken.objects.live().filter(user=request.user),
            "token_days": settings.PINGAN_TOKEN_DAYS,
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens; another user's answers 404."""
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    revoke_token(token)
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:tokens")


@login_required
@require_POST
def token_revoke_all(request: HttpRequest) -> HttpResponse:
    """Revoke every API token of the signed-in user."""
    count = revoke_all_tokens(request.user)
    messages.success(
        request,
        ngettext("%(count)s token revoked.", "%(count)s tokens revoked.", count) % {"count": count},
    )
    return redirect("accounts:tokens")


# --- Home pages --------------------------------------------------------------------------------


def _township_rows(user) -> list[Region]:
    """Return the townships in the user's scope with grid counts and households, in one query."""
    grids_below = Grid.objects.filter(path__startswith=OuterRef("path")).order_by()
    count = grids_below.annotate(n=Func(F("pk"), function="COUNT")).values("n")
    households = grids_below.annotate(n=Func(F("households"), function="SUM")).values("n")
    return list(
        Region.objects.visible_to(user)
        .filter(level=Region.Level.TOWNSHIP)
        .annotate(
            grid_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
            household_count=Coalesce(Subquery(households, output_field=IntegerField()), 0),
        )
        .order_by("path")
    )


def _figures(user) -> dict:
    """Return the headline counts of the user's scope."""
    regions = Region.objects.visible_to(user)
    grids = Grid.objects.visible_to(user)
    by_kind = dict(grids.order_by().values_list("kind").annotate(n=Count("pk")))
    kinds = [(label, by_kind.get(value, 0)) for value, label in Grid.Kind.choices]
    return {
        "townships": regions.filter(level=Region.Level.TOWNSHIP).count(),
        "villages": regions.filter(level=Region.Level.VILLAGE).count(),
        "grids": sum(by_kind.values()),
        "grids_by_kind": kinds,
        "households": grids.aggregate(n=Sum("households"))["n"] or 0,
        "team_members": GridMember.objects.filter(grid__in=grids).count(),
        "departments": Department.objects.visible_to(user).count(),
    }


def _grids_with_team(grid_ids) -> list[Grid]:
    team = GridMember.objects.order_by("sort_order", "pk")
    return list(
        Grid.objects.filter(pk__in=grid_ids)
        .select_related("region", "region__parent")
        .prefetch_related(Prefetch("members", queryset=team))
        .order_by("code")
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user the figures, grids or units of their roles."""
    user = request.user
    memberships = list(
        Membership.objects.filter(user=user).select_related("region", "grid", "department")
    )
    roles = {m.role for m in memberships}
    context: dict = {
        "memberships": memberships,
        "show_figures": user.is_superuser or bool(roles.intersection(FIGURE_ROLES)),
        "no_role": not user.is_superuser and not memberships,
    }
    if context["show_figures"]:
        context["figures"] = _figures(user)
        context["townships"] = _township_rows(user)
    team_grid_ids = {m.grid_id for m in memberships if m.role in TEAM_ROLES and m.grid_id}
    if team_grid_ids:
        context["my_grids"] = _grids_with_team(team_grid_ids)
    resident_grid_ids = {m.grid_id for m in memberships if m.role == Role.RESIDENT and m.grid_id}
    if resident_grid_ids:
        context["home_grids"] = _grids_with_team(resident_grid_ids)
    department_ids = {m.department_id for m in memberships if m.role == Role.DEPARTMENT_HANDLER}
    if department_ids:
        context["departments"] = list(
            Department.objects.filter(pk__in=department_ids).select_related("region")
        )
    mediator_regions = [m.region for m in memberships if m.role == Role.MEDIATOR and m.region]
    if mediator_regions:
        context["mediator_regions"] = mediator_regions
    return render(request, "accounts/home.html", context)
