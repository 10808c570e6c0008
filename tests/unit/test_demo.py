"""The demo brings every kind of attention flag within its first customers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from handoff.core import Core
from handoff.demo import DemoCustomers
from handoff.settings import Settings

SAMPLES = Path(__file__).resolve().parents[2] / "handoff" / "samples"


async def test_the_first_demo_customers_raise_all_four_flags(settings: Settings) -> None:
    from detection.defaults import default_detectors

    core = Core.create(settings, detectors=default_detectors())
    await core.start()
    await core.services.add(slug="shop", name="Web Shop", knowledge_dir=str(SAMPLES / "shop"))
    demo = DemoCustomers(core, seed=7, pace=0.01)
    seen: set[str] = set()
    cards = []
    await demo.start()
    try:
        async with asyncio.timeout(20):
            while seen != {"thumbs_down", "non_answer", "negative_feedback", "help_requested"}:
                await asyncio.sleep(0.05)
                cards = await core.board.active_cards()
                seen = {f.kind for card in cards for f in card.open_flags}
    finally:
        await demo.stop()
        await core.stop()
    assert cards and all(card.is_demo for card in cards)
    assert len({card.city for card in cards}) > 1
