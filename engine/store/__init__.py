"""The tables, sessions and the unit of work every state change runs in (unit_of_work.py); the
working-day calendar the county edits; paging."""

# Every table joins the metadata when the store is imported, whichever module asked first.
from . import (  # noqa: F401
    admin_tables,
    asking_tables,
    audit,
    device_tables,
    fresh_links,  # sessions keep objects after commit: links set by id are reloaded
    models,
    notice_tables,
    oversight_tables,
    throttle,
    timer_table,
    workspace_tables,
)
