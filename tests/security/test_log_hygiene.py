"""Logged exceptions carry types and stack frames, never messages (which can quote personal data)."""

import logging
import sys

from app.logging import JsonFormatter


def test_exception_messages_are_not_logged():
    # Built at run time, as in real code: stack frames quote source lines, not the values in them.
    name, nik = " ".join(["Warga", "Uji", "Rahasia"]), "".join(["5371025204", "959001"])
    try:
        try:
            raise ValueError(f"NIK {nik} milik {name}")
        except ValueError as inner:
            raise RuntimeError(f"gagal menyimpan {name}") from inner
    except RuntimeError:
        record = logging.LogRecord(
            "app.errors", logging.ERROR, "x.py", 1, "unhandled error", None, sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert name not in line and nik not in line
    assert "builtins.RuntimeError" in line and "builtins.ValueError" in line
