"""The changes between two versions of a plan, in words, and the versions in between.

:func:`diff` lists the changes from OLD to NEW (``task build: estimate pert(10, 15, 30) →
pert(12, 18, 35)``): tasks, milestones and risks added, removed or changed, and project-wide
("global") changes: calendars, start, status date, pools, correlations, branches, budget.
Names, tags, risk titles and owners change no number and are not listed. :func:`apply` makes
some of them: an intermediate version (:mod:`riskcast.compare` attributes a move to them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .calendar import Calendar
from .distributions import Distribution
from .model import Link, Milestone, Project, Task
from .risks import Impact, Risk

EXISTS = "exists"  # the "field" an added or removed item moves

# Per entity: its Project attribute, class and kinds of change (each with the fields it takes
# from NEW). Names, tags, risk titles and owners change no simulated number: every
# intermediate version takes them from NEW (SILENT).
TASK_KINDS = {
    "estimate": ("estimate",),
    "progress": ("actual_start", "actual_finish", "remaining", "percent_complete"),
    "constraints": tuple(
        "not_before not_after finish_not_before finish_not_after deadline alap".split()
    ),
    "calendar": ("calendar",),
    "probability": ("probability",),
    "resources": ("assignments", "priority"),
    "cost": ("cost",),
    "links": ("after",),
}
ENTITIES = {
    "task": ("tasks", Task, TASK_KINDS),
    "milestone": ("milestones", Milestone, {"links": ("after",), "target": ("target",)}),
    "risk": ("risks", Risk, {"changed": ("probability", "impacts", "shared_impact", "mitigation")}),
}
PROJECT_KINDS = {
    "calendars": ("calendar", "calendars"),
    "start": ("start",),
    "status": ("status_date", "progress_logic"),
    "resources": ("resources",),
    "correlations": ("correlations", "repair_correlation"),
    "branches": ("branches",),
    "costs": ("budget", "currency", "overheads"),
}
SILENT = {
    "task": ("name", "tags"),
    "milestone": ("name",),
    "risk": ("title", "owner"),
    "project": ("name", "source"),
}
# The order changes are made in: what the rest is measured on first (calendars, start), new
# items before the links to them, links changed before the items they no longer name go.
KIND_ORDER = (
    *"project-calendars project-start project-status project-resources".split(),
    *"task-added milestone-added".split(),
    *(f"task-{kind}" for kind in TASK_KINDS),
    *"milestone-links milestone-target risk-added risk-changed".split(),
    *"project-correlations project-branches risk-removed project-costs".split(),
    *"task-removed milestone-removed".split(),
)
LABELS = {"after": "links", "assignments": "resources", "percent_complete": "% complete"}


@dataclass(frozen=True)
class Change:
    """One difference between the two versions of a plan.

    Attributes
    ----------
    kind : str
        One of :data:`KIND_ORDER`, e.g. ``"task-estimate"``, ``"risk-added"``,
        ``"project-start"`` (a global change).
    id : str
        The task, milestone or risk id; ``""`` for a change of the project.
    fields : tuple of str
        The attributes the change takes from NEW (``("exists",)`` for an added or removed item).
    text : str
        The change in words, e.g. ``"task build: estimate pert(10, 15, 30) → pert(12, 18, 35)"``.
    """

    kind: str
    id: str
    fields: tuple[str, ...]
    text: str

    @property
    def entity(self) -> str:
        """``"task"``, ``"milestone"``, ``"risk"`` or ``"project"``."""
        return self.kind.partition("-")[0]


def diff(old: Project, new: Project) -> list[Change]:
    """The changes that turn ``old`` into ``new``, in the order :func:`compare` applies them.

    Parameters
    ----------
    old, new : Project
        Two versions of a plan; items are matched by id.

    Returns
    -------
    list of Change
        By :data:`KIND_ORDER`, then model order (NEW's; OLD's for removed items). Empty when
        the versions differ only in names, tags, risk titles or owners.
    """
    changes = []
    for entity, (attr, _, kinds) in ENTITIES.items():
        olds = {x.id: x for x in getattr(old, attr)}
        news = {x.id: x for x in getattr(new, attr)}
        for x in getattr(new, attr):
            if x.id not in olds:
                text = f"{entity} {x.id} added: {_summary(x)}"
                changes.append(Change(f"{entity}-added", x.id, (EXISTS,), text))
                continue
            for kind, fields in kinds.items():
                text = _fields_text(olds[x.id], x, fields)
                if text:
                    changes.append(
                        Change(f"{entity}-{kind}", x.id, fields, f"{entity} {x.id}: {text}")
                    )
        for x in getattr(old, attr):
            if x.id not in news:
                text = f"{entity} {x.id} removed (was {_summary(x)})"
                changes.append(Change(f"{entity}-removed", x.id, (EXISTS,), text))
    for kind, fields in PROJECT_KINDS.items():
        text = _fields_text(old, new, fields)
        if text:
            changes.append(Change(f"project-{kind}", "", fields, f"project {text}"))
    return sorted(changes, key=lambda c: KIND_ORDER.index(c.kind))  # stable: model order kept


def apply(old: Project, new: Project, changes: Iterable[Change]) -> Project:
    """``old`` with ``changes`` (from :func:`diff` of the same two versions) made.

    Parameters
    ----------
    old, new : Project
        The two versions.
    changes : iterable of Change
        Any subset of ``diff(old, new)``.

    Returns
    -------
    Project
        Each changed field taken from ``new``, the rest from ``old``; names, tags and titles
        always from ``new``. Items are in ``new``'s order, an item only ``old`` has right after
        the one it followed there; with every change made, the result equals ``new``. It may
        be invalid (a change made without one it needs): :func:`riskcast.validate` says.
    """
    moved: dict[tuple[str, str], list[str]] = {}
    for c in changes:
        moved.setdefault((c.entity, c.id), []).extend(c.fields)
    items = {
        attr: _items(getattr(old, attr), getattr(new, attr), entity, moved)
        for entity, (attr, _, _) in ENTITIES.items()
    }
    fields = [*SILENT["project"], *moved.get(("project", ""), [])]
    return dataclasses.replace(old, **items, **{f: getattr(new, f) for f in fields})


def _items(olds: Sequence[Any], news: Sequence[Any], entity: str, moved: dict) -> tuple:
    old_by, new_by = {x.id: x for x in olds}, {x.id: x for x in news}
    out = []
    for id in _order(olds, news):
        fields = moved.get((entity, id), [])
        if id in old_by and id in new_by:
            taken = {f: getattr(new_by[id], f) for f in (*SILENT[entity], *fields)}
            out.append(dataclasses.replace(old_by[id], **taken))
        elif (EXISTS in fields) == (id in new_by):  # added and made, or removed and not made
            out.append(new_by.get(id) or old_by[id])
    return tuple(out)


def _order(olds: Sequence[Any], news: Sequence[Any]) -> list[str]:
    """NEW's ids in order, each id only OLD has right after the one it followed in OLD."""
    in_new = {x.id for x in news}
    following: dict[str | None, list[str]] = {}
    anchor = None
    for x in olds:
        if x.id in in_new:
            anchor = x.id
        else:
            following.setdefault(anchor, []).append(x.id)
    out = list(following.get(None, []))
    for x in news:
        out += [x.id, *following.get(x.id, [])]
    return out


