import pytest


@pytest.fixture(autouse=True)
def _comment_settings(settings):
    settings.COMMENT_EDIT_MINUTES = 30
    settings.COMMENT_MAX_DEPTH = 8
    settings.COMMENT_RATE = "5/m"
    settings.NOTIFY_BATCH_SIZE = 500


@pytest.fixture
def story(published_story):
    """Comments are open on published stories only.

    Its submitter stopped tracking it, so the tests here count only the trackers they
    make (that a submitter tracks their own story is tested in test_submitter_tracking).
    """
    from comments.models import Tracking

    Tracking.objects.filter(story=published_story).delete()
    return published_story


@pytest.fixture
def credits_calls(monkeypatch):
    """Records the calls the comments app makes into the credits ledger."""
    calls = {"award": [], "reverse": []}
    from comments import services

    monkeypatch.setattr(services, "credit_award", lambda **kw: calls["award"].append(kw))
    monkeypatch.setattr(services, "credit_reverse", lambda **kw: calls["reverse"].append(kw))
    return calls
