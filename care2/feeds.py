"""Feeds that never fail on stored text."""

from care2.text import strip_control_characters


def _clean(value):
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(item) for item in value)
    return value


class ControlCharactersDroppedFeed:
    """Feed mixin (``class StoryFeed(ControlCharactersDroppedFeed, Feed)``).

    XML 1.0 cannot carry control characters, and Django's feed writer raises
    ``UnserializableContentError`` on one: a single story summary or petition title with
    ``\\x01`` (stored before forms dropped them, or written by any other path) made the
    feed answer 500 for every reader. The feed's and every item's text is cleaned once
    built, whatever field or template it came from.
    """

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed = _clean(feed.feed)
        feed.items = [_clean(item) for item in feed.items]
        return feed