# -- changes in words ------------------------------------------------------------------------------
def _fields_text(old: Any, new: Any, fields: Sequence[str]) -> str:
    """``"estimate pert(10, 15, 30) → pert(12, 18, 35)"`` for each field that differs."""
    parts = []
    for f in fields:
        a, b = getattr(old, f), getattr(new, f)
        if a == b:
            continue
        label = LABELS.get(f, f.replace("_", " "))
        if isinstance(a, Calendar) and isinstance(b, Calendar):
            parts.append(f"{label}: {_calendar_text(a, b)}")
        elif isinstance(a, dict) and isinstance(b, dict):  # the named calendars
            parts.append(f"{label}: {_named_text(a, b)}")
        else:
            parts.append(f"{label} {_text(a)} → {_text(b)}")
    return "; ".join(parts)


def _calendar_text(a: Calendar, b: Calendar) -> str:
    """What differs between two calendars: workdays, holidays, then the rest by name."""
    days = "workdays " + " → ".join("/".join(c.workdays) for c in (a, b))
    parts = [days] * (a.workdays != b.workdays)
    for what, x, y in (("added", b, a), ("removed", a, b)):
        days = tuple(sorted(set(x.holidays) - set(y.holidays)))
        parts += [f"holidays {what} {_text(days)}"] * bool(days)
    rest = [f.name for f in dataclasses.fields(Calendar)][2:]  # after workdays and holidays
    return ", ".join(parts + [f"{f} changed" for f in rest if getattr(a, f) != getattr(b, f)])


def _named_text(a: dict[str, Calendar], b: dict[str, Calendar]) -> str:
    parts = [f"{name} added" for name in b.keys() - a.keys()]
    parts += [f"{name} removed" for name in a.keys() - b.keys()]
    parts += [f"{n} ({_calendar_text(a[n], b[n])})" for n in a if n in b and a[n] != b[n]]
    return "; ".join(sorted(parts))


def _summary(x: Task | Milestone | Risk) -> str:
    if isinstance(x, Task):
        return f"{_text(x.estimate)}, after {_text(x.after)}"
    if isinstance(x, Milestone):
        return f"after {_text(x.after)}" + (f", target {x.target}" if x.target else "")
    return f"probability {_text(x.probability)}, hits {_text(x.impacts)}"


