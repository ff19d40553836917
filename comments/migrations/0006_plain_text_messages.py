"""Inbox messages about comments are plain text: the ones written before kept the
comment's source, so a link typed as <a href=…> showed as markup. Rewrite them as the
comment's text, links as "text (url)"."""

from django.db import migrations

from care2.sanitize import comment_text, sanitize_comment


def to_plain_text(apps, schema_editor):
    Message = apps.get_model("users", "Message")
    batch = []
    messages = Message.objects.filter(key__startswith="comment:", body__contains="<").only("body")
    for message in messages.iterator(chunk_size=500):
        message.body = comment_text(sanitize_comment(message.body))
        batch.append(message)
        if len(batch) == 500:
            Message.objects.bulk_update(batch, ["body"])
            batch = []
    if batch:
        Message.objects.bulk_update(batch, ["body"])


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0005_submission_key"),
        ("users", "0004_moderators_suspend"),
    ]

    operations = [migrations.RunPython(to_plain_text, migrations.RunPython.noop)]
