"""Logging filters: a refused or malformed request is one line in the log, not a traceback."""

from __future__ import annotations

import logging


class OneLineClientErrors(logging.Filter):
    """Log a 4xx response of Django's request handling on one line, without its traceback.

    Django logs a PermissionDenied (and a bad request) with the exception's traceback, so
    every 403 took a screen of the log. The exception's type and message are kept on the line
    (newlines escaped); 5xx records are left as they are: their traceback is what one needs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if not isinstance(status, int) or not 400 <= status < 500 or not record.exc_info:
            return True
        exc = record.exc_info[1]
        if exc is not None:
            said = str(exc).replace("\r", "\\r").replace("\n", "\\n")
            record.msg = (
                f"{record.getMessage()} ({type(exc).__name__}{': ' + said if said else ''})"
            )
            record.args = ()
        record.exc_info = None
        record.exc_text = None
        return True
