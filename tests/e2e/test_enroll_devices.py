"""One invitation, one device, end to end over the Slack emulator and HTTP: Devices per person,
links spent by their device (410) and bound to their platform, Invite another device, QR codes
that decode to the exact link, the basic enrollment URL, and licence figures for 1, 3, 4 devices."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from bot.enrollment.models import Device, Invitation, InvitationState
from console import Ephemeral, SlackEmulator
from tests.e2e.backup_flows import read_eml
from tests.e2e.enroll_flows import add_result, landing_links, open_invite, search
from tests.support.app import ENROLLMENT_API_KEY, RunningApp, run_app
from tests.support.slack import HELPDESK_CHANNEL, HELPDESK_USER, seed_helpdesk

pytestmark = pytest.mark.backup_provider("local")
CALLBACK = {"Authorization": f"Bearer {ENROLLMENT_API_KEY}"}
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile Safari/537.36"
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def decode_qr(png: bytes) -> str:
    """What a phone's camera reads from the image (zxing-cpp)."""
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    return str(code.text)


def invite_john(app: RunningApp, emu: SlackEmulator, *, devices: int, platform: str) -> str:
    """Helen invites John Doe for `devices` devices; returns the modal's forecast line."""
    view = open_invite(emu.person(HELPDESK_USER))
    search(view, "Jo")
    add_result(view, "John Doe")
    view.choose("platform", platform)
    view.wait_for_update()
    if devices != 1:
        view.fill("devices", str(devices))
        view.wait_for_update()
    forecast = next(line for line in view.all_text().splitlines() if "invitation" in line and "each" in line)
    assert view.submit().closed
    app.wait_for_outbox()
    return forecast


def mails_to(app: RunningApp, address: str) -> list[EmailMessage]:
    return [m for m in (read_eml(p) for p in app.eml_files()) if m["To"] == address]


def enroll(app: RunningApp, link: str, platform: str, device: str) -> tuple[int, dict[str, object]]:
    with app.http() as http:
        answer = http.post(
            "/api/enrollments",
            json={"token": link.rsplit("/", 1)[1], "platform": platform, "device_id": device},
            headers=CALLBACK,
        )
    return answer.status_code, answer.json()


def status_message(emu: SlackEmulator, email: str = "") -> Ephemeral:
    """The answer to a new `/enroll status [email]`."""

    def answers() -> list[Ephemeral]:
        return [e for e in emu.ephemerals(user=HELPDESK_USER) if "Enrollment status" in e.all_text()]

    seen = len(answers())
    emu.person(HELPDESK_USER).slash("/enroll", f"status {email}".strip(), channel=HELPDESK_CHANNEL)
    return emu.wait_until(lambda: answers()[seen:])[-1]


def status_text(emu: SlackEmulator, email: str = "") -> str:
    return status_message(emu, email).all_text()


def database_counts(app: RunningApp) -> tuple[int, int]:
    with app.deps.db.read() as session:
        devices = session.scalar(select(func.count()).select_from(Device))
        enrolled = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.state == InvitationState.ENROLLED)
        )
        return int(devices or 0), int(enrolled or 0)


