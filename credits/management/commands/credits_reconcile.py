from django.core.management.base import BaseCommand, CommandError

from credits.services import credits_reconcile


class ProgressBar:
    """A one-line text progress bar, redrawn in place on a terminal."""

    def __init__(self, stream, *, width: int = 30):
        self.stream = stream
        self.width = width
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent == self.last and done != total:
            return
        self.last = percent
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\rChecking members [{bar}] {done}/{total} ({percent}%)", ending="")
        self.stream.flush()

    def finish(self) -> None:
        if self.last >= 0:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Check every member's credit balance and lifetime total against the sum of their "
        "ledger entries. Exits non-zero when any member drifted; --fix repairs them too."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Set each drifted member's balance and lifetime total to the ledger's sums.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar."
        )

    def handle(self, *args, fix=False, no_progress=False, **options):
        progress = None if no_progress else ProgressBar(self.stderr)
        report = credits_reconcile(fix=fix, progress=progress)
        if progress is not None:
            progress.finish()
        for drift in report.drifts:
            self.stdout.write(f"{'Fixed' if fix else 'Drift'}: {drift}")
        if not report.drifts:
            self.stdout.write(self.style.SUCCESS(f"{report.checked} members checked: no drift."))
            return
        summary = f"{report.checked} members checked: {len(report.drifts)} drifted"
        if fix:
            summary += f", {report.fixed} repaired"
        # Drift means a write bypassed the ledger: fail loudly even after repairing it.
        raise CommandError(summary + ".", returncode=1)
