"""One inbox for all work (engine/oversight/worklist): a catalog proposal waits in the leader's 待办, a
complaint in the township discipline inspector's, call-backs and a review in oversight's, with the same tabs,
counts, filters and pages as the steps of items, in the API and on the inbox page; the overseers' overdue
tab fills once the timer worker has run."""

from datetime import date

from sqlalchemy import select

from engine.cases.catalog_admin import propose_item
from engine.oversight.callbacks import close_record, draw_callbacks, record_callback
from engine.oversight.worklist import SOURCES, counts, work_page
from engine.read.inbox import Filters
from engine.read.portal import file_complaint
from engine.store.models import OrgUnit, RoleAssignment
from engine.store.oversight_tables import Complaint

from .isolated_db import app, demo_db, own_database_url  # noqa: F401
from .oversight_data import add_case, make_township
from .scenario import Item, at

NEW_ITEM = {
    "code": "inbox-item",
    "name": "农机年检代办",
    "category": "other",
    "kind": "promised",
    "level": "county",
    "departments": ["agriculture_rural"],
    "time_limit_days": 10,
    "materials": ["身份证"],
    "fee": 0,
}


def _inbox(api, username, scope="available", query=""):
    return api.call("GET", f"/api/v1/tasks?scope={scope}&per_page=100{query}", username)


def _of(answer, kind):
    return [e for e in answer["items"] if e["kind"] == kind]


def test_the_leader_finds_the_proposal_in_the_inbox_and_decides_it_from_there(session, user, api, login):
    proposal = propose_item(session, user("admin"), NEW_ITEM)
    session.commit()
    answer = _inbox(api, "leader@qx")
    [entry] = [e for e in _of(answer, "catalog_approval") if e["proposal_id"] == proposal.id]
    assert entry["id"] == f"catalog_approval-{proposal.id}" and entry["code"] == "inbox-item"
    assert entry["item"] == "农机年检代办" and entry["href"] == f"/admin/catalog/proposals/{proposal.id}"
    assert entry["case_id"] is None and entry["due_at"] is None and entry["due_state"] == "normal"
    assert answer["counts"]["available"] == answer["total"] >= 1
    # Nobody claims a proposal; a filter by place or item category leaves it out; the proposer has nothing.
    assert not _of(_inbox(api, "leader@qx", "mine"), "catalog_approval")
    assert not _of(_inbox(api, "leader@qx", query="&township=t1"), "catalog_approval")
    assert not _of(_inbox(api, "admin"), "catalog_approval")
    assert not _of(_inbox(api, "village_agent@t1-v1"), "catalog_approval")

    leader = login("leader@qx")
    page = leader.get("/inbox?scope=available").get_data(as_text=True)
    assert 'data-kind="catalog_approval"' in page and entry["href"] in page
    assert leader.get(entry["href"]).status_code == 200
    api.call(
        "POST",
        f"/api/v1/admin/catalog/proposals/{proposal.id}/decide",
        "leader@qx",
        {"decision": "approve", "opinion": "同意"},
    )
    assert not [e for e in _of(_inbox(api, "leader@qx"), "catalog_approval") if e["proposal_id"] == proposal.id]
    done = _of(_inbox(api, "leader@qx", "done"), "catalog_approval")
    assert proposal.id in [e["proposal_id"] for e in done]


def test_a_complaint_waits_for_its_townships_inspector_until_closed(session, user, api, login):
    complaint = file_complaint(session, "t1", "代办员态度不好")
    session.commit()
    entry = next(e for e in _of(_inbox(api, "discipline_inspector@t1"), "complaint") if e["record_id"] == complaint.id)
    assert entry["href"] == f"/supervision/complaints/{complaint.id}" and entry["org_unit"] == "t1"
    assert entry["role"] == "discipline_inspector"
    assert not _of(_inbox(api, "discipline_inspector@t2"), "complaint")
    assert not _of(_inbox(api, "discipline_inspector@t1", query="&township=t2"), "complaint")
    assert _of(_inbox(api, "discipline_inspector@t1", query="&township=t1"), "complaint")
    assert login("discipline_inspector@t1").get(entry["href"]).status_code == 200

    close_record(session, user("discipline_inspector@t1"), Complaint, complaint.id, "已约谈代办员")
    session.commit()
    assert complaint.id not in [e["record_id"] for e in _of(_inbox(api, "discipline_inspector@t1"), "complaint")]
    done = _inbox(api, "discipline_inspector@t1", "done")
    assert complaint.id in [e["record_id"] for e in _of(done, "complaint")]


