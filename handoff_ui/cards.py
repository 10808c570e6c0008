"""A conversation card: drawn once, then updated in place from each new snapshot."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from nicegui import ui

from handoff.views import ConversationView, FlagView
from handoff_ui.words import FLAG_COLORS, FLAG_WORDS, STATUS_COLORS, STATUS_WORDS


def relative_time(moment: datetime) -> str:
    """The same words as the browser's `handoffRelative`, for the first render."""
    seconds = max(0.0, (datetime.now(UTC) - moment).total_seconds())
    if seconds < 45:
        return "just now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = round(minutes / 60)
    return f"{hours} h ago" if hours < 24 else f"{round(hours / 24)} d ago"


def badge_classes(color: str, *, outline: bool = False) -> str:
    """The classes Quasar's QBadge gives itself for this colour."""
    look = f"q-badge--outline text-{color}" if outline else f"bg-{color}"
    return f"q-badge flex inline items-center no-wrap q-badge--single-line {look}"


def badge(text: str = "", *, color: str, outline: bool = False) -> ui.label:
    """What ui.badge draws (Quasar's badge classes and role), on a plain element instead of a QBadge
    component. Every card update re-renders the card's children in the browser, and a component child costs
    a component update each time, on every console page (measured in bench/, issue 6)."""
    return ui.label(text).classes(badge_classes(color, outline=outline)).props("role=status")


def flag_explanation(flag: FlagView) -> str:
    """Why a flag was raised, with the detector's score when it gave one."""
    return flag.reason + (f" (score {flag.score:+.2f})" if flag.score is not None else "")


def location(view: ConversationView) -> str:
    return ", ".join(part for part in (view.city, view.region) if part) or "Unknown location"


class Cell(ui.element, component="components/cell.js"):
    """A <div> that is its own Vue component, so a change inside it re-renders only it (see cell.js)."""


class ConversationCard(ui.card):
    def __init__(self, view: ConversationView, on_open: Callable[[str], None]) -> None:
        super().__init__()
        self.view = view
        self.classes("hf-card q-pa-sm gap-1 w-full")
        self.props(f"data-testid=conversation-card data-conversation-id={view.id}")
        self.on("click", lambda: on_open(self.view.id))
        self.mark(f"card-{view.id}")
        with self:  # one grid (console.css): no row wrappers, so each card is 9 elements plus its flags
            self._status = badge(color=STATUS_COLORS[view.status]).classes("hf-status-badge")
            self._agent = badge(color="primary", outline=True).classes("hf-agent")
            self._flags = ui.row().classes("hf-flags gap-1 no-wrap")
            self._where = ui.label().classes("hf-where text-caption text-grey-8")
            self._question = ui.label().classes("hf-question text-body2")
            self._started = ui.label().classes("hf-started text-caption text-grey-7")
            with Cell().classes("hf-meta"):  # the last child; it changes with every message
                self._meta = ui.label()
        self._shown_flags: tuple[tuple[str, str], ...] | None = None
        self.show(view, force=True)

    def show(self, view: ConversationView, *, force: bool = False) -> None:
        """Bring the card up to date with `view`; only what changed is sent to the browser."""
        old, self.view = self.view, view
        if force or (old.status, old.needs_attention) != (view.status, view.needs_attention):
            self.props(f"data-status={view.status} data-attention={str(view.needs_attention).lower()}")
            self.classes(add="hf-attention") if view.needs_attention else self.classes(remove="hf-attention")
            self._status.set_text(STATUS_WORDS[view.status])
            self._status.classes(replace=f"hf-status-badge {badge_classes(STATUS_COLORS[view.status])}")
        self._agent.set_text(view.agent_name or "")
        self._agent.set_visibility(bool(view.agent_name))
        self._where.set_text(location(view))
        self._question.set_text(view.opening_question or "(no question yet)")
        if force:
            self._started.set_text(relative_time(view.started_at))
            self._started.props(f"data-ts={view.started_at.isoformat()}")
        count = f"· {view.message_count} message{'' if view.message_count == 1 else 's'}"
        self._meta.set_text(f"{count} · Claimed by {view.claimed_by_name}" if view.claimed_by_name else count)
        flags = tuple((flag.kind, flag.reason) for flag in view.open_flags)
        if flags != self._shown_flags:
            self._shown_flags = flags
            self._flags.clear()
            with self._flags:
                for flag in view.open_flags:
                    flag_badge = badge(FLAG_WORDS[flag.kind], color=FLAG_COLORS[flag.kind]).props(
                        f"data-testid=flag-badge data-flag={flag.kind}"
                    )
                    flag_badge.props["title"] = flag_explanation(flag)  # on hover; a value, never parsed
