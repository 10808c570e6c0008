"""The console's pages, one module per page (its URL names it): `register` adds them all."""

from __future__ import annotations

from handoff.core import Core
from handoff_ui.live import Live


def register(core: Core, live: Live) -> None:
    from handoff_ui.pages import (
        account,
        audit,
        chat,
        conversation,
        conversations,
        handoff,
        help,
        knowledge,
        login,
        reports,
        service,
        services,
        settings,
        team,
        webhooks,
    )

    login.register(core)
    handoff.register(core, live)
    help.register(core, live)
    chat.register(core, live)
    services.register(core, live)
    service.register(core, live)
    knowledge.register(core, live)
    team.register(core, live)
    account.register(core, live)
    conversations.register(core, live)
    conversation.register(core, live)
    reports.register(core, live)
    audit.register(core, live)
    settings.register(core, live)
    webhooks.register(core, live)
