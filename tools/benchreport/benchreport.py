#!/usr/bin/python3
"""Render docs/benchmarks.md from one run of the benchmarks.

  benchreport.py --run-dir DIR [--out FILE]

DIR holds what scripts/bench-report.sh recorded:
  hyperlight_bench.json   build/bench/hyperlight_bench's --benchmark_out (JSON)
  script_bench.json       build/bench/hyperlight_script_bench's, if it was run
  peer_bench.json         bench/peer/PeerBench's (scripts/peer-bench.sh), if it was run:
                          hyperlight against Wasmtime, rendered as its own section
  machine.json            the machine, load, date and commit of the run

FILE (default docs/benchmarks.md) is written whole from benchmarks.md.j2; the
plots go to a folder next to it named after it (docs/benchmarks/*.png) and
are linked relatively. Every ratio is taken within the run: timings on this
kind of machine drift by +-15% with load, their ratios much less.

Targets come from targets.yaml, the published figures of the system we
re-implement from published.yaml. A benchmark missing from the run, or one
that reported an error, shows as "not measured", never as a failure of the
report. Bad input (a missing file, an invalid YAML) exits 2 with a message.
"""

import argparse
import dataclasses
import json
import os
import sys

import jinja2
import yaml

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402

TOOL_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.normpath(os.path.join(TOOL_DIR, "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "docs", "benchmarks.md")
HISTORY_PAGE = os.path.join(REPO_ROOT, "docs", "benchmark-history.md")

BENCH_JSON = "hyperlight_bench.json"
SCRIPT_BENCH_JSON = "script_bench.json"
PEER_BENCH_JSON = "peer_bench.json"
MACHINE_JSON = "machine.json"

FLOOR = "BM_ExitFloor"
TWO_EXIT_FLOOR = "BM_TwoExitFloor"
RAW_VM_CREATE = "BM_RawVmCreate"
NOT_MEASURED = "not measured"


class InputError(Exception):
    """The run directory or a YAML file cannot be used; exit 2."""


def read_json(path):
    """The JSON at path; InputError naming the file if it cannot be read or parsed."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise InputError("%s: %s" % (path, e))


# ---------------------------------------------------------------------------
# Benchmark names
#
# Google Benchmark appends what a run was configured with to its name
# (BM_X/16/min_time:1.000/real_time/threads:2). Those segments are
# "decorations"; the rest are the benchmark's arguments, which ArgNames()
# may have written as "pages:16".

DECORATION_KEYS = ("min_time", "min_warmup_time", "iterations", "repeats", "threads")
DECORATION_FLAGS = ("real_time", "manual_time", "process_time")


def is_decoration(segment):
    return segment in DECORATION_FLAGS or segment.split(":", 1)[0] in DECORATION_KEYS


def split_name(name):
    """'BM_T/pages:16/4/real_time' -> (('BM_T', '16', '4'), {'real_time'})."""
    arguments, decorations = [], set()
    for segment in name.split("/"):
        if is_decoration(segment):
            decorations.add(segment)
        else:
            arguments.append(segment.split(":", 1)[-1])
    return tuple(arguments), decorations


def numeric(text):
    """An argument as a number for sorting and plotting ('16' -> 16)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


# ---------------------------------------------------------------------------
# One run's results

# Keys of a JSON benchmark entry that are not counters.
ENTRY_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit", "aggregate_name",
    "aggregate_unit", "error_occurred", "error_message", "label",
}
NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# Counters whose name ends so are times, in that unit.
TIME_COUNTER_SUFFIXES = {"_ns": 1.0, "_us": 1e3, "_ms": 1e6}


@dataclasses.dataclass
class Result:
    """One benchmark (one run_name) of a run."""

    name: str
    arguments: tuple
    decorations: set
    time_ns: float
    counters: dict
    error: str = None


def representative_entry(entries):
    """The entry that stands for a benchmark run several times: an error if
    any repetition failed, else the median aggregate, else the mean, else the
    median repetition."""
    for entry in entries:
        if entry.get("error_occurred"):
            return entry
    aggregates = {e.get("aggregate_name"): e for e in entries if e.get("run_type") == "aggregate"}
    for preferred in ("median", "mean"):
        if preferred in aggregates:
            return aggregates[preferred]
    repetitions = sorted((e for e in entries if e.get("run_type", "iteration") == "iteration"),
                         key=lambda e: e.get("real_time", 0))
    return repetitions[(len(repetitions) - 1) // 2] if repetitions else entries[0]


def result_from_entry(entry):
    run_name = entry.get("run_name", entry["name"])
    arguments, decorations = split_name(run_name)
    # Matched on the JSON's own field: a single-thread run's name may omit it.
    decorations.add("threads:%d" % entry.get("threads", 1))
    counters = {k: float(v) for k, v in entry.items()
                if k not in ENTRY_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)}
    time_ns = float(entry.get("real_time", 0)) * NS_PER_UNIT.get(entry.get("time_unit", "ns"), 1.0)
    error = (entry.get("error_message") or "error") if entry.get("error_occurred") else None
    return Result(run_name, arguments, decorations, time_ns, counters, error)


class Run:
    """The benchmarks of one JSON file, in the order they ran."""

    def __init__(self, entries, context=None):
        by_run_name = {}
        for entry in entries:
            by_run_name.setdefault(entry.get("run_name", entry.get("name")), []).append(entry)
        self.results = [result_from_entry(representative_entry(group)) for group in by_run_name.values()]
        self.context = context or {}

    @classmethod
    def load(cls, path):
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("benchmarks", []), list):
            raise InputError("%s: not a Google Benchmark JSON output" % path)
        return cls(data.get("benchmarks", []), data.get("context"))

    def find(self, reference):
        """The result named by `reference`, or None when it did not run.

        Its arguments must begin the result's (BM_IdleSandboxMemory finds
        BM_IdleSandboxMemory/1000) and any decoration it names must be the
        result's (BM_CreateThreads/threads:2); an exact argument match wins.
        """
        arguments, decorations = split_name(reference)
        candidates = [r for r in self.results
                      if r.arguments[:len(arguments)] == arguments and decorations <= r.decorations]
        exact = [r for r in candidates if len(r.arguments) == len(arguments)]
        return (exact or candidates or [None])[0]

    def family(self, family_name):
        """All results of BM_X/..., sorted by their numeric arguments."""
        members = [r for r in self.results if r.arguments[0] == family_name and len(r.arguments) > 1]
        try:
            return sorted(members, key=lambda r: tuple(numeric(a) for a in r.arguments[1:]))
        except ValueError:
            return members


