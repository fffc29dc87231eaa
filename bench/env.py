"""Where the benchmark runs: paths, the bench database, and the settings the servers get."""

import base64
import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"  # the only address the benchmark ever sends traffic to

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("BENCH_DATABASE", "reintegrasi_bench")


def _bench_key(label: str) -> str:
    # Fixed, obviously non-production keys: the seeded NIKs are synthetic and so are these.
    return base64.urlsafe_b64encode(hashlib.sha256(f"reintegrasi bench {label}".encode()).digest()).decode()


BENCH_SETTINGS = {
    "REINTEGRASI_ENVIRONMENT": "production",
    "REINTEGRASI_SECRET_KEY": "bench-only-secret-" + _bench_key("secret")[:32],
    "REINTEGRASI_DATA_KEY": _bench_key("data key"),
    "REINTEGRASI_BLIND_INDEX_KEY": _bench_key("blind index key"),
    "REINTEGRASI_LOG_LEVEL": "INFO",
    # Production refuses to start without it; the bench's token is seeded, not signed in for.
    "REINTEGRASI_MFA_REQUIRED": "true",
}


def pg_url(database: str = BENCH_DB, *, driver: bool = False) -> str:
    """The bench database's URL (SQLAlchemy's asyncpg form with `driver`, libpq form without)."""
    base = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) if driver else base


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app process (server or CLI) pointed at `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REINTEGRASI_")}
    return {**env, **BENCH_SETTINGS, "REINTEGRASI_DATABASE_URL": database_url, **extra}


def apply_to_this_process(database_url: str) -> None:
    """Give this process the servers' keys before app.config is read (the seed encrypts NIKs)."""
    for key in [k for k in os.environ if k.startswith("REINTEGRASI_")]:
        del os.environ[key]
    os.environ.update(BENCH_SETTINGS, REINTEGRASI_DATABASE_URL=database_url)
