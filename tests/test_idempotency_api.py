"""Exactly once for the phone's queued writes: a retried POST with the same Idempotency-Key replays the first
answer (same case id) and makes nothing new; the same key with another body is a 422; of concurrent duplicates
one wins and the others replay it or get a 409, never a 5xx; keys are per user; old keys are purged."""

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from engine.kernel.clock import utcnow
from engine.store.device_tables import IdempotencyKey
from engine.store.key_retention import purge_expired
from engine.store.models import Case, Event
from engine.store.workspace_tables import Attachment

AGENT = "village_agent@t1-v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def _case_body(name="钱重试"):
    return {
        "catalog_code": "temporary-aid",
        "resident": {"name": name, "phone": "13800007777", "village": "t1-v1"},
        "summary": "临时救助,手机离线提交",
    }


def _post(client, token, path, key, **kwargs):
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    return client.post(path, headers=headers, **kwargs)


def _count(session, model, **where):
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return session.scalar(query)


def test_a_retried_case_replays_its_first_answer_and_opens_nothing_new(api, client, session):
    token = api.token(AGENT)
    first = _post(client, token, "/api/v1/cases", "phone-case-1", json=_case_body())
    assert first.status_code == 201
    again = _post(client, token, "/api/v1/cases", "phone-case-1", json=_case_body())
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["receipt_code"] == first.get_json()["receipt_code"]
    assert _count(session, Case, resident_name="钱重试") == 1
    assert _count(session, Event, case_id=first.get_json()["id"], type="case_opened") == 1


def test_the_same_key_with_another_body_is_refused_and_changes_nothing(api, client, session):
    token = api.token(AGENT)
    assert _post(client, token, "/api/v1/cases", "phone-case-2", json=_case_body("孙一号")).status_code == 201
    other = _post(client, token, "/api/v1/cases", "phone-case-2", json=_case_body("孙二号"))
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["errors"]
    assert _count(session, Case, resident_name="孙二号") == 0
    # The key of one path used on another is another request too.
    assert _post(client, token, "/api/v1/visits", "phone-case-2", json={"household_id": 1}).status_code == 422


def test_keys_are_per_user(api, client, session):
    mine = _post(client, api.token(AGENT), "/api/v1/cases", "shared-key", json=_case_body("周甲"))
    theirs = _post(client, api.token("village_agent@t1-v2"), "/api/v1/cases", "shared-key", json=_case_body("周甲"))
    # The other agent may not open items in t1-v1: their request is their own, refused on its merits.
    assert mine.status_code == 201 and theirs.status_code == 403
    assert _count(session, Case, resident_name="周甲") == 1


def test_a_bad_key_is_refused(api, client):
    response = _post(client, api.token(AGENT), "/api/v1/cases", "x" * 101, json=_case_body())
    assert response.status_code == 422 and "Idempotency-Key" in response.get_json()["errors"]


def test_concurrent_duplicates_open_one_case_and_no_request_fails_with_5xx(app, api, session):
    token = api.token(AGENT)
    body = _case_body("吴并发")

    def send(_):
        response = _post(app.test_client(), token, "/api/v1/cases", "phone-case-race", json=body)
        return response.status_code, (response.get_json() or {}).get("id")

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(send, range(6)))
    statuses = [s for s, _ in results]
    assert all(s in (201, 409) for s in statuses), statuses
    assert statuses.count(201) >= 1
    assert len({case_id for s, case_id in results if s == 201}) == 1
    session.expire_all()
    assert _count(session, Case, resident_name="吴并发") == 1
    assert _count(session, IdempotencyKey, key="phone-case-race") == 1


def test_a_retried_visit_and_a_retried_photo_are_recorded_once(api, client, session):
    token = api.token(AGENT)
    household = api.call(
        "POST", "/api/v1/households", AGENT, {"village": "t1-v1", "head_name": "郑走访", "phone": "13912340000"}, 201
    )
    visit = {
        "household_id": household["id"],
        "channel": "home_visit",
        "needs": [{"text": "问低保怎么申请", "outcome": "answered", "answer": "已说明所需材料"}],
    }
    first = _post(client, token, "/api/v1/visits", "phone-visit-1", json=visit)
    again = _post(client, token, "/api/v1/visits", "phone-visit-1", json=visit)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]

    case = _post(client, token, "/api/v1/cases", "phone-case-photo", json=_case_body("冯照片")).get_json()
    path = f"/api/v1/cases/{case['id']}/attachments"

    def upload(content=PNG):
        return _post(
            client, token, path, "phone-photo-1", data={"material": "身份证", "file": (_file(content), "id.png")}
        )

    one, two = upload(), upload()
    assert one.status_code == two.status_code == 201
    assert one.get_json()["id"] == two.get_json()["id"]
    assert _count(session, Attachment, case_id=case["id"]) == 1
    assert upload(PNG + b"\x01").status_code == 422  # another photo under the same key

    checklist = api.call("GET", f"/api/v1/cases/{case['id']}", AGENT)
    assert checklist["id"] == case["id"]