# ---------------------------------------------------------------------------
# Numbers as the page shows them


def format_time(ns):
    """Three significant figures in the unit that suits: 850 ns, 24.1 µs, 1.68 ms."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return "%s %s" % (three_figures(ns / scale), unit)
    return "%s ns" % three_figures(ns)


def three_figures(value):
    if value >= 100:
        return "%.0f" % value
    if value >= 10:
        return "%.1f" % value
    return "%.2f" % value


def format_ratio(value):
    return ("%.2fx" if value < 10 else "%.1fx") % value


def format_amount(value, unit=""):
    text = "%d" % value if float(value).is_integer() else "%.1f" % value
    return "%s %s" % (text, unit) if unit else text


def format_rate(per_second):
    for unit, scale in (("M/s", 1e6), ("k/s", 1e3)):
        if per_second >= scale:
            return "%s %s" % (three_figures(per_second / scale), unit)
    return "%s /s" % three_figures(per_second)


# ---------------------------------------------------------------------------
# Quantities: a benchmark's time, a counter, a ratio of two


@dataclasses.dataclass
class Figure:
    """A measured value and its text, or why there is none."""

    value: float = None
    text: str = NOT_MEASURED
    problem: str = None  # why not measured
    source: str = None  # the benchmark it comes from
    failed: bool = False  # the benchmark ran and reported an error (the problem says which)

    @property
    def measured(self):
        return self.value is not None


def missing(problem, source=None, failed=False):
    return Figure(problem=problem, source=source, failed=failed)


def benchmark_time(run, reference):
    result = run.find(reference)
    if result is None:
        return missing("%s did not run" % reference, reference)
    if result.error:
        return missing("%s failed: %s" % (reference, result.error), reference, failed=True)
    return Figure(result.time_ns, format_time(result.time_ns), source=reference)


def counter_value(run, reference, counter):
    """A counter; one named *_us (etc.) is a time, returned in ns."""
    result = run.find(reference)
    if result is None:
        return missing("%s did not run" % reference, reference)
    if result.error:
        return missing("%s failed: %s" % (reference, result.error), reference, failed=True)
    if counter not in result.counters:
        return missing("%s has no counter %s" % (reference, counter), reference)
    value = result.counters[counter]
    for suffix, scale in TIME_COUNTER_SUFFIXES.items():
        if counter.endswith(suffix):
            return Figure(value * scale, format_time(value * scale))
    # The interleaved benchmarks' "ratio" (and "floor_over_call", its
    # inverse) is a quotient of two times.
    return Figure(value, format_ratio(value) if counter in ("ratio", "floor_over_call") else format_amount(value))


def operand(run, spec):
    """A benchmark name (its real time) or {counter: [BENCH, NAME]}."""
    if isinstance(spec, str):
        return benchmark_time(run, spec)
    return counter_value(run, *spec["counter"])


def ratio(numerator, denominator):
    """numerator / denominator, or the first reason one of them is missing."""
    if not numerator.measured:
        return numerator
    if not denominator.measured:
        return denominator
    if denominator.value <= 0:
        return missing("a zero denominator")
    value = numerator.value / denominator.value
    return Figure(value, format_ratio(value))


@dataclasses.dataclass
class Computed:
    figure: Figure
    behind: str  # the absolute figures behind a ratio: "24.1 µs / 21.9 µs"


def compute(run, spec, unit="x", peer=None):
    """spec's value from the run (and the peer bench's run, for peer_ratio)."""
    if "peer_ratio" in spec:
        return peer_ratio(peer, *spec["peer_ratio"])
    if "ratio" in spec:
        top, bottom = (operand(run, side) for side in spec["ratio"])
        behind = "%s / %s" % (top.text, bottom.text) if top.measured and bottom.measured else ""
        return Computed(ratio(top, bottom), behind)
    figure = counter_value(run, *spec["counter"])
    if figure.measured and unit != "x":
        figure.text = format_amount(figure.value, unit)
    return Computed(figure, "")


# ---------------------------------------------------------------------------
# targets.yaml and published.yaml

LIMIT_KINDS = {"at_most": ("<=", lambda v, l: v <= l), "below": ("<", lambda v, l: v < l),
               "at_least": (">=", lambda v, l: v >= l)}


def load_yaml(path):
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise InputError("%s: %s" % (path, e))


def check_compute(where, spec, problems):
    if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in ("ratio", "counter", "peer_ratio"):
        problems.append("%s: compute must be {ratio: [A, B]}, {counter: [BENCH, NAME]} or "
                        "{peer_ratio: [CASE, STATISTIC(, SYSTEM)]}" % where)
        return
    kind, value = next(iter(spec.items()))
    if kind == "peer_ratio":
        if not isinstance(value, list) or len(value) not in (2, 3):
            problems.append("%s: peer_ratio needs [CASE, STATISTIC] or [CASE, STATISTIC, SYSTEM]" % where)
        elif value[1] not in PEER_STATISTICS:
            problems.append("%s: peer_ratio's statistic must be one of %s" % (where, ", ".join(PEER_STATISTICS)))
        return
    if not isinstance(value, list) or len(value) != 2:
        problems.append("%s: %s needs a list of two" % (where, kind))


def load_targets(path):
    """The targets, validated; every problem found is reported at once."""
    targets = (load_yaml(path) or {}).get("targets") or []
    problems, seen = [], set()
    for index, target in enumerate(targets):
        where = "%s: target %s" % (path, target.get("id", "#%d" % (index + 1)))
        for key in ("id", "text", "compute", "limit"):
            if key not in target:
                problems.append("%s: no %s" % (where, key))
        if target.get("id") in seen:
            problems.append("%s: duplicate id" % where)
        seen.add(target.get("id"))
        check_compute(where, target.get("compute"), problems)
        for also in target.get("also") or []:
            check_compute("%s: also %s" % (where, also.get("label")), also.get("compute"), problems)
        limit = target.get("limit")
        if not isinstance(limit, dict) or len(limit) != 1 or next(iter(limit)) not in LIMIT_KINDS:
            problems.append("%s: limit must be one of %s" % (where, ", ".join(LIMIT_KINDS)))
    if problems:
        raise InputError("\n".join(problems))
    return targets


def judge(run, target, peer=None):
    """A target's row: verdict, value, limit, the figures behind it."""
    unit = target.get("unit", "x")
    computed = compute(run, target["compute"], unit, peer)
    (kind, limit), = target["limit"].items()
    symbol, holds = LIMIT_KINDS[kind]
    figure = computed.figure
    if figure.measured:
        verdict = "holds" if holds(figure.value, limit) else "misses"
    else:
        verdict = NOT_MEASURED
    also = []
    for extra in target.get("also") or []:
        shown = compute(run, extra["compute"], unit, peer)
        behind = " (%s)" % shown.behind if shown.behind and shown.figure.measured else ""
        also.append("%s %s%s" % (extra["label"], shown.figure.text, behind))
    return {
        "id": target["id"],
        "text": target["text"],
        "verdict": verdict,
        "value": figure.text,
        "limit": "%s %s" % (symbol, format_ratio(limit) if unit == "x" else format_amount(limit, unit)),
        "behind": computed.behind if figure.measured else figure.problem,
        "also": ", ".join(also),
        "explanation": (target.get("explanation") or "").strip(),
    }


