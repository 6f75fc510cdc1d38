"""The top bar shows only what the user may do: for one demo user of every role, every link of the
navigation answers 200 (no link leads to a 403), and 新建代办 shows exactly to those who may open an item."""

import re

from sqlalchemy import func, select

from engine.store.models import RoleAssignment, User


def _one_user_per_role(session) -> dict[str, str]:
    first = (
        select(RoleAssignment.role, func.min(User.username))
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.active.is_(True), ~User.username.contains("2@"))
        .group_by(RoleAssignment.role)
    )
    return dict(session.execute(first).all())


def _nav_links(html: str) -> list[str]:
    bar = re.search(r'<header class="topbar">(.*?)</header>', html, re.S).group(1)
    staff = re.search(r"<nav>(.*?)</nav>", bar, re.S).group(1)
    return re.findall(r'<a href="([^"?#]+)[^"]*"', staff)


def test_every_nav_link_answers_200_for_every_demo_role(session, login):
    people = _one_user_per_role(session)
    assert len(people) >= 10, people  # every role of config/roles.toml has a demo user
    shown_new = {}
    for role, username in sorted(people.items()):
        client = login(username)
        links = _nav_links(client.get("/inbox").get_data(as_text=True))
        assert "/inbox" in links, role
        answers = {link: client.get(link, follow_redirects=True).status_code for link in links}
        refused = {link: code for link, code in answers.items() if code != 200}
        assert not refused, f"{role} {username}: {refused}"
        shown_new[role] = "/cases/new" in links
    assert shown_new["village_agent"] and shown_new["township_reception"]
    assert not shown_new["supervisor"] and not shown_new["analyst"] and not shown_new["discipline_inspector"]
