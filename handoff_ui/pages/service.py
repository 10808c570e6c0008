"""/services/<slug> (admins): one service's settings, its bot's API keys, its canned replies, archiving it."""

from __future__ import annotations

from dataclasses import replace

from nicegui import ui

from handoff.core import Core
from handoff.errors import HandoffError, NotFound
from handoff.events import ServiceChanged
from handoff.services import ServiceSettings
from handoff.tuning import Preview
from handoff.views import ANSWERED_BY, FLAG_KINDS, MODES, AgentRef, ServiceView
from handoff.widget import DEFAULT_COLOR, DEFAULT_GREETING, snippet
from handoff_ui.components.api_keys import ApiKeys
from handoff_ui.components.canned_replies import CannedRepliesEditor
from handoff_ui.components.confirm import confirm, confirm_ai_only
from handoff_ui.components.form import UnsavedGuard
from handoff_ui.components.page import enter
from handoff_ui.components.secrets import show_once
from handoff_ui.live import Live
from handoff_ui.words import AI_WORDS, CANCEL, FLAG_WORDS, MODE_WORDS, SAVE

THRESHOLD = "Negative Feedback threshold"
REMIND_AFTER = "Remind after (seconds)"
PHRASES = "Help Requested trigger phrases (one per line)"
ORIGINS = "Allowed origins (one per line)"
SIGNED = "Require signed identity"


def preview_text(preview: Preview) -> str:
    if not preview.of:
        return "No customer messages yet to preview this threshold on."
    return (
        f"At {preview.threshold:.2f}, {preview.raised} of the last {preview.of} customer messages "
        "would have raised it."
    )


