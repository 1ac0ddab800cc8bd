"""Logging filter: no query string in the app's own logs (issue 16).

A search for an ID number, phone or bank account must never be written to a log.
Numbers reach the list only by POST (households.views.household_search), but an
old bookmark or a typed URL may still carry one: every record that passes the
project's handlers (runserver's request lines included) has the part of each URL
after "?" replaced by "?…".
"""

import logging
import re

QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")


def strip_query(value: object) -> object:
    return QUERY.sub(r"\1?…", value) if isinstance(value, str) else value


class StripQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = strip_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(strip_query(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: strip_query(v) for k, v in record.args.items()}
        return True
