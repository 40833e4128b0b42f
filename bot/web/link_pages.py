"""What an invitation link that no longer enrolls answers: the page's status, title and text
(translated), also the enrollment callback's status and message."""

from __future__ import annotations

from bot.enrollment.devices import LinkProblem
from bot.i18n.catalogs import N_

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
