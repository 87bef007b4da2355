"""The shared shape of a workflow: a transition table, and the one error for an illegal move.

Every workflow (events today; disputes, grievances, care enrolments and ledger items next)
writes its table as a dict readable as the diagram of the workflow::

    TRANSITIONS = {
        Status.DISPATCHED: {
            "sign": Move(Status.SIGNED, roles={"department"}),
            "return": Move(Status.REPORTED, roles={"department"}, fields=("note",)),
        },
        ...
    }

A :class:`Move` names the status it leads to (``None``: the status does not change, e.g. an urge),
who may make it (the workflow's own role names, such as "centre" or "department", which the
workflow computes per user and item), the fields it needs, and an optional guard on the item.
Services raise :class:`IllegalTransition` for any move the table does not allow now; the API
turns it into 409 with the moves that are allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


class IllegalTransition(Exception):
    """The move is not allowed from the item's current state (or not for this user).

    ``allowed`` lists the moves the user may make now, so a client that lost a race can show
    the new state and its choices.
    """

    def __init__(self, message: str, *, status: str = "", allowed: Iterable[Any] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.allowed = list(allowed)


@dataclass(frozen=True)
class Move:
    """One edge of a workflow: where it leads, who may take it, what it needs."""

    target: Any | None
    roles: frozenset[str] = field(default_factory=frozenset)
    fields: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    guard: Callable[[Any], bool] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))

    def allows(self, item: Any, roles: Iterable[str]) -> bool:
        """Return whether someone holding ``roles`` on ``item`` may take this move now."""
        if not self.roles.intersection(roles):
            return False
        return self.guard is None or bool(self.guard(item))


def allowed_moves(
    table: Mapping[Any, Mapping[str, Move]], status: Any, item: Any, roles: Iterable[str]
) -> dict[str, Move]:
    """Return the moves of ``table`` from ``status`` that ``roles`` may take on ``item`` now."""
    roles = frozenset(roles)
    return {name: move for name, move in table.get(status, {}).items() if move.allows(item, roles)}