# ---------------------------------------------------------------------------
# Plots: deterministic names, no timestamps, so the same JSON gives the same bytes

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
LINE_STYLES = ("-", "--", ":", "-.")


def new_axes(title, xlabel, ylabel):
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="major", alpha=0.3)
    return fig, ax


def save(fig, path):
    fig.tight_layout()
    # metadata: matplotlib writes its version as "Software" unless told not to.
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)


def draw_lines(path, title, xlabel, ylabel, series, xscale="linear", yscale="linear", hlines=()):
    """series: (label, xs, ys, color index, style index); hlines: (label, y)."""
    fig, ax = new_axes(title, xlabel, ylabel)
    for label, xs, ys, color, style in series:
        ax.plot(xs, ys, marker="o", color=COLORS[color % len(COLORS)],
                linestyle=LINE_STYLES[style % len(LINE_STYLES)], label=label)
    for index, (label, y) in enumerate(hlines):
        ax.axhline(y, color="grey", linestyle=LINE_STYLES[(index + 1) % len(LINE_STYLES)], label=label, zorder=3)
    if xscale == "symlog":
        ax.set_xscale("symlog", linthresh=1)  # a log axis that still shows 0
        ax.set_xlim(left=0)
    else:
        ax.set_xscale(xscale)
    ax.set_yscale(yscale)
    ax.legend(fontsize="small")
    save(fig, path)


def draw_bars(path, title, ylabel, groups, bar_labels, values, hlines=()):
    """values[bar][group]; a missing value (None) leaves a gap."""
    fig, ax = new_axes(title, "", ylabel)
    width = 0.8 / max(1, len(bar_labels))
    for bar, label in enumerate(bar_labels):
        xs = [g + (bar - (len(bar_labels) - 1) / 2) * width for g in range(len(groups))]
        ys = [v if v is not None else 0 for v in values[bar]]
        ax.bar(xs, ys, width, label=label, color=COLORS[bar % len(COLORS)])
    for index, (label, y) in enumerate(hlines):
        ax.axhline(y, color="grey", linestyle=LINE_STYLES[(index + 1) % len(LINE_STYLES)], label=label, zorder=3)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.legend(fontsize="small")
    save(fig, path)


# ---------------------------------------------------------------------------
# The page's sections


@dataclasses.dataclass
class Table:
    headers: list
    rows: list


@dataclasses.dataclass
class Section:
    table: Table
    figure: str = None  # path relative to the page, when a plot was drawn
    absent: str = None  # why the whole section has nothing to show


# The plots, by file name (without .png): a re-render removes any of these it
# did not draw this time, so a stale plot never sits beside a newer page.
FIGURES = ("call_vs_argument_bytes", "call_vs_heap_size", "restore_vs_dirty_pages", "creation_vs_live_sandboxes",
           "threads_throughput", "kill_latency", "idle_sandbox_memory", "sandbox_creation", "tail_latency")

# (what, benchmark, whether it makes a host call: then its floor is two exits)
CALLS = (
    ("hl_call(Add)", "BM_HlCallAdd", False),
    ("hl_call(AddViaHost): one host call", "BM_HlCallAddViaHost", True),
    ("... the host function typed (hl_register_typed, libffi)", "BM_HlCallAddViaHostTyped", True),
    ("Add through a guest function pointer (libffi closure)", "BM_GuestFunctionPointerAdd", False),
)

# (benchmark with a "ratio" counter, what it compares, the same two in separate runs)
INTERLEAVED = (
    ("BM_InterleavedCallVsFloor", "hl_call(Add) / exit floor", ("BM_HlCallAdd", FLOOR)),
    ("BM_InterleavedHostCallVsTwoExitFloor", "hl_call(AddViaHost) / two-exit floor",
     ("BM_HlCallAddViaHost", TWO_EXIT_FLOOR)),
    ("BM_InterleavedPointerVsHlCall", "guest function pointer / hl_call (Add)",
     ("BM_GuestFunctionPointerAdd", "BM_HlCallAdd")),
    ("BM_InterleavedTypedVsUniformHost", "typed host function / uniform callback (AddViaHost)",
     ("BM_HlCallAddViaHostTyped", "BM_HlCallAddViaHost")),
    ("BM_InterleavedStatsVsHlCall", "hl_call_ex with stats / hl_call (Add)", None),
    ("BM_InterleavedTimeoutVsHlCall", "hl_call_with_timeout (1 s) / hl_call (Add)", None),
    ("BM_InterleavedCallAndRestoreVsCall/16", "call + restore / call, 16 pages, 16 MiB heap",
     ("BM_CallAndRestoreTouch/16/16", "BM_CallTouch/16/16")),
    ("BM_InterleavedCallAndRestoreVsCall/1024", "call + restore / call, 16 pages, 1 GiB heap",
     ("BM_CallAndRestoreTouch/16/1024", "BM_CallTouch/16/1024")),
)

# (benchmark, what it is, an interleaved benchmark whose counter "ratio" is it / the exit it is compared with)
FLOORS = (
    (FLOOR, "one KVM_RUN round trip on a real sandbox's own VM and vCPU, entry registers written through sync_regs as "
     "every call does: THE floor", "BM_InterleavedEntryVsResume"),
    ("BM_ExitFloorResume", "the same without the entry registers: the guest resumes at its jump back to the exit", None),
    (TWO_EXIT_FLOOR, "an exit with entry, then one without: the floor of a call with one host call", None),
    ("BM_BareVmExitFloor", "the old floor: a hand-built 1 MiB VM (its interleaved ratio: against the sandbox's resume)",
     "BM_InterleavedBareVmVsExitFloor"),
)

