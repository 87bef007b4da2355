"""``manage.py load_demo``: create or refresh the fictional demo county 示范县.

Every app's demo loader runs (``pingan.core.demo``); this command lives in geo because what it
prints is geo's: the county's figures and the demo accounts.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from pingan.core.demo import load_demo
from pingan.geo import demo_data as data
from pingan.geo.demo import counts as demo_counts


class Command(BaseCommand):
    help = "Load the fictional demo county 示范县 (idempotent) and print the demo accounts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")

    def handle(self, *args, **options) -> None:
        quiet = options["quiet"] or options["verbosity"] == 0
        load_demo(stdout=None if quiet else self.stdout)
        if quiet:
            return
        counts = demo_counts()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo county %(county)s loaded: %(townships)d townships, %(villages)d "
                    "villages/communities, %(grids)d grids (%(members)d team members), "
                    "%(departments)d departments, %(users)d demo accounts."
                )
                % {
                    "county": data.COUNTY_NAME,
                    "townships": counts["townships"],
                    "villages": counts["villages"],
                    "grids": counts["grids"],
                    "members": counts["grid_members"],
                    "departments": counts["departments"],
                    "users": counts["users"],
                }
            )
        )
        self.stdout.write(
            _("Demo accounts (password: %(password)s):") % {"password": data.DEMO_PASSWORD}
        )
        width = max(len(account[0]) for account in data.DEMO_ACCOUNTS) + 2
        for username, full_name, label, *_rest in data.DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<{width}}{full_name}\t{label}")
