from django.core.management.base import BaseCommand

from petitions.services import petitions_reconcile


class Command(BaseCommand):
    help = "Check every petition's count against its confirmed signatures (--fix folds them)."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Set wrong counts to the exact one.")

    def handle(self, *args, fix=False, **options):
        mismatches = petitions_reconcile(fix=fix)
        for m in mismatches:
            self.stdout.write(
                f"petition {m.petition_id}: counter {m.shards}, confirmed rows {m.rows}"
                + (" (fixed)" if fix else "")
            )
        if mismatches and not fix:
            self.stderr.write(
                self.style.ERROR(f"{len(mismatches)} petition(s) off; run with --fix.")
            )
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"Counts checked: {len(mismatches)} mismatch(es)."))
