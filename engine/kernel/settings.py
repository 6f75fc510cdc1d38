"""Settings from the environment, with defaults that run Daiban on embedded SQLite."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The tree that holds bpmn/, config/ and migrations/: DAIBAN_HOME, else the source checkout.
ROOT = Path(os.environ.get("DAIBAN_HOME") or Path(__file__).resolve().parents[2])
CONFIG_DIR = ROOT / "config"
BPMN_DIR = ROOT / "bpmn"
VAR_DIR = Path(os.environ.get("DAIBAN_VAR_DIR", ROOT / "var"))


# Bounds of one script, condition or decision expression in a diagram (engine/runtime/expressions.py).
SCRIPT_SECONDS = float(os.environ.get("DAIBAN_SCRIPT_SECONDS") or 1.0)
SCRIPT_MEMORY_MB = int(os.environ.get("DAIBAN_SCRIPT_MEMORY_MB") or 100)
# One command's engine steps together (a loop that never ends runs many short scripts): steps and seconds.
ENGINE_STEPS = int(os.environ.get("DAIBAN_ENGINE_STEPS") or 1000)
ENGINE_SECONDS = float(os.environ.get("DAIBAN_ENGINE_SECONDS") or 5.0)


def database_url() -> str:
    """`DATABASE_URL` selects PostgreSQL (postgresql://...); SQLite under var/ otherwise."""
    url = os.environ.get("DAIBAN_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{VAR_DIR / 'daiban.sqlite3'}"
    # psycopg 3 is our PostgreSQL driver; accept the common short forms.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sms_url() -> str | None:
    """`DAIBAN_SMS_URL`: the SMS gateway the worker posts texts to; unset, texts wait in the outbox."""
    return os.environ.get("DAIBAN_SMS_URL") or None


def public_url() -> str:
    """`DAIBAN_PUBLIC_URL`: where residents reach the public pages (the lookup link in a text)."""
    return (os.environ.get("DAIBAN_PUBLIC_URL") or "http://localhost:8000").rstrip("/")


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str | None
    demo: bool
    token_hours: int = 12
    session_idle_minutes: int = 120  # a web session unused this long ends
    session_hours: int = 12  # and every web session ends this long after its login, used or not
    device_token_days: int = 7  # a phone's sign-in (device token) lasts this long
    idempotency_days: int = 7  # a client's Idempotency-Key and its first answer are kept this long (at least 7)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=database_url(),
            secret_key=os.environ.get("SECRET_KEY"),
            demo=os.environ.get("DAIBAN_DEMO", "") not in ("", "0", "false"),
            token_hours=int(os.environ.get("DAIBAN_TOKEN_HOURS", "12")),
            session_idle_minutes=int(os.environ.get("DAIBAN_SESSION_IDLE_MINUTES", "120")),
            session_hours=int(os.environ.get("DAIBAN_SESSION_HOURS", "12")),
            device_token_days=int(os.environ.get("DAIBAN_DEVICE_TOKEN_DAYS", "7")),
            idempotency_days=max(7, int(os.environ.get("DAIBAN_IDEMPOTENCY_DAYS", "7"))),
        )
