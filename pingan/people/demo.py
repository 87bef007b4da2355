"""Synthetic basic data (一标三实) for the demo county: addresses, houses, residents, households,
organisations and 联户 groups.

``load_demo_people()`` writes about 25,000 residents in households across every base grid (rural
and community) of the demo county, weighted by each grid's household count. Everything is
invented: names are drawn from the demo name lists, ID numbers are checksum-valid numbers of the
fictional county codes (``513999``…), phones start ``19900`` and credit codes carry the county
code. Rows are built in memory and written with ``bulk_create`` (``save()`` does not run, so the
path, county code and normalised address are computed here). Personal numbers are stored only
encrypted, hashed and masked, through ``Resident.set_id_number`` / ``set_phone``.

``load_demo()`` is people's demo loader (``pingan.core.demo``), run after the demo county.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from typing import TextIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pingan.core import crypto
from pingan.core.demo import demo_loader
from pingan.geo import demo_data as data
from pingan.geo.models import Grid, Region
from pingan.people import idnumber, uscc
from pingan.people.models import (
    Address,
    House,
    Household,
    HouseholdGroup,
    HouseholdMember,
    Organization,
    Resident,
    normalise_address,
)

DEMO_RESIDENT_COUNT = 25000
DEMO_SEED = 2026
BATCH = 500
# Registered residents hold numbers of the demo county; floating residents come from fictional
# "x999" counties elsewhere (Chengdu-like, Chongqing-like, Yunnan-like): none is a real code.
HOME_REGION = data.COUNTY_CODE
FLOATING_REGIONS = {
    "510999": "四川省某市示范区",
    "500999": "重庆市示范区",
    "530999": "云南省示范县",
}
ROADS = [
    "人民路", "幸福巷", "滨河路", "建设路", "新华街", "团结路", "文化路", "东风路", "胜利街",
    "和平路", "解放路", "长征路", "向阳巷", "光明街", "民主路", "育才路",
]  # fmt: skip
MALE_NAMES = [
    "建国", "建华", "志强", "志明", "国强", "国华", "文杰", "晓东", "伟", "强", "磊", "军", "勇",
    "杰", "涛", "明", "超", "刚", "德明", "德华", "永福", "小林", "家豪", "浩然", "思远", "宇航",
    "光荣", "学军", "成林", "世华", "正清", "兴旺", "长青",
]  # fmt: skip
FEMALE_NAMES = [
    "海燕", "秀英", "秀兰", "桂英", "玉兰", "丽华", "红梅", "晓燕", "芳", "敏", "静", "丽", "艳",
    "娟", "霞", "平", "桂芳", "永红", "春梅", "春华", "雨欣", "欣怡", "继红", "淑芬", "玉珍",
]  # fmt: skip
TIBETAN_MALE = ["扎西", "次仁", "泽仁", "格桑", "多吉", "尼玛", "益西", "降措", "四郎", "贡布"]
TIBETAN_FEMALE = ["卓玛", "拉姆", "央金", "曲珍", "德吉", "翁姆", "达瓦", "松吉", "呷绒", "益西"]
# Household sizes 1–6 and how often each occurs (average about 2.9).
SIZES = (1, 2, 3, 4, 5, 6)
SIZE_WEIGHTS = (15, 25, 25, 18, 10, 7)
ORG_KINDS = [
    (Organization.Kind.SHOP, House.Use.SHOP, 55, ["小卖部", "超市", "餐馆", "理发店", "农资店"]),
    (Organization.Kind.ENTERPRISE, House.Use.WAREHOUSE, 20, ["农业合作社", "建材厂", "运输公司"]),
    (Organization.Kind.SOCIAL, House.Use.OFFICE, 8, ["志愿者协会", "老年协会"]),
    (Organization.Kind.MEDICAL, House.Use.OFFICE, 7, ["卫生室", "诊所"]),
    (Organization.Kind.SCHOOL, House.Use.OFFICE, 5, ["幼儿园", "小学"]),
    (Organization.Kind.GOVERNMENT, House.Use.OFFICE, 5, ["便民服务站"]),
]
# USCC registering authority and kind (GB 32100) for each organisation kind.
USCC_PREFIXES = {
    Organization.Kind.SHOP: "92",
    Organization.Kind.ENTERPRISE: "91",
    Organization.Kind.SOCIAL: "51",
    Organization.Kind.MEDICAL: "52",
    Organization.Kind.SCHOOL: "12",
    Organization.Kind.GOVERNMENT: "11",
}


@dataclass
class Place:
    """A base grid with its village, where the loader puts households."""

    grid: Grid
    region: Region
    urban: bool
    tibetan: bool
    box: tuple[float, float, float, float]
    township: str
    streets: list[str] = field(default_factory=list)
    next_number: dict[str, int] = field(default_factory=dict)


class Writer:
    """Invent and collect the rows in memory; ``save()`` writes them in batches."""

    def __init__(self, rng: random.Random, now: dt.datetime) -> None:
        self.rng = rng
        self.now = now
        self.today = timezone.localdate(now)
        self.used_ids: set[str] = set(
            Resident.objects.values_list("id_number_hash", flat=True).iterator()
        )
        self.used_addresses: set[str] = set(
            Address.objects.filter(county_code=data.COUNTY_CODE)
            .values_list("normalised", flat=True)
            .iterator()
        )
        self.used_codes: set[str] = set(
            Organization.objects.exclude(credit_code=None).values_list("credit_code", flat=True)
        )
        self.phones = 0
        self.addresses: list[Address] = []
        self.houses: list[House] = []
        self.residents: list[Resident] = []
        self.households: list[Household] = []
        # (household index, resident index, relation)
        self.members: list[tuple[int, int, str]] = []
        self.organizations: list[Organization] = []
        # (place, [household indexes], head resident index)
        self.groups: list[tuple[Place, list[int], int]] = []

    # --- people ---------------------------------------------------------------------------

    def name(self, place: Place, male: bool, surname: str | None) -> str:
        rng = self.rng
        if place.tibetan and rng.random() < 0.6:
            pool = TIBETAN_MALE if male else TIBETAN_FEMALE
            first, second = rng.sample(pool, 2)
            return first + second
        surname = surname or rng.choice(data.SURNAMES)
        return surname + rng.choice(MALE_NAMES if male else FEMALE_NAMES)

    def id_number(self, region: str, age: int, male: bool) -> str:
        """Return an unused valid ID number for someone ``age`` years old today."""
        rng = self.rng
        while True:
            born = self.today - dt.timedelta(days=age * 365 + rng.randrange(365))
            born = max(born, dt.date(1920, 1, 1))
            sequence = rng.randrange(500) * 2 + (1 if male else 0)
            number = idnumber.generate(region, born, sequence)
            digest = crypto.keyed_hash(number)
            if digest not in self.used_ids:
                self.used_ids.add(digest)
                return number

    def phone(self, block: str = "0") -> str:
        """Return the next synthetic mobile number, 1990{block}xxxxxx (issued to nobody)."""
        self.phones += 1
        return f"1990{block}{self.phones:06d}"

    def stamps(self, never: bool = False) -> dict:
        """Return when a record was collected and last verified (most within 180 days)."""
        rng = self.rng
        collected = self.now - dt.timedelta(days=rng.randint(200, 1100), minutes=rng.randrange(600))
        roll = rng.random()
        if never or roll < 0.06:
            verified = None
        elif roll < 0.14:
            verified = self.now - dt.timedelta(days=rng.randint(190, 190 + 400))
            verified = max(verified, collected)
        else:
            verified = self.now - dt.timedelta(days=rng.randint(0, 170), minutes=rng.randrange(600))
        return {"collected_at": collected, "verified_at": verified}

    def scoped(self, place: Place) -> dict:
        return {
            "region": place.region,
            "grid": place.grid,
            "path": place.region.path,
            "county_code": data.COUNTY_CODE,
            "is_demo": True,
        }

    # --- places ---------------------------------------------------------------------------

    def address(self, place: Place, *, shop: bool = False) -> Address:
        rng = self.rng
        while True:
            street = rng.choice(place.streets)
            number = place.next_number.get(street, 0) + rng.randint(1, 3)
            place.next_number[street] = number
            building = unit = room = ""
            if place.urban and not shop and rng.random() < 0.6:
                building = str(rng.randint(1, 8))
                unit = str(rng.randint(1, 3))
                room = f"{rng.randint(1, 7)}0{rng.randint(1, 4)}"
            normalised = normalise_address(
                place.region.code, street, str(number), building, unit, room
            )
            if normalised not in self.used_addresses:
                self.used_addresses.add(normalised)
                break
        w, s, e, n = place.box
        address = Address(
            street=street,
            number=str(number),
            building=building,
            unit=unit,
            room=room,
            lng=round(rng.uniform(w, e), 6),
            lat=round(rng.uniform(s, n), 6),
            normalised=normalised,
            **self.scoped(place),
            **self.stamps(),
        )
        self.addresses.append(address)
        return address

    def household(self, place: Place, never: bool = False) -> tuple[int, int]:
        """Invent one household with its address and house; return (index, size)."""
        rng = self.rng
        size = rng.choices(SIZES, SIZE_WEIGHTS)[0]
        head_age = rng.randint(24, 84) if size > 1 else rng.randint(20, 90)
        head_male = rng.random() < 0.7
        roles: list[tuple[str, int, bool]] = [("head", head_age, head_male)]
        if size >= 2 and rng.random() < 0.85:
            spouse_age = min(max(head_age + rng.randint(-5, 5), 20), 95)
            roles.append(("spouse", spouse_age, not head_male))
        if len(roles) < size and head_age <= 55 and head_age + 24 <= 92 and rng.random() < 0.35:
            roles.append(("parent", min(head_age + rng.randint(22, 32), 95), rng.random() < 0.4))
        children: list[int] = []
        while len(roles) < size:
            if head_age >= 50 and children and max(children) >= 20 and rng.random() < 0.6:
                age = rng.randint(0, min(max(children) - 20, 18))
                roles.append(("grandchild", age, rng.random() < 0.5))
                continue
            low = max(0, head_age - 40)
            high = max(low, head_age - 20)
            age = rng.randint(low, high)
            children.append(age)
            roles.append(("child", age, rng.random() < 0.5))
        floating = rng.random() < 0.1
        region_code = rng.choice(list(FLOATING_REGIONS)) if floating else HOME_REGION
        address = self.address(place)
        stamps = self.stamps(never)
        head_surname = rng.choice(data.SURNAMES)
        spouse_surname = rng.choice(data.SURNAMES)
        family = head_surname if head_male else spouse_surname
        index = len(self.households)
        self.households.append(
            Household(
                number=f"{place.region.code}{index + 1:05d}", address=address, **self.scoped(place)
            )
        )
        where = f"{data.COUNTY_NAME}{place.township}{place.region.name}{address}"
        registered = FLOATING_REGIONS[region_code] if floating else where
        names: list[str] = []
        for relation, age, male in roles:
            surname = {"head": head_surname, "spouse": spouse_surname}.get(relation, family)
            if relation == "parent":
                surname = head_surname if male else rng.choice(data.SURNAMES)
            resident = Resident(
                name=self.name(place, male, surname),
                registered_address=registered,
                address=address,
                residence_type=(
                    Resident.ResidenceType.FLOATING
                    if floating
                    else Resident.ResidenceType.REGISTERED
                ),
                status=(
                    Resident.Status.MOVED_OUT if rng.random() < 0.02 else Resident.Status.LIVING
                ),
                **self.scoped(place),
                **stamps,
            )
            resident.set_id_number(self.id_number(region_code, age, male))
            if age >= 16 and rng.random() < 0.85:
                resident.set_phone(self.phone())
            names.append(resident.name)
            self.members.append((index, len(self.residents), relation))
            self.residents.append(resident)
        rented = floating or rng.random() < 0.05
        use = House.Use.MIXED if rng.random() < 0.05 else House.Use.HOME
        self.houses.append(
            House(
                address=address,
                use=use,
                owner_name=self.name(place, True, None) if rented else names[0],
                occupier_name=names[0],
                is_rented=rented,
                **self.scoped(place),
                **self.stamps(),
            )
        )
        return index, len(roles)

    def organization(self, place: Place) -> None:
        rng = self.rng
        kind, use, _weight, suffixes = rng.choices(ORG_KINDS, [k[2] for k in ORG_KINDS])[0]
        address = self.address(place, shop=True)
        name = f"{place.region.name}{rng.choice(suffixes)}"
        if kind in (Organization.Kind.SHOP, Organization.Kind.ENTERPRISE):
            name = f"{place.region.name}{rng.choice(data.SURNAMES)}记{rng.choice(suffixes)}"
        while True:
            body = "".join(rng.choice(uscc.ALPHABET) for _n in range(9))
            code = uscc.generate(USCC_PREFIXES[kind] + HOME_REGION + body)
            if code not in self.used_codes:
                self.used_codes.add(code)
                break
        contact = self.name(place, rng.random() < 0.5, None)
        organization = Organization(
            name=name,
            credit_code=code,
            kind=kind,
            address=address,
            contact_name=contact,
            **self.scoped(place),
            **self.stamps(),
        )
        organization.set_contact_phone(self.phone("1"))
        self.organizations.append(organization)
        self.houses.append(
            House(
                address=address,
                use=use,
                owner_name=contact,
                occupier_name=name[:50],
                is_rented=rng.random() < 0.4,
                **self.scoped(place),
                **self.stamps(),
            )
        )

    # --- writing --------------------------------------------------------------------------

    def save(self) -> None:
        Address.objects.bulk_create(self.addresses, batch_size=BATCH)
        for house in self.houses:
            house.address_id = house.address.pk
        House.objects.bulk_create(self.houses, batch_size=BATCH)
        for resident in self.residents:
            resident.address_id = resident.address.pk
        Resident.objects.bulk_create(self.residents, batch_size=BATCH)
        for household in self.households:
            household.address_id = household.address.pk
        Household.objects.bulk_create(self.households, batch_size=BATCH)
        HouseholdMember.objects.bulk_create(
            [
                HouseholdMember(
                    household_id=self.households[h].pk,
                    resident_id=self.residents[r].pk,
                    relation=relation,
                )
                for h, r, relation in self.members
            ],
            batch_size=BATCH,
        )
        for organization in self.organizations:
            organization.address_id = organization.address.pk
        Organization.objects.bulk_create(self.organizations, batch_size=BATCH)
        groups = []
        for number, (place, _households, head) in enumerate(self.groups, start=1):
            groups.append(
                HouseholdGroup(
                    name=f"{place.grid.name}第{number}联户",
                    kind=HouseholdGroup.Kind.HOUSEHOLDS,
                    head=self.residents[head],
                    **self.scoped(place),
                    **self.stamps(),
                )
            )
        HouseholdGroup.objects.bulk_create(groups, batch_size=BATCH)
        through = HouseholdGroup.households.through
        through.objects.bulk_create(
            [
                through(householdgroup_id=group.pk, household_id=self.households[h].pk)
                for group, (_place, households, _head) in zip(groups, self.groups, strict=True)
                for h in households
            ],
            batch_size=BATCH,
        )


def base_places(rng: random.Random) -> list[Place]:
    """Return the demo county's rural and community grids with their villages, by code."""
    county = Region.objects.get(code=data.COUNTY_CODE)
    grids = (
        Grid.objects.filter(
            kind__in=[Grid.Kind.RURAL, Grid.Kind.COMMUNITY], region__path__startswith=county.path
        )
        .select_related("region", "region__parent")
        .order_by("code")
    )
    places = []
    for grid in grids:
        geometry = grid.geometry
        if isinstance(geometry, str):
            geometry = json.loads(geometry)
        ring = geometry["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        region = grid.region
        township = region.parent
        urban = grid.kind == Grid.Kind.COMMUNITY
        if urban:
            streets = rng.sample(ROADS, 4)
        else:
            streets = [f"{n}组" for n in range(1, rng.randint(4, 8) + 1)]
        places.append(
            Place(
                grid=grid,
                region=region,
                urban=urban,
                tibetan=township is not None and township.code[-3:] in data.TIBETAN_TOWNSHIPS,
                box=(min(xs), min(ys), max(xs), max(ys)),
                township=township.name if township else "",
                streets=streets,
            )
        )
    return places


def quotas(places: list[Place], count: int) -> list[int]:
    """Share ``count`` residents among the places by household count, at least 3 each."""
    weights = [max(place.grid.households, 1) for place in places]
    total = sum(weights)
    return [max(3, round(count * weight / total)) for weight in weights]


@demo_loader(order=50)
def load_demo(stdout: TextIO | None = None) -> None:
    """Add the synthetic residents (once: nothing is added when demo residents exist)."""
    added = load_demo_people(demo_resident_count())
    if added and stdout is not None:
        stdout.write(_("Added %(count)d demo residents.") % {"count": added} + "\n")


def demo_resident_count() -> int:
    """Return how many residents ``load_demo()`` adds (``PINGAN_DEMO_RESIDENTS``, 25,000)."""
    return max(int(getattr(settings, "PINGAN_DEMO_RESIDENTS", DEMO_RESIDENT_COUNT)), 0)


def load_demo_people(
    count: int = DEMO_RESIDENT_COUNT, *, seed: int = DEMO_SEED, now: dt.datetime | None = None
) -> int:
    """Add about ``count`` synthetic residents in households to the demo county; return how many.

    Idempotent: when demo residents exist already, add nothing. Needs the demo county
    (``pingan.geo.demo.load_demo``). Also adds a standard address and a house per household,
    about one organisation per 80 residents (300 for 25,000) and 联户 groups of about ten
    households, each led by one of its heads of household.
    """
    if count <= 0 or Resident.objects.filter(is_demo=True).exists():
        return 0
    if not Region.objects.filter(code=data.COUNTY_CODE).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 -- invented data, not secrets
    now = now or timezone.now()
    with transaction.atomic():
        writer = Writer(rng, now)
        places = base_places(rng)
        if not places:
            return 0
        for place, quota in zip(places, quotas(places, count), strict=True):
            made = 0
            heads: list[tuple[int, int]] = []  # (household index, head resident index)
            while made < quota:
                head = len(writer.residents)
                # Each grid's first household was never verified: every grid has some to check.
                index, size = writer.household(place, never=not heads)
                heads.append((index, head))
                made += size
            for start in range(0, len(heads), 10):
                chunk = heads[start : start + 10]
                if len(chunk) < 5 and start:
                    # Too small for a group of its own: joins the previous one.
                    previous = writer.groups[-1]
                    previous[1].extend(h for h, _r in chunk)
                    continue
                leader = rng.choice(chunk)[1]
                writer.groups.append((place, [h for h, _r in chunk], leader))
        organizations = max(5, round(count * 300 / DEMO_RESIDENT_COUNT))
        weights = [max(place.grid.households, 1) for place in places]
        for place in rng.choices(places, weights, k=organizations):
            writer.organization(place)
        writer.save()
    return len(writer.residents)
