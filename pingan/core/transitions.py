"""The workflow kit: a transition table of moves, and the one ``perform`` that makes a move.

Every workflow (events, reminders; disputes, care enrolments, grievances and ledger items next)
writes its table as a dict readable as the diagram of the workflow::

    SIGN = Move(Status.SIGNED, {DEPARTMENT}, optional=("note",), label=_("Sign for"))
    TRANSITIONS = {
        Status.DISPATCHED: {"sign": SIGN, "return": RETURN, ...},
        ...
    }

A :class:`Move` names the status it leads to (``None``: the status does not change, e.g. an urge;
:data:`PREVIOUS`: back to the status before a pause), who may make it (the workflow's own role
names, such as "centre" or "department", which the workflow computes per user and item), the
fields it needs, an optional guard on the item, and everything a page, the timeline and a notice
show of it (its button, its note's label, its timeline text, its headline). A move of one name
appears under several statuses; ``Move.but(roles=…)`` varies who may make it there.

A :class:`Workflow` binds the table to its model, its move handlers and its ``roles(user, item)``.
``Workflow.perform`` locks the item (``select_for_update``), checks the move *after* the lock (so
of two people moving the same item at once, the second sees the new state and gets
:class:`IllegalTransition`), checks the required fields, and runs the move's handler in the same
transaction; the handler changes the item, writes its timeline entry (``Workflow.write_entry``)
and tells people (``pingan.notify.services.tell``, delivered after the commit). The API turns
``IllegalTransition`` into 409 with the moves that are allowed, and :class:`MoveForbidden` (a
move the user's part never allows, under any status) into 403. ``docs/workflows.md`` shows how a
new workflow is written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

# The target of a move that returns to the status before a pause (``Workflow(resume=…)``).
PREVIOUS = "previous"
# The attributes of a move that say how it is shown: the same for every status it appears in.
SHOWN = ("label", "note_label", "log_label", "headline", "primary", "icon", "style", "confirm")


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


class MoveForbidden(IllegalTransition, PermissionDenied):
    """The user's parts in the item never allow this move, whatever its status (403, not 409).

    A leader who tries to resolve, a grid worker who tries to urge: no state of the item would
    let them, so it is a matter of permission, not of a race or of the item's state.
    """


@dataclass(frozen=True)
class Move:
    """One edge of a workflow: where it leads, who may take it, what it needs, how it is shown.

    ``fields`` must be given (``blank`` names those among them that may be given empty, such as
    a supervision grade set back to none); ``optional`` may be. ``primary`` places the move
    among the usual next steps shown first (lower first; ``None``: after them). ``confirm``
    moves change something for good: pages ask to confirm them. ``log_label`` is the timeline's
    text (default: ``label``); ``headline`` the title of the notice it sends, if any.
    """

    target: Any | None
    roles: frozenset[str] = field(default_factory=frozenset)
    fields: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    guard: Callable[[Any], bool] | None = None
    blank: tuple[str, ...] = ()
    label: Any = ""
    note_label: Any = ""
    log_label: Any = ""
    headline: Any = ""
    primary: int | None = None
    icon: str = ""
    style: str = "primary"
    confirm: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))

    def but(self, **changes: Any) -> Move:
        """Return this move with ``changes`` (e.g. other roles under another status)."""
        return dataclasses.replace(self, **changes)

    def allows(self, item: Any, roles: Iterable[str]) -> bool:
        """Return whether someone holding ``roles`` on ``item`` may take this move now."""
        if not self.roles.intersection(roles):
            return False
        return self.guard is None or bool(self.guard(item))

    def missing(self, given: Mapping[str, Any]) -> list[str]:
        """Return the required fields that ``given`` lacks."""
        return [
            name
            for name in self.fields
            if given.get(name) in (None, "", [], ())
            and not (name in self.blank and name in given and given[name] == "")
        ]


def allowed_moves(
    table: Mapping[Any, Mapping[str, Move]], status: Any, item: Any, roles: Iterable[str]
) -> dict[str, Move]:
    """Return the moves of ``table`` from ``status`` that ``roles`` may take on ``item`` now."""
    roles = frozenset(roles)
    return {name: move for name, move in table.get(status, {}).items() if move.allows(item, roles)}


Handler = Callable[..., Any]

# Every workflow by its model, so that notices and sweeps find an item's workflow.
_registry: dict[type, Workflow] = {}


def workflow_for(item: Any) -> Workflow:
    """Return the workflow of ``item`` (an instance or a model class)."""
    model = item if isinstance(item, type) else type(item)
    for klass in model.__mro__:
        if klass in _registry:
            return _registry[klass]
    raise LookupError(f"no workflow is registered for {model.__name__}")


class Workflow:
    """A model's transition table, its move handlers and the roles users play in an item.

    ``roles(user, item)`` returns the role names the table speaks in. ``handlers`` maps each
    move to ``handler(item, user, *, before, target, **fields)`` (or decorate the handler with
    ``@workflow.handles("move")``); a move without a handler just sets the status and writes
    its timeline entry. ``timeline`` is the item's concrete
    :class:`~pingan.core.timeline.TimelineEntry` model (or ``None``). ``resume(item)`` gives the
    status a :data:`PREVIOUS` move returns to. ``entries`` and ``headlines`` label the timeline
    entries and notices that are not a move's own (a report, an overdue deadline). ``lock_related``
    are loaded with the locked row (``select_related``). Notices are rendered from
    ``notify/<notice_template>.txt``. ``unit(user, item)`` names the actor's own unit (their
    department, grid or centre) for the timeline entries, stored as written.
    """

    def __init__(
        self,
        *,
        key: str,
        model: type,
        table: Mapping[Any, Mapping[str, Move]],
        roles: Callable[[Any, Any], Iterable[str]],
        handlers: Mapping[str, Handler] | None = None,
        timeline: type | None = None,
        resume: Callable[[Any], Any] | None = None,
        entries: Mapping[str, Any] | None = None,
        headlines: Mapping[str, Any] | None = None,
        lock_related: tuple[str, ...] = (),
        status_field: str = "status",
        notice_template: str = "item_update",
        unit: Callable[[Any, Any], str] | None = None,
    ) -> None:
        self.key = key
        self.model = model
        self.table = table
        self.roles = roles
        self.handlers = dict(handlers or {})
        self.timeline = timeline
        self.resume = resume
        self.entries = dict(entries or {})
        self.headlines = dict(headlines or {})
        self.lock_related = lock_related
        self.status_field = status_field
        self.notice_template = notice_template
        self.unit = unit
        self.moves = self._moves_by_name(table)
        unknown = set(self.handlers) - set(self.moves)
        if unknown:
            raise ValueError(f"{key}: handlers for moves not in the table: {sorted(unknown)}")
        _registry[model] = self

    def handles(self, *names: str) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of the moves ``names``."""

        def register(handler: Handler) -> Handler:
            for name in names:
                if name not in self.moves:
                    raise ValueError(f"{self.key}: no move {name!r} in the table")
                self.handlers[name] = handler
            return handler

        return register

    @staticmethod
    def _moves_by_name(table: Mapping[Any, Mapping[str, Move]]) -> dict[str, Move]:
        """Return one move per name, checking that each name is shown the same everywhere."""
        moves: dict[str, Move] = {}
        for edges in table.values():
            for name, move in edges.items():
                first = moves.setdefault(name, move)
                for attr in SHOWN:
                    if getattr(first, attr) != getattr(move, attr):
                        raise ValueError(f"move {name!r} shows its {attr} differently by status")
        return moves

    # --- what a page shows --------------------------------------------------------------------

    def label(self, action: str) -> str:
        """Return the button text of a move (its name when it has none)."""
        move = self.moves.get(action)
        return str(move.label) if move is not None and move.label else action

    def log_label(self, action: str) -> str:
        """Return what a timeline entry of ``action`` says."""
        if action in self.entries:
            return str(self.entries[action])
        move = self.moves.get(action)
        if move is None:
            return action
        return str(move.log_label or move.label or action)

    def headline(self, key: str) -> str:
        """Return the title of a notice: a move's headline, else one of ``headlines``."""
        if key in self.headlines:
            return self.headlines[key]
        move = self.moves.get(key)
        if move is not None and move.headline:
            return move.headline
        raise KeyError(f"{self.key}: no headline {key!r}")

    def ordered(self, names: Iterable[str]) -> list[str]:
        """Return move names with the primary moves first, in their order, then the rest."""
        names = list(names)
        primary = sorted(
            (n for n in names if self.moves[n].primary is not None),
            key=lambda n: self.moves[n].primary,
        )
        return primary + [n for n in names if n not in primary]

    # --- who may do what ----------------------------------------------------------------------

    def status_of(self, item: Any) -> Any:
        return getattr(item, self.status_field)

    def allowed(self, item: Any, user: Any) -> dict[str, Move]:
        """Return the moves ``user`` may make on ``item`` now."""
        return allowed_moves(self.table, self.status_of(item), item, self.roles(user, item))

    def may(self, item: Any, action: str, user: Any) -> bool:
        """Return whether ``user`` may make the one move ``action`` on ``item`` now.

        The same rule as ``allowed`` (pages show a button only when this holds), for a list
        that shows one move on each row.
        """
        move = self.table.get(self.status_of(item), {}).get(action)
        return move is not None and move.allows(item, self.roles(user, item))

    def ever_allowed(self, action: str, roles: Iterable[str]) -> bool:
        """Return whether someone holding ``roles`` may make ``action`` under some status."""
        roles = frozenset(roles)
        return any(
            action in edges and bool(edges[action].roles & roles) for edges in self.table.values()
        )

    def check(self, item: Any, action: str, user: Any) -> Move:
        """Return the move ``action`` if ``user`` may make it now.

        Raise :class:`MoveForbidden` when the user's parts in the item never allow it (403),
        :class:`IllegalTransition` when it is not possible now (409).
        """
        roles = frozenset(self.roles(user, item))
        allowed = allowed_moves(self.table, self.status_of(item), item, roles)
        if action in allowed:
            return allowed[action]
        if action in self.moves and not self.ever_allowed(action, roles):
            message = _("“%(action)s” is not part of your role here.") % {
                "action": self.label(action)
            }
            raise MoveForbidden(message, status=self.status_of(item), allowed=sorted(allowed))
        if action in self.moves:
            display = getattr(item, f"get_{self.status_field}_display", None)
            message = _("“%(action)s” is not possible for you while it is “%(status)s”.") % {
                "action": self.label(action),
                "status": display() if display else self.status_of(item),
            }
        else:
            message = _("Unknown action “%(action)s”.") % {"action": action}
        raise IllegalTransition(message, status=self.status_of(item), allowed=sorted(allowed))

    # --- making a move ------------------------------------------------------------------------

    def perform(self, item: Any, action: str, *, acting_user: Any, **fields: Any) -> Any:
        """Make the move ``action`` on ``item`` (an instance or a pk); return the moved item.

        Raise ``IllegalTransition`` when the table does not allow the move now (for this user),
        ``ValidationError`` (by field) for missing or bad fields. Nothing changes in either case.
        """
        pk = item.pk if isinstance(item, self.model) else item
        with transaction.atomic():
            locked = (
                self.model._default_manager.select_for_update(of=("self",))
                .select_related(*self.lock_related)
                .get(pk=pk)
            )
            move = self.check(locked, action, acting_user)
            missing = move.missing(fields)
            if missing:
                raise ValidationError({f: _("This field is required.") for f in missing})
            before = self.status_of(locked)
            target = move.target
            if target == PREVIOUS:
                target = self.resume(locked) if self.resume else before
            handler = self.handlers.get(action)
            if handler is None:
                self._just_move(locked, action, acting_user, before, target, fields.get("note"))
            else:
                handler(locked, acting_user, before=before, target=target, **fields)
        return locked

    def _just_move(self, item: Any, action: str, user: Any, before: Any, target: Any, note) -> None:
        """Set the status (when the move changes it) and write the timeline entry."""
        if target is not None and target != before:
            setattr(item, self.status_field, target)
            item.save(update_fields=[self.status_field])
        self.write_entry(
            item, action, user, from_status=before, to_status=target or "", note=note or ""
        )

    def write_entry(self, item: Any, action: str, actor: Any = None, **values: Any):
        """Write the timeline entry of ``action`` on ``item`` (see ``core.timeline``)."""
        from pingan.core.timeline import write_entry

        if self.timeline is None:
            return None
        if self.unit is not None and getattr(actor, "pk", None) and "actor_unit" not in values:
            values["actor_unit"] = self.unit(actor, item)
        return write_entry(self.timeline, item, action, actor, **values)
