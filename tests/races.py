"""The race harness: calls released together from threads with their own database
connections (run it under ``django_db(transaction=True)``, so each thread sees the others'
commits)."""

import threading

from django.db import connection


def race(fn, arguments, *, refused: type[Exception] | tuple[type[Exception], ...] = ()):
    """Run ``fn(*args)`` for each ``args`` in ``arguments``, each in its own thread, all
    released at once by a barrier. Returns one outcome per call, in the order they ended:
    ``("ok", value)``, ``("refused", error.message)`` for an error of a ``refused`` type
    (a service's way of saying no), or ``("error", repr(error))`` for anything else, so an
    unexpected failure shows in the assertions rather than dying with its thread."""
    barrier = threading.Barrier(len(arguments))
    outcomes = []

    def run(args):
        try:
            barrier.wait()
            outcomes.append(("ok", fn(*args)))
        except refused as error:
            outcomes.append(("refused", error.message))
        except Exception as error:
            outcomes.append(("error", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(args,)) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def race_calls(calls, *, refused: type[Exception] | tuple[type[Exception], ...] = ()):
    """``race`` for a list of argument-less callables."""
    return race(lambda call: call(), [(call,) for call in calls], refused=refused)


def meeting_point(parties: int, *, timeout: float = 10):
    """A place inside the raced code where the calls wait for each other (its ``wait()``),
    for a race that must meet at a given step rather than only start together; raises
    ``threading.BrokenBarrierError`` after ``timeout`` seconds if the others never come."""
    return threading.Barrier(parties, timeout=timeout)
