"""How a lesson is declared: ``Step``, ``Lesson`` and ``option`` for its hyperparameters.

A lesson package ``lessons/lessonN/`` holds ``content.md`` (the words) and
``steps.py`` (the code); its ``__init__.py`` builds one ``Lesson``::

    LESSON = Lesson.build(
        number=1,
        content=Path(__file__).with_name("content.md"),
        config=Lesson1Config,
        steps=[Step("data", run=show_data, code=(gen_data, gen_batch), render=render_data), ...],
    )

Titles, text, order and metadata come from content.md; ``Lesson.build`` checks
that every section has a step and every step a section.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import textwrap
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minigrad.errors import MinigradError
from minigrad.lessons.framework.content import (
    ContentError,
    LessonContent,
    Section,
    load_content,
)

if TYPE_CHECKING:  # context.py imports this module's Lesson for its annotations
    from minigrad.lessons.framework.context import LessonContext

#: Metadata keys of content.md sections the runner understands.
KNOWN_META = ("exercise", "hint")


class LessonOptionError(MinigradError):
    """A lesson option (``--epochs`` and friends) has a value the lesson cannot use."""


def option(
    default: Any,
    help: str,  # noqa: A002 - argparse's name
    *,
    minimum: float | None = None,
    choices: Sequence[Any] | None = None,
    flag: str | None = None,
    metavar: str | None = None,
) -> Any:
    """A hyperparameter of a lesson's config dataclass, with its command-line flag.

    The flag is ``--`` + the field name with ``_`` turned into ``-`` unless
    ``flag`` is given. ``minimum`` and ``choices`` are checked when the config
    is built, with an error that names the flag.
    """
    meta = {"help": help, "minimum": minimum, "choices": choices, "flag": flag, "metavar": metavar}
    return field(default=default, metadata={"lesson_option": meta})


@dataclass(frozen=True)
class OptionSpec:
    """One config field as the command line sees it."""

    name: str
    flag: str
    type: type
    default: Any
    help: str
    minimum: float | None = None
    choices: tuple[Any, ...] | None = None
    metavar: str | None = None


def option_specs(config_cls: type) -> list[OptionSpec]:
    """The command-line view of every field of the config dataclass ``config_cls``."""
    hints = typing.get_type_hints(config_cls)
    specs = []
    for f in dataclasses.fields(config_cls):
        meta = dict(f.metadata.get("lesson_option") or {"help": ""})
        kind = hints.get(f.name, str)
        if kind not in (int, float, str, bool):
            raise TypeError(
                f"{config_cls.__name__}.{f.name}: lesson options must be int, float, str or bool, "
                f"got {kind!r}"
            )
        flag = meta.get("flag") or "--" + f.name.replace("_", "-")
        choices = meta.get("choices")
        specs.append(
            OptionSpec(
                name=f.name,
                flag=flag,
                type=kind,
                default=f.default,
                help=meta.get("help", ""),
                minimum=meta.get("minimum"),
                choices=tuple(choices) if choices is not None else None,
                metavar=meta.get("metavar"),
            )
        )
    return specs


@dataclass
class Step:
    """One step of a lesson: what runs, which code is shown, how the result is drawn.

    * ``id`` matches a ``## <id>: Title`` section of content.md.
    * ``run(ctx)`` does the work and returns the step's result (any object).
    * ``code``: the functions or classes whose source is shown before the step
      runs (default: ``run`` itself), read with ``inspect.getsource`` so the
      code on screen is the code that runs.
    * ``render(result, ctx)`` returns a rich renderable, a list of them, or
      ``None`` (the result is then shown with rich's pretty printer unless it
      is ``None``).

    ``title``, ``text`` and ``meta`` are filled from content.md by ``Lesson.build``.
    """

    id: str
    run: Callable[[LessonContext], Any]
    code: Sequence[Callable[..., Any] | type] | None = None
    render: Callable[[Any, LessonContext], Any] | None = None
    title: str = ""
    text: str = ""
    meta: dict[str, list[str]] = field(default_factory=dict)

    @property
    def exercises(self) -> list[str]:
        """The ids of the graded exercises that go with this step (``<!-- exercise: id -->``)."""
        return list(self.meta.get("exercise", []))

    @property
    def exercise(self) -> str | None:
        """The first of ``exercises``, if any."""
        return self.exercises[0] if self.exercises else None

    @property
    def hints(self) -> list[str]:
        """The hints of this step (content.md ``<!-- hint: ... -->`` lines)."""
        return list(self.meta.get("hint", []))

    def code_objects(self) -> list[Callable[..., Any] | type]:
        """The objects whose source is shown (``code``, or ``run`` when not given)."""
        return list(self.code) if self.code is not None else [self.run]

    def sources(self) -> list[tuple[str, str]]:
        """``(qualified name, dedented source)`` of each shown code object."""
        shown = []
        for obj in self.code_objects():
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
            shown.append((name, textwrap.dedent(inspect.getsource(obj)).rstrip("\n")))
        return shown


@dataclass
class Lesson:
    """A numbered lesson: title, introduction, ordered steps and a config dataclass.

    ``presets`` maps a name to field values (``--preset NAME``); flags given
    explicitly win over the preset. ``default_preset`` applies when no preset
    is named (``None``: the dataclass defaults). ``preflight(config)``, when
    given, runs before the first step and raises for options that would only
    fail later (a checkpoint folder that cannot be written, say), so nothing
    is computed for nothing.
    """

    number: int
    title: str
    intro: str
    steps: list[Step]
    config_cls: type
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    default_preset: str | None = None
    content_path: Path | None = None
    command_hint: str = ""
    preflight: Callable[[Any], None] | None = None

    @classmethod
    def build(
        cls,
        number: int,
        content: str | Path | LessonContent,
        config: type,
        steps: Sequence[Step],
        presets: Mapping[str, Mapping[str, Any]] | None = None,
        default_preset: str | None = None,
        preflight: Callable[[Any], None] | None = None,
    ) -> Lesson:
        """Join the steps to content.md's sections (their order wins) and check both sides."""
        parsed = content if isinstance(content, LessonContent) else load_content(content)
        by_id = {step.id: step for step in steps}
        if len(by_id) != len(steps):
            raise ContentError(f"lesson {number}: two steps share an id")
        section_ids = [s.id for s in parsed.sections]
        missing_code = [i for i in section_ids if i not in by_id]
        missing_text = [i for i in by_id if i not in section_ids]
        if missing_code or missing_text:
            raise ContentError(
                f"lesson {number} ({parsed.source}): sections without a Step: "
                f"{missing_code or '-'}; Steps without a section: {missing_text or '-'}"
            )
        ordered = []
        for section in parsed.sections:
            step = by_id[section.id]
            _check_meta(number, section)
            ordered.append(
                dataclasses.replace(
                    step, title=section.title, text=section.text, meta=dict(section.meta)
                )
            )
        lesson = cls(
            number=number,
            title=parsed.title,
            intro=parsed.intro,
            steps=ordered,
            config_cls=config,
            presets=dict(presets or {}),
            default_preset=default_preset,
            content_path=Path(parsed.source) if parsed.source != "<string>" else None,
            preflight=preflight,
        )
        option_specs(config)  # fail early on an unsupported field type
        for name, values in lesson.presets.items():
            lesson._check_fields(values, f"preset {name!r}")
        if default_preset is not None and default_preset not in lesson.presets:
            raise ContentError(f"lesson {number}: default preset {default_preset!r} is not defined")
        return lesson

    # ----------------------------------------------------------------- config
    def _check_fields(self, values: Mapping[str, Any], where: str) -> None:
        names = {f.name for f in dataclasses.fields(self.config_cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise LessonOptionError(
                f"lesson {self.number}: {where} sets unknown options {unknown}; "
                f"the options are {sorted(names)}"
            )

    def make_config(self, preset: str | None = None, **overrides: Any) -> Any:
        """A config instance: dataclass defaults, then the preset, then ``overrides``.

        Values are checked against each option's ``minimum`` and ``choices``.
        """
        values: dict[str, Any] = {}
        preset = preset if preset is not None else self.default_preset
        if preset is not None:
            if preset not in self.presets:
                raise LessonOptionError(
                    f"lesson {self.number} has no preset {preset!r}; "
                    f"choose one of {sorted(self.presets) or 'none (it has no presets)'}"
                )
            values.update(self.presets[preset])
        overrides = {k: v for k, v in overrides.items() if v is not None}
        self._check_fields(overrides, "the command line")
        values.update(overrides)
        config = self.config_cls(**values)
        for spec in option_specs(self.config_cls):
            value = getattr(config, spec.name)
            if spec.minimum is not None and value < spec.minimum:
                raise LessonOptionError(
                    f"lesson {self.number}: {spec.flag} must be >= {spec.minimum}, got {value}"
                )
            if spec.choices is not None and value not in spec.choices:
                raise LessonOptionError(
                    f"lesson {self.number}: {spec.flag} must be one of "
                    f"{', '.join(map(str, spec.choices))}, got {value!r}"
                )
        return config

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add one flag per config field (default ``None``: "not given") and ``--preset``."""
        group = parser.add_argument_group(f"lesson {self.number} options")
        for spec in option_specs(self.config_cls):
            default_text = _default_text(spec)
            if spec.type is bool:
                group.add_argument(
                    spec.flag,
                    dest=spec.name,
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help=spec.help + default_text,
                )
                continue
            group.add_argument(
                spec.flag,
                dest=spec.name,
                type=spec.type,
                default=None,
                choices=spec.choices,
                metavar=spec.metavar,
                help=spec.help + default_text,
            )
        if self.presets:
            group.add_argument(
                "--preset",
                choices=sorted(self.presets),
                default=None,
                help=f"a named set of options (default: {self.default_preset or 'none'})",
            )

    def config_from_args(self, args: argparse.Namespace) -> Any:
        """The config from parsed arguments (flags not given keep preset/defaults)."""
        overrides = {
            spec.name: getattr(args, spec.name, None) for spec in option_specs(self.config_cls)
        }
        return self.make_config(getattr(args, "preset", None), **overrides)

    def step_index(self, step_id: str) -> int:
        """Position of ``step_id`` in the lesson (LessonOptionError if unknown)."""
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise LessonOptionError(
            f"lesson {self.number} has no step {step_id!r}; steps: "
            f"{', '.join(s.id for s in self.steps)}"
        )


def _default_text(spec: OptionSpec) -> str:
    """`` (default: 10)`` for the help, unless the help already says what the default is."""
    if "(default" in spec.help or spec.default == "":
        return ""
    return f" (default: {spec.default})"


def _check_meta(number: int, section: Section) -> None:
    unknown = sorted(set(section.meta) - set(KNOWN_META))
    if unknown:
        raise ContentError(
            f"lesson {number}, step {section.id!r}: unknown metadata {unknown}; "
            f"known keys: {', '.join(KNOWN_META)}"
        )