CREATION = (
    ("raw KVM VM + vCPU, from nothing", RAW_VM_CREATE),
    ("snapshot of a sandbox (16 MiB heap)", "BM_SnapshotCreate"),
    ("sandbox from a snapshot, each deleted before the next", "BM_SandboxFromSnapshot"),
    ("sandbox from a snapshot, all kept, pool of 2", "BM_SandboxFromSnapshotAllKept/2"),
    ("sandbox from a snapshot, all kept, pool off", "BM_SandboxFromSnapshotAllKept/0"),
    ("cold sandbox from the ELF", "BM_ColdSandboxFromElf"),
    ("cold sandbox from the ELF + delete (simpleguest)", "BM_SandboxCreateDelete"),
)

SCRIPT_LANGUAGES = (("Lua", "Lua"), ("JavaScript (Duktape)", "Js"))
SCRIPT_WAYS = (("native, fresh interpreter", "Native"), ("hl_call_and_restore", "CallAndRestore"),
               ("sandbox from snapshot + call", "FromSnapshot"))


class Report:
    """Builds every section of the page from one run."""

    def __init__(self, run, plots_dir, page_dir):
        self.run = run
        self.plots_dir = plots_dir
        self.page_dir = page_dir
        self.floor = benchmark_time(run, FLOOR)
        self.two_exit_floor = benchmark_time(run, TWO_EXIT_FLOOR)
        self.raw_vm_create = benchmark_time(run, RAW_VM_CREATE)
        self.figures_drawn = set()

    # -- cells

    def time_cell(self, reference):
        figure = benchmark_time(self.run, reference)
        return figure.text if figure.measured else self.not_measured_cell(figure)

    @staticmethod
    def not_measured_cell(figure):
        """'not measured', with the error when the benchmark reported one."""
        return "%s (%s)" % (NOT_MEASURED, figure.problem) if figure.failed else NOT_MEASURED

    @staticmethod
    def ratio_cell(value_ns, reference):
        """value / reference; '' without a value (its own cell says why)."""
        if value_ns is None:
            return ""
        if not reference.measured:
            return "no %s" % reference.source
        return format_ratio(value_ns / reference.value)

    def figure_path(self, name):
        self.figures_drawn.add(name)
        return os.path.join(self.plots_dir, name + ".png")

    def figure_link(self, name):
        return os.path.relpath(os.path.join(self.plots_dir, name + ".png"), self.page_dir).replace(os.sep, "/")

    def result_cells(self, result):
        """(time text, time ns or None) of a family member."""
        if result is None:
            return NOT_MEASURED, None
        if result.error:
            return "%s (%s failed: %s)" % (NOT_MEASURED, result.name, result.error), None
        return format_time(result.time_ns), result.time_ns

    # -- tables without plots

    def floors(self):
        rows = []
        for reference, what, interleaved in FLOORS:
            figure = benchmark_time(self.run, reference)
            rows.append([what, "`%s`" % reference, self.time_cell(reference),
                         self.ratio_cell(figure.value, self.floor), self.interleaved_cell(interleaved)])
        return Section(Table(["floor", "benchmark", "time", "x exit floor", "x exit floor, interleaved"], rows))

    def interleaved_cell(self, reference):
        if reference is None:
            return ""
        counted = counter_value(self.run, reference, "ratio")
        return counted.text if counted.measured else self.not_measured_cell(counted)

    def calls(self):
        rows = []
        for what, reference, host_call in CALLS:
            figure = benchmark_time(self.run, reference)
            rows.append([what, "`%s`" % reference, self.time_cell(reference), self.ratio_cell(figure.value, self.floor),
                         self.ratio_cell(figure.value, self.two_exit_floor) if host_call else ""])
        return Section(Table(["call", "benchmark", "time", "x exit floor", "x two-exit floor"], rows))

    def interleaved(self):
        rows = []
        for reference, what, separate in INTERLEAVED:
            apart = ratio(*(benchmark_time(self.run, r) for r in separate)) if separate else None
            rows.append([what, "`%s`" % reference, self.interleaved_cell(reference),
                         "" if apart is None else (apart.text if apart.measured else NOT_MEASURED)])
        return Section(Table(["ratio", "benchmark", "interleaved", "separate runs"], rows))

    # -- scaling series, each a plot and a table

    def call_series(self, family):
        """One row per argument of family (a call time, its ratio to the floor) and the points to plot."""
        rows, xs, ys = [], [], []
        for result in self.run.family(family):
            text, ns = self.result_cells(result)
            rows.append([result.arguments[1], text, self.ratio_cell(ns, self.floor)])
            if ns is not None:
                xs.append(numeric(result.arguments[1]))
                ys.append(ns / 1e3)
        return rows, xs, ys

    def argument_bytes(self):
        results = self.run.family("BM_CallArgBytes")
        if not results:
            return self.absent("BM_CallArgBytes")
        rows, xs, ys = self.call_series("BM_CallArgBytes")
        limit = next((r.counters["input_buffer_bytes"] for r in results if "input_buffer_bytes" in r.counters), None)
        table = Table(["argument bytes", "hl_call", "x exit floor"], rows)
        if limit is not None:
            table.rows.append(["input buffer used", format_amount(limit, "bytes"), ""])
        return self.plotted(table, "call_vs_argument_bytes", lambda path: draw_lines(
            path, "hl_call with one bytes argument", "argument bytes", "µs per call",
            [("hl_call", xs, ys, 0, 0)], xscale="symlog", hlines=self.floor_line()), bool(xs))

    def heap_size(self):
        if not self.run.family("BM_CallHeapSize"):
            return self.absent("BM_CallHeapSize")
        rows, xs, ys = self.call_series("BM_CallHeapSize")
        return self.plotted(Table(["heap MiB", "hl_call(Add)", "x exit floor"], rows), "call_vs_heap_size",
                            lambda path: draw_lines(path, "hl_call(Add) by heap size", "heap (MiB)", "µs per call",
                                                    [("hl_call(Add)", xs, ys, 0, 0)], xscale="log",
                                                    hlines=self.floor_line()), bool(xs))

    def dirty_pages(self):
        kinds = (("call", "BM_CallTouch"), ("restore", "BM_RestoreDirty"), ("call + restore", "BM_CallAndRestoreTouch"))
        by_kind = {family: {r.arguments[1:3]: r for r in self.run.family(family) if len(r.arguments) >= 3}
                   for _, family in kinds}
        points = sorted({key for results in by_kind.values() for key in results},
                        key=lambda key: (numeric(key[1]), numeric(key[0])))
        if not points:
            return self.absent("BM_CallTouch, BM_RestoreDirty or BM_CallAndRestoreTouch")
        rows = []
        for pages, heap in points:
            row, times = [pages, heap], {}
            for label, family in kinds:
                text, ns = self.result_cells(by_kind[family].get((pages, heap)))
                row += [text, self.ratio_cell(ns, self.floor)]
                times[label] = ns
            both, call = times["call + restore"], times["call"]
            row.append(format_ratio(both / call) if both is not None and call else "")
            rows.append(row)
        table = Table(["pages", "heap MiB", "call", "x floor", "restore", "x floor", "call + restore", "x floor",
                       "call + restore / call"], rows)
        series = []
        heaps = sorted({heap for _, heap in points}, key=numeric)
        for color, (label, family) in enumerate(kinds):
            for style, heap in enumerate(heaps):
                measured = [(numeric(p), r.time_ns / 1e3) for (p, h), r in sorted(
                    by_kind[family].items(), key=lambda item: numeric(item[0][0])) if h == heap and not r.error]
                if measured:
                    xs, ys = zip(*measured)
                    series.append(("%s, %s MiB heap" % (label, heap), list(xs), list(ys), color, style))
        return self.plotted(table, "restore_vs_dirty_pages", lambda path: draw_lines(
            path, "call, restore and call + restore by pages written", "dirty pages", "µs",
            series, xscale="log", yscale="log", hlines=self.floor_line()), bool(series))

    def live_sandboxes(self):
        results = self.run.family("BM_CreateWithLive")
        if not results:
            return self.absent("BM_CreateWithLive")
        rows, xs, p50s, p99s = [], [], [], []
        for result in results:
            text, ns = self.result_cells(result)
            if ns is None:  # its error is in the mean's cell
                rows.append([result.arguments[1], text, "", "", "", ""])
                continue
            p50 = counter_value(self.run, result.name, "p50_us")
            p99 = counter_value(self.run, result.name, "p99_us")
            rows.append([result.arguments[1], text, p50.text, p99.text, self.ratio_cell(p50.value, self.raw_vm_create),
                         self.ratio_cell(p50.value, self.floor)])
            if p50.measured and p99.measured:
                xs.append(numeric(result.arguments[1]))
                p50s.append(p50.value / 1e3)
                p99s.append(p99.value / 1e3)
        table = Table(["live sandboxes", "mean", "p50", "p99", "p50 x raw VM create", "p50 x exit floor"], rows)
        return self.plotted(table, "creation_vs_live_sandboxes", lambda path: draw_lines(
            path, "a sandbox from a snapshot while others stay alive", "live sandboxes", "µs per creation",
            [("p50", xs, p50s, 0, 0), ("p99", xs, p99s, 1, 1)], xscale="log",
            hlines=self.reference_line("raw VM create", self.raw_vm_create)), bool(xs))

    def threads(self):
        thread_counts = (1, 2)
        # (what, family, the floor of one item of it)
        cases = (("creations (from snapshot + delete)", "BM_CreateThreads", self.raw_vm_create),
                 ("calls, hl_call(Add)", "BM_CallThroughput", self.floor))
        rows, rates = [], [[None] * len(cases) for _ in thread_counts]  # rates[bar][group], for the plot
        for group, (what, family, reference) in enumerate(cases):
            for bar, threads in enumerate(thread_counts):
                rate, text = self.items_per_second("%s/threads:%d" % (family, threads))
                rates[bar][group] = rate
                per_item = 1e9 / rate if rate else None
                one_thread = rates[0][group]
                rows.append([what, str(threads), text, format_time(per_item) if per_item else "",
                             self.ratio_cell(per_item, reference),
                             format_ratio(rate / one_thread) if bar and rate and one_thread else ""])
        table = Table(["what", "threads", "per second (all threads)", "1 / rate", "1 / rate x its floor",
                       "x 1 thread"], rows)
        drawable = any(rate is not None for per_bar in rates for rate in per_bar)
        return self.plotted(table, "threads_throughput", lambda path: draw_bars(
            path, "throughput on 1 and 2 threads", "per second (all threads)", [c[0] for c in cases],
            ["%d thread%s" % (t, "s" if t > 1 else "") for t in thread_counts], rates), drawable)

    def items_per_second(self, reference):
        """(rate or None, its cell)."""
        result = self.run.find(reference)
        text, ns = self.result_cells(result)
        if ns is None:
            return None, text
        if "items_per_second" not in result.counters:
            return None, "%s (no items_per_second)" % NOT_MEASURED
        rate = result.counters["items_per_second"]
        return rate, format_rate(rate)

    def kill_latency(self):
        if self.run.find("BM_KillLatency") is None:
            return self.absent("BM_KillLatency")
        mean = benchmark_time(self.run, "BM_KillLatency")
        figures = [("mean", mean), ("p50", counter_value(self.run, "BM_KillLatency", "p50_us")),
                   ("p99", counter_value(self.run, "BM_KillLatency", "p99_us"))]
        rows = [[label, f.text if f.measured else self.not_measured_cell(f), self.ratio_cell(f.value, self.floor)]
                for label, f in figures]
        measured = [(label, f.value / 1e3) for label, f in figures if f.measured]
        hlines = self.floor_line() + ([("1.5x floor (target)", 1.5 * self.floor.value / 1e3)]
                                      if self.floor.measured else [])
        return self.plotted(Table(["statistic", "hl_kill to the call returning", "x exit floor"], rows),
                            "kill_latency", lambda path: draw_bars(
                                path, "kill latency", "µs", [m[0] for m in measured], ["kill latency"],
                                [[m[1] for m in measured]], hlines=hlines), bool(measured))

    # (what, the benchmark, the p99 / p50 target or None)
    TAIL_KINDS = (("the exit floor, exit by exit (the machine's own tail)", "BM_ExitFloorTail", None),
                  ("hl_call(Add) on a live sandbox", "BM_Tail/kind:0", 2.0),
                  ("hl_call_and_restore(Add)", "BM_Tail/kind:1", 2.0),
                  ("sandbox from a snapshot, hl_call(Add), delete", "BM_Tail/kind:2", None))

    def tail_latency(self):
        """BM_Tail's p50/p99 per request kind, with the process's CPU per request."""
        if not any(self.run.find(name) for _, name, _ in self.TAIL_KINDS):
            return self.absent("BM_Tail")
        rows, p50s, p99s = [], [], []
        for what, name, limit in self.TAIL_KINDS:
            p50, p99 = counter_value(self.run, name, "p50_us"), counter_value(self.run, name, "p99_us")
            cpu = counter_value(self.run, name, "cpu_us_per_request")
            spread = ratio(p99, p50)
            rows.append([what, p50.text if p50.measured else self.not_measured_cell(p50),
                         p99.text if p99.measured else self.not_measured_cell(p99),
                         spread.text if spread.measured else NOT_MEASURED,
                         "<= %s" % format_ratio(limit) if limit else "",
                         format_time(cpu.value * 1e3) if cpu.measured else "", self.ratio_cell(p50.value, self.floor)])
            p50s.append(p50.value / 1e3 if p50.measured else None)
            p99s.append(p99.value / 1e3 if p99.measured else None)
        table = Table(["request", "p50", "p99", "p99 / p50", "target", "process CPU per request", "p50 x exit floor"],
                      rows)
        return self.plotted(table, "tail_latency", lambda path: draw_bars(
            path, "tail latency, steady loop on one thread", "µs", [k[0] for k in self.TAIL_KINDS], ["p50", "p99"],
            [p50s, p99s], hlines=self.floor_line()), any(v is not None for v in p50s))

    def request_throughput(self):
        """BM_Throughput: requests per second on 1 and 2 threads, with the process's CPU per request."""
        kinds = (("hl_call_and_restore(Add)", 1), ("sandbox from a snapshot, hl_call(Add), delete", 2))
        rows = []
        for what, kind in kinds:
            for threads in (1, 2):
                name = "BM_Throughput/kind:%d/threads:%d" % (kind, threads)
                rate, text = self.items_per_second(name)
                cpu = counter_value(self.run, name, "cpu_us_per_request")
                cores = counter_value(self.run, name, "cores_used")
                rows.append([what, str(threads), text, format_time(cpu.value * 1e3) if cpu.measured else "",
                             format_amount(cores.value) if cores.measured else ""])
        if all(row[2].startswith(NOT_MEASURED) for row in rows):
            return self.absent("BM_Throughput")
        return Section(Table(["request", "threads", "per second (all threads)", "process CPU per request",
                              "cores used"], rows))

    def memory(self):
        idle = self.run.find("BM_IdleSandboxMemory")
        most = self.run.find("BM_MaxLiveSandboxes")
        if idle is None and most is None:
            return self.absent("BM_IdleSandboxMemory or BM_MaxLiveSandboxes")
        rows, bars = [], []
        alive = idle.arguments[1] if idle is not None and len(idle.arguments) > 1 else "n"
        # (row, bar in the plot or None, benchmark, counter, unit)
        figures = (
            ("RSS per idle sandbox, %s alive" % alive, "RSS, idle", "BM_IdleSandboxMemory", "rss_kib_per_sandbox",
             "KiB"),
            ("PSS per idle sandbox, %s alive" % alive, "PSS, idle", "BM_IdleSandboxMemory", "pss_kib_per_sandbox",
             "KiB"),
            ("sandboxes alive at once (most made)", None, "BM_MaxLiveSandboxes", "max_live", ""),
            ("... the cap it stopped at", None, "BM_MaxLiveSandboxes", "cap", ""),
            ("... a creation failed (1) or the cap was reached (0)", None, "BM_MaxLiveSandboxes", "failed", ""),
            ("RSS per sandbox at that count", "RSS, at max live", "BM_MaxLiveSandboxes", "rss_kib_per_sandbox",
             "KiB"))
        for label, bar, reference, counter, unit in figures:
            figure = counter_value(self.run, reference, counter)
            rows.append([label, format_amount(figure.value, unit) if figure.measured else
                         self.not_measured_cell(figure)])
            if bar and figure.measured:
                bars.append((bar, figure.value))
        return self.plotted(Table(["what", "measured"], rows), "idle_sandbox_memory", lambda path: draw_bars(
            path, "memory per sandbox", "KiB", [b[0] for b in bars], ["KiB per sandbox"], [[b[1] for b in bars]],
            hlines=[("1 MiB (target: below)", 1024)]), bool(bars))

    def creation(self):
        rows, bars = [], []
        for what, reference in CREATION:
            figure = benchmark_time(self.run, reference)
            rows.append([what, "`%s`" % reference, self.time_cell(reference),
                         self.ratio_cell(figure.value, self.raw_vm_create), self.ratio_cell(figure.value, self.floor)])
            if figure.measured:
                bars.append((reference.replace("BM_", "").replace("SandboxFromSnapshot", "FromSnapshot"),
                             figure.value / 1e3))
        table = Table(["what", "benchmark", "time", "x raw VM create", "x exit floor"], rows)
        return self.plotted(table, "sandbox_creation", lambda path: self.draw_creation(path, bars), bool(bars))

    def draw_creation(self, path, bars):
        fig, ax = new_axes("making sandboxes", "µs", "")
        labels = [b[0] for b in bars]
        ax.barh(range(len(bars)), [b[1] for b in bars], color=COLORS[0])
        ax.set_yticks(range(len(bars)))
        ax.set_yticklabels(labels, fontsize="small")
        ax.invert_yaxis()  # in the table's order, top down
        save(fig, path)

    # -- shared by the plotted sections

    def floor_line(self):
        return self.reference_line("exit floor", self.floor)

    @staticmethod
    def reference_line(label, figure):
        return [("%s (%s)" % (label, figure.text), figure.value / 1e3)] if figure.measured else []

    def plotted(self, table, name, draw, drawable):
        if not drawable:
            return Section(table)
        draw(self.figure_path(name))
        return Section(table, figure=self.figure_link(name))

    @staticmethod
    def absent(names):
        return Section(Table([], []), absent="%s: %s did not run" % (NOT_MEASURED, names))