def test_call_backs_and_the_review_a_dissatisfied_one_opens_wait_for_oversight(session, user, api):
    town = make_township(session, villages=1)
    for n in range(2):
        add_case(session, town, 1, "a1", "temporary-aid", "2026-11-02 10:00", "2026-11-20 17:30", f"2026-11-1{n} 10:00")
    inspector = town.users["inspector"]
    drawn = draw_callbacks(session, inspector, None, date(2026, 11, 1), seed=3, share=1.0)
    session.commit()
    listed = _inbox(api, inspector.username)
    assert sorted(e["record_id"] for e in _of(listed, "callback")) == sorted(d.id for d in drawn)
    assert {d.id for d in drawn} <= {e["record_id"] for e in _of(_inbox(api, "supervisor@qx"), "callback")}
    assert not _of(_inbox(api, "discipline_inspector@t1"), "callback")  # another township's

    record_callback(session, inspector, drawn[0].id, "dissatisfied", "材料反复提交")
    session.commit()
    listed = _inbox(api, inspector.username)
    assert [e["record_id"] for e in _of(listed, "callback")] == [drawn[1].id]
    [review] = _of(listed, "review")
    assert review["case_id"] == drawn[0].case_id and review["href"] == "/supervision/reviews?status=open"
    assert drawn[0].id in [e["record_id"] for e in _of(_inbox(api, inspector.username, "done"), "callback")]


def test_the_overseers_overdue_tab_fills_after_the_timer_worker_ran(app, session, user, api):  # noqa: F811
    """The report of issue 17: the supervisor's and the discipline committee's overdue inbox stayed empty after
    the worker had made tasks overdue. The real worker command, then the inbox as each of them opens it."""
    item = Item(session, user, "temporary-aid", "village_agent@t3-v1", "t3-v1", at(1, 5))
    session.commit()
    result = app.test_cli_runner().invoke(args=["daiban", "worker", "--once", "--limit", "1000"])
    assert result.exit_code == 0
    session.expire_all()
    late = item.open_rows()[0]
    assert late.due_state == "overdue"
    for overseer in ("supervisor@qx", "discipline_inspector@t3"):
        answer = api.call("GET", "/api/v1/tasks?scope=overdue", overseer)  # the default page, as a person opens it
        assert late.id in [e["id"] for e in answer["items"]], overseer
        assert answer["counts"]["overdue"] == answer["total"] >= 1
        entry = next(e for e in answer["items"] if e["id"] == late.id)
        assert entry["kind"] == "task" and entry["href"] == f"/tasks/{late.id}" and entry["due_state"] == "overdue"
    assert late.id not in [e["id"] for e in _inbox(api, "discipline_inspector@t1", "overdue")["items"]]


def test_pages_walk_every_source_once_and_counts_match(session, user):
    propose_item(session, user("admin"), {**NEW_ITEM, "code": "inbox-item-2"})
    file_complaint(session, "t2", "投诉二")
    session.commit()
    for username in ("supervisor@qx", "leader@qx", "discipline_inspector@t2", "village_agent@t3-v1"):
        person = user(username)
        counted = counts(session, person)
        for scope, total in counted.items():
            seen = []
            for number in range(1, total + 2):
                page = work_page(session, person, scope, Filters(), number, 3)
                assert page.total == total
                seen += [(w.kind, w.id) for w in page.items]
            assert len(seen) == len(set(seen)) == total, (username, scope)
            dues = [w.due_at for w in work_page(session, person, scope, Filters(), 1, 100).items]
            if scope != "done":  # soonest due first, work without a deadline last
                known = [d for d in dues if d is not None]
                assert known == sorted(known) and dues[: len(known)] == known


