"""The registry of sync kinds.

A sync kind is one module in `integrations/sync/` that calls `register(...)` on import.
The CLI choices, the bot's commands and buttons, the admin and the schedules all come from
here, so a new kind (Google Sheets lists, participation reports) touches nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrations.sync.base import SyncContext, SyncCounts

ALL = "all"


@dataclass(frozen=True)
class SyncKind:
    name: str
    label: Any  # lazy translation: "Humans"
    run: Callable[[SyncContext], SyncCounts]
    order: int = 100
    # Nominative label used in sentences such as "Sync of humans".
    description: Any = ""
    # Kinds that run incremental syncs on the schedule; others only run full ones.
    supports_incremental: bool = True
    # For `notion_check`: `check(gateway) -> rows` (engine.CheckRow), and the settings the
    # kind needs (shown in its settings table).
    check: Callable[[Any], list[Any]] | None = None
    settings: tuple[str, ...] = ()
    # Whether a Notion page id is one of this kind's records (a webhook event about a page
    # that moved out of the kind's data source names its new parent, not ours).
    has_page: Callable[[str], bool] | None = None
    #: Whether the kind can run here (its source is configured): a disabled kind is left out
    #: of `all` and so of the schedules; asked for by name, its run fails saying what to set.
    enabled: Callable[[], bool] | None = None
    #: What to set to enable it, in a sentence (the bot answers it when asked for the kind
    #: while it is disabled; it is left out of the bot's help, menu and buttons meanwhile).
    disabled_message: Callable[[], str] | None = None
    #: Lines that describe a finished run better than the generic counts (the bot's end
    #: message and the CLI show them instead): `summarize(run) -> [plain text]`, from the
    #: run's own fields (`report`), no database access.
    summarize: Callable[[Any], list[str]] | None = None
    #: The running state in the bot's progress message, when "fetching from Notion: N
    #: pages" does not fit the kind: `progress_text(phase, fetched) -> plain text`.
    progress_text: Callable[[str, int], str] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def is_enabled(self) -> bool:
        return self.enabled is None or bool(self.enabled())

    @property
    def command(self) -> str:
        """The bot command that runs this kind: `sync_<name>`."""
        return f"sync_{self.name}"


_kinds: dict[str, SyncKind] = {}


def register(kind: SyncKind) -> SyncKind:
    if kind.name == ALL:
        raise ValueError(f"{ALL!r} is reserved for running every kind")
    _kinds[kind.name] = kind
    return kind


def get(name: str) -> SyncKind:
    try:
        return _kinds[name]
    except KeyError:
        raise UnknownSyncKind(name) from None


def kinds() -> list[SyncKind]:
    return sorted(_kinds.values(), key=lambda k: (k.order, k.name))


def enabled_kinds() -> list[SyncKind]:
    """The kinds that can run here (what the bot offers)."""
    return [k for k in kinds() if k.is_enabled]


def names() -> list[str]:
    return [k.name for k in kinds()]


def choices() -> list[str]:
    """What a user may ask for: every kind, and `all`."""
    return [*names(), ALL]


def expand(name: str) -> list[str]:
    """`all` -> every enabled kind in order; a kind -> itself."""
    if name == ALL:
        return [k.name for k in kinds() if k.is_enabled]
    get(name)
    return [name]


class UnknownSyncKind(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def autodiscover() -> None:
    """Import every module of this package so its kinds register themselves (the engine's
    own modules register nothing; importing them is harmless)."""
    import integrations.sync as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
