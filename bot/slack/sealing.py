"""`private_metadata` sealed with SECRET_KEY: what deskops puts in a view comes back from Slack in
the submission, where the sender could have changed it (a modified client, a forged payload from
someone holding the signing secret's traffic). Every view deskops opens, pushes or updates —
through the Web API or in an ack's `response_action` — carries `<mac>.<metadata>`; every request
that comes back has it checked and unsealed before any listener reads it, and metadata that was
changed reads as empty, which each listener answers with "This form or button is out of date"."""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.web.slack_response import SlackResponse

from bot.tokens import LinkTokens

log = logging.getLogger(__name__)
PURPOSE = "view-private-metadata"
MAC_CHARS = 27  # 160 bits of the HMAC-SHA256, base64url: Slack's 3,000 characters keep 2,972
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})


class MetadataSeal:
    """`purpose` keeps seals of different values apart: a value sealed for one cannot be passed
    off as another (e.g. a button's value as a view's private_metadata)."""

    def __init__(self, tokens: LinkTokens, purpose: str = PURPOSE) -> None:
        self._tokens = tokens
        self._purpose = purpose

    def _mac(self, text: str) -> str:
        return self._tokens.token(self._purpose, text)[:MAC_CHARS]

    def seal(self, text: str) -> str:
        return f"{self._mac(text)}.{text}" if text else text

    def unseal(self, sealed: str) -> str | None:
        """The metadata as deskops wrote it, or None when it was changed (or never sealed)."""
        mac, dot, text = sealed.partition(".")
        if not dot or len(mac) != MAC_CHARS:
            return None
        expected = self._mac(text).encode("ascii")
        return text if hmac.compare_digest(expected, mac.encode("utf-8", "replace")) else None

    def sealed_view(self, view: dict[str, Any]) -> dict[str, Any]:
        metadata = view.get("private_metadata")
        if isinstance(metadata, str) and metadata:
            return {**view, "private_metadata": self.seal(metadata)}
        return view

    def open_request(self, body: dict[str, Any]) -> None:
        """Unseal the request's `view.private_metadata` in place (empty when it was changed)."""
        view = body.get("view")
        if not isinstance(view, dict):
            return
        metadata = view.get("private_metadata")
        if not isinstance(metadata, str) or not metadata:
            return
        unsealed = self.unseal(metadata)
        if unsealed is None:
            log.warning("refused a view whose private_metadata was changed outside deskops")
        view["private_metadata"] = unsealed or ""

    def seal_ack(self, response: BoltResponse) -> BoltResponse:
        """An ack's `response_action` view (update, push) sealed like a Web API call's."""
        if not isinstance(response.body, str) or not response.body.startswith("{"):
            return response
        try:
            answer = json.loads(response.body)
        except ValueError:
            return response
        if not isinstance(answer, dict) or not isinstance(answer.get("view"), dict):
            return response
        answer["view"] = self.sealed_view(answer["view"])
        response.body = json.dumps(answer)
        return response


class SealingWebClient(WebClient):
    """The bot's Web API client, sealing the private_metadata of every view it sends."""

    def __init__(self, seal: MetadataSeal, like: WebClient) -> None:
        super().__init__(
            token=like.token,
            base_url=like.base_url,
            timeout=like.timeout,
            ssl=like.ssl,
            proxy=like.proxy,
            headers=like.headers,
            logger=like.logger,
            retry_handlers=like.retry_handlers,
        )
        self.seal = seal

    def api_call(
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> SlackResponse:
        if api_method in VIEW_METHODS and json is not None and isinstance(json.get("view"), dict):
            json = {**json, "view": self.seal.sealed_view(json["view"])}
        return super().api_call(api_method, json=json, **kwargs)
