"""A stand-in for Fusion's UIManager as Resolve scripts use it (documented calls only): element
constructors taking a property dict, AddWindow(props, layout), GetItems() by ID, ``win.On.<ID>.<Event>``
handlers, ComboBox AddItems/Clear/CurrentIndex/CurrentText, RunLoop/ExitLoop. Test-only."""

from __future__ import annotations


class Element:
    def __init__(self, kind: str, props: dict | list | None = None):
        self.kind = kind
        self.children = props if isinstance(props, list) else []
        props = props if isinstance(props, dict) else {}
        self.ID = props.get("ID", "")
        for key, value in props.items():
            setattr(self, key, value)
        if kind == "ComboBox":
            self.items: list[str] = []
            self.CurrentIndex = 0
        if kind in ("LineEdit", "TextEdit", "Label", "Button") and not hasattr(self, "Text"):
            self.Text = ""
        if not hasattr(self, "Enabled"):
            self.Enabled = True

    def AddItems(self, items):
        self.items.extend(items)

    def AddItem(self, item):
        self.items.append(item)

    def Clear(self):
        self.items, self.CurrentIndex = [], 0

    @property
    def CurrentText(self):
        return self.items[self.CurrentIndex] if self.items else ""


class UIManager:
    def __getattr__(self, kind):
        return lambda props=None: Element(kind, props)


class _Handlers:
    def __init__(self):
        self.__dict__["_by_id"] = {}

    def __getattr__(self, element_id):
        return self._by_id.setdefault(element_id, type("Events", (), {})())


class Window:
    def __init__(self, props: dict, layout: Element):
        self.props = props
        self.On = _Handlers()
        self.visible = False
        self._items: dict[str, Element] = {}
        self._collect(layout)

    def _collect(self, element: Element):
        if element.ID:
            self._items[element.ID] = element
        for child in element.children:
            self._collect(child)

    def GetItems(self):
        return self._items

    def Show(self):
        self.visible = True

    def Hide(self):
        self.visible = False

    def click(self, element_id: str):
        getattr(self.On, element_id).Clicked({"who": element_id})


class Dispatcher:
    def __init__(self, ui):
        self.windows: list[Window] = []
        self.loop_script = None  # what "the user does" while RunLoop runs

    def AddWindow(self, props, layout):
        window = Window(props, layout)
        self.windows.append(window)
        return window

    def RunLoop(self):
        if self.loop_script is not None:
            self.loop_script(self.windows[-1])

    def ExitLoop(self):
        pass
