"""Which items a window batch holds follows from their tasks, like every fact of a case.

A batch carries results back to a township; the township agent's receipt completes
each item's hand-over step. If that step is completed (or the item moved back)
another way, for instance by the window itself, the item leaves the batch: a batch
never waits for a task that is no longer open. A batch whose items all left is
cancelled; one whose remaining items were all received is received.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..kernel.vocabulary import BatchStatus
from ..store.db import table_of
from ..store.models import Case, TaskRow
from ..store.workspace_tables import Batch, BatchItem
from ..store.write_late import write_late

SCHEDULED, RECEIVED, CANCELLED = BatchStatus.SCHEDULED, BatchStatus.RECEIVED, BatchStatus.CANCELLED
# The steps whose results the window batches back to a township (engine/cases/window.py).
OUTGOING_STEPS = ("return_to_township",)


def settle_batches(session: Session, case: Case, left: list[TaskRow]) -> None:
    """Drop this case's unreceived batch items whose task left the inbox; close batches left done.
    `left`: the rows that left the inbox in this command; only an outgoing step's can be batched."""
    outgoing = [row.id for row in left if row.spec_name in OUTGOING_STEPS]
    if case.id is None or not outgoing:
        return  # a new case is in no batch, and only results going back to a township are
    with session.no_autoflush:  # reads only: the rows' new states are the command's, still unwritten
        # The items themselves, not their columns: one received in this very command says so in memory.
        found = session.scalars(
            select(BatchItem)
            .join(Batch, Batch.id == BatchItem.batch_id)
            .where(BatchItem.case_id == case.id, BatchItem.task_id.in_(outgoing), Batch.status == SCHEDULED)
        ).all()
        gone = [item for item in found if item.received_at is None]
        if not gone:
            return
        gone_ids = [item.id for item in gone]
        for batch_id in {item.batch_id for item in gone}:
            batch = session.get(Batch, batch_id)
            assert batch is not None  # it holds the items just read
            if batch not in session.dirty:
                session.refresh(batch)  # what other commands did to it since this session read it
            remaining = list(
                session.scalars(select(BatchItem).where(BatchItem.batch_id == batch_id, BatchItem.id.not_in(gone_ids)))
            )
            if not remaining:
                batch.status = CANCELLED
            elif all(item.received_at is not None for item in remaining):
                batch.status = RECEIVED
                batch.received_at = max(item.received_at for item in remaining if item.received_at is not None)
    write_late(session, delete(table_of(BatchItem)).where(BatchItem.id.in_(gone_ids)))
