"""Every active card in order, kept once per process and shared by every open console page.

Pages read it synchronously when they are built and after each change, so a page never queries the
database for its cards and holds only the cards it renders.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict, defaultdict
from collections.abc import Iterable

from handoff.views import ConversationView, Stats

SortKey = tuple[bool, float, str]
ENDED_KEPT = 10_000  # the revisions of this many ended conversations: a late older card is not revived


def sort_key(view: ConversationView) -> SortKey:
    """Attention first, then the most recent activity."""
    return (not view.needs_attention, -view.last_activity_at.timestamp(), view.id)


class BoardIndex:
    def __init__(self) -> None:
        self._views: dict[str, ConversationView] = {}
        self._order: dict[str, list[tuple[SortKey, str]]] = defaultdict(list)
        self._ended: OrderedDict[str, int] = OrderedDict()  # conversation -> the revision that ended it

    def load(self, views: Iterable[ConversationView]) -> None:
        self._views.clear()
        self._order.clear()
        self._ended.clear()
        for view in views:
            if view.active:
                self._views[view.id] = view
                self._order[view.service_slug].append((sort_key(view), view.id))
        for order in self._order.values():
            order.sort()

    def is_stale(self, view: ConversationView) -> bool:
        """Whether a newer card of this conversation is already here (or ended it): with several processes,
        one's event can arrive after another's newer one."""
        kept = self._views.get(view.id)
        if kept is not None:
            return view.revision < kept.revision
        ended = self._ended.get(view.id)
        return ended is not None and view.revision <= ended

    def apply(self, view: ConversationView) -> bool:
        """Take the newest snapshot of a card (an ended conversation leaves the index); False when it is older
        than the one kept, which stays."""
        if self.is_stale(view):
            return False
        old = self._views.pop(view.id, None)
        if old is not None:
            order = self._order[old.service_slug]
            index = bisect.bisect_left(order, (sort_key(old), old.id))
            if index < len(order) and order[index][1] == old.id:
                order.pop(index)
        if view.active:
            self._views[view.id] = view
            bisect.insort(self._order[view.service_slug], (sort_key(view), view.id))
        else:
            self._ended[view.id] = view.revision
            if len(self._ended) > ENDED_KEPT:
                self._ended.popitem(last=False)
        return True

    def get(self, conversation_id: str) -> ConversationView | None:
        return self._views.get(conversation_id)

    def waiting(self) -> list[ConversationView]:
        """The cards that need attention, every service's (they sort first in each)."""
        waiting = []
        for order in self._order.values():
            for _, conversation_id in order:
                view = self._views[conversation_id]
                if not view.needs_attention:
                    break
                waiting.append(view)
        return waiting

    def rank(self, view: ConversationView) -> int | None:
        """The card's place within its service (0 first), or None when it is not in the index."""
        order = self._order.get(view.service_slug, [])
        index = bisect.bisect_left(order, (sort_key(view), view.id))
        return index if index < len(order) and order[index][1] == view.id else None

    def top(self, service_slug: str, count: int) -> list[ConversationView]:
        return [self._views[conversation_id] for _, conversation_id in self._order[service_slug][:count]]

    def count(self, service_slug: str) -> int:
        return len(self._order[service_slug])

    def stats(self) -> Stats:
        """The counters, as the cards here make them."""
        views = self._views.values()
        return Stats(
            active=len(views),
            attention=sum(view.needs_attention for view in views),
            paused=sum(view.paused for view in views),
        )
