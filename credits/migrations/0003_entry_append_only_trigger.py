"""The ledger is append-only in the database too (PostgreSQL; SQLite, used by `make run`,
relies on the model's refusal).

A row may never be deleted, and never updated, with one exception: deleting a member's
account detaches their entries (Django's SET_NULL), so an UPDATE that only sets
``member_id`` and/or ``created_by_id`` to NULL, leaving every other column as it was,
is allowed. TRUNCATE (test-database flushes) is not a row operation and is not affected.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION credits_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.member_id IS NULL OR NEW.member_id = OLD.member_id)
       AND (NEW.created_by_id IS NULL OR NEW.created_by_id IS NOT DISTINCT FROM OLD.created_by_id)
       AND (to_jsonb(NEW) - 'member_id' - 'created_by_id')
           = (to_jsonb(OLD) - 'member_id' - 'created_by_id')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'credits_creditentry is append-only: % of entry % refused', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS credits_entry_append_only ON credits_creditentry;
CREATE TRIGGER credits_entry_append_only
    BEFORE UPDATE OR DELETE ON credits_creditentry
    FOR EACH ROW EXECUTE FUNCTION credits_entry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS credits_entry_append_only ON credits_creditentry;
DROP FUNCTION IF EXISTS credits_entry_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("credits", "0002_seed_rules_and_moderators")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
