"""Demo content: each app registers its loader here from its ``AppConfig.ready()``, with an
order (an app's demo builds on those of the apps below it), and ``manage.py load_demo``
runs them; so no app imports another's demo."""

from collections.abc import Callable

LOADERS: dict[str, tuple[int, Callable]] = {}


def register(name: str, loader: Callable, *, order: int) -> None:
    """``loader(stdout=...)`` loads the app's demo content, idempotently."""
    LOADERS[name] = (order, loader)


def loaders() -> list[Callable]:
    return [loader for _order, loader in sorted(LOADERS.values(), key=lambda item: item[0])]
