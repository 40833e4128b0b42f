"""The device-enrollment callback (POST /api/enrollments): Acronis Access reports a device that
enrolled with an invitation's link; deskops records it, or holds it for an approver when it takes
its owner beyond their licence."""

from __future__ import annotations

import hmac
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.deps import Deps
from bot.enrollment.approvals import DeviceOutcome, enroll_or_request_approval
from bot.enrollment.devices import InvitationLinkInvalid, LinkProblem, WrongPlatform
from bot.enrollment.models import Platform
from bot.web.link_pages import LINK_PAGES

MAX_BODY = 4096
DEVICE_ID = re.compile(r"^[\w.:\-]{1,200}$")
USAGE = 'send {"token", "platform", "device_id"}'


class EnrollmentCallback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=10, max_length=200)
    platform: Platform
    device_id: str = Field(min_length=1, max_length=200, pattern=DEVICE_ID.pattern)


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body = {"error": message} | ({"field": field} if field else {})
    return JSONResponse(body, status_code=status)


def _authorised(deps: Deps, request: Request) -> bool:
    """Compared as bytes (Starlette decodes header bytes as Latin-1): any byte an outsider
    sends is a wrong key, never an error."""
    key = deps.settings.enrollment_api_key
    offered = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    offered = offered or request.headers.get("x-api-key", "")
    expected = key.get_secret_value().encode("utf-8") if key is not None else b""
    return bool(expected) and bool(offered) and hmac.compare_digest(offered.encode("latin-1"), expected)


def _parsed(body: bytes) -> EnrollmentCallback | JSONResponse:
    """The callback, or the 400 saying what is wrong with the body."""
    try:
        return EnrollmentCallback.model_validate(json.loads(body or b"null"))
    except RecursionError:  # JSON nested thousands of levels deep: not a callback
        return _error(400, f"the body is nested too deeply: {USAGE}")
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return _error(400, f"{where}: {first['msg']}", where)
    except ValueError:
        return _error(400, f"the body is not JSON: {USAGE}")


def _answer(outcome: DeviceOutcome) -> tuple[int, dict[str, Any]]:
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


def _record(deps: Deps, callback: EnrollmentCallback) -> tuple[int, dict[str, Any]]:
    with deps.db.transaction() as session:
        outcome = enroll_or_request_approval(
            session,
            settings=deps.settings,
            token=callback.token,
            platform=callback.platform,
            device_id=callback.device_id,
            now=deps.clock.now(),
        )
        return _answer(outcome)


def _link_error(problem: InvitationLinkInvalid) -> JSONResponse:
    status, title, _ = LINK_PAGES[problem.problem]
    message = title.lower().replace("this invitation link", "the token")
    if problem.problem is LinkProblem.USED:
        message += ": a device was enrolled with it; each device needs its own invitation"
    return _error(status, message)


def callback_routes(deps: Deps) -> list[BaseRoute]:
    async def enrollments(request: Request) -> Response:
        if deps.settings.enrollment_api_key is None:
            return _error(503, "the enrollment callback is off: set ENROLLMENT_API_KEY on the deskops server")
        if not _authorised(deps, request):
            return _error(401, "missing or wrong API key: send 'Authorization: Bearer <ENROLLMENT_API_KEY>'")
        body = await request.body()
        if len(body) > MAX_BODY:
            return _error(413, f"the request body is larger than {MAX_BODY} bytes")
        callback = _parsed(body)
        if isinstance(callback, JSONResponse):
            return callback
        try:
            status, result = await run_in_threadpool(_record, deps, callback)
        except InvitationLinkInvalid as problem:
            return _link_error(problem)
        except WrongPlatform as problem:
            return _error(409, str(problem), "platform")
        return JSONResponse(result, status_code=status)

    return [Route("/api/enrollments", enrollments, methods=["POST"])]
