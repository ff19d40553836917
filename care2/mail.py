"""The site's outgoing e-mail: every message it sends is one of these classes.

They are Django's ``EmailMessage`` and ``EmailMultiAlternatives`` with two changes to
how a message serializes, so that what a member (or the console backend under
``make run``) sees keeps its links whole:

- Text bodies whose lines all fit the 998-octet limit of RFC 5322 are sent as they are:
  ``7bit`` when ASCII, ``8bit`` otherwise. The standard library's heuristic (which
  Django 6.1 uses through ``set_content``) picks quoted-printable or base64 as soon as a
  line passes 78 characters, and quoted-printable's soft line breaks (``=`` + newline)
  land inside long URLs. Longer lines keep the library's choice.
- ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 2369, RFC 8058) are written as
  plain ASCII on one line. The library cannot fold a URL longer than a line and turns it
  into an RFC 2047 encoded-word instead, which mail clients do not read as a link, so
  they show no unsubscribe button.
"""

import email.policy

from django.core import mail
from django.core.mail import mailers

# RFC 5322 section 2.1.1: a line is at most 998 characters, without its CRLF.
MAX_LINE_OCTETS = 998

# Headers whose value is a URL (or a keyword) that mail clients read literally.
VERBATIM_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")


class _VerbatimHeader(str):
    """A header value the serializer writes unchanged on one line.

    ``email.policy.EmailPolicy`` stores a value that has a ``name`` as it is, and folds
    it by calling its ``fold()``: this one returns the header unfolded.
    """

    def __new__(cls, name: str, value: str):
        header = super().__new__(cls, value)
        header.name = name
        return header

    @property
    def defects(self):
        return ()

    def fold(self, *, policy):
        return f"{self.name}: {self}{policy.linesep}"


def _fits_on_one_line(name: str, value: str) -> bool:
    return (
        value.isascii()
        and "\n" not in value
        and "\r" not in value
        and (len(name) + 2 + len(value) <= MAX_LINE_OCTETS)
    )


def _keep_headers_verbatim(msg) -> None:
    if not isinstance(msg.policy, email.policy.EmailPolicy):
        return
    for name in VERBATIM_HEADERS:
        value = msg.get(name)
        if value is None or isinstance(value, _VerbatimHeader):
            continue
        value = str(value)
        if _fits_on_one_line(name, value):
            del msg[name]
            msg[name] = _VerbatimHeader(name, value)


def _unencoded_transfer_encoding(text: str, charset: str) -> str | None:
    """``7bit`` or ``8bit`` when ``text`` can go as it is, else None."""
    data = text.encode(charset)
    if any(len(line) > MAX_LINE_OCTETS for line in data.splitlines()):
        return None
    return "7bit" if data.isascii() else "8bit"


def _keep_text_readable(msg) -> None:
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if part.is_attachment():
            continue
        if part.get("Content-Transfer-Encoding", "").lower() not in ("quoted-printable", "base64"):
            continue
        charset = part.get_content_charset() or "utf-8"
        text = part.get_content()
        cte = _unencoded_transfer_encoding(text, charset)
        if cte is not None:
            part.set_content(text, subtype=part.get_content_subtype(), charset=charset, cte=cte)


class _ReadableMessage:
    def message(self, *, policy=email.policy.default):
        msg = super().message(policy=policy)
        _keep_text_readable(msg)
        _keep_headers_verbatim(msg)
        return msg


class EmailMessage(_ReadableMessage, mail.EmailMessage):
    """A plain-text message the site sends."""


class EmailMultiAlternatives(_ReadableMessage, mail.EmailMultiAlternatives):
    """A message with alternatives (allauth's text + HTML mails)."""


def site_message(message: mail.EmailMessage) -> EmailMessage:
    """The same message as one of this module's classes (for messages another library
    built, such as allauth's)."""
    if isinstance(message, _ReadableMessage):
        return message
    cls = (
        EmailMultiAlternatives if isinstance(message, mail.EmailMultiAlternatives) else EmailMessage
    )
    copy = cls.__new__(cls)
    copy.__dict__.update(message.__dict__)
    return copy


def send(messages: list[mail.EmailMessage], *, chunk_size: int = 100) -> int:
    """Send ``messages`` through the default mailer, ``chunk_size`` per connection
    round; returns how many were sent."""
    sent = 0
    messages = [site_message(m) for m in messages]
    for start in range(0, len(messages), chunk_size):
        sent += mailers.default.send_messages(messages[start : start + chunk_size]) or 0
    return sent
