"""Serializers of the basic-data API: residents, households, houses, organisations, addresses,
联户 groups.

Personal numbers go out masked only; ``id_number`` and ``phone`` are write-only inputs that the
model setters validate, encrypt, hash and mask. The plain value comes back only through
``POST /residents/{id}/reveal/`` (``pingan.people.services.reveal``, logged).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from pingan.geo.models import Grid
from pingan.people import duplicates
from pingan.people.filters import grids_in_scope
from pingan.people.models import (
    Address,
    DuplicateSubmission,
    House,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
    RevealLog,
)

# The fields a resident's detail shows (written to the access log).
RESIDENT_FIELDS = [
    "id",
    "name",
    "sex",
    "birth_date",
    "id_number_masked",
    "phone_masked",
    "grid",
    "residence_type",
    "status",
    "address",
    "registered_address",
    "verified_at",
]


class PeopleGridSerializer(serializers.ModelSerializer):
    """A grid named by code and name."""

    class Meta:
        model = Grid
        fields = ["code", "name"]


class AddressSerializer(serializers.ModelSerializer):
    """A standard address (标准地址) with its text."""

    text = serializers.CharField(source="__str__", read_only=True)
    grid = PeopleGridSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Address
        fields = [
            "id",
            "text",
            "street",
            "number",
            "building",
            "unit",
            "room",
            "lng",
            "lat",
            "grid",
            "verified_at",
        ]


class AddressRefSerializer(serializers.ModelSerializer):
    text = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Address
        fields = ["id", "text"]


def _setter_errors(error: DjangoValidationError) -> list[str]:
    return list(error.messages)


class ResidentSerializer(serializers.ModelSerializer):
    """A resident with masked numbers; ``id_number`` and ``phone`` only go in."""

    grid = PeopleGridSerializer(read_only=True, allow_null=True)
    grid_code = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Grid.objects.all(),
        write_only=True,
        required=False,
        help_text=_("The grid the resident lives in (code); yours if you keep one grid."),
    )
    address = AddressRefSerializer(read_only=True, allow_null=True)
    address_id = serializers.PrimaryKeyRelatedField(
        source="address",
        queryset=Address.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    id_number = serializers.CharField(
        write_only=True, required=False, help_text=_("18-character ID number (GB 11643).")
    )
    phone = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("Mobile number.")
    )

    class Meta:
        model = Resident
        fields = [
            "id",
            "name",
            "sex",
            "birth_date",
            "id_number_masked",
            "phone_masked",
            "grid",
            "residence_type",
            "status",
            "address",
            "registered_address",
            "verified_at",
            "grid_code",
            "address_id",
            "id_number",
            "phone",
        ]
        read_only_fields = ["id_number_masked", "phone_masked", "verified_at", "sex", "birth_date"]

    def validate_grid_code(self, grid: Grid) -> Grid:
        user = self.context["request"].user
        if not grids_in_scope(user).filter(pk=grid.pk).exists():
            raise serializers.ValidationError(_("You do not keep this grid."))
        return grid

    def validate_address_id(self, address):
        if address is None:
            return None
        user = self.context["request"].user
        if not Address.objects.visible_to(user).filter(pk=address.pk).exists():
            raise serializers.ValidationError(_("Unknown address."))
        return address

    def validate(self, attrs: dict) -> dict:
        if self.instance is None:
            if not attrs.get("id_number"):
                raise serializers.ValidationError({"id_number": [_("This field is required.")]})
            if not attrs.get("grid_code"):
                grids = list(grids_in_scope(self.context["request"].user)[:2])
                if len(grids) != 1:
                    raise serializers.ValidationError({"grid_code": [_("This field is required.")]})
                attrs["grid_code"] = grids[0]
        return attrs

    def _apply(self, resident: Resident, attrs: dict) -> Resident:
        id_number = attrs.pop("id_number", None)
        phone = attrs.pop("phone", None)
        grid = attrs.pop("grid_code", None)
        errors: dict[str, list[str]] = {}
        kept_elsewhere = None
        user = self.context["request"].user
        if id_number is not None:
            try:
                resident.set_id_number(id_number)
            except DjangoValidationError as error:
                errors["id_number"] = _setter_errors(error)
            else:
                kept = duplicates.kept_with_number(resident.id_number_hash, exclude_pk=resident.pk)
                if kept is not None and duplicates.in_scope(kept, user):
                    errors["id_number"] = [duplicates.already_kept_message(kept)]
                elif kept is not None:
                    kept_elsewhere = kept
        if phone is not None:
            try:
                resident.set_phone(phone)
            except DjangoValidationError as error:
                errors["phone"] = _setter_errors(error)
        if errors:
            raise serializers.ValidationError(errors)
        if kept_elsewhere is not None:
            # Kept outside the caller's scope: the centre checks it, the answer says no more.
            raise duplicates.SubmittedForCheck(
                duplicates.submit_for_check(
                    existing=kept_elsewhere,
                    id_number=id_number,
                    name=attrs.get("name", resident.name) or "",
                    phone=phone or "",
                    registered_address=attrs.get("registered_address", resident.registered_address)
                    or "",
                    grid=grid or resident.grid,
                    source=DuplicateSubmission.Source.API,
                    acting_user=user,
                )
            )
        for key, value in attrs.items():
            setattr(resident, key, value)
        if grid is not None:
            resident.grid = grid
            resident.region_id = grid.region_id
        return resident

    def create(self, validated_data: dict) -> Resident:
        resident = Resident(collected_by=self.context["request"].user)
        self._apply(resident, validated_data)
        with transaction.atomic():
            resident.save()
        return resident

    def update(self, instance: Resident, validated_data: dict) -> Resident:
        self._apply(instance, validated_data)
        with transaction.atomic():
            instance.save()
        return instance


class SubmittedForCheckSerializer(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.ChoiceField(choices=["submitted_for_check"])


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=RevealLog.Field.choices)
    reason = serializers.CharField(
        allow_blank=True, required=False, default="", help_text=_("Why you need the number.")
    )


class RevealResultSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class MemberSerializer(serializers.ModelSerializer):
    resident = serializers.SerializerMethodField()

    class Meta:
        model = HouseholdMember
        fields = ["resident", "relation"]

    def get_resident(self, member: HouseholdMember) -> dict:
        r = member.resident
        return {
            "id": r.pk,
            "name": r.name,
            "id_number_masked": r.id_number_masked,
            "phone_masked": r.phone_masked,
        }


class HouseholdSerializer(serializers.ModelSerializer):
    grid = PeopleGridSerializer(read_only=True, allow_null=True)
    address = AddressRefSerializer(read_only=True, allow_null=True)
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Household
        fields = ["id", "number", "grid", "address", "members", "verified_at"]


class HouseSerializer(serializers.ModelSerializer):
    grid = PeopleGridSerializer(read_only=True, allow_null=True)
    address = AddressRefSerializer(read_only=True)

    class Meta:
        model = House
        fields = [
            "id",
            "address",
            "use",
            "owner_name",
            "occupier_name",
            "is_rented",
            "safety_notes",
            "grid",
            "verified_at",
        ]


class OrganizationSerializer(serializers.ModelSerializer):
    grid = PeopleGridSerializer(read_only=True, allow_null=True)
    address = AddressRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "credit_code",
            "kind",
            "address",
            "contact_name",
            "contact_phone_masked",
            "grid",
            "verified_at",
        ]


class GroupHeadSerializer(serializers.ModelSerializer):
    """The head (联户长) of a group: name and masked numbers only."""

    class Meta:
        model = Resident
        fields = ["id", "name", "id_number_masked", "phone_masked"]


class HouseholdRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Household
        fields = ["id", "number"]


class OrganizationRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name", "credit_code"]


class HouseholdGroupSerializer(serializers.ModelSerializer):
    """A 联户 group (十户联防 / 十铺 / 十车) with its head, households, shops and vehicles."""

    grid = PeopleGridSerializer(read_only=True, allow_null=True)
    head = GroupHeadSerializer(read_only=True, allow_null=True)
    households = HouseholdRefSerializer(many=True, read_only=True)
    organizations = OrganizationRefSerializer(many=True, read_only=True)
    vehicles = serializers.SerializerMethodField(
        help_text=_("One entry per vehicle (plate and owner).")
    )

    class Meta:
        model = HouseholdGroup
        fields = [
            "id",
            "name",
            "kind",
            "grid",
            "head",
            "households",
            "organizations",
            "vehicles",
            "verified_at",
        ]

    def get_vehicles(self, group: HouseholdGroup) -> list[str]:
        return [line.strip() for line in group.vehicles.splitlines() if line.strip()]