def published_comparison(run, published):
    """Their figures and ours, each as a ratio to the same system's plain call."""
    call = published["call"]
    our_call = benchmark_time(run, call["ours"])
    rows = [[call["text"], "%.1f µs" % call["theirs_us"], "1.00x", our_call.text, "1.00x" if our_call.measured else "",
             "`%s`" % call["ours"]]]
    for figure in published["figures"]:
        ours = benchmark_time(run, figure["ours"])
        ours_ratio = ratio(ours, our_call)
        rows.append([figure["text"], "%.1f µs" % figure["theirs_us"],
                     format_ratio(figure["theirs_us"] / call["theirs_us"]),
                     ours.text if ours.measured else Report.not_measured_cell(ours),
                     ours_ratio.text if ours_ratio.measured else "", "`%s`" % figure["ours"]])
    return Table(["what", "theirs", "theirs / their call", "ours", "ours / our call", "our benchmark"], rows)


def script_guests(script_run):
    """Per request on a fresh interpreter, against the same engine native in the same run."""
    rows = []
    for language, prefix in SCRIPT_LANGUAGES:
        native = benchmark_time(script_run, "BM_%sNative" % prefix)
        for what, way in SCRIPT_WAYS:
            reference = "BM_%s%s" % (prefix, way)
            figure = benchmark_time(script_run, reference)
            versus = ratio(figure, native)
            rows.append([language, what, "`%s`" % reference,
                         figure.text if figure.measured else Report.not_measured_cell(figure),
                         versus.text if versus.measured else ""])
    return Table(["language", "per request", "benchmark", "time", "x native"], rows)