def test_a_photo_over_3_mb_is_refused_with_a_clear_message(api, client, session):
    token = api.token(AGENT)
    case = _post(client, token, "/api/v1/cases", "phone-case-big", json=_case_body("陈大图")).get_json()
    big = PNG + b"\x00" * (3 * 1024 * 1024)
    response = _post(
        client,
        token,
        f"/api/v1/cases/{case['id']}/attachments",
        "phone-photo-big",
        data={"material": "身份证", "file": (_file(big), "big.png")},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["file"] == "文件不能超过3MB"
    assert _count(session, Attachment, case_id=case["id"]) == 0
    huge = PNG + b"\x00" * (5 * 1024 * 1024)  # over the whole request's cap: refused before any view
    response = _post(
        client,
        token,
        f"/api/v1/cases/{case['id']}/attachments",
        "phone-photo-huge",
        data={"material": "身份证", "file": (_file(huge), "huge.png")},
    )
    assert response.status_code == 413
    assert response.get_json()["detail"] == "上传文件或表单超过了允许的大小。"


def test_keys_older_than_the_retention_are_purged_and_newer_ones_kept(api, client, session):
    token = api.token(AGENT)
    assert _post(client, token, "/api/v1/cases", "phone-case-old", json=_case_body("褚旧")).status_code == 201
    assert _post(client, token, "/api/v1/cases", "phone-case-new", json=_case_body("褚新")).status_code == 201
    session.expire_all()
    assert purge_expired(session, 7, utcnow() + timedelta(days=6)) == 0  # kept at least 7 days
    old = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == "phone-case-old"))
    assert old is not None
    old.created_at = utcnow() - timedelta(days=8)
    session.commit()
    assert purge_expired(session, 3, utcnow()) >= 1  # asked for 3 days, keeps 7
    assert _count(session, IdempotencyKey, key="phone-case-old") == 0
    assert _count(session, IdempotencyKey, key="phone-case-new") == 1


def _file(content: bytes):
    return io.BytesIO(content)


def test_a_visit_whose_need_opened_an_item_reuses_it_after_a_crash_before_the_visit(api, session, monkeypatch):
    from engine.asking import visits
    from engine.store.models import User

    household = api.call(
        "POST", "/api/v1/households", AGENT, {"village": "t1-v1", "head_name": "蒋崩溃", "phone": "13912341111"}, 201
    )
    body = {
        "household_id": household["id"],
        "needs": [{"text": "申请临时救助(崩溃前)", "outcome": "case", "catalog_code": "temporary-aid"}],
    }
    agent = session.scalar(select(User).where(User.username == AGENT))
    real_execute = visits.execute

    def crash(*args, **kwargs):  # the server dies after the item committed, before the visit did
        raise RuntimeError("worker killed")

    monkeypatch.setattr(visits, "execute", crash)
    try:
        visits.record_visit(session, agent, body, "phone-visit-crash")
    except RuntimeError:
        session.rollback()
    monkeypatch.setattr(visits, "execute", real_execute)
    assert _count(session, Case, summary="申请临时救助(崩溃前)") == 1  # the item exists, the visit does not

    recorded = visits.record_visit(session, agent, body, "phone-visit-crash")  # the phone's retry
    assert not recorded.replayed
    assert _count(session, Case, summary="申请临时救助(崩溃前)") == 1
    case_id = session.scalar(select(Case.id).where(Case.summary == "申请临时救助(崩溃前)"))
    assert [n.case_id for n in recorded.visit.needs] == [case_id]
    again = visits.record_visit(session, agent, body, "phone-visit-crash")
    assert again.replayed and again.visit.id == recorded.visit.id
