"""/help: the console described in our own words."""

from __future__ import annotations

from nicegui import ui

from handoff.core import Core
from handoff.views import AgentRef
from handoff_ui.components.page import enter
from handoff_ui.live import Live

HELP = """
## Help

Handoff shows every live customer conversation next to the AI that answers it, tells you which ones need a
person, and lets you step in. Everything on the **Human Handoff** screen updates by itself: there is no need
to refresh.

### Connection status
The dot at the top right shows the live link to the server: green **Connected** (updates are arriving),
yellow **Connecting** (the link is being set up), red **Disconnected** (the link dropped; the page keeps
trying to reconnect on its own, and after a server restart it reloads and you stay logged in).

### Stats bar

- **Active Conversations**: conversations in progress across all services.
- **Needs Attention** (red): conversations with an attention flag that no agent has taken over yet.
- **Paused (Human)** (orange): conversations where the AI is paused because a human took over.

### Service modes
Each service has three modes, chosen with the buttons beside its name (admins only). With two or more
services, **Set all services** at the top right changes them all at once.

- **AI Only**: the AI answers everything; agents cannot take over and customers have no way to ask for a
  human. Switching a service to AI Only hands its paused conversations back to the AI, after asking you
  to confirm how many are affected, and tells each customer.
- **Human-Supported AI**: the AI answers, and you watch, take over, and receive requests for a human.
- **Human Only**: the AI stays silent; customers see nothing automated until a person replies.

### Conversation cards
Each card shows whether the AI is answering (**AI Active**, green) or a human has it (**Paused**, yellow),
the specialist agent handling it, the customer's city and region (after their name, when your site's chat
widget named them), the opening question, when it started and how many messages were exchanged. Cards that
need attention come first, then the most recently active.
A long list shows the first cards of each service and how many more there are; **Show more** reveals them.
A card that needs attention also shows how long the customer has been waiting ("Waiting 2 min"), and the
initials of any colleague who has the conversation open (hover for their names). The header shows who of the
team is online.

### Attention flags
A card that needs a human pulses red and carries a badge per reason. Hover a badge to see why:

- **Thumbs Down**: the customer rated an AI answer down.
- **Non-Answer**: the AI could not answer the question.
- **Negative Feedback**: the customer's messages turned negative (with the sentiment score).
- **Help Requested**: the customer asked for a person.

### Working a conversation
Click a card to open its panel: the whole transcript, customer messages on the right in blue, AI answers
on the left with a border, agent replies on the left in green, and notices to the customer in yellow in
the middle.

- **Take Over Conversation** claims it and pauses the AI; the customer is told a person joined. Only one
  agent can hold a conversation: others see a blue banner with your name and cannot take it over.
- Type your reply and press **Send**, or Ctrl+Enter. After you take over, a **Suggested reply** from the AI's
  knowledge may appear above the reply box: **Use suggestion** puts it in the box for you to edit; nothing
  reaches the customer until you send it. While you type, the customer sees "An agent is typing...".
- Type **/** in the reply box to pick one of the service's canned replies (Enter takes the first match);
  the customer's name and yours are filled in.
- **Add note** (with the **Note** box under the transcript) leaves an internal note for your colleagues. Notes
  show in the transcript with a dashed amber border and are never shown to the customer.
- The panel shows which colleagues also have the conversation open, so two people don't answer one customer.
- **Resume AI** hands it back to the AI, which answers from the customer's next message; the customer is
  told.
- **Release** lets go of it without waking the AI, so a colleague can take over.
- **Dismiss flags** clears the flags when no human is needed, without taking over.
- **Not needed**, beside a flag the detectors raised by reading a message, closes that flag and records it
  as a false alarm, so the team can see what the detectors get wrong and improve them. Hover over a flag's
  explanation to see which rule raised it.

### Notifications
When a conversation newly needs attention, a short sound plays and a notice appears at the bottom right,
on every console page, this one included, unless a colleague takes it over within a moment (2.5 seconds).
Click **Open** on the notice to go to the conversation. At most three notices show at once, newest first; the
rest are folded into "N more need attention". A notice goes away by itself once someone takes over,
dismisses or ends its conversation, and notices keep clear of an open panel.

- **Reminders**: a conversation that still waits after its service's **Remind after** time (60 seconds unless
  an admin set another) rings and shows its notice again ("waiting 2 min"), then again at growing intervals
  (at most every 10 minutes) until someone takes over, dismisses it or it ends.
- **Tab title**: every console tab's title starts with the number waiting, such as "(3) ", so you see it from
  another tab.
- **Desktop notifications**: turn them on in your **Account** preferences, then click **Allow desktop
  notifications** in the header once; while the console tab is hidden, each new flag (and each reminder) shows
  a notification naming the flag and the service; click it to open the conversation.

The speaker button at the top right turns the sound off and on, on every tab of yours; browsers only let a
page play sound after you have clicked somewhere on it once.

### Conversations
**Conversations** in the header lists every conversation, live and ended, newest first. **Search** finds
the ones with a message holding every word you type (or a word beginning so), with the words marked;
filter by service, status (Live, Paused, Ended), flag, who took it over, the days it started (UTC) and the
city or country. The filters are in the page's address, so you can bookmark or share a search. **Export
CSV** downloads the filtered list. Open one to read its whole transcript with the notes, its flags and how
each was closed, its timeline (flagged, taken over, notes, AI resumed, released, ended) and the same
customer's other conversations; **Export text** and **Export JSON** download what the customer saw (never
the notes). A live conversation's page follows it as it goes on.

### The admin console
Admins have more pages in the header. A settings page tracks your edits: **Save** is enabled only when
something changed, problems show beside their field, and leaving with unsaved edits asks first ("You have
unsaved changes": **Stay** or **Leave**; a reload or closing the tab gets the browser's own question). Every
change reaches every open page at once and lands in the audit log with who made it and what it was before.

- **Services**: each service with its mode, its live conversations and the AI that answers it; **New
  service** asks for a Name and a Slug (the chat's address, /chat/slug). A service's page sets its name and
  mode; which flags it raises; its **Negative Feedback threshold**, with a preview of how many of its recent
  customer messages would have raised the flag at that value; **Remind after (seconds)**; its own trigger
  phrases for Help Requested (the Talk to a human button always raises it); who answers (built-in knowledge,
  an external bot with its signing secret, shown once, or an OpenAI-compatible model); its bot's API keys,
  each shown once; its **Canned replies** (a shortcut and the reply; {customer_name} and {agent_name} are
  filled in when an agent picks one); and **Archive service** (live conversations end, each customer told).
- **Knowledge**: the service's specialist agents and their questions and answers. **Add question** asks for
  the Specialist agent, the Question and the Answer; **Save** writes them to the service's files, which stay
  editable by hand. **Try a question** shows which agent would answer and what, or Non-Answer.
  **Unanswered questions** lists what customers asked that the AI could not answer, similar questions
  together; **Add an answer** turns one into knowledge, and from then on the AI answers it.
- **Team**: every account with its role, when it was last seen and whether it is online. **Add agent**,
  change a role, **Reset password** (the new one is shown once), **Deactivate** (the account can no longer log
  in, its open pages sign out, and what it held is released, each customer told). The last active admin
  always stays.
- **Audit**: every agent action (take over, replies, release, resume, dismiss, notes, mode and settings
  changes, account changes, logins and failed logins) with who, when, on which conversation and from where;
  filters and **Export CSV**.
- **Settings**: **Data retention**, how long ended conversations are kept (for ever unless you choose a
  number of days; it says how many would be deleted and asks before it deletes). Live conversations are never
  deleted.
- **Reports** (everyone): a range of days (Today, 7 days, 30 days, Custom) and services: conversations,
  handoff rate (conversations a human took over), AI resolution rate (ended without a human), time to take
  over (median and p90), time to the first human reply, flags by kind and how many were marked Not needed,
  Thumbs Down rate, Non-Answers per specialist agent, conversations and handoffs per day, and the load by
  weekday and hour; **Download CSV**. A range that includes today follows what happens.
- **Account** (everyone): your name, your password (the current one is asked), and your notification
  preferences: sound and volume, which flags alert you, desktop notifications. They apply to every tab of
  yours at once.

### Location data
Customer locations come from GeoLite2 data created by MaxMind, available from https://www.maxmind.com.
"""


def register(core: Core, live: Live) -> None:
    @ui.page("/help", title="Help · Handoff")
    async def help_page() -> object:
        agent = await enter(core, live, "/help")
        if not isinstance(agent, AgentRef):
            return agent
        with ui.column().classes("w-full max-w-3xl q-pa-lg"):
            ui.markdown(HELP)
        return None