# ---------------------------------------------------------------------------
# The peer bench: hyperlight against Wasmtime (bench/peer/PeerBench)

PEER_FORMAT = "hyperlight-peer-bench/1"
OURS = "hyperlight"
# The Wasmtime configurations, as the JSON and the page name them; the first
# is the one a target's peer_ratio means when it names none.
PEER_SYSTEMS = (
    ("wasmtime", "default"),
    ("wasmtime_pooling", "pooling allocator"),
    ("wasmtime_pooling_keep_resident", "pooling, memory kept resident"),
)
PEER_STATISTICS = ("median", "p99", "mean")
PEER_MISSING = "no %s in the run (scripts/peer-bench.sh, or scripts/bench-report.sh --peer)" % PEER_BENCH_JSON


class PeerRun:
    """One run of bench/peer/PeerBench: per case, each system's median, p99
    and mean in ns, all measured in the same alternating batches."""

    def __init__(self, data):
        self.machine = data.get("machine") or {}
        self.sampling = data.get("sampling") or {}
        self.isolation = data.get("isolation") or {}
        self.systems = data.get("systems") or {}
        self.cases = data["cases"]

    @classmethod
    def load(cls, path):
        data = read_json(path)
        if not isinstance(data, dict) or data.get("format") != PEER_FORMAT or not isinstance(data.get("cases"), list):
            raise InputError("%s: not a peer bench JSON output (format %s)" % (path, PEER_FORMAT))
        return cls(data)

    def case(self, case_id):
        return next((c for c in self.cases if c.get("id") == case_id), None)


