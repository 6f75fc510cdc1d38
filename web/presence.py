"""Who is online: each signed-in request notes the user's last sighting, at most once a minute."""

from flask_login import current_user

from engine.org.people import touch_last_seen

from .extensions import db


def register(app) -> None:
    @app.before_request
    def note_presence():
        if current_user.is_authenticated:
            touch_last_seen(db.session, current_user.user)
