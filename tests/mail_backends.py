"""Mail backends for tests: a mail relay that accepts the connection, then drops it at every message."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    """The relay answers, then hangs up before taking a message (a relay restarting, overloaded, or cut off)."""

    def open(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
