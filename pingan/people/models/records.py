"""The records of 一标三实: standard addresses, houses, residents, households and their members,
organisations and 联户 groups."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pingan.core import crypto
from pingan.core.fields import LineField, LongTextField, NaturalSortKeyField
from pingan.people import idnumber, uscc
from pingan.people.models.base import Collected, normalise_address


class Address(Collected):
    """A standard address (标准地址): village, road, number, building, unit, room."""

    street = LineField(_("street or road"), max_length=100)
    number = LineField(_("number"), max_length=20, blank=True)
    building = LineField(_("building"), max_length=20, blank=True)
    unit = LineField(_("unit"), max_length=20, blank=True)
    room = LineField(_("room"), max_length=20, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    normalised = models.CharField(_("normalised form"), max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("standard address")
        verbose_name_plural = _("standard addresses")
        ordering = ["path", "street", "number", "building", "unit", "room"]

    def __str__(self) -> str:
        parts = [self.street, self.number and f"{self.number}号"]
        parts += [self.building and f"{self.building}栋", self.unit and f"{self.unit}单元"]
        parts += [self.room and f"{self.room}室"]
        return "".join(p for p in parts if p)

    def save(self, *args, **kwargs) -> None:
        self.normalised = normalise_address(
            self.region.code, self.street, self.number, self.building, self.unit, self.room
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "normalised"}
        super().save(*args, **kwargs)


class House(Collected):
    """An actual house (实有房屋) at a standard address."""

    class Use(models.TextChoices):
        HOME = "home", pgettext_lazy("house use", "Home")
        SHOP = "shop", _("Shop")
        MIXED = "mixed", _("Home and shop")
        OFFICE = "office", _("Office")
        WAREHOUSE = "warehouse", _("Warehouse or workshop")
        VACANT = "vacant", _("Vacant")
        OTHER = "other", _("Other")

    address = models.OneToOneField(
        Address, verbose_name=_("address"), on_delete=models.PROTECT, related_name="house"
    )
    use = models.CharField(_("use"), max_length=12, choices=Use.choices, default=Use.HOME)
    owner_name = LineField(pgettext_lazy("house", "owner"), max_length=50, blank=True)
    occupier_name = LineField(_("occupier"), max_length=50, blank=True)
    is_rented = models.BooleanField(_("rented out"), default=False)
    safety_notes = LongTextField(_("safety notes"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["path", "id"]

    def __str__(self) -> str:
        return str(self.address)


class Resident(Collected):
    """A person living or registered here (实有人口). ID and phone only encrypted and masked."""

    class Sex(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class ResidenceType(models.TextChoices):
        REGISTERED = "registered", _("Registered resident (户籍)")
        FLOATING = "floating", _("Floating population (流动)")
        OVERSEAS = "overseas", _("Overseas (境外)")

    class Status(models.TextChoices):
        LIVING = "living", _("Living here")
        MOVED_OUT = "moved_out", _("Moved out")
        DECEASED = "deceased", _("Deceased")

    name = LineField(_("name"), max_length=50, db_index=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), editable=False)
    id_number_hash = models.CharField(
        _("ID number hash"), max_length=64, unique=True, editable=False
    )
    id_number_masked = models.CharField(_("ID number"), max_length=20, editable=False)
    # The last four characters, for the "search by ID suffix" the issue asks for.
    id_number_suffix = models.CharField(_("ID suffix"), max_length=4, db_index=True, editable=False)
    phone_encrypted = models.TextField(_("phone (encrypted)"), blank=True, editable=False)
    phone_hash = models.CharField(
        _("phone hash"), max_length=64, blank=True, db_index=True, editable=False
    )
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    registered_address = LineField(_("household registration address"), max_length=200)
    address = models.ForeignKey(
        Address,
        verbose_name=_("actual residence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    residence_type = models.CharField(
        _("residence type"),
        max_length=12,
        choices=ResidenceType.choices,
        default=ResidenceType.REGISTERED,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.LIVING
    )

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["path", "name", "id"]
        permissions = [
            ("reveal_personal_data", _("Can reveal ID and phone numbers, with a reason"))
        ]
        indexes = [models.Index(fields=["grid", "status"], name="resident_grid_status")]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

    def set_id_number(self, value: str | idnumber.IdNumber) -> None:
        """Validate (GB 11643), encrypt, hash and mask; derive birth date and sex.

        ``value`` may be a number ``idnumber.parse`` already checked (imports parse every row).
        """
        parsed = value if isinstance(value, idnumber.IdNumber) else idnumber.parse(value)
        self.id_number_encrypted = crypto.encrypt(parsed.number)
        self.id_number_hash = crypto.keyed_hash(parsed.number)
        self.id_number_masked = idnumber.mask(parsed.number)
        self.id_number_suffix = parsed.number[-4:]
        self.birth_date = parsed.birth_date
        self.sex = parsed.sex

    def set_phone(self, value: str) -> None:
        """Validate a mainland number, encrypt, hash and mask it ("" clears it)."""
        self.phone_encrypted, self.phone_hash, self.phone_masked = crypto.protect_phone(value)

    def reveal_id_number(self) -> str:
        """Return the plain ID number: only ``services.reveal`` may call this (it logs)."""
        return crypto.decrypt(self.id_number_encrypted)

    def reveal_phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted)

    @classmethod
    def hash_of(cls, value: str) -> str:
        """Return the lookup hash of an ID number as typed (18 or 15 characters)."""
        try:
            number = idnumber.validate(value)
        except ValidationError:
            number = idnumber.normalise(value or "")
        return crypto.keyed_hash(number)


class Household(Collected):
    """A household (户) living at an address, with its members."""

    number = models.CharField(_("household number"), max_length=30, blank=True)
    address = models.ForeignKey(
        Address,
        verbose_name=_("address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )
    members = models.ManyToManyField(
        Resident, through="HouseholdMember", verbose_name=_("members"), related_name="households"
    )

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = pgettext_lazy("records", "households")
        ordering = ["path", "id"]
        # Imports and the collection pages find a household by its number in the village.
        indexes = [models.Index(fields=["region", "number"], name="household_region_number")]

    def __str__(self) -> str:
        head = self.memberships.filter(relation=HouseholdMember.Relation.HEAD).first()
        return _("Household of %(name)s") % {"name": head.resident.name} if head else str(self.pk)


class HouseholdMember(models.Model):
    """A resident's place in a household, by relation to the head (户主)."""

    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", pgettext_lazy("relation", "Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        SIBLING = "sibling", _("Sibling")
        OTHER = "other", _("Other")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="memberships"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="memberships"
    )
    relation = models.CharField(_("relation to the head"), max_length=12, choices=Relation.choices)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["household", "relation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "resident"],
                name="household_member_once",
                violation_error_message=_("This resident is already in the household."),
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head"),
                name="household_one_head",
                violation_error_message=_("A household has one head."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resident.name} · {self.get_relation_display()}"


class Organization(Collected):
    """An actual organisation (实有单位): a company, shop, school, association…"""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise")
        SHOP = "shop", _("Individual business")
        GOVERNMENT = "government", _("Government or public institution")
        SCHOOL = "school", _("School")
        MEDICAL = "medical", _("Medical institution")
        SOCIAL = "social", _("Social organisation")
        OTHER = "other", _("Other")

    name = LineField(_("name"), max_length=100, db_index=True)
    # Credit codes are public (on every business licence): stored in clear, checked by GB 32100.
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[uscc.validate],
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.ENTERPRISE)
    address = models.ForeignKey(
        Address,
        verbose_name=_("address"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizations",
    )
    contact_name = LineField(_("contact"), max_length=50, blank=True)
    contact_phone_encrypted = models.TextField(_("contact phone (encrypted)"), blank=True)
    contact_phone_hash = models.CharField(_("contact phone hash"), max_length=64, blank=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["path", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def set_contact_phone(self, value: str) -> None:
        """Validate, encrypt, hash and mask the contact's phone ("" clears it)."""
        (
            self.contact_phone_encrypted,
            self.contact_phone_hash,
            self.contact_phone_masked,
        ) = crypto.protect_phone(value)


class HouseholdGroup(Collected):
    """A 联户 group (十户联防; also 十铺 shops, 十车 vehicles) with its head (联户长)."""

    class Kind(models.TextChoices):
        HOUSEHOLDS = "households", _("Households (十户联防)")
        SHOPS = "shops", _("Shops (十铺)")
        VEHICLES = "vehicles", _("Vehicles (十车)")

    name = LineField(_("name"), max_length=100)
    # The name with its numbers padded: lists put 第2联户 before 第10联户.
    name_key = NaturalSortKeyField(_("sort key"), source="name")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.HOUSEHOLDS)
    head = models.ForeignKey(
        Resident,
        verbose_name=_("group head (联户长)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_groups",
    )
    households = models.ManyToManyField(
        Household,
        verbose_name=pgettext_lazy("group members", "households"),
        blank=True,
        related_name="groups",
    )
    organizations = models.ManyToManyField(
        Organization, verbose_name=_("shops"), blank=True, related_name="groups"
    )
    vehicles = LongTextField(
        _("vehicles"),
        max_length=5000,
        blank=True,
        help_text=_("One vehicle per line (plate and owner)."),
    )

    class Meta:
        verbose_name = _("household group")
        verbose_name_plural = _("household groups")
        ordering = ["path", "name_key", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)
