"""The invitation landing page (and the e-mail's button that opens the app), and the routes of
enrollment: these and the device-enrollment callback (bot/web/enrollment_callback.py)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.deps import Deps
from bot.enrollment.devices import InvitationLinkInvalid, open_invitation
from bot.enrollment.links import EnrollmentLinks
from bot.qr import qr_data_uri
from bot.web.enrollment_callback import callback_routes
from bot.web.link_pages import LINK_PAGES
from bot.web.pages import browser_language
from bot.web.rendering import Pages


def _problem(pages: Pages, request: Request, error: InvitationLinkInvalid) -> Response:
    status, title, text = LINK_PAGES[error.problem]
    return pages.problem(browser_language(request, pages), status, title, text)


def landing_routes(deps: Deps, pages: Pages) -> list[BaseRoute]:
    links = EnrollmentLinks.from_settings(deps.settings)

    def opened(token: str) -> dict[str, Any]:
        with deps.db.transaction() as session:
            invitation = open_invitation(session, token, now=deps.clock.now())
            return {
                "display_name": invitation.display_name,
                "platform": invitation.platform.device_label,
                "store_links": links.store_links(invitation.platform),
                "deep_link": links.deep_link(invitation.username),
                "server": links.server,
                "username": invitation.username,
                "expires_at": invitation.expires_at,
                "language": pages.language(invitation.batch.language),
                # For a person reading it on a computer: the same page, on the phone.
                "qr": qr_data_uri(links.landing_url(token)),
            }

    async def landing(request: Request) -> Response:
        try:
            invitation = await run_in_threadpool(opened, request.path_params["token"])
        except InvitationLinkInvalid as error:
            return _problem(pages, request, error)
        return pages.render("enroll.html", invitation["language"], invitation=invitation)

    async def open_app(request: Request) -> Response:
        """The e-mail's main button: records *opened*, then hands over to Acronis Access (the
        deep link); without a deep link, the landing page."""
        try:
            invitation = await run_in_threadpool(opened, request.path_params["token"])
        except InvitationLinkInvalid as error:
            return _problem(pages, request, error)
        if invitation["deep_link"] is None:
            return pages.render("enroll.html", invitation["language"], invitation=invitation)
        return RedirectResponse(invitation["deep_link"], status_code=303)

    return [
        Route("/enroll/{token}", landing, methods=["GET"]),
        Route("/enroll/{token}/open", open_app, methods=["GET"]),
    ]


def enrollment_routes(deps: Deps, pages: Pages) -> list[BaseRoute]:
    return [*landing_routes(deps, pages), *callback_routes(deps)]
