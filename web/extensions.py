"""Flask extensions, created unbound and initialised by the app factory."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from engine.store.models import Base

# One metadata for engine and web: Flask-SQLAlchemy uses the engine's declarative base.
# Objects keep what the request's command committed (no re-read of everything after each commit);
# each request has its own session, and every command re-reads and locks what it changes.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
