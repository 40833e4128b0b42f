"""A faithful local Slack: workspace state, Web API, Block Kit limits and a "person" driver.

The one implementation of "how Slack behaves" in the project. End-to-end tests use it as the
fake Slack; `make run` without Slack credentials will serve it behind a browser console.

* `workspace.Workspace` (+ `views.ViewStore`): the state — people, channels, messages,
  ephemeral messages, modals, Home tabs, trigger_ids, response_urls. No HTTP.
* `webapi.WebApi` (+ `methods`): the Web API over HTTP, served by `server.BackgroundServer`.
* `driver.Person` / `viewhandle.ViewHandle` (+ `payloads`, `transport`): what Slack sends to the
  app when a person acts, signed, and what Slack does with the app's answer.
* `socketmode.SocketMode`: Socket Mode for an app with an app-level token: `apps.connections.open`,
  the WebSocket (`hello`, envelopes, acks); the driver then sends everything over it.
* `blockkit.BlockKitLimits`: every message and view checked against the shared limits file.
* `emulator.SlackEmulator`: all of it behind one facade.
"""

from console.blockkit import BlockKitLimits
from console.clock import OffsetClock
from console.driver import Person
from console.emulator import ChannelView, SlackEmulator
from console.models import AppIdentity, Ephemeral, Message, SlackError
from console.transport import Delivery, Outcome, SentRequest
from console.viewhandle import SubmitResult, ViewHandle
from console.webapi import ApiCall
from console.workspace import Workspace

__all__ = [
    "ApiCall",
    "AppIdentity",
    "BlockKitLimits",
    "ChannelView",
    "Delivery",
    "Ephemeral",
    "Message",
    "OffsetClock",
    "Outcome",
    "Person",
    "SentRequest",
    "SlackEmulator",
    "SlackError",
    "SubmitResult",
    "ViewHandle",
    "Workspace",
]
