"""Outgoing e-mail over SMTP: compose a message, send it from a worker thread.

Uses the standard library's ``smtplib`` in a thread (``anyio.to_thread``) rather than an
async SMTP client: mail is sent by background workers a few times a minute at most, so a
thread costs nothing that matters, and no extra dependency is needed. With no ``smtp_host``
configured, `Mailer.enabled` is False and nothing is ever sent (features that need mail say
so instead of failing).

Header values are set through ``email.message.EmailMessage``, which refuses CR/LF inside a
header value, so text from readers (usernames, page titles) cannot inject headers.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import anyio

from rejoinder.settings import Settings

log = logging.getLogger("rejoinder.mail")


class MailError(Exception):
    """The SMTP server refused the message or could not be reached; worth retrying later."""


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host)

    def compose(
        self,
        to: str,
        subject: str,
        text: str,
        *,
        html: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        # Collapse whitespace: a subject built from a page title must stay one line.
        message["Subject"] = " ".join(subject.split())[:200]
        message["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.settings.mail_from.rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
        for name, value in (headers or {}).items():
            message[name] = value
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        return message

    async def send(self, message: EmailMessage) -> None:
        """Deliver one message; `MailError` when it was not accepted."""
        if not self.enabled:
            raise MailError("No SMTP server is configured.")
        await anyio.to_thread.run_sync(self._send_sync, message)

    async def send_logged(self, messages: Sequence[EmailMessage]) -> None:
        """Send each message after a response went out: failures are logged, not raised."""
        for message in messages:
            try:
                await self.send(message)
            except MailError as exc:
                log.warning("could not send %r to a reader: %s", message["Subject"], exc)

    def _send_sync(self, message: EmailMessage) -> None:
        settings = self.settings
        assert settings.smtp_host is not None
        try:
            with smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout
            ) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.smtp_user:
                    smtp.login(settings.smtp_user, settings.smtp_password or "")
                refused = smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if refused:
            raise MailError(f"Recipients refused: {', '.join(refused)}"[:300])
