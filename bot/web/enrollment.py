"""The invitation landing page and the device-enrollment callback."""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.deps import Deps
from bot.enrollment.approvals import enroll_or_request_approval
from bot.enrollment.devices import InvitationLinkInvalid, LinkProblem, WrongPlatform, open_invitation
from bot.enrollment.links import EnrollmentLinks
from bot.enrollment.models import Platform
from bot.i18n.catalogs import N_
from bot.qr import qr_data_uri
from bot.web.pages import browser_language
from bot.web.rendering import Pages

LINK_PAGES: dict[LinkProblem, tuple[int, str, str]] = {
    LinkProblem.UNKNOWN: (
        404,
        N_("This invitation link is not valid"),
        N_("Copy the whole link from the e-mail, or ask your helpdesk for a new invitation."),
    ),
    LinkProblem.EXPIRED: (
        410,
        N_("This invitation has expired"),
        N_("Invitations work for a limited time. Ask your helpdesk to send you a new one."),
    ),
    LinkProblem.USED: (
        410,
        N_("This invitation was already used"),
        N_(
            "A device has enrolled with this link, and each link enrolls one device. "
            "To enroll another device, ask your helpdesk for a new invitation."
        ),
    ),
    LinkProblem.REVOKED: (
        410,
        N_("This invitation was withdrawn"),
        N_("Your helpdesk withdrew this invitation, or sent you a newer one: use the most recent e-mail."),
    ),
}
MAX_BODY = 4096
DEVICE_ID = re.compile(r"^[\w.:\-]{1,200}$")


class EnrollmentCallback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=10, max_length=200)
    platform: Platform
    device_id: str = Field(min_length=1, max_length=200, pattern=DEVICE_ID.pattern)


def _problem(pages: Pages, request: Request, error: InvitationLinkInvalid) -> Response:
    status, title, text = LINK_PAGES[error.problem]
    return pages.problem(browser_language(request, pages), status, title, text)


def enrollment_routes(deps: Deps, pages: Pages) -> list[BaseRoute]:
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

    def authorised(request: Request) -> bool:
        """Compared as bytes (Starlette decodes header bytes as Latin-1): any byte an outsider
        sends is a wrong key, never an error."""
        key = deps.settings.enrollment_api_key
        offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        offered = offered or request.headers.get("x-api-key", "")
        expected = key.get_secret_value().encode("utf-8") if key is not None else b""
        return bool(expected) and bool(offered) and hmac.compare_digest(offered.encode("latin-1"), expected)

    def error(status: int, message: str, field: str | None = None) -> JSONResponse:
        body = {"error": message} | ({"field": field} if field else {})
        return JSONResponse(body, status_code=status)

    def record(callback: EnrollmentCallback) -> tuple[int, dict[str, Any]]:
        with deps.db.transaction() as session:
            outcome = enroll_or_request_approval(
                session,
                settings=deps.settings,
                token=callback.token,
                platform=callback.platform,
                device_id=callback.device_id,
                now=deps.clock.now(),
            )
            if outcome.approval is not None:
                return 202, {
                    "status": "pending_approval",
                    "approval_request": outcome.approval.id,
                    "message": "this device takes its owner beyond their licence; an approver decides",
                }
            result = outcome.enrollment
            assert result is not None
            return 201 if result.created else 200, {
                "status": "enrolled",
                "owner": result.device.owner_email,
                "platform": result.device.platform.value,
                "device_id": result.device.device_id,
                "created": result.created,
                "devices": result.owner_devices,
                "licensed_users": result.owner_licences,
                "licence_added": result.licence_added,
            }

    async def enrollments(request: Request) -> Response:
        if deps.settings.enrollment_api_key is None:
            return error(503, "the enrollment callback is off: set ENROLLMENT_API_KEY on the deskops server")
        if not authorised(request):
            return error(401, "missing or wrong API key: send 'Authorization: Bearer <ENROLLMENT_API_KEY>'")
        body = await request.body()
        if len(body) > MAX_BODY:
            return error(413, f"the request body is larger than {MAX_BODY} bytes")
        try:
            callback = EnrollmentCallback.model_validate(json.loads(body or b"null"))
        except RecursionError:  # JSON nested thousands of levels deep: not a callback
            return error(400, 'the body is nested too deeply: send {"token", "platform", "device_id"}')
        except (ValueError, ValidationError) as problem:
            if isinstance(problem, ValidationError):
                first = problem.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "body"
                return error(400, f"{where}: {first['msg']}", where)
            return error(400, 'the body is not JSON: send {"token", "platform", "device_id"}')
        try:
            status, result = await run_in_threadpool(record, callback)
        except InvitationLinkInvalid as problem:
            status, title, _ = LINK_PAGES[problem.problem]
            message = title.lower().replace("this invitation link", "the token")
            if problem.problem is LinkProblem.USED:
                message += ": a device was enrolled with it; each device needs its own invitation"
            return error(status, message)
        except WrongPlatform as problem:
            return error(409, str(problem), "platform")
        return JSONResponse(result, status_code=status)

    return [
        Route("/enroll/{token}", landing, methods=["GET"]),
        Route("/enroll/{token}/open", open_app, methods=["GET"]),
        Route("/api/enrollments", enrollments, methods=["POST"]),
    ]