def _text(value: Any) -> str:
    """A field's value as the change texts show it."""
    if value is None or value == ():
        return "none"
    if isinstance(value, Distribution):
        ((kind, args),) = value.to_spec().items()
        if kind == "fixed":
            return _text(args)
        if isinstance(args, dict):
            return f"{kind}({', '.join(f'{k}={_text(v)}' for k, v in args.items())})"
        return f"{kind}({', '.join(_text(v) for v in args)})"
    if isinstance(value, Link):
        text = value.predecessor
        if value.type != "FS" or value.lag:
            text += f" {value.type}{value.lag:+g}" if value.lag else f" {value.type}"
        return text + (f" ({value.calendar})" if value.calendar else "")
    if isinstance(value, Impact):
        hit = [f"+{_text(value.add)}"] * (value.add is not None)
        hit += [f"×{_text(value.multiply)}"] * (value.multiply is not None)
        hit += [f"cost {_text(value.cost)}"] * (value.cost is not None)
        return f"{value.task} {' '.join(hit)}"
    if isinstance(value, tuple | list):
        text = ", ".join(_text(v) for v in value)
        numbers = all(isinstance(v, int | float) for v in value)
        return f"[{text}]" if numbers else text  # a range or list of values: [0.15, 0.35]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):  # an impact, cost, mitigation, pool, correlation ...
        shown = [
            f"{f.name}={_text(getattr(value, f.name))}"
            for f in dataclasses.fields(value)
            if f.default is dataclasses.MISSING or getattr(value, f.name) != f.default
        ]
        return f"{type(value).__name__.lower()}({', '.join(shown)})"
    return str(value)


# -- steps ----------------------------------------------------------------------------------------
Token = tuple[str, str]  # (namespace, id): an activity, risk, calendar or resource pool


def _refs(field: str, value: Any) -> set[Token]:
    """The ids a field's value refers to."""
    if field == "after":
        return {("act", k.predecessor) for k in value} | {
            ("calendar", k.calendar) for k in value if k.calendar
        }
    if field == "calendar" and isinstance(value, str):
        return {("calendar", value)}
    if field == "assignments":
        return {("resource", a.resource) for a in value}
    if field == "impacts" or (field == "mitigation" and value is not None):
        impacts = value if field == "impacts" else value.impacts or ()
        return {("act", i.task) for i in impacts}
    if field == "correlations":
        return {("act", t) for c in value for t in c.tasks} | {
            ("risk", r) for c in value for r in c.risks
        }
    if field == "branches":
        return {("act", t) for b in value for o in b.options for t in o.tasks}
    if field == "overheads":
        return {("act", o.until) for o in value if o.until}
    return set()


def _tokens(c: Change, old: Project, new: Project) -> tuple[set[Token], ...]:
    """(ids NEW's values refer to, ids OLD's values referred to, ids provided, ids withdrawn)."""
    if c.entity == "project":
        a, b, fields = old, new, c.fields
    else:
        attr, cls, _ = ENTITIES[c.entity]
        a = next((x for x in getattr(old, attr) if x.id == c.id), None)
        b = next((x for x in getattr(new, attr) if x.id == c.id), None)
        fields = c.fields
        if fields == (EXISTS,):
            fields = tuple(f.name for f in dataclasses.fields(cls))
    refers = set().union(*(_refs(f, getattr(b, f)) for f in fields)) if b else set()
    dropped = set().union(*(_refs(f, getattr(a, f)) for f in fields)) if a else set()
    space = {"task": "act", "milestone": "act", "risk": "risk"}.get(c.entity)
    if c.kind in NAMED:  # pools or named calendars added or removed
        old_ids, new_ids = NAMED[c.kind](old), NAMED[c.kind](new)
    else:
        old_ids = {(space, c.id)} if a and space else set()
        new_ids = {(space, c.id)} if b and space else set()
    return refers, dropped, new_ids - old_ids, old_ids - new_ids


NAMED = {  # the names a project-wide change provides or withdraws
    "project-calendars": lambda p: {("calendar", name) for name in p.calendars},
    "project-resources": lambda p: {("resource", r.id) for r in p.resources},
}


def groups(changes: Sequence[Change], old: Project, new: Project) -> list[list[Change]]:
    """The changes in groups that must be made together: a change that refers to an id another
    adds, or that stops referring to an id another removes, joins it (union-find)."""
    parent = list(range(len(changes)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = k = parent[parent[k]]
        return k

    tokens = [_tokens(c, old, new) for c in changes]
    provider = {t: k for k, (_, _, provides, _) in enumerate(tokens) for t in provides}
    droppers: dict[Token, list[int]] = {}
    for k, (_, dropped, _, _) in enumerate(tokens):
        for t in dropped:
            droppers.setdefault(t, []).append(k)
    for k, (refers, _, _, withdrawn) in enumerate(tokens):
        needs = [provider[t] for t in refers if t in provider]
        needs += [j for t in withdrawn for j in droppers.get(t, [])]
        for j in needs:
            parent[root(j)] = root(k)
    groups: dict[int, list[Change]] = {}
    for k, c in enumerate(changes):  # each group where its first change is
        groups.setdefault(root(k), []).append(c)
    return list(groups.values())
