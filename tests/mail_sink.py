"""Mail backends for the outbox's fault tests: a file a worker in another process writes to, a slow and a flaky
mailbox in memory. Each records a mail only once it has "left", as an SMTP server's acceptance would."""

import os
import threading
import time
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend


def message_id(message: EmailMessage) -> str:
    return str(message.extra_headers.get("Message-ID", ""))


class FileSink(BaseEmailBackend):
    """Appends each mail's Message-ID, one a line, to the file MAIL_SINK_FILE names (for a worker in its own process).

    Per mail: if the file MAIL_SINK_HOLD exists, write the mail's Message-ID to MAIL_SINK_HOLD + ".held" and wait
    until the hold file is gone; then sleep MAIL_SINK_DELAY seconds; then append. A test that kills the worker while
    it is held kills it before the mail has left, at a moment it chose (see test_worker_killed_mid_batch).
    """

    def send_messages(self, email_messages):
        path = Path(os.environ["MAIL_SINK_FILE"])
        hold = Path(os.environ.get("MAIL_SINK_HOLD", str(path) + ".hold"))
        delay = float(os.environ.get("MAIL_SINK_DELAY", "0"))
        for message in email_messages:
            if hold.exists():
                hold.with_name(hold.name + ".held").write_text(message_id(message))
                while hold.exists():
                    time.sleep(0.02)
            time.sleep(delay)
            with path.open("a") as sink:
                sink.write(message_id(message) + "\n")
        return len(email_messages)


class SlowMemory(MemoryBackend):
    """Django's in-memory mailbox (`mail.outbox`), MAIL_SINK_DELAY seconds per mail: dispatchers overlap in time."""

    def send_messages(self, messages):
        for message in messages:
            time.sleep(getattr(settings, "MAIL_SINK_DELAY", 0))
            super().send_messages([message])
        return len(messages)


class Flaky(MemoryBackend):
    """Refuses the first MAIL_SINK_FAIL_FIRST mails to each address, then accepts them. `attempts` keeps, for each
    address, the time (`time.time()`) of every attempt, refused or not."""

    attempts: defaultdict[str, list[float]] = defaultdict(list)
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.attempts.clear()

    def send_messages(self, messages):
        for message in messages:
            address = message.to[0]
            with self._lock:
                self.attempts[address].append(time.time())
                tried = len(self.attempts[address])
            if tried <= getattr(settings, "MAIL_SINK_FAIL_FIRST", 0):
                raise ConnectionRefusedError(f"relay refused attempt {tried} to {address}")
            super().send_messages([message])
        return len(messages)
