#!/usr/bin/python3
"""The benchmark report without KVM or timing: tools/benchreport renders the
checked-in fixture (tests/bench_report/fixture: synthetic numbers, labelled
as a fixture in its machine.json) through scripts/bench-report.sh --from.

  test_bench_report.py                  every test
  test_bench_report.py ScriptOptions    one class (ctest registers two runs)

The fixture's numbers are chosen so that each verdict occurs: see
EXPECTED_VERDICTS. Its peer_bench.json (bench/peer/PeerBench's format) has
one case not measured, one whose Wasmtime side was timed in groups, and a
commit other than the benchmarks', so the peer section shows each of those. BM_TwoExitFloor ran three repetitions whose median
(40.5 µs) gives the host call's separate-run ratio 1.14x where the mean
(42 µs) would give 1.10x, so that figure also checks that the median is the
figure used.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FIXTURE = os.path.join(HERE, "fixture")
SCRIPT = os.path.join(REPO_ROOT, "scripts", "bench-report.sh")
PEER_SCRIPT = os.path.join(REPO_ROOT, "scripts", "peer-bench.sh")
sys.path.insert(0, os.path.join(REPO_ROOT, "tools", "benchreport"))
import benchreport  # noqa: E402

EXPECTED_VERDICTS = {
    "call_vs_floor": "holds",
    "host_call_vs_two_exit_floor": "misses",
    "call_and_restore_16mib": "holds",
    "call_and_restore_1024mib": "misses",
    "sandbox_from_snapshot": "holds",
    "kill_latency": "not measured",  # the benchmark reported an error
    "max_live_sandboxes": "not measured",  # not in the run at all
    "idle_sandbox_memory": "holds",
    "floor_not_slower_than_call": "holds",
    "tail_call": "holds",
    "tail_call_and_restore": "misses",
    "tail_sandbox_from_snapshot": "holds",
    "peer_fresh_16_pages": "holds",  # 30 µs / 50 µs
    "peer_fresh_256_pages": "misses",  # 80 µs / 100 µs
}
PEER_HEADING = "## Side by side with Wasmtime"
# What the fixture has no data for: BM_KillLatency failed, so no plot of it.
FIGURES_NOT_DRAWN = {"kill_latency"}


def run_script(*args, script=SCRIPT):
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=120)


def render_with_script(run_dir, out):
    result = run_script("--from", run_dir, "--out", out)
    if result.returncode != 0:
        raise AssertionError("bench-report.sh --from failed (%d):\n%s%s" % (result.returncode, result.stdout,
                                                                             result.stderr))
    with open(out, encoding="utf-8") as f:
        return f.read()


def table_rows(page, heading):
    """The cells of the first table under `heading`, header row excluded."""
    lines = page[page.index("\n" + heading + "\n"):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([cell.strip() for cell in cells])
    return rows


def target_texts():
    with open(os.path.join(REPO_ROOT, "tools", "benchreport", "targets.yaml"), encoding="utf-8") as f:
        return {t["id"]: t["text"] for t in yaml.safe_load(f)["targets"]}


class RenderFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="bench_report_test.")
        cls.out = os.path.join(cls.work, "page", "benchmarks.md")
        cls.plots = os.path.join(cls.work, "page", "benchmarks")
        # A plot the fixture cannot draw, as an earlier run would have left it.
        os.makedirs(cls.plots)
        with open(os.path.join(cls.plots, "kill_latency.png"), "wb") as f:
            f.write(b"stale")
        cls.page = render_with_script(FIXTURE, cls.out)
        cls.first_plots = {name: cls.read_bytes(os.path.join(cls.plots, name)) for name in os.listdir(cls.plots)}
        cls.second_page = render_with_script(FIXTURE, cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work)

    @staticmethod
    def read_bytes(path):
        with open(path, "rb") as f:
            return f.read()

    def targets(self):
        """{target text: row} of the page's targets table."""
        return {row[0]: row for row in table_rows(self.page, "## Targets")}

    def test_every_target_has_its_expected_verdict(self):
        rows = self.targets()
        texts = target_texts()
        self.assertEqual(set(texts), set(EXPECTED_VERDICTS), "targets.yaml and this test name the same targets")
        self.assertEqual(len(rows), len(texts))
        for target_id, verdict in EXPECTED_VERDICTS.items():
            with self.subTest(target=target_id):
                self.assertEqual(rows[texts[target_id]][1], "**%s**" % verdict)

    def test_a_missing_benchmark_is_not_measured(self):
        row = self.targets()[target_texts()["max_live_sandboxes"]]
        self.assertEqual(row[2], "not measured")
        self.assertIn("BM_MaxLiveSandboxes did not run", row[4])
        self.assertIn("| sandboxes alive at once (most made) | not measured |", self.page)

    def test_an_errored_benchmark_is_not_measured_with_its_message(self):
        row = self.targets()[target_texts()["kill_latency"]]
        self.assertEqual(row[2], "not measured")
        self.assertIn("BM_KillLatency failed: the call never started", row[4])
        self.assertIn("| mean | not measured (BM_KillLatency failed: the call never started) |", self.page)

    def test_ratios_show_the_absolute_figures_behind_them(self):
        row = self.targets()[target_texts()["call_vs_floor"]]
        self.assertEqual(row[2:6], ["1.06x", "<= 1.10x", "", "separate runs 1.07x (21.5 µs / 20.0 µs)"])

    def test_repetitions_count_by_their_median(self):
        row = self.targets()[target_texts()["host_call_vs_two_exit_floor"]]
        self.assertEqual(row[5], "separate runs 1.14x (46.0 µs / 40.5 µs)")

    def test_names_match_past_google_benchmarks_suffixes_and_arg_names(self):
        # BM_CallHeapSize/heap_mib:16/min_time:1.000/real_time in the JSON
        self.assertIn("| 16 | 21.5 µs | 1.08x |", self.page)

    def test_the_plots_are_written_and_linked_relatively(self):
        linked = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", self.page)
        expected = set(benchreport.FIGURES) - FIGURES_NOT_DRAWN
        self.assertEqual({os.path.splitext(os.path.basename(link))[0] for link in linked}, expected)
        for link in linked:
            self.assertTrue(link.startswith("benchmarks/"), link)
            with open(os.path.join(os.path.dirname(self.out), link), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", link)

    def test_a_plot_not_drawn_this_time_is_removed(self):
        self.assertFalse(os.path.exists(os.path.join(self.plots, "kill_latency.png")))

    def test_the_same_input_renders_the_same_bytes(self):
        self.assertEqual(self.page, self.second_page)
        second_plots = {name: self.read_bytes(os.path.join(self.plots, name)) for name in os.listdir(self.plots)}
        self.assertEqual(set(self.first_plots), set(second_plots))
        for name, data in self.first_plots.items():
            self.assertEqual(data, second_plots[name], "%s differs between two renders" % name)

    def test_the_page_says_it_is_generated_and_from_a_fixture(self):
        self.assertIn("generated by `scripts/bench-report.sh`", self.page)
        self.assertIn("do not edit it by hand", self.page)
        self.assertIn("**Fixture, not a measurement:**", self.page)
        self.assertIn("| CPU | Fixture CPU, 2 CPUs |", self.page)

    def test_the_published_figures_are_ratios_to_each_systems_own_call(self):
        rows = {row[0]: row for row in table_rows(self.page, "## Against the published figures of the system we "
                                                             "re-implement")}
        self.assertEqual(rows["a call with a host function call"][1:5], ["23.6 µs", "1.83x", "46.0 µs", "2.14x"])

    def peer_rows(self):
        """{(case, Wasmtime configuration): row} of the peer section's table; a
        case's title is on its first row only."""
        rows, case = {}, None
        for row in table_rows(self.page, PEER_HEADING):
            case = row[0] or case
            rows[(case, row[1])] = row
        return rows

    def test_the_peer_section_shows_p50_p99_and_ratios_per_wasmtime_configuration(self):
        rows = self.peer_rows()
        case = "(b) fresh state per request: write 16 pages"
        self.assertEqual(rows[(case, "default")][2:],
                         ["30.0 µs", "120 µs", "50.0 µs", "150 µs", "0.60x", "0.80x"])
        # Ours once per case; each configuration's own figures and ratios.
        self.assertEqual(rows[(case, "pooling allocator")][2:],
                         ["", "", "45.0 µs", "240 µs", "0.67x", "0.50x"])
        self.assertEqual(rows[(case, "pooling, memory kept resident")][6:], ["0.75x", "0.75x"])

    def test_a_peer_case_not_measured_says_why(self):
        rows = self.peer_rows()
        self.assertIn("not measured (lua.elf not built (fixture))",
                      rows[("(c) fresh state per request: script, recursive fib(15)", "")][2])

    def test_a_request_timed_in_groups_says_its_p99_is_of_means(self):
        row = self.peer_rows()[("(d) a call on a live instance: Add(40, 2)", "default")]
        self.assertEqual(row[4:8], ["80.0 ns", "200 ns (means of 16)", "400.0x", "275.0x"])

    def test_the_peer_section_states_the_isolation_the_run_and_the_notes(self):
        section = self.page[self.page.index(PEER_HEADING):]
        self.assertIn("- hyperlight: fixture: a KVM virtual machine per sandbox.", section)
        self.assertIn("- Wasmtime: fixture: in-process software fault isolation.", section)
        self.assertIn("2026-12-01T10:00:00Z (UTC), commit 1111111", section)
        self.assertIn("**Not the commit of the benchmarks above (0000000)**", section)
        self.assertIn("Not like for like: fixture note on the script case.", section)
        self.assertIn("cost 1.50 µs in that run", section)
        self.assertIn("**How to read it.**", section)  # peer.md
        self.assertNotIn("quick run", section)
        # Before the script guests, after the published figures.
        self.assertLess(self.page.index("## Against the published figures"), self.page.index(PEER_HEADING))
        self.assertLess(self.page.index(PEER_HEADING), self.page.index("## Script guests"))

    def test_peer_targets_show_their_figures_and_the_other_configurations(self):
        row = self.targets()[target_texts()["peer_fresh_256_pages"]]
        self.assertEqual(row[2:5], ["0.80x", "<= 0.70x", "80.0 µs / 100 µs"])
        self.assertEqual(row[5], "p99 0.75x (300 µs / 400 µs), vs pooling 0.89x (80.0 µs / 90.0 µs), "
                                 "vs pooling, memory kept resident 2.00x (80.0 µs / 40.0 µs)")

    def test_the_script_guests_section_shows_ratios_to_native_and_errors(self):
        rows = {(row[0], row[1]): row for row in table_rows(self.page, "## Script guests")}
        self.assertEqual(rows[("Lua", "hl_call_and_restore")][3:5], ["41.0 µs", "1.02x"])
        self.assertIn("Eval returned something else than expected",
                      rows[("JavaScript (Duktape)", "sandbox from snapshot + call")][3])


class RenderWithout(unittest.TestCase):
    """What a partial run directory renders to."""

    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="bench_report_test.")
        self.run_dir = os.path.join(self.work, "run")
        shutil.copytree(FIXTURE, self.run_dir)

    def tearDown(self):
        shutil.rmtree(self.work)

    def test_no_script_bench_json_no_script_section(self):
        os.remove(os.path.join(self.run_dir, "script_bench.json"))
        page = render_with_script(self.run_dir, os.path.join(self.work, "benchmarks.md"))
        self.assertNotIn("## Script guests", page)

    def test_no_peer_bench_json_no_peer_section_and_its_targets_not_measured(self):
        os.remove(os.path.join(self.run_dir, "peer_bench.json"))
        page = render_with_script(self.run_dir, os.path.join(self.work, "benchmarks.md"))
        self.assertNotIn(PEER_HEADING, page)
        rows = {row[0]: row for row in table_rows(page, "## Targets")}
        for target_id in ("peer_fresh_16_pages", "peer_fresh_256_pages"):
            row = rows[target_texts()[target_id]]
            self.assertEqual(row[1], "**not measured**")
            self.assertIn("no peer_bench.json in the run", row[4])

    def test_a_quick_peer_run_says_so(self):
        path = os.path.join(self.run_dir, "peer_bench.json")
        with open(path, encoding="utf-8") as f:
            peer = json.load(f)
        peer["machine"]["quick"] = True
        with open(path, "w", encoding="utf-8") as f:
            json.dump(peer, f)
        page = render_with_script(self.run_dir, os.path.join(self.work, "benchmarks.md"))
        self.assertIn("> **A quick run (`--quick`): rough figures, not to quote.**", page)

    def test_a_peer_json_of_another_format_exits_2_with_the_file_named(self):
        with open(os.path.join(self.run_dir, "peer_bench.json"), "w") as f:
            f.write('{"format": "something else", "cases": []}')
        result = run_script("--from", self.run_dir, "--out", os.path.join(self.work, "benchmarks.md"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("peer_bench.json: not a peer bench JSON output", result.stderr)

    def test_an_empty_run_renders_every_target_not_measured_and_no_plot(self):
        with open(os.path.join(self.run_dir, "hyperlight_bench.json"), "w") as f:
            f.write('{"context": {}, "benchmarks": []}')
        os.remove(os.path.join(self.run_dir, "peer_bench.json"))
        page = render_with_script(self.run_dir, os.path.join(self.work, "benchmarks.md"))
        verdicts = {row[1] for row in table_rows(page, "## Targets")}
        self.assertEqual(verdicts, {"**not measured**"})
        self.assertNotIn("![", page)
        self.assertEqual(os.listdir(os.path.join(self.work, "benchmarks")), [])

    def test_a_broken_json_exits_2_with_the_file_named(self):
        with open(os.path.join(self.run_dir, "hyperlight_bench.json"), "w") as f:
            f.write('{"benchmarks": [')
        result = run_script("--from", self.run_dir, "--out", os.path.join(self.work, "benchmarks.md"))
        self.assertEqual(result.returncode, 2)
        self.assertIn("hyperlight_bench.json", result.stderr)


class NameMatching(unittest.TestCase):
    def run_of(self, *names, threads=None):
        threads = threads or {}
        return benchreport.Run([{"name": n, "run_name": n, "run_type": "iteration", "threads": threads.get(n, 1),
                                 "real_time": 1.0, "time_unit": "ns"} for n in names])

    def test_decorations_are_not_arguments(self):
        self.assertEqual(benchreport.split_name("BM_X/16/1024/min_time:1.000/real_time"),
                         (("BM_X", "16", "1024"), {"min_time:1.000", "real_time"}))
        self.assertEqual(benchreport.split_name("BM_X/pages:16/iterations:200/manual_time/repeats:3")[0],
                         ("BM_X", "16"))

    def test_a_name_matches_by_its_leading_arguments_and_whole_segments(self):
        run = self.run_of("BM_SandboxFromSnapshotAllKept/2/iterations:50/manual_time",
                          "BM_SandboxFromSnapshot/iterations:200/manual_time", "BM_IdleSandboxMemory/1000")
        self.assertEqual(run.find("BM_SandboxFromSnapshot").name, "BM_SandboxFromSnapshot/iterations:200/manual_time")
        self.assertEqual(run.find("BM_IdleSandboxMemory").name, "BM_IdleSandboxMemory/1000")
        self.assertIsNone(run.find("BM_SandboxFrom"))
        self.assertIsNone(run.find("BM_IdleSandboxMemory/10"))

    def test_an_exact_argument_match_wins_over_a_longer_one(self):
        run = self.run_of("BM_Y/4/min_time:1.000", "BM_Y/min_time:1.000")
        self.assertEqual(run.find("BM_Y").name, "BM_Y/min_time:1.000")

    def test_a_named_decoration_must_be_there(self):
        one, two = "BM_CallThroughput/real_time/threads:1", "BM_CallThroughput/real_time/threads:2"
        run = self.run_of(one, two, threads={two: 2})
        self.assertEqual(run.find("BM_CallThroughput/threads:2").name, two)
        self.assertEqual(run.find("BM_CallThroughput/threads:1").name, one)
        self.assertIsNone(run.find("BM_CallThroughput/manual_time"))


class Targets(unittest.TestCase):
    def test_an_invalid_targets_file_names_every_problem(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump({"targets": [
                {"id": "a", "text": "t", "compute": {"ratio": ["BM_A"]}, "limit": {"at_most": 1}},
                {"id": "a", "text": "t", "compute": {"counter": ["BM_B", "c"]}, "limit": {"around": 1}},
                {"id": "b", "text": "t", "compute": {"peer_ratio": ["fresh_add", "p50"]}, "limit": {"at_most": 1}},
            ]}, f)
        try:
            with self.assertRaises(benchreport.InputError) as caught:
                benchreport.load_targets(f.name)
        finally:
            os.remove(f.name)
        message = str(caught.exception)
        self.assertIn("ratio needs a list of two", message)
        self.assertIn("peer_ratio's statistic must be one of median, p99, mean", message)
        self.assertIn("duplicate id", message)
        self.assertIn("limit must be one of", message)


class ScriptOptions(unittest.TestCase):
    """scripts/bench-report.sh refuses what it does not know, before building anything."""

    def assert_usage_error(self, args, message):
        result = run_script(*args)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(message, result.stderr)
        self.assertIn("usage: scripts/bench-report.sh", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_an_unknown_option_exits_2(self):
        self.assert_usage_error(["--bogus"], "unknown option: --bogus")

    def test_an_argument_that_is_no_option_exits_2(self):
        self.assert_usage_error(["docs/benchmarks.md"], "unexpected argument: docs/benchmarks.md")

    def test_an_option_without_its_value_exits_2(self):
        self.assert_usage_error(["--out"], "--out needs a value")
        self.assert_usage_error(["--filter="], "--filter needs a value")

    def test_from_a_directory_without_a_run_exits_2(self):
        self.assert_usage_error(["--from", HERE], "no hyperlight_bench.json and machine.json")

    def test_from_with_options_of_a_run_exits_2(self):
        self.assert_usage_error(["--from", FIXTURE, "--quick"], "--quick, --filter and --peer apply to a new run")
        self.assert_usage_error(["--from", FIXTURE, "--peer"], "--quick, --filter and --peer apply to a new run")

    def test_help_exits_0(self):
        result = run_script("--help")
        self.assertEqual(result.returncode, 0)
        self.assertIn("--from DIR", result.stdout)
        self.assertIn("--peer", result.stdout)


    # scripts/peer-bench.sh, which bench-report.sh --peer runs, the same way.

    def assert_peer_usage_error(self, args, message):
        result = run_script(*args, script=PEER_SCRIPT)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn(message, result.stderr)
        self.assertIn("usage: scripts/peer-bench.sh", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_peer_bench_refuses_unknown_options_and_arguments(self):
        self.assert_peer_usage_error(["--bogus"], "unknown option: --bogus")
        self.assert_peer_usage_error(["out.json"], "unexpected argument: out.json")

    def test_peer_bench_refuses_an_option_without_its_value(self):
        self.assert_peer_usage_error(["--json"], "--json needs a value")
        self.assert_peer_usage_error(["--json="], "--json needs a value")

    def test_peer_bench_help_exits_0(self):
        result = run_script("--help", script=PEER_SCRIPT)
        self.assertEqual(result.returncode, 0)
        self.assertIn("--json PATH", result.stdout)

if __name__ == "__main__":
    unittest.main()
