"""Sessions keep objects after a commit (engine/store/fresh_links.py): a link set by its id must not
keep showing the object loaded before, and a link set together with its id is not reloaded."""

from sqlalchemy import inspect

from engine.org.org import unit_by_code


def test_a_link_set_by_its_id_shows_the_new_object_after_the_commit(session):
    village, other = unit_by_code(session, "t1-v1"), unit_by_code(session, "t2")
    home = village.parent
    assert home is not None and home.code == "t1"
    try:
        village.parent_id = other.id
        session.commit()
        assert village.parent is not None and village.parent.code == "t2"
    finally:
        village.parent_id = home.id
        session.commit()
    assert village.parent.code == "t1"


def test_a_link_set_with_its_object_stays_loaded_and_a_rollback_forgets_the_notes(session):
    village, other = unit_by_code(session, "t1-v1"), unit_by_code(session, "t2")
    home = village.parent
    try:
        village.parent_id, village.parent = other.id, other
        session.commit()
        assert "parent" in inspect(village).dict and village.parent is other  # no reload needed
    finally:
        village.parent_id, village.parent = home.id, home
        session.commit()
    village.parent_id = other.id
    session.flush()
    session.rollback()
    assert session.info.get("daiban_changed_links") is None
    assert village.parent.code == "t1"