def peer_time(case, system, statistic):
    """A system's statistic in one case, as a time Figure."""
    figures = (case.get("results") or {}).get(system)
    if figures is None:
        return missing("%s did not run %s" % (system, case.get("id")))
    value = figures.get(statistic + "_ns")
    if not isinstance(value, (int, float)):
        return missing("%s has no %s_ns for %s" % (case.get("id"), statistic, system))
    return Figure(float(value), format_time(value), source="%s/%s" % (case.get("id"), system))


def peer_ratio(peer, case_id, statistic, system=PEER_SYSTEMS[0][0]):
    """Ours over a Wasmtime configuration's, one statistic of one case."""
    if peer is None:
        return Computed(missing(PEER_MISSING), "")
    case = peer.case(case_id)
    if case is None:
        return Computed(missing("the peer bench has no case %s" % case_id), "")
    if case.get("not_measured"):
        return Computed(missing("%s not measured: %s" % (case_id, case["not_measured"]), failed=True), "")
    ours, theirs = peer_time(case, OURS, statistic), peer_time(case, system, statistic)
    behind = "%s / %s" % (ours.text, theirs.text) if ours.measured and theirs.measured else ""
    return Computed(ratio(ours, theirs), behind)


def peer_comparison(peer, machine):
    """The "Side by side with Wasmtime" section's figures, or None without a peer run."""
    if peer is None:
        return None
    rows = []
    for case in peer.cases:
        title = case.get("title") or case.get("id")
        if case.get("not_measured"):
            rows.append([title, "", "%s (%s)" % (NOT_MEASURED, case["not_measured"]), "", "", "", "", ""])
            continue
        ours = [peer_time(case, OURS, s) for s in ("median", "p99")]
        first = True
        for system, label in PEER_SYSTEMS:
            if system not in (case.get("results") or {}):
                continue
            theirs = [peer_time(case, system, s) for s in ("median", "p99")]
            ratios = [peer_ratio(peer, case["id"], s, system).figure for s in ("median", "p99")]
            rows.append([title if first else "", label] +
                        [f.text if first else "" for f in ours] +
                        [theirs[0].text, theirs[1].text + per_sample_note(case, system)] +
                        [f.text if f.measured else "" for f in ratios])
            first = False
    table = Table(["case", "Wasmtime", "hyperlight p50", "hyperlight p99", "Wasmtime p50", "Wasmtime p99",
                   "ours / Wasmtime p50", "ours / Wasmtime p99"], rows)
    return {
        "table": table,
        "context": peer_context(peer, machine),
        "quick": bool(peer.machine.get("quick")),
        "isolation": [(name, peer.isolation[key]) for key, name in (("hyperlight", "hyperlight"),
                                                                     ("wasmtime", "Wasmtime"))
                      if peer.isolation.get(key)],
        "systems": [(label, peer.systems[system]) for system, label in PEER_SYSTEMS if peer.systems.get(system)],
        "notes": [(c.get("title") or c.get("id"), c["note"]) for c in peer.cases if c.get("note")],
        "first_write": format_time(peer.machine["host_first_write_ns_per_page"])
        if isinstance(peer.machine.get("host_first_write_ns_per_page"), (int, float)) else None,
    }


def per_sample_note(case, system):
    """' (means of N)' when the system's samples each timed N requests (too short to time one by one)."""
    per_sample = ((case.get("results") or {}).get(system) or {}).get("requests_per_sample", 1)
    return " (means of %d)" % per_sample if isinstance(per_sample, int) and per_sample > 1 else ""


