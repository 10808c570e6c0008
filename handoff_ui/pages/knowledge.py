"""/services/<slug>/knowledge (admins): the specialist agents' questions and answers, "Try a question",
and "Unanswered questions" turned into answers.

Every change is one save of the folder (`KnowledgeAdmin.save`), based on the version this page read: a hand
edit or another admin's save in between is shown, never overwritten, and what was typed here stays.
"""

from __future__ import annotations

from dataclasses import replace

from nicegui import background_tasks, ui

from handoff.core import Core
from handoff.errors import ChangedElsewhere, HandoffError, Invalid, NotFound
from handoff.events import KnowledgeSaved
from handoff.knowledge_admin import UnansweredQuestion
from handoff.knowledge_files import Entry, Folder, SpecialistAgent
from handoff.views import AgentRef, ServiceView
from handoff_ui.cards import relative_time
from handoff_ui.components.confirm import confirm
from handoff_ui.components.form import UnsavedGuard, sentence
from handoff_ui.components.page import enter
from handoff_ui.live import Live
from handoff_ui.words import CANCEL, FLAG_WORDS, SAVE

ADD_QUESTION = "Add question"
TRY = "Try a question"
UNANSWERED = "Unanswered questions"


class KnowledgePage:
    def __init__(self, core: Core, live: Live, agent: AgentRef, service: ServiceView, folder: Folder) -> None:
        self._core = core
        self._live = live
        self._agent = agent
        self.service = service
        self.folder = folder
        # (specialist agent, question) of the entry being edited, found by name after a reload; None: new
        self._editing: tuple[str, str] | None = None
        self._own_save = False

    async def build(self) -> None:
        with ui.column().classes("w-full max-w-4xl q-pa-lg gap-4"):
            with ui.row().classes("items-center gap-3"):
                ui.link("Services", "/services")
                ui.label("/")
                ui.link(self.service.name, f"/services/{self.service.slug}")
                ui.label("/")
                ui.label("Knowledge").classes("text-h5")
            if self._core.services.answered_by(self.service) != "knowledge":
                ui.label(
                    "This service's customers are answered by another AI: this knowledge is used once "
                    "Built-in knowledge is chosen on its settings page."
                ).classes("text-orange-9")
            self._conflict = ui.row().classes("w-full items-center gap-3 q-pa-sm bg-orange-1")
            self._conflict.props("data-testid=knowledge-changed role=alert")
            with self._conflict:
                self._conflict_text = ui.label()
                ui.button("Reload", on_click=self._reload).props("flat dense no-caps")
            self._conflict.set_visibility(False)
            with ui.row().classes("w-full items-center"):
                ui.label("Specialist agents").classes("text-h6")
                ui.space()
                ui.button(ADD_QUESTION, icon="add", on_click=lambda: self.edit_new()).props("no-caps")
            self._build_editor()
            self._agents = ui.column().classes("w-full gap-3")
            self._draw_agents()
            self._build_try()
            ui.label(UNANSWERED).classes("text-h6 q-mt-md")
            self._unanswered = ui.column().classes("w-full gap-2")
        await self._draw_unanswered()
        self._live.knowledge_saved.subscribe(self._on_saved)

    # -- the specialist agents ---------------------------------------------------------------------------

    def _draw_agents(self) -> None:
        self._agents.clear()
        with self._agents:
            if not self.folder.agents:
                ui.label("No knowledge yet: add the first question.").classes("text-grey-8")
            for a, agent in enumerate(self.folder.agents):
                with ui.card().classes("w-full q-pa-md gap-2").props("data-testid=specialist-agent"):
                    with ui.row().classes("w-full items-center gap-2"):
                        ui.label(agent.name).classes("text-subtitle1 font-bold")
                        ui.label(f"{len(agent.entries)} questions · {agent.file or ''}").classes(
                            "text-grey-7 text-sm"
                        )
                        ui.space()
                        ui.button("Rename", on_click=lambda a=a: self._rename(a)).props("flat dense no-caps")
                        ui.button("Remove agent", on_click=lambda a=a: self._remove_agent(a)).props(
                            "flat dense no-caps color=negative"
                        )
                    for e, entry in enumerate(agent.entries):
                        with ui.column().classes("w-full gap-1 q-pl-sm").props("data-testid=knowledge-entry"):
                            with ui.row().classes("w-full items-center gap-2"):
                                ui.label(entry.question).classes("font-bold")
                                ui.space()
                                ui.button("Edit", on_click=lambda a=a, e=e: self.edit(a, e)).props(
                                    "flat dense no-caps"
                                )
                                ui.button("Remove", on_click=lambda a=a, e=e: self._remove_entry(a, e)).props(
                                    "flat dense no-caps color=negative"
                                )
                            ui.label(entry.answer).classes("text-grey-9 whitespace-pre-wrap")

    # -- the editor: "Specialist agent", "Question", "Answer", "Save" ---------------------------------------

    def _build_editor(self) -> None:
        self.guard = guard = UnsavedGuard()
        with ui.card().classes("w-full q-pa-md gap-2").props("data-testid=knowledge-editor") as self._editor:
            self._editor_title = ui.label().classes("text-subtitle1")
            names = [agent.name for agent in self.folder.agents]
            self._agent_name = guard.track(
                ui.input("Specialist agent", autocomplete=names).props("outlined").classes("w-full"),
                field="agent",
            )
            self._question = guard.track(
                ui.input("Question").props("outlined").classes("w-full"), field="question"
            )
            self._answer = guard.track(
                ui.textarea("Answer").props("outlined autogrow").classes("w-full"), field="answer"
            )
            with ui.row().classes("gap-2"):
                guard.save_button(ui.button(SAVE, on_click=self.save_entry).props("no-caps"))
                ui.button(CANCEL, on_click=self._close_editor).props("flat no-caps")
        self._editor.set_visibility(False)

    def edit_new(self, question: str = "", agent_name: str | None = None) -> None:
        """Open the editor for a new question (pre-filled from an unanswered one)."""
        self._editing = None
        first = self.folder.agents[0].name if self.folder.agents else ""
        self._open_editor("New question", agent_name or first, question, "")

    def edit(self, a: int, e: int) -> None:
        agent = self.folder.agents[a]
        entry = agent.entries[e]
        self._editing = (agent.name, entry.question)
        self._open_editor("Edit question", agent.name, entry.question, entry.answer)

    def _open_editor(self, title: str, agent_name: str, question: str, answer: str) -> None:
        self._editor_title.set_text(title)
        self._agent_name.set_autocomplete([agent.name for agent in self.folder.agents])
        for element, value in (
            (self._agent_name, agent_name),
            (self._question, question),
            (self._answer, answer),
        ):
            self.guard.reset(element, "")
            element.set_value(value)
            element.error = None
        self._editor.set_visibility(True)
        self.guard.refresh()
        self._question.run_method("focus")

    def _close_editor(self) -> None:
        for element in (self._agent_name, self._question, self._answer):
            self.guard.reset(element, "")
        self.guard.saved()
        self._editor.set_visibility(False)

    async def save_entry(self) -> None:
        name = " ".join((self._agent_name.value or "").split())
        if not name:
            self.guard.show_error(Invalid("which specialist agent answers this?", field="agent"))
            return
        entry = Entry(self._question.value or "", self._answer.value or "")
        agents = list(self.folder.agents)
        place = None
        if self._editing is not None:
            place = _take_out(agents, *self._editing)
        target = next((i for i, agent in enumerate(agents) if agent.name.lower() == name.lower()), None)
        if target is None:
            agents.append(SpecialistAgent(name=name, entries=(entry,)))
        else:
            entries = list(agents[target].entries)
            entries.insert(place[1] if place is not None and place[0] == target else len(entries), entry)
            agents[target] = replace(agents[target], entries=tuple(entries))
        if await self._save(tuple(agents)):
            self._close_editor()

    # -- whole-agent changes -----------------------------------------------------------------------------

    async def _rename(self, a: int) -> None:
        agent = self.folder.agents[a]
        with ui.dialog() as dialog, ui.card().props("data-testid=rename-agent"):
            ui.label(f"Rename {agent.name}").classes("text-h6")
            name = ui.input("Name", value=agent.name).props("outlined autofocus")
            with ui.row().classes("w-full justify-end"):
                ui.button(CANCEL, on_click=lambda: dialog.submit(None)).props("flat no-caps")
                ui.button(SAVE, on_click=lambda: dialog.submit(name.value)).props("no-caps")
        new_name = await dialog
        dialog.delete()
        if new_name and new_name != agent.name:
            agents = list(self.folder.agents)
            agents[a] = replace(agent, name=new_name)
            await self._save(tuple(agents))

    async def _remove_agent(self, a: int) -> None:
        agent = self.folder.agents[a]
        title = f"Remove {agent.name} and its {len(agent.entries)} questions?"
        if await confirm(title, action="Remove", danger=True):
            await self._save(tuple(x for i, x in enumerate(self.folder.agents) if i != a))

    async def _remove_entry(self, a: int, e: int) -> None:
        agent = self.folder.agents[a]
        if await confirm(f"Remove the question {agent.entries[e].question!r}?", action="Remove", danger=True):
            agents = list(self.folder.agents)
            agents[a] = replace(agent, entries=_without(agent.entries, e))
            await self._save(tuple(agents))

    async def _save(self, agents: tuple[SpecialistAgent, ...]) -> bool:
        try:
            self._own_save = True  # its event is this page's own: the answer below shows it
            self.folder = await self._core.knowledge.save(
                slug=self.service.slug, agents=agents, based_on=self.folder.version, agent=self._agent
            )
        except ChangedElsewhere as error:
            self._conflict_text.set_text(f"{sentence(str(error))} Nothing was written.")
            self._conflict.set_visibility(True)
            return False
        except HandoffError as error:
            self.guard.show_error(error)
            return False
        finally:
            self._own_save = False
        self._conflict.set_visibility(False)
        self._draw_agents()
        ui.notify("Saved.", type="positive")
        await self._draw_unanswered()
        return True

    async def _reload(self) -> None:
        self.folder = await self._core.knowledge.open(slug=self.service.slug, agent=self._agent)
        self._conflict.set_visibility(False)
        self._draw_agents()

    def _on_saved(self, event: KnowledgeSaved) -> None:
        """Runs as the save is published, so this page's own save is told apart by `_own_save`."""
        if event.service_slug == self.service.slug and not self._own_save:
            background_tasks.create(self._follow_save(), name="follow a knowledge save")

    async def _follow_save(self) -> None:
        """Another admin saved: shown at once, unless the editor holds edits, which then stay."""
        current = await self._core.knowledge.open(slug=self.service.slug, agent=self._agent)
        if current.version == self.folder.version:
            return
        if self.guard.dirty:
            self._conflict_text.set_text("Another admin just saved this knowledge: reload before saving.")
            self._conflict.set_visibility(True)
            return
        self.folder = current
        self._draw_agents()
        await self._draw_unanswered()

    # -- Try a question ----------------------------------------------------------------------------------

    def _build_try(self) -> None:
        with ui.card().classes("w-full q-pa-md gap-2"):
            ui.label(TRY).classes("text-h6")
            ui.label("What the AI would answer if a customer opened a chat with this question.").classes(
                "text-grey-8"
            )
            with ui.row().classes("w-full items-center gap-2"):
                self._try_input = ui.input("Question to try").props("outlined").classes("grow")
                self._try_input.on("keydown.enter", self.try_question)
                ui.button(TRY, on_click=self.try_question).props("no-caps outline")
            self._try_result = ui.column().classes("w-full gap-1").props("data-testid=try-result")

    async def try_question(self) -> None:
        try:
            found = await self._core.knowledge.try_question(
                slug=self.service.slug, question=self._try_input.value or "", agent=self._agent
            )
        except HandoffError as error:
            ui.notify(str(error), type="warning")
            return
        self._try_result.clear()
        with self._try_result:
            if not found.answered:
                ui.label(FLAG_WORDS["non_answer"]).classes("text-negative font-bold")
                ui.label(found.text).classes("text-grey-8")
                return
            ui.label(found.agent or "").classes("font-bold")
            ui.label(found.text).classes("whitespace-pre-wrap")
            if found.matched_question is not None and found.score is not None:
                ui.label(f"Matched {found.matched_question!r}, score {found.score:.2f}").classes(
                    "text-grey-7 text-sm"
                )

    # -- Unanswered questions ----------------------------------------------------------------------------

    async def _draw_unanswered(self) -> None:
        groups = await self._core.knowledge.unanswered(slug=self.service.slug, agent=self._agent)
        self._unanswered.clear()
        with self._unanswered:
            if not groups:
                ui.label("None: every question customers asked has an answer.").classes("text-grey-8")
            for group in groups:
                self._unanswered_row(group)

    def _unanswered_row(self, group: UnansweredQuestion) -> None:
        with ui.card().classes("w-full q-pa-sm").props("data-testid=unanswered-question"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(group.question).classes("font-bold")
                times = "once" if group.asked == 1 else f"{group.asked} times"
                ui.label(f"asked {times}, last {relative_time(group.last_asked_at)}").classes(
                    "text-grey-7 text-sm"
                )
                ui.space()
                ui.button("Add an answer", on_click=lambda q=group.question: self.edit_new(q)).props(
                    "flat dense no-caps"
                )
            if group.other_wordings:
                ui.label("Also asked as: " + " · ".join(group.other_wordings)).classes("text-grey-7 text-sm")


def _take_out(agents: list[SpecialistAgent], agent_name: str, question: str) -> tuple[int, int] | None:
    """Remove the entry being edited from `agents`; where it was, if it is still there."""
    for a, agent in enumerate(agents):
        if agent.name != agent_name:
            continue
        for e, entry in enumerate(agent.entries):
            if entry.question == question:
                agents[a] = replace(agent, entries=_without(agent.entries, e))
                return a, e
    return None


def _without(entries: tuple[Entry, ...], index: int) -> tuple[Entry, ...]:
    return tuple(entry for i, entry in enumerate(entries) if i != index)


def register(core: Core, live: Live) -> None:
    @ui.page("/services/{slug}/knowledge", title="Knowledge · Handoff")
    async def knowledge_page(slug: str) -> object:
        path = f"/services/{slug}/knowledge"
        agent = await enter(core, live, path, admins_only=True, current="/services")
        if not isinstance(agent, AgentRef):
            return agent
        try:
            service = await core.services.get(slug)
            folder = await core.knowledge.open(slug=slug, agent=agent)
        except NotFound:
            ui.label("No such service.").classes("q-pa-lg text-h6")
            return None
        except Invalid as error:
            ui.label(f"{error}.").classes("q-pa-lg text-h6")
            return None
        await KnowledgePage(core, live, agent, service, folder).build()
        return None
