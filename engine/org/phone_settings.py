"""A staff member's text alerts: their mobile number and which notification kinds also go to it (the rest
stay in the app). Until they choose, PHONE_DEFAULT_KINDS (urged, overdue, returned) go to the phone once a
number is set. The outbox writes the texts (engine/store/staff_texts.py)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

from ..kernel.errors import Invalid
from ..kernel.i18n import N_
from ..kernel.vocabulary import PHONE_DEFAULT_KINDS, EventType, NotificationKind
from ..store import unit_of_work
from ..store.models import User
from ..store.staff_texts import phone_kinds

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # a mainland mobile number, the only kind the gateway texts
KINDS = tuple(k.value for k in NotificationKind)


def phone_settings(user: User) -> dict:
    return {
        "phone": user.phone,
        "kinds": sorted(phone_kinds(user)),
        "chosen": user.phone_kinds is not None,
        "defaults": sorted(PHONE_DEFAULT_KINDS),
        "choices": list(KINDS),
    }


def _clean(phone, kinds) -> tuple[str | None, list[str]]:
    errors = {}
    number = phone.replace(" ", "").replace("-", "") or None if isinstance(phone, str) else None
    if (phone is not None and not isinstance(phone, str)) or (number is not None and not MOBILE.match(number)):
        errors["phone"] = N_("a mobile number of 11 digits, or empty")
    if not isinstance(kinds, list) or not all(isinstance(k, str) and k in KINDS for k in kinds):
        errors["kinds"] = N_("a list of notification kinds")
    if errors:
        raise Invalid(N_("the text alert settings are not valid"), errors)
    return number, sorted(set(kinds))


def set_phone_settings(session: Session, actor: User, phone, kinds, now: datetime | None = None) -> User:
    """Change the caller's own number and kinds; a change that changes nothing records nothing."""
    number, chosen = _clean(phone, kinds)

    def act(work: unit_of_work.Work) -> User:
        user = work.session.get(User, actor.id)
        assert user is not None
        if user.phone == number and user.phone_kinds is not None and sorted(user.phone_kinds) == chosen:
            return user
        user.phone, user.phone_kinds = number, chosen
        # The event names the kinds and whether a number is set, never the number itself.
        work.event(EventType.PHONE_SETTINGS_CHANGED, None, kinds=chosen, phone_set=number is not None)
        return user

    return unit_of_work.execute(session, actor, act, now)
