"""The basic enrollment URL (`<PUBLIC_URL>/enroll`): tapped on a phone or tablet it starts
enrollment in Acronis Access with the server filled in (store links when the app is missing);
opened on a computer it shows the QR code to scan with the device. `/enroll/qr.png` is that code."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.deps import Deps
from bot.enrollment.links import EnrollmentLinks
from bot.enrollment.models import Platform, PlatformChoice
from bot.qr import qr_data_uri, qr_png
from bot.web.pages import browser_language
from bot.web.rendering import Pages

# What the phone's browser says it is. iPadOS may present itself as a Mac: it gets the computer
# page, whose QR code and "on this device" link both work there.
_IOS = re.compile(r"iPhone|iPad|iPod", re.IGNORECASE)
_ANDROID = re.compile(r"Android", re.IGNORECASE)
MAX_USER_AGENT = 1000


def device_platform(user_agent: str) -> Platform | None:
    """The mobile platform of a browser's User-Agent, or None for a computer (or anything else)."""
    agent = user_agent[:MAX_USER_AGENT]
    if _ANDROID.search(agent):
        return Platform.ANDROID
    if _IOS.search(agent):
        return Platform.IOS
    return None


def basic_enrollment_routes(deps: Deps, pages: Pages) -> list[BaseRoute]:
    links = EnrollmentLinks.from_settings(deps.settings)

    async def basic_page(request: Request) -> Response:
        platform = device_platform(request.headers.get("user-agent", ""))
        deep_link = links.deep_link(None)
        page = {
            "url": links.basic_url,
            "server": links.server,
            "deep_link": deep_link,
            "platform": platform.label if platform else None,
            "store_links": links.store_links(
                PlatformChoice(platform.value) if platform else PlatformChoice.BOTH
            ),
            # Inline, so the page shows it in one request; it links to /enroll/qr.png to save it.
            "qr": None if platform else qr_data_uri(links.basic_url),
        }
        template = "enroll_basic.html" if platform else "enroll_scan.html"
        response = pages.render(template, browser_language(request, pages), page=page)
        # Every answer depends on the User-Agent (and the language asked for): caches keep them apart.
        response.headers["Vary"] = "User-Agent, Accept-Language"
        return response

    async def qr_image(request: Request) -> Response:
        return Response(
            qr_png(links.basic_url),
            media_type="image/png",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # Before /enroll/{token}, which would otherwise take "qr.png" for a token.
    return [
        Route("/enroll", basic_page, methods=["GET"]),
        Route("/enroll/qr.png", qr_image, methods=["GET"]),
    ]
