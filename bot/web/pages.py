"""Pages end users open from e-mails: account activation (and, later, enrollment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.accounts.activation import ActivationLinkInvalid, TokenProblem, activate, user_for_token
from bot.deps import Deps
from bot.errors import FieldErrors

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)
# The token is in the URL: keep it out of Referer headers and caches.
PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # Images: the QR codes, inline (data:) or from this server.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'",
}
PROBLEM_PAGES: dict[TokenProblem, tuple[int, str, str]] = {
    TokenProblem.UNKNOWN: (
        404,
        "This link is not valid",
        "The activation link is incomplete or unknown. Copy the whole link from the e-mail, "
        "or ask your helpdesk to send a new one.",
    ),
    TokenProblem.USED: (
        410,
        "This link was already used",
        "Your account was activated with this link. If you cannot sign in, ask your helpdesk for help.",
    ),
    TokenProblem.EXPIRED: (
        410,
        "This link has expired",
        "Activation links work for a limited time. Ask your helpdesk to send a new one.",
    ),
    TokenProblem.REVOKED: (
        410,
        "This link was replaced",
        "A newer activation e-mail was sent to you; use the link in the most recent one.",
    ),
}


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PRIVATE_HEADERS)


def problem_page(problem: TokenProblem) -> HTMLResponse:
    status, title, text = PROBLEM_PAGES[problem]
    return render("link_problem.html", status, title=title, text=text)


def page_routes(deps: Deps) -> list[BaseRoute]:
    def load(token: str) -> dict[str, Any]:
        with deps.db.read() as session:
            user, _ = user_for_token(session, token, now=deps.clock.now())
            return {"first_name": user.first_name, "login": user.email, "customer": user.customer.name}

    def submit(token: str, password: str, confirmation: str) -> dict[str, Any]:
        with deps.db.transaction() as session:
            user = activate(
                session, token=token, password=password, confirmation=confirmation, now=deps.clock.now()
            )
            return {"first_name": user.first_name, "login": user.email}

    async def activation_page(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            account = await run_in_threadpool(load, token)
        except ActivationLinkInvalid as error:
            return problem_page(error.problem)
        return render("activate.html", account=account, errors={})

    async def activation_submit(request: Request) -> Response:
        token = request.path_params["token"]
        form = await request.form()
        password = str(form.get("password") or "")
        confirmation = str(form.get("confirmation") or "")
        try:
            account = await run_in_threadpool(submit, token, password, confirmation)
        except ActivationLinkInvalid as error:
            return problem_page(error.problem)
        except FieldErrors as error:
            try:
                details = await run_in_threadpool(load, token)
            except ActivationLinkInvalid as problem:
                return problem_page(problem.problem)
            return render("activate.html", 400, account=details, errors=error.errors)
        return render("activated.html", account=account, agent_download_url=deps.settings.agent_download_url)

    return [
        Route("/activate/{token}", activation_page, methods=["GET"]),
        Route("/activate/{token}", activation_submit, methods=["POST"]),
    ]
