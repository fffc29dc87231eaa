"""JSON logs, one object a line, each carrying the request id. Never names, NIK or secrets."""

import logging
import re
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime

import orjson

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}

# A URL's query string and user info: partners put their receiver's key in a webhook URL
# (`...?api_key=...`), and the HTTP client logs every URL it calls. Dropped from every line.
_URL_SECRETS = re.compile(
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^\s/@\"']*@)?(?P<rest>[^\s?#\"'<>]*)(?:\?[^\s#\"'<>]*)?"
)


def redact_urls(text: str) -> str:
    """`text` with every URL's user info and query string left out."""
    if "://" not in text:
        return text
    return _URL_SECRETS.sub(r"\g<scheme>\g<rest>", text)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_urls(record.getMessage()),
            "request_id": request_id_var.get(),
        }
        entry.update(
            {
                k: redact_urls(v) if isinstance(v, str) else v
                for k, v in record.__dict__.items()
                if k not in _STANDARD
            }
        )
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = _without_messages(record.exc_info[1])
        return orjson.dumps(entry, default=str).decode()


def _without_messages(exc: BaseException) -> str:
    """Exception types and stack frames, never messages: a message can quote personal data."""
    parts = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 5:
        frames = "".join(traceback.format_tb(current.__traceback__))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__}\n{frames}")
        current = current.__cause__ or current.__context__
    return "\n-- caused by --\n".join(parts)


def configure_logging(level: str = "INFO") -> None:
    """Route the app's and uvicorn's logs through the JSON formatter on stderr."""
    # Our lines carry none of these: skip what the logging module would gather for every record
    # (the logging HOWTO's "Optimization" section). The per-request line skips the caller's
    # frame too (app.middleware.log_request); other lines are rare enough to keep it.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log prints query strings, which may hold a searched name or NIK.
    logging.getLogger("uvicorn.access").disabled = True
    # One line per webhook sent is the worker's own ("webhook attempt"); the client's is noise.
    # At DEBUG the drivers log each statement with its bound values (names, ciphertext): never.
    for name, floor in (("httpx", logging.WARNING), ("httpcore", logging.INFO), ("aiosqlite", logging.INFO)):
        logging.getLogger(name).setLevel(max(floor, root.level))
