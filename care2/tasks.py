from care2.outbox import outbox_sweep_task

__all__ = ["outbox_sweep_task"]
