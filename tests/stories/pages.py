"""A small HTML query helper for the stories tests, on Django's own test parser
(``django.test.html.parse_html``): find elements by tag and attributes, read their text."""

from django.test.html import Element, parse_html


class Node:
    def __init__(self, element: Element):
        self.element = element

    @classmethod
    def of(cls, response) -> "Node":
        return cls(parse_html(response.content.decode()))

    def __getitem__(self, name: str) -> str:
        return dict(self.element.attributes)[name]

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.element.attributes)

    def text(self) -> str:
        def parts(element):
            for child in element.children:
                if isinstance(child, str):
                    yield child
                else:
                    yield from parts(child)

        return " ".join(" ".join(parts(self.element)).split())

    def children(self) -> list["Node"]:
        return [Node(c) for c in self.element.children if isinstance(c, Element)]

    def _descendants(self):
        for child in self.children():
            yield child
            yield from child._descendants()

    def _matches(self, tag, class_, attrs) -> bool:
        if tag is not None and self.element.name != tag:
            return False
        values = dict(self.element.attributes)
        if class_ is not None and class_ not in (values.get("class") or "").split():
            return False
        for name, wanted in attrs.items():
            name = name.replace("_", "-")
            if name not in values or (wanted is not True and values[name] != wanted):
                return False
        return True

    def find_all(self, tag=None, *, class_=None, **attrs) -> list["Node"]:
        """Descendants with this tag, class and attributes (``True``: present at all;
        ``data_testid=`` for ``data-testid``)."""
        return [n for n in self._descendants() if n._matches(tag, class_, attrs)]

    def find(self, tag=None, *, class_=None, **attrs) -> "Node | None":
        found = self.find_all(tag, class_=class_, **attrs)
        return found[0] if found else None
