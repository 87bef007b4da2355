"""The basic-data pages, one module a topic: ``residents``, ``households``, ``groups`` (联户),
``collect`` (houses and organisations), ``verify`` (核实) and ``imports`` (Excel in and out);
``base`` holds what they share.

The names other modules imported from the former ``views`` module stay importable from here.
"""

from pingan.people.views.base import PAGE_SIZE, _put_errors, _require_collector
from pingan.people.views.residents import (
    resident_detail,
    resident_list,
    resident_reveal,
    resident_verify,
)

__all__ = [
    "PAGE_SIZE",
    "_put_errors",
    "_require_collector",
    "resident_detail",
    "resident_list",
    "resident_reveal",
    "resident_verify",
]