def peer_context(peer, machine):
    """When, where and how much the peer bench measured, and whether it is the page's commit."""
    m, sampling = peer.machine, peer.sampling
    parts = ["%s (UTC), commit %s%s" % (machine_field(m, "date_utc"), machine_field(m, "commit"),
                                        " (with uncommitted changes)" if m.get("dirty") else "")]
    if m.get("load_before") or m.get("load_after"):
        parts.append("load %s before, %s after" % (machine_field(m, "load_before"), machine_field(m, "load_after")))
    # "dotnet" names itself (".NET 10.0.12"); the two systems' versions do not.
    versions = [m["dotnet"]] if m.get("dotnet") else []
    versions += ["%s %s" % (name, m[key]) for name, key in (("hyperlight", "hyperlight_version"),
                                                            ("Wasmtime", "wasmtime_version")) if m.get(key)]
    if versions:
        parts.append(", ".join(versions))
    text = "; ".join(parts) + "."
    if all(isinstance(sampling.get(k), int) for k in ("batches", "samples_per_batch", "warmup_requests")):
        text += (" Per system and case: %d samples in %d alternating batches of %d, after %d warm-up requests."
                 % (sampling["batches"] * sampling["samples_per_batch"], sampling["batches"],
                    sampling["samples_per_batch"], sampling["warmup_requests"]))
    if m.get("commit") and machine.get("commit") and m.get("commit") != machine.get("commit"):
        text += " **Not the commit of the benchmarks above (%s)**: a run of its own." % machine["commit"]
    return text


# ---------------------------------------------------------------------------
# The page


def load_machine(path):
    try:
        with open(path, encoding="utf-8") as f:
            machine = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError("%s: %s" % (path, e))
    if not isinstance(machine, dict):
        raise InputError("%s: not a JSON object" % path)
    return machine


def machine_field(machine, key):
    value = machine.get(key)
    if value is None or value == "" or value == []:
        return "not recorded"
    if isinstance(value, list):
        return ", ".join("%.2f" % v if isinstance(v, float) else str(v) for v in value)
    return str(value)


def machine_rows(machine):
    """What the run ran on, as (what, value) rows; a field missing from
    machine.json shows as "not recorded"."""
    commit = machine_field(machine, "commit") + (" (with uncommitted changes)" if machine.get("dirty") else "")
    cpus = machine_field(machine, "cpus")
    kind = "full"
    if machine.get("quick"):
        kind = "quick (HL_BENCH_QUICK=1, --benchmark_min_time=0.01): rough figures"
    if machine.get("filter"):
        kind += "; only the benchmarks matching `%s`" % machine["filter"]
    return [
        ("CPU", "%s, %s CPUs" % (machine_field(machine, "cpu_model"), cpus)),
        ("memory", "%s GiB" % machine_field(machine, "memory_gib")),
        ("kernel", machine_field(machine, "kernel")),
        ("KVM modules", machine_field(machine, "kvm_modules")),
        ("date (UTC)", machine_field(machine, "date_utc")),
        ("commit", commit),
        ("load average (1, 5, 15 min) before", machine_field(machine, "load_before")),
        ("load average (1, 5, 15 min) after", machine_field(machine, "load_after")),
        ("run", kind),
    ]


def markdown_cell(text):
    """A table cell: a '|' or a line break would end it."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def display_path(path):
    """A path as the page shows it: relative to the repository when inside it."""
    relative = os.path.relpath(os.path.abspath(path), REPO_ROOT)
    return path if relative.startswith("..") else relative


def remove_stale_figures(plots_dir, drawn):
    for name in FIGURES:
        path = os.path.join(plots_dir, name + ".png")
        if name not in drawn and os.path.exists(path):
            os.remove(path)


def render(run_dir, out):
    """Writes the page and its plots; returns the page's text."""
    machine = load_machine(os.path.join(run_dir, MACHINE_JSON))
    run = Run.load(os.path.join(run_dir, BENCH_JSON))
    script_path = os.path.join(run_dir, SCRIPT_BENCH_JSON)
    script_run = Run.load(script_path) if os.path.exists(script_path) else None
    peer_path = os.path.join(run_dir, PEER_BENCH_JSON)
    peer = PeerRun.load(peer_path) if os.path.exists(peer_path) else None
    targets = load_targets(os.path.join(TOOL_DIR, "targets.yaml"))
    published = load_yaml(os.path.join(TOOL_DIR, "published.yaml"))

    page_dir = os.path.dirname(os.path.abspath(out))
    plots_dir = os.path.join(page_dir, os.path.splitext(os.path.basename(out))[0])
    os.makedirs(plots_dir, exist_ok=True)
    report = Report(run, plots_dir, page_dir)
    judged = [judge(run, target, peer) for target in targets]
    sections = {
        "floors": report.floors(), "calls": report.calls(), "interleaved": report.interleaved(),
        "argument_bytes": report.argument_bytes(), "heap_size": report.heap_size(),
        "dirty_pages": report.dirty_pages(), "live_sandboxes": report.live_sandboxes(),
        "threads": report.threads(), "kill_latency": report.kill_latency(), "memory": report.memory(),
        "tail_latency": report.tail_latency(), "request_throughput": report.request_throughput(),
        "creation": report.creation(),
    }
    remove_stale_figures(plots_dir, report.figures_drawn)

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TOOL_DIR), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["cell"] = markdown_cell
    text = env.get_template("benchmarks.md.j2").render(
        machine_rows=machine_rows(machine), fixture=machine.get("fixture"), run_dir=display_path(run_dir),
        floor=report.floor, targets=judged,
        missed=[t for t in judged if t["verdict"] == "misses" and t["explanation"]],
        sections=sections, published=published, published_table=published_comparison(run, published),
        script_table=script_guests(script_run) if script_run is not None else None,
        peer=peer_comparison(peer, machine),
        history_link=os.path.relpath(HISTORY_PAGE, page_dir).replace(os.sep, "/"),
        page_is_default=os.path.abspath(out) == DEFAULT_OUT)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description="Render the benchmark page from one run's JSON.")
    parser.add_argument("--run-dir", required=True, help="directory with %s, %s (and %s, %s)" %
                        (BENCH_JSON, MACHINE_JSON, SCRIPT_BENCH_JSON, PEER_BENCH_JSON))
    parser.add_argument("--out", default=DEFAULT_OUT, help="the page to write (default docs/benchmarks.md)")
    args = parser.parse_args(argv)
    try:
        render(args.run_dir, args.out)
    except InputError as e:
        print("benchreport: %s" % e, file=sys.stderr)
        return 2
    print("wrote %s" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
