"""The console alone, for NiceGUI's User tests (the test process runs this file for each test)."""

import os

from nicegui import app, ui

import handoff_ui
from detection.defaults import default_detectors
from handoff.core import Core
from handoff.settings import Settings

settings = Settings(database_url=os.environ["HANDOFF_UI_TEST_DATABASE_URL"], sqlite_synchronous="OFF")
core = Core.create(settings, detectors=default_detectors())
live = handoff_ui.install(core, start_core=True)
app.state.handoff = (core, live)
ui.run(storage_secret="handoff ui tests", tailwind=False)