class ServicePage:
    def __init__(self, core: Core, live: Live, agent: AgentRef, service: ServiceView) -> None:
        self._core = core
        self._live = live
        self._agent = agent
        self.service = service
        self._saved = core.services.settings_of(service)
        self._own_change = False  # while this page's own save is on its way, its event is no news

    async def build(self) -> None:
        self._recent = await self._core.tuning.recent(slug=self.service.slug, agent=self._agent)
        keys = await self._core.keys.listed(slug=self.service.slug, agent=self._agent)
        canned = await self._core.canned_replies.of(self.service.slug)
        s = self._saved
        with ui.column().classes("w-full max-w-3xl q-pa-lg gap-4"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.link("Services", "/services")
                ui.label("/")
                self._title = ui.label(self.service.name).classes("text-h5")
                ui.space()
                ui.link("Knowledge", f"/services/{self.service.slug}/knowledge")
            self._notice = (
                ui.label().classes("text-orange-9").props("data-testid=changed-elsewhere role=status")
            )
            self._notice.set_visibility(False)
            self._archived = ui.row().classes("items-center gap-3")
            self.guard = guard = UnsavedGuard()
            with ui.card().classes("w-full q-pa-md gap-3"):
                self._name = guard.track(ui.input("Name", value=s.name).props("outlined"), field="name")
                self._mode = guard.track(
                    ui.toggle({m: MODE_WORDS[m] for m in MODES}, value=s.mode).props("no-caps"), field="mode"
                )
            with ui.card().classes("w-full q-pa-md gap-3"):
                ui.label("Attention flags").classes("text-subtitle1")
                self._flags = {
                    kind: guard.track(ui.switch(FLAG_WORDS[kind], value=kind not in s.disabled_flags))
                    for kind in FLAG_KINDS
                }
                self._threshold = guard.track(
                    ui.number(
                        THRESHOLD, value=self._shown_threshold(), min=-1, max=0, step=0.05, format="%.2f"
                    )
                    .props("outlined")
                    .classes("w-64"),
                    field="negative_threshold",
                )
                self._preview = ui.label().classes("text-grey-8").props("data-testid=threshold-preview")
                self._threshold.on_value_change(self._show_preview)
                self._remind = guard.track(
                    ui.number(
                        REMIND_AFTER, value=s.remind_after_seconds, min=10, max=86400, step=10, format="%d"
                    )
                    .props("outlined")
                    .classes("w-64"),
                    field="remind_after_seconds",
                )
                self._phrases = guard.track(
                    ui.textarea(PHRASES, value="\n".join(s.help_phrases)).props("outlined autogrow"),
                    field="help_phrases",
                )
                ui.label(
                    "Customers writing one of these raise Help Requested, beside the built-in requests."
                ).classes("text-caption text-grey-7")
            with ui.card().classes("w-full q-pa-md gap-3"):
                ui.label("Who answers").classes("text-subtitle1")
                choices = {
                    a: AI_WORDS[a] for a in ANSWERED_BY if a != "model" or self._core.services.model_available
                }
                self._ai = guard.track(ui.radio(choices, value=s.answered_by), field="answered_by")
                self._bot_url = guard.track(
                    ui.input("Bot URL", value=s.bot_url or "").props("outlined").classes("w-full"),
                    field="bot_url",
                )
                self._rotate = ui.button("Rotate signing secret", on_click=self._rotate_secret).props(
                    "flat no-caps dense"
                )
                self._ai.on_value_change(self._show_ai)
            self._widget_section(guard, s)
            with ui.row().classes("gap-2"):
                guard.save_button(ui.button(SAVE, on_click=self.save).props("no-caps"))
                ui.button(CANCEL, on_click=self.cancel).props("flat no-caps")
            ApiKeys(self._core, self._live, self._agent, self.service.slug, keys)
            CannedRepliesEditor(self._core, self._live, self._agent, self.service.slug, canned)
            with ui.card().classes("w-full q-pa-md gap-2"):
                ui.label("Archive").classes("text-subtitle1")
                ui.label("Takes the service off the console and the chat; it can be restored.").classes(
                    "text-grey-8"
                )
                ui.button("Archive service", on_click=self._archive).props("outline color=negative no-caps")
        self._show_ai()
        self._show_identity()
        self._show_archived()
        await self._show_preview()
        self._live.service_changed.subscribe(self._on_changed)

    def _widget_section(self, guard: UnsavedGuard, s: ServiceSettings) -> None:
        """The snippet a site pastes to show this service's chat bubble, and who may embed it, how it looks
        and whether the site must sign who its customers are."""
        base = self._core.settings.public_url or str(ui.context.client.request.base_url)
        code = snippet(base, self.service.slug)
        with ui.card().classes("w-full q-pa-md gap-3").props("data-testid=widget-settings"):
            ui.label("Chat widget").classes("text-subtitle1")
            ui.label(
                "Paste this into your site's pages, before </body>: a chat bubble opens this service's chat."
            ).classes("text-grey-8")
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                ui.label(code).classes("font-mono text-caption break-all q-pa-sm bg-grey-2 col").props(
                    "data-testid=widget-snippet"
                )
                ui.button(icon="content_copy", on_click=lambda: ui.clipboard.write(code)).props(
                    "flat dense aria-label=Copy"
                ).tooltip("Copy")
            self._origins = guard.track(
                ui.textarea(ORIGINS, value="\n".join(s.allowed_origins))
                .props("outlined autogrow placeholder=https://shop.example.com")
                .classes("w-full"),
                field="allowed_origins",
            )
            ui.label("Only these sites may show the chat; with none, it shows on no site.").classes(
                "text-caption text-grey-7"
            )
            with ui.row().classes("w-full gap-3"):
                self._color = guard.track(
                    ui.color_input(
                        "Colour", value=s.widget_color or "", placeholder=DEFAULT_COLOR, preview=True
                    )
                    .props("outlined maxlength=7")
                    .classes("w-48"),
                    field="widget_color",
                )
                self._greeting = guard.track(
                    ui.input("Greeting", value=s.widget_greeting or "").props("outlined").classes("col"),
                    field="widget_greeting",
                )
                self._greeting.props["placeholder"] = DEFAULT_GREETING
            self._signed = guard.track(ui.switch(SIGNED, value=s.signed_identity), field="signed_identity")
            ui.label(
                "Names given with Handoff.identify are accepted only when your server signs the external id."
            ).classes("text-caption text-grey-7")
            self._rotate_identity = ui.button(
                "Rotate identity secret", on_click=self._rotate_identity_secret
            ).props("flat no-caps dense")

    def _show_identity(self) -> None:
        self._rotate_identity.set_visibility(self.service.signed_identity)

    def _shown_threshold(self) -> float:
        """The service's own threshold, or the detector's default that it uses without one."""
        own = self._saved.negative_threshold
        return own if own is not None else self._core.tuning.default_threshold

    def _show_ai(self) -> None:
        bot = self._ai.value == "bot"
        self._bot_url.set_visibility(bot)
        self._rotate.set_visibility(bot and bool(self.service.bot_url))

    def _show_archived(self) -> None:
        self._archived.clear()
        self._archived.set_visibility(self.service.archived)
        with self._archived:
            ui.label("This service is archived: customers can't start chats.").classes("text-negative")
            ui.button("Restore", on_click=self._restore).props("flat no-caps dense")

    async def _show_preview(self) -> None:
        value = self._threshold.value
        threshold = float(value) if isinstance(value, int | float) else None
        self._preview.set_text(preview_text(await self._core.tuning.count(self._recent, threshold)))

    def settings(self) -> ServiceSettings:
        """The form's values as settings (the core checks them)."""
        threshold = self._threshold.value
        unchanged_default = self._saved.negative_threshold is None and threshold == self._shown_threshold()
        remind = self._remind.value
        return replace(
            self._saved,
            name=self._name.value or "",
            mode=self._mode.value,
            disabled_flags=tuple(k for k, switch in self._flags.items() if not switch.value),
            negative_threshold=None if unchanged_default or threshold is None else float(threshold),
            remind_after_seconds=int(remind) if isinstance(remind, int | float) else 0,
            help_phrases=tuple((self._phrases.value or "").splitlines()),
            answered_by=self._ai.value,
            bot_url=(self._bot_url.value or None) if self._ai.value == "bot" else self._saved.bot_url,
            allowed_origins=tuple((self._origins.value or "").splitlines()),
            widget_color=self._color.value or None,
            widget_greeting=self._greeting.value or None,
            signed_identity=bool(self._signed.value),
        )

    async def save(self) -> None:
        if self.settings().mode == "ai_only" and self._saved.mode != "ai_only":
            held = await self._core.services.held_count([self.service.slug])
            if held and not await confirm_ai_only(held):
                return
        try:
            self._own_change = True  # its event is this page's own: the answer below shows it
            update = await self._core.services.update(
                slug=self.service.slug, settings=self.settings(), agent=self._agent
            )
        except HandoffError as error:
            self.guard.show_error(error)
            return
        finally:
            self._own_change = False
        self._show_saved(update.service)
        ui.notify("Saved.", type="positive")
        if update.new_bot_secret:
            show_once("The bot's signing secret", update.new_bot_secret)
        if update.new_identity_secret:
            show_once("The widget's identity secret", update.new_identity_secret)

    def cancel(self) -> None:
        self._show_saved(self.service)

    def _show_saved(self, service: ServiceView) -> None:
        """Fill the form with the service as saved, and count that as unchanged."""
        self.service, self._saved = service, self._core.services.settings_of(service)
        s = self._saved
        self._title.set_text(s.name)
        self.guard.reset(self._name, s.name)
        self.guard.reset(self._mode, s.mode)
        for kind, switch in self._flags.items():
            self.guard.reset(switch, kind not in s.disabled_flags)
        self.guard.reset(self._threshold, self._shown_threshold())
        self.guard.reset(self._remind, s.remind_after_seconds)
        self.guard.reset(self._phrases, "\n".join(s.help_phrases))
        self.guard.reset(self._ai, s.answered_by)
        self.guard.reset(self._bot_url, s.bot_url or "")
        self.guard.reset(self._origins, "\n".join(s.allowed_origins))
        self.guard.reset(self._color, s.widget_color or "")
        self.guard.reset(self._greeting, s.widget_greeting or "")
        self.guard.reset(self._signed, s.signed_identity)
        self._notice.set_visibility(False)
        self._show_ai()
        self._show_identity()
        self._show_archived()
        self.guard.saved()

    def _on_changed(self, event: ServiceChanged) -> None:
        """Another admin (or the shell) changed this service: shown at once, unless it would overwrite
        edits made here, which then stay, with a notice."""
        if self._own_change or event.after.slug != self.service.slug or event.after == self.service:
            return
        if not self.guard.dirty:
            self._show_saved(event.after)
            return
        self.service = event.after
        self._notice.set_text("This service was just changed elsewhere. Saving will replace that change.")
        self._notice.set_visibility(True)

    async def _rotate_secret(self) -> None:
        try:
            secret = await self._core.services.rotate_bot_secret(slug=self.service.slug, agent=self._agent)
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        show_once("The bot's new signing secret", secret)

    async def _rotate_identity_secret(self) -> None:
        confirmed = await confirm(
            "Rotate the identity secret?",
            "Identities your site signs with the old secret stop being accepted until it uses the new one.",
            action="Rotate",
            danger=True,
            test_id="confirm-rotate-identity",
        )
        if not confirmed:
            return
        try:
            secret = await self._core.services.rotate_identity_secret(
                slug=self.service.slug, agent=self._agent
            )
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        show_once("The widget's new identity secret", secret)

    async def _archive(self) -> None:
        live = self._live.index.count(self.service.slug)
        noun = "conversation" if live == 1 else "conversations"
        message = (
            f"{live} live {noun} will end, and each customer will be told."
            if live
            else "No conversation is live."
        )
        confirmed = await confirm(
            f"Archive {self.service.name}?",
            message,
            action="End them and archive" if live else "Archive",
            danger=True,
            test_id="confirm-archive",
        )
        if not confirmed:
            return
        try:
            service = await self._core.services.archive(
                slug=self.service.slug, agent=self._agent, end_live=bool(live)
            )
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        self._show_saved(service)

    async def _restore(self) -> None:
        try:
            self._show_saved(await self._core.services.restore(slug=self.service.slug, agent=self._agent))
        except HandoffError as error:
            ui.notify(str(error), type="warning")


def register(core: Core, live: Live) -> None:
    @ui.page("/services/{slug}", title="Service · Handoff")
    async def service_page(slug: str) -> object:
        agent = await enter(core, live, f"/services/{slug}", admins_only=True, current="/services")
        if not isinstance(agent, AgentRef):
            return agent
        try:
            service = await core.services.get(slug)
        except NotFound:
            ui.label("No such service.").classes("q-pa-lg text-h6")
            return None
        await ServicePage(core, live, agent, service).build()
        return None