def test_two_devices_per_person_two_emails_each_link_one_device(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    invite_john(deskops, slack_emulator, devices=2, platform="ios")
    mails = mails_to(deskops, "john.doe@example.com")
    assert len(mails) == 2 and all(str(m["Subject"]).endswith("your iOS device") for m in mails)
    first, second = (landing_links(m)[0] for m in mails)
    assert first != second

    assert enroll(deskops, first, "ios", "iphone-1")[0] == 201
    # The same link again, by another device: refused with 410, and nothing changes.
    before = database_counts(deskops), status_text(slack_emulator, "john.doe@example.com")
    status, answer = enroll(deskops, first, "ios", "ipad-1")
    assert status == 410 and "already used" in str(answer["error"])
    with deskops.http() as http:
        page = http.get(first)
    assert page.status_code == 410 and "This invitation was already used" in page.text
    assert "ask your helpdesk for a new invitation" in page.text
    assert (database_counts(deskops), status_text(slack_emulator, "john.doe@example.com")) == before
    # An Android device on an iOS-only link is refused; the link still enrolls an iPhone.
    status, answer = enroll(deskops, second, "android", "pixel-1")
    assert status == 409 and answer["field"] == "platform" and "for iOS devices" in str(answer["error"])
    assert database_counts(deskops) == (1, 1)
    status, answer = enroll(deskops, second, "ios", "ipad-1")
    assert (status, answer["devices"], answer["licensed_users"]) == (201, 2, 1)
    assert "2 devices enrolled · 0 invitations open · 1 licence used" in status_text(
        slack_emulator, "john.doe@example.com"
    )


def test_the_landing_page_opens_and_the_callback_checks_its_caller(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    invite_john(deskops, slack_emulator, devices=1, platform="ios")
    [mail] = mails_to(deskops, "john.doe@example.com")
    [link] = set(landing_links(mail))
    token = link.rsplit("/", 1)[1]
    with deskops.http() as http:
        page = http.get(link)
        assert page.status_code == 200 and "acronisaccess://enroll?server=access.msp.example" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        # The QR code is inline (data:): the page's policy lets it show.
        assert re.search(r"img-src [^;]*\bdata:", page.headers["content-security-policy"])
        unauthorised = http.post(
            "/api/enrollments", json={"token": token, "platform": "ios", "device_id": "x"}
        )
        bad = http.post(
            "/api/enrollments",
            json={"token": token, "platform": "windows", "device_id": "x"},
            headers=CALLBACK,
        )
    assert unauthorised.status_code == 401
    assert bad.status_code == 400 and bad.json()["field"] == "platform"
    with deskops.deps.db.read() as session:
        assert session.scalar(select(Invitation.state)) is InvitationState.OPENED
    assert enroll(deskops, link, "ios", "iphone-1") == (
        201,
        {
            "status": "enrolled",
            "owner": "john.doe@example.com",
            "platform": "ios",
            "device_id": "iphone-1",
            "created": True,
            "devices": 1,
            "licensed_users": 1,
            "licence_added": True,
        },
    )
    # The device it enrolled, reported again (a retried callback), is answered as known.
    status, again = enroll(deskops, link, "ios", "iphone-1")
    assert (status, again["created"], again["devices"]) == (200, False, 1)


def test_both_is_one_email_with_both_store_links_and_either_device(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    invite_john(deskops, slack_emulator, devices=1, platform="both")
    [mail] = mails_to(deskops, "john.doe@example.com")
    settings = deskops.deps.settings
    text = str(mail.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert settings.ios_app_url in text and settings.android_app_url in text
    [link] = set(landing_links(mail))
    with deskops.http() as http:
        page = http.get(link)
    for store in (settings.ios_app_url, settings.android_app_url):
        assert f'href="{store.replace("&", "&amp;")}"' in page.text
    assert enroll(deskops, link, "android", "pixel-1")[0] == 201
    assert enroll(deskops, link, "ios", "iphone-1")[0] == 410


def test_qr_codes_in_the_email_and_on_the_landing_page_decode_to_the_link(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    invite_john(deskops, slack_emulator, devices=1, platform="android")
    [mail] = mails_to(deskops, "john.doe@example.com")
    [link] = set(landing_links(mail))
    html = mail.get_body(preferencelist=("related", "html"))
    assert html is not None and html.get_content_type() == "multipart/related"
    markup = str(mail.get_body(preferencelist=("html",)).get_content())  # type: ignore[union-attr]
    # No remote content: the HTML's only image is the inline one it names by Content-ID.
    [cid] = re.findall(r'<img[^>]+src="cid:([^"]+)"', markup)
    assert not re.findall(r'<img[^>]+src="https?:', markup)
    [image] = [part for part in mail.walk() if part["Content-ID"] == f"<{cid}>"]
    assert image.get_content_type() == "image/png"
    assert decode_qr(image.get_content()) == link
    with deskops.http() as http:
        page = http.get(link)
    [encoded] = DATA_URI.findall(page.text)
    assert decode_qr(base64.b64decode(encoded)) == link


def test_invite_another_device_from_status_sends_one_more_once(
    deskops: RunningApp, slack_emulator: SlackEmulator
) -> None:
    invite_john(deskops, slack_emulator, devices=1, platform="both")
    [first] = mails_to(deskops, "john.doe@example.com")
    assert enroll(deskops, landing_links(first)[0], "ios", "iphone-1")[0] == 201
    helen = slack_emulator.person(HELPDESK_USER)
    helen.slash("/enroll", "status john.doe@example.com", channel=HELPDESK_CHANNEL)
    status = slack_emulator.wait_until(
        lambda: [
            e for e in slack_emulator.ephemerals(user=HELPDESK_USER) if "Enrollment status" in e.all_text()
        ]
    )[-1]
    assert "1 device enrolled · 0 invitations open · 1 licence used" in status.all_text()
    helen.click(status, "enroll.invitation.another_device")
    helen.click(status, "enroll.invitation.another_device")  # a double click sends one
    deskops.wait_for_outbox()
    mails = mails_to(deskops, "john.doe@example.com")
    assert len(mails) == 2
    [second] = [m for m in mails if m["Message-ID"] != first["Message-ID"]]
    assert "iOS / Android" in str(second["Subject"])
    [link] = set(landing_links(second))
    assert enroll(deskops, link, "android", "pixel-1")[0] == 201
    assert "2 devices enrolled · 0 invitations open · 1 licence used" in status_text(
        slack_emulator, "john.doe@example.com"
    )


@pytest.mark.parametrize(("devices", "licences"), [(1, 1), (3, 1), (4, 2)])
def test_licence_forecast_and_status_for_1_3_and_4_devices(
    deskops: RunningApp, slack_emulator: SlackEmulator, devices: int, licences: int
) -> None:
    """The Access Server's rule: up to 3 devices per licensed user; the 4th is a new one."""
    forecast = invite_john(deskops, slack_emulator, devices=devices, platform="ios")
    plural = "licensed user" if licences == 1 else "licensed users"
    assert f"1 person, {devices} device{'s' if devices > 1 else ''} each = {devices} invitation" in forecast
    assert f"up to {licences} more {plural} if all enroll" in forecast
    card = slack_emulator.channel(HELPDESK_CHANNEL).last_message().all_text()
    assert f"up to {licences} more {plural}" in card
    links = [landing_links(m)[0] for m in mails_to(deskops, "john.doe@example.com")]
    assert len(links) == devices
    opened = status_text(slack_emulator)
    assert (
        f"0 devices enrolled · {devices} invitation{'s' if devices > 1 else ''} open · 0 licences used"
        in opened
    )
    for number, link in enumerate(links):
        assert enroll(deskops, link, "ios", f"iphone-{number}")[0] == 201
    figures = status_text(slack_emulator, "john.doe@example.com")
    device_word = "device" if devices == 1 else "devices"
    licence_word = "licence" if licences == 1 else "licences"
    assert (
        f"{devices} {device_word} enrolled · 0 invitations open · {licences} {licence_word} used" in figures
    )


@pytest.fixture
def https_app(slack_emulator: SlackEmulator, database_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    seed_helpdesk(slack_emulator)
    with run_app(slack_emulator, database_url, tmp_path, public_url="https://deskops.example.com") as app:
        yield app


def test_enroll_url_answers_the_https_url_and_its_qr_code(
    https_app: RunningApp, slack_emulator: SlackEmulator
) -> None:
    slack_emulator.person(HELPDESK_USER).slash("/enroll", "url", channel=HELPDESK_CHANNEL)
    answer = slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user=HELPDESK_USER))[-1]
    assert "<https://deskops.example.com/enroll>" in str(answer.blocks)
    [image] = [b for b in answer.blocks if b["type"] == "image"]
    assert image["image_url"] == "https://deskops.example.com/enroll/qr.png"
    assert "not an https address" not in answer.all_text()
    with https_app.http() as http:
        png = http.get("/enroll/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert decode_qr(png.content) == "https://deskops.example.com/enroll"


def test_the_basic_url_starts_enrollment_on_a_phone_and_shows_the_qr_code_on_a_computer(
    https_app: RunningApp,
) -> None:
    deep_link = "acronisaccess://enroll?server=access.msp.example"
    settings = https_app.deps.settings
    with https_app.http() as http:
        iphone = http.get("/enroll", headers={"User-Agent": IPHONE})
        android = http.get("/enroll", headers={"User-Agent": ANDROID})
        desktop = http.get("/enroll", headers={"User-Agent": DESKTOP})
        nobody = http.get("/enroll", headers={"User-Agent": ""})
    for page, store, other in ((iphone, settings.ios_app_url, settings.android_app_url),
                               (android, settings.android_app_url, settings.ios_app_url)):  # fmt: skip
        assert page.status_code == 200
        assert f'http-equiv="refresh" content="0; url={deep_link}"' in page.text
        assert f'href="{deep_link}"' in page.text
        assert store.replace("&", "&amp;") in page.text and other.replace("&", "&amp;") not in page.text
        assert "/enroll/qr.png" not in page.text
    for page in (desktop, nobody):
        assert page.status_code == 200 and 'href="/enroll/qr.png"' in page.text
        [shown] = DATA_URI.findall(page.text)  # the QR code on the page, to scan with the phone
        assert decode_qr(base64.b64decode(shown)) == "https://deskops.example.com/enroll"
        assert "https://deskops.example.com/enroll" in page.text and "refresh" not in page.text
    assert iphone.headers["vary"] == "User-Agent, Accept-Language"


def test_without_enrollment_server_the_url_shows_and_the_form_opens_but_send_waits(
    slack_emulator: SlackEmulator, database_url: str, tmp_path: Path
) -> None:
    """ENROLLMENT_SERVER's default is unset: `/enroll url` still shows the URL and its QR code, and
    `/enroll invite` opens the form (saying what is missing), whose Send is refused under a field,
    the list kept, until the server's name is set."""
    seed_helpdesk(slack_emulator)
    with run_app(slack_emulator, database_url, tmp_path, enrollment_server=None) as app:
        helen = slack_emulator.person(HELPDESK_USER)
        helen.slash("/enroll", "url", channel=HELPDESK_CHANNEL)
        answer = slack_emulator.wait_until(lambda: slack_emulator.ephemerals(user=HELPDESK_USER))[-1]
        assert f"<{app.settings.public_url}/enroll>" in str(answer.blocks)
        assert [b["image_url"] for b in answer.blocks if b["type"] == "image"] == [
            f"{app.settings.public_url}/enroll/qr.png"
        ]
        assert "ENROLLMENT_SERVER" in answer.all_text()
        view = open_invite(helen)
        assert "ENROLLMENT_SERVER" in view.all_text()
        search(view, "Jo")
        add_result(view, "John Doe")
        refused = view.submit()
        assert refused.errors is not None and "ENROLLMENT_SERVER" in " ".join(refused.errors.values())
        assert not refused.closed
        with app.deps.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Invitation)) == 0
