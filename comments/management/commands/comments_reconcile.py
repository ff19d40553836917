from django.core.management.base import BaseCommand

from comments.services import comment_counts_reconcile


class Command(BaseCommand):
    help = (
        "Check every story's comment count against its visible comments. Exits non-zero "
        "when any story drifted; --fix sets them to the exact count."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Set wrong counts to the exact one.")

    def handle(self, *args, fix=False, **options):
        mismatches = comment_counts_reconcile(fix=fix)
        for m in mismatches:
            self.stdout.write(
                f"story {m.story_id}: counted {m.counted}, visible comments {m.visible}"
                + (" (fixed)" if fix else "")
            )
        if mismatches and not fix:
            self.stderr.write(
                self.style.ERROR(f"{len(mismatches)} story(ies) off; run with --fix.")
            )
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"Counts checked: {len(mismatches)} mismatch(es)."))
