"""Sanitizing what petition creators write, once, when it is saved.

The same rules and the same code as comments: plain text with line breaks kept (shown
with ``white-space: pre-line``), bare URLs linked, ``<a href title>`` the only HTML
allowed, every link ``rel="nofollow ugc noopener"``. ``care2.sanitize`` is the one module
that imports bleach.
"""

from care2.sanitize import sanitize_comment


def sanitize_text(raw: str) -> str:
    """Plain text with ``<a>`` links only, as safe HTML (newlines kept as typed)."""
    return sanitize_comment(raw)