def test_latest_due_first_lists_the_same_work_with_no_deadline_last(session, user):
    """sort=-due: the same entries as the default order, latest deadline first and work without one last
    (each source read latest first off its index, the work without a deadline after)."""
    for username in ("supervisor@qx", "leader@qx", "discipline_inspector@t2", "village_agent@t3-v1"):
        person = user(username)
        for scope in ("available", "mine", "due_soon", "overdue"):
            soonest = work_page(session, person, scope, Filters(), 1, 100).items
            latest = work_page(session, person, scope, Filters(sort="-due"), 1, 100).items
            assert sorted((w.kind, w.id) for w in latest) == sorted((w.kind, w.id) for w in soonest)
            dues = [w.due_at for w in latest]
            known = [d for d in dues if d is not None]
            assert known == sorted(known, reverse=True) and dues[: len(known)] == known, (username, scope)
            walked = [
                (w.kind, w.id)
                for number in range(1, len(latest) // 2 + 2)
                for w in work_page(session, person, scope, Filters(sort="-due"), number, 2).items
            ]
            assert walked == [(w.kind, w.id) for w in latest], (username, scope)


def test_someone_with_two_places_sees_the_work_of_both_in_one_order(session, user):
    """A person holding a role at two units (or two roles): their "open to my unit" is both places' work,
    soonest due first and paged, as one list (the tasks source reads each place off its index)."""
    for i in range(2):
        Item(session, user, "temporary-aid", "village_agent@t1-v3", "t1-v3", at(3, 1 + i))
        Item(session, user, "temporary-aid", "village_agent@t2-v3", "t2-v3", at(3, 3 + i))
    session.commit()
    first, second = user("village_agent@t1-v3"), user("village_agent@t2-v3")
    both = {
        (w.kind, w.id) for p in (first, second) for w in work_page(session, p, "available", Filters(), 1, 100).items
    }
    assert len(both) >= 4
    village = session.scalar(select(OrgUnit).where(OrgUnit.code == "t2-v3"))
    session.add(RoleAssignment(user_id=first.id, role="village_agent", org_unit_id=village.id))
    session.commit()
    session.expire(first)
    listed = work_page(session, first, "available", Filters(), 1, 100).items
    assert {(w.kind, w.id) for w in listed} >= both and counts(session, first)["available"] == len(listed)
    dues = [w.due_at for w in listed]
    known = [d for d in dues if d is not None]
    assert known == sorted(known) and dues[: len(known)] == known
    walked = [
        (w.kind, w.id)
        for number in range(1, len(listed) // 3 + 2)
        for w in work_page(session, first, "available", Filters(), number, 3).items
    ]
    assert walked == [(w.kind, w.id) for w in listed]


def test_counts_stop_at_the_cap_and_capped_pages_still_walk_everything(session, user, login, monkeypatch):
    """At a county's size a tab's count stops at COUNT_CAP (1000): more is COUNT_CAP + 1, the page shows
    "1000+", and the pages still list every entry once, in order. Here the cap is 2."""
    import engine.oversight.worklist as worklist
    import engine.store.paging as paging
    import web.filters

    items = [Item(session, user, "temporary-aid", "village_agent@t2-v2", "t2-v2", at(2, 1 + i)) for i in range(4)]
    session.commit()
    row = items[0].open_rows()[0]
    assert row.assignee_id is None
    username = f"{row.role}@{row.org_unit.code}"
    person = user(username)
    full = [(w.kind, w.id) for w in work_page(session, person, "available", Filters(), 1, 100).items]
    assert len(full) >= 4
    for module in (worklist, paging, web.filters):
        monkeypatch.setattr(module, "COUNT_CAP", 2)
    assert counts(session, person)["available"] == 3  # "more than 2"
    seen, number = [], 1
    while True:
        page = work_page(session, person, "available", Filters(), number, 2)
        if not page.items:
            break
        # The total counts as far as the cap or this page's end; past it, one more says "there is more",
        # so "next" is offered while there is more.
        reach = max(2, number * 2)
        assert page.capped == (len(full) > reach)
        assert page.total == (reach + 1 if page.capped else len(full))
        seen += [(w.kind, w.id) for w in page.items]
        number += 1
    assert seen == full
    html = login(username).get("/inbox?scope=available&per_page=2").get_data(as_text=True)
    assert '<span class="count">2+</span>' in html and "2+" in html


def test_every_source_is_registered_once():
    kinds = [s.kind for s in SOURCES]
    assert len(kinds) == len(set(kinds)) and kinds[0] == "task"
    assert {"catalog_approval", "complaint", "review", "callback", "inquiry", "visit"} <= set(kinds)


def test_every_href_in_every_overseers_and_workers_inbox_answers(session, user, login):
    """The link of each entry opens a page its person may see (the work made by the tests above is listed)."""
    people = ("leader@qx", "supervisor@qx", "discipline_inspector@t2", "discipline_inspector@t3", "village_agent@t3-v1")
    opened = set()
    for username in people:
        client = login(username)
        for scope in ("available", "mine", "overdue", "done"):
            for item in work_page(session, user(username), scope, Filters(), 1, 100).items:
                if (username, item.href) in opened:
                    continue
                opened.add((username, item.href))
                status = client.get(item.href, follow_redirects=True).status_code
                assert status == 200, (username, scope, item.kind, item.href, status)
    assert {kind for kind in (h.split("/")[1] for _, h in opened)} >= {"tasks", "admin", "supervision"}
