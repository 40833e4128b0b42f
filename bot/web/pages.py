"""The page end users open from the activation e-mail: choosing the password of their backup
account (the enrollment pages are bot/web/enrollment.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.accounts.activation import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    ActivationLinkInvalid,
    PasswordRejected,
    TokenProblem,
    activate,
    user_for_token,
)
from bot.accounts.passwords import NOT_TEXT
from bot.deps import Deps
from bot.i18n.catalogs import N_, translate
from bot.i18n.languages import preferred_language
from bot.web.rendering import Pages

PROBLEM_PAGES: dict[TokenProblem, tuple[int, str, str]] = {
    TokenProblem.UNKNOWN: (
        404,
        N_("This link is not valid"),
        N_(
            "The activation link is incomplete or unknown. Copy the whole link from the e-mail, "
            "or ask your helpdesk to send a new one."
        ),
    ),
    TokenProblem.USED: (
        410,
        N_("This link was already used"),
        N_("Your account was activated with this link. If you cannot sign in, ask your helpdesk for help."),
    ),
    TokenProblem.EXPIRED: (
        410,
        N_("This link has expired"),
        N_("Activation links work for a limited time. Ask your helpdesk to send a new one."),
    ),
    TokenProblem.REVOKED: (
        410,
        N_("This link was replaced"),
        N_("A newer activation e-mail was sent to you; use the link in the most recent one."),
    ),
}


NOT_UTF8 = "\x00not-utf-8"


def text_form(body: bytes) -> dict[str, str]:
    """The page's form (application/x-www-form-urlencoded), decoded strictly: a browser sends
    UTF-8, and bytes that are not (which a lenient parser turns into U+FFFD) are not a password."""
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return {NOT_UTF8: ""}
    return dict(pairs)


def browser_language(request: Request, pages: Pages) -> str:
    """For a page no customer is known for: what the browser asks for, else LANGUAGE."""
    return preferred_language(request.headers.get("accept-language"), pages.default_language)


def problem_page(pages: Pages, request: Request, problem: TokenProblem) -> HTMLResponse:
    status, title, text = PROBLEM_PAGES[problem]
    return pages.problem(browser_language(request, pages), status, title, text)


def password_errors(error: PasswordRejected, language: str) -> dict[str, str]:
    return {error.field: translate(error.message, language) % error.values}


class ActivationPages:
    """The activation link's page: the form for a new password, and what its submission shows."""

    def __init__(self, deps: Deps, pages: Pages) -> None:
        self.deps, self.pages = deps, pages

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/activate/{token}", self.show, methods=["GET"]),
            Route("/activate/{token}", self.submit, methods=["POST"]),
        ]

    def _account(self, token: str) -> dict[str, Any]:
        with self.deps.db.read() as session:
            user, row = user_for_token(session, token, now=self.deps.clock.now())
            return {
                "first_name": user.first_name,
                "login": user.email,
                "customer": user.customer.name,
                "language": self.pages.language(user.customer.language),
                "expires_at": row.expires_at,
            }

    def _activate(self, token: str, password: str, confirmation: str) -> dict[str, Any]:
        with self.deps.db.transaction() as session:
            user = activate(
                session, token=token, password=password, confirmation=confirmation, now=self.deps.clock.now()
            )
            return {
                "first_name": user.first_name,
                "login": user.email,
                "language": self.pages.language(user.customer.language),
            }

    def _form(self, account: dict[str, Any], errors: dict[str, str]) -> Response:
        return self.pages.render(
            "activate.html",
            account["language"],
            400 if errors else 200,
            account=account,
            errors=errors,
            password_min=PASSWORD_MIN,
            password_max=PASSWORD_MAX,
        )

    async def show(self, request: Request) -> Response:
        try:
            account = await run_in_threadpool(self._account, request.path_params["token"])
        except ActivationLinkInvalid as error:
            return problem_page(self.pages, request, error.problem)
        return self._form(account, {})

    async def submit(self, request: Request) -> Response:
        token = request.path_params["token"]
        form = text_form(await request.body())
        password, confirmation = form.get("password", ""), form.get("confirmation", "")
        try:
            if form.get(NOT_UTF8) is not None:
                raise PasswordRejected("password", NOT_TEXT)
            account = await run_in_threadpool(self._activate, token, password, confirmation)
        except ActivationLinkInvalid as error:
            return problem_page(self.pages, request, error.problem)
        except PasswordRejected as error:
            return await self._rejected(request, token, error)
        return self.pages.render(
            "activated.html",
            account["language"],
            account=account,
            agent_download_url=self.deps.settings.agent_download_url,
        )

    async def _rejected(self, request: Request, token: str, error: PasswordRejected) -> Response:
        """The form again, with what is wrong with the password next to it."""
        try:
            details = await run_in_threadpool(self._account, token)
        except ActivationLinkInvalid as problem:
            return problem_page(self.pages, request, problem.problem)
        return self._form(details, password_errors(error, details["language"]))


def page_routes(deps: Deps, pages: Pages) -> list[BaseRoute]:
    return ActivationPages(deps, pages).routes()
