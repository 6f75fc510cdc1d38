"""How a completion talks to the database, on SQLite and PostgreSQL: every read first, then the
writes, then exactly one commit (SQLite holds its one writer lock from a transaction's first write to
its commit: engine/store/write_late.py), in a small fixed number of statements."""

from sqlalchemy import event

from bench.driver import sample_data
from engine.cases import commands
from engine.read.shapes import case_dict, task_detail

from .scenario import HOUSE_MATERIALS

RESIDENT = {"name": "赵春梅", "phone": "13900007777", "village": "t1-v1"}
WRITES = ("INSERT", "UPDATE", "DELETE")
# A completion that opens no task: lock the case, read its rows, write the row, the case, its event
# and drop the row's timers (one more when the item's owner acts: re-reading the case re-reads its owner
# and the roles loaded with them). One that opens tasks also reads their units and holders and writes them.
ONLY_CLOSES, OPENS = 7, 14


class Statements:
    def __init__(self, engine):
        self.engine, self.log, self.commits = engine, [], 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, _conn, _cursor, statement, *_args):
        self.log.append(statement.lstrip().split(None, 1)[0].upper() + " " + statement.split(" FROM ")[-1][:60])

    def _commit(self, _conn):
        self.commits += 1

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)


def test_each_completion_reads_first_writes_last_and_commits_once(session, user):
    case = commands.open_case(session, user("village_agent@t1-v1"), "house-building", RESIDENT, "建房", HOUSE_MATERIALS)
    watched = Statements(session.get_bind())
    completions = []
    try:
        for _ in range(30):
            open_tasks = case_dict(session, case)["open_tasks"]
            if not open_tasks:
                break
            actor = user(f"{open_tasks[0]['role']}@{open_tasks[0]['org_unit']}")
            data = sample_data(task_detail(session, actor, open_tasks[0]["id"])["form"])
            assert actor.roles  # read with the user at sign-in (web/auth.py), not during the command
            watched.log, watched.commits = [], 0
            case = commands.complete_task(session, actor, open_tasks[0]["id"], data)
            completions.append((open_tasks[0]["task"], list(watched.log), watched.commits))
    finally:
        watched.close()
    assert case.status == "archived" and len(completions) >= 10
    for task, log, commits in completions:
        assert commits == 1, task
        first_write = next(i for i, kind in enumerate(log) if kind.startswith(WRITES))
        assert all(kind.startswith(WRITES) for kind in log[first_write:]), (
            task,
            [k for k in log[first_write:] if not k.startswith(WRITES)],
        )
        budget = OPENS if _opened(log) else ONLY_CLOSES
        assert len(log) <= budget, f"{task}: {len(log)} statements: {log}"
    assert any(not _opened(log) for _, log, _ in completions)  # both kinds were seen


def _opened(log: list[str]) -> bool:
    """Whether the completion wrote new inbox rows (more INSERTs than its event's)."""
    return sum(kind.startswith("INSERT") for kind in log) > 1
