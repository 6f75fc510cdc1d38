"""How a request's transaction ends on PostgreSQL: one that wrote nothing commits instead of rolling back.

psycopg forgets its prepared statements on every ROLLBACK (it cannot tell which were prepared in
the rolled-back transaction), and Flask-SQLAlchemy ends every request with one. So no query was
ever prepared, and PostgreSQL planned each eager-loaded lookup again: about 3 ms of planning for
a task with its case against 0.4 ms to run it. Committing a transaction that wrote nothing is the
same as rolling it back; one that wrote (an error after a flush) still rolls back.
"""

from sqlalchemy import text

# NULL while the transaction has not written anything (no transaction id assigned yet).
WROTE_NOTHING = text("SELECT pg_current_xact_id_if_assigned() IS NULL")


def register(app, db) -> None:
    # Registered after db.init_app, so it runs before Flask-SQLAlchemy's own teardown closes the session.
    @app.teardown_appcontext
    def end_read_only_transaction(exc):
        session = db.session()  # the request's own session behind the scoped proxy
        if exc is not None or not session.in_transaction() or db.engine.dialect.name != "postgresql":
            return
        if session.new or session.dirty or session.deleted:
            return  # unsaved changes of a request that failed: the teardown rolls them back
        try:
            if session.execute(WROTE_NOTHING).scalar():
                session.commit()
        except Exception:
            session.rollback()
