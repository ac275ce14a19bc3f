#!/usr/bin/python3
"""The `hyperlight` CLI end to end, on real KVM (docs/cli.md).

Usage: cli_test.py --cli PATH --guest simpleguest.elf --sdk-guest sdkguest.elf [--lua-guest lua.elf]
                   [--js-guest js.elf] [unittest args]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

CLI = GUEST = SDK_GUEST = LUA_GUEST = JS_GUEST = ""

USAGE, LIBRARY = 2, 1


def hyperlight(*args, stdin=None, timeout=60):
    """Runs the CLI; returns (exit status, stdout, stderr) as text."""
    done = subprocess.run([CLI, *args], input=stdin, capture_output=True, timeout=timeout)
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


class CliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="hl-cli-test-")
        self.addCleanup(self.tmp.cleanup)

    def path(self, name, contents=None):
        p = os.path.join(self.tmp.name, name)
        if contents is not None:
            with open(p, "wb") as f:
                f.write(contents)
        return p

    def ok(self, *args, **kw):
        status, out, err = hyperlight(*args, **kw)
        self.assertEqual(status, 0, f"hyperlight {' '.join(args)}: {err}")
        return out, err

    def fails(self, status, *args, **kw):
        got, out, err = hyperlight(*args, **kw)
        self.assertEqual(got, status, f"hyperlight {' '.join(args)}: stdout {out!r} stderr {err!r}")
        return out, err

    # ------------------------------------------------------------------ run

    def test_add_prints_42(self):
        out, _ = self.ok("run", GUEST, "Add", "40", "2")
        self.assertEqual(out, "42\n")

    def test_negative_numbers_and_options_anywhere(self):
        out, _ = self.ok("run", GUEST, "Add", "-50", "--timeout", "5s", "8")
        self.assertEqual(out, "-42\n")

    def test_string_function(self):
        out, _ = self.ok("run", GUEST, "Echo", "héllo wörld")
        self.assertEqual(out, "héllo wörld\n")

    def test_string_and_bytes_from_files_and_stdin(self):
        text = self.path("text.txt", "from a file".encode())
        out, _ = self.ok("run", GUEST, "Echo", "@" + text)
        self.assertEqual(out, "from a file\n")
        out, _ = self.ok("run", GUEST, "Echo", "@-", stdin=b"from stdin")
        self.assertEqual(out, "from stdin\n")
        status, out, err = hyperlight("run", "--init-data", "-", GUEST, "Echo", "@-", stdin=b"read once")
        self.assertEqual((status, out), (2, ""), "stdin read by --init-data and by @-")
        self.assertIn("stdin can be read once", err)
        out, _ = self.ok("run", GUEST, "Echo", "@@home")
        self.assertEqual(out, "@home\n")
        status, raw, _ = hyperlight("run", GUEST, "Echo", "@" + self.path("nul.txt", b"a\0b"))
        self.assertEqual((status, raw), (0, "a\0b\n"), "a string result keeps its NULs")
        data = self.path("data.bin", bytes([0, 1, 0xFE, 0xFF]))
        out, _ = self.ok("run", SDK_GUEST, "EchoBytes", "bytes:@" + data)
        self.assertEqual(out, "0001feff\n")
        status, raw, _ = hyperlight("run", SDK_GUEST, "ReverseBytes", "0a0b0c", "--raw")
        self.assertEqual(status, 0)
        self.assertEqual(raw.encode("latin-1"), bytes([0x0C, 0x0B, 0x0A]))

    def test_every_kind(self):
        for function, arg, printed in [
            ("EchoI32", "-7", "-7"), ("EchoU32", "0xffffffff", "4294967295"), ("EchoI64", "-9000000000", "-9000000000"),
            ("EchoU64", "18446744073709551615", "18446744073709551615"), ("EchoF32", "1.1", "1.1"),
            ("EchoF64", "-2e-3", "-0.002"), ("EchoBool", "true", "true"), ("EchoBytes", "00ff", "00ff"),
        ]:
            out, _ = self.ok("run", SDK_GUEST, function, arg)
            self.assertEqual(out, printed + "\n", function)

    def test_explicit_kinds_reach_a_fallback(self):
        out, _ = self.ok("run", SDK_GUEST, "DynamicSum", "i32:40", "i32:2")
        self.assertEqual(out, "42\n")
        _, err = self.fails(USAGE, "run", SDK_GUEST, "DynamicSum", "40")
        self.assertIn("argument 1 has no kind", err)

    def test_lua_guest_evaluates_scripts(self):
        if not LUA_GUEST:
            self.skipTest("lua.elf is not built (HL_BUILD_SCRIPT_GUESTS=OFF)")
        out, _ = self.ok("run", LUA_GUEST, "Eval", "return 6*7")
        self.assertEqual(out, "42\n")
        out, _ = self.ok("run", LUA_GUEST, "Eval", "return ('%s and %q'):format('raw', 'quoted')")
        self.assertEqual(out, 'raw and "quoted"\n', "a string result prints as raw text")
        out, _ = self.ok("run", LUA_GUEST, "Eval", "return 'json'", "--json")
        self.assertEqual(json.loads(out)["result"], {"kind": "string", "value": "json"})
        out, _ = self.ok("run", LUA_GUEST, "Eval", "--", "-- a comment first\nprint('printed') return 1")
        self.assertEqual(out, "printed\n1\n")
        out, err = self.fails(LIBRARY, "run", LUA_GUEST, "Eval", "error('boom')")
        self.assertIn('HL_ERROR_GUEST_ERROR', err)
        self.assertIn('[string "error(\'boom\')"]:1: boom', err)
        _, err = self.fails(LIBRARY, "run", "--timeout", "100ms", LUA_GUEST, "Eval", "while true do end")
        self.assertIn("HL_ERROR_TIMEOUT", err)

    def test_js_guest_evaluates_scripts(self):
        if not JS_GUEST:
            self.skipTest("js.elf is not built (HL_BUILD_SCRIPT_GUESTS=OFF)")
        out, _ = self.ok("run", JS_GUEST, "Eval", "6*7")
        self.assertEqual(out, "42\n")
        out, _ = self.ok("run", JS_GUEST, "Eval", "JSON.stringify({a: [1, 'two']})")
        self.assertEqual(out, '{"a":[1,"two"]}\n', "a string result prints as raw text")
        out, _ = self.ok("run", JS_GUEST, "Eval", "'json'", "--json")
        self.assertEqual(json.loads(out)["result"], {"kind": "string", "value": "json"})
        out, _ = self.ok("run", JS_GUEST, "Eval", "--", "-1 + 0; print('printed'); 1")
        self.assertEqual(out, "printed\n1\n")
        out, err = self.fails(LIBRARY, "run", JS_GUEST, "Eval", "var ok = 1;\nthrow new TypeError('boom')")
        self.assertIn('HL_ERROR_GUEST_ERROR', err)
        self.assertIn("TypeError: boom (line 2)", err)
        _, err = self.fails(LIBRARY, "run", "--timeout", "100ms", JS_GUEST, "Eval", "for (;;) {}")
        self.assertIn("HL_ERROR_TIMEOUT", err)

    def test_json_output_parses(self):
        out, _ = self.ok("run", GUEST, "Add", "40", "2", "--json")
        self.assertEqual(json.loads(out), {"function": "Add", "result": {"kind": "i32", "value": 42}})
        out, _ = self.ok("run", GUEST, "Echo", "quote\" and \\", "--json")
        self.assertEqual(json.loads(out)["result"], {"kind": "string", "value": "quote\" and \\"})
        out, err = self.ok("run", GUEST, "PrintHello", "--json")
        self.assertEqual(json.loads(out)["result"], {"kind": "void", "value": None})
        self.assertIn("Hello from the guest!", err, "what the guest prints goes to stderr with --json")
        out, _ = self.fails(LIBRARY, "run", GUEST, "Nope", "--json")
        self.assertEqual(json.loads(out)["error"]["code"], "HL_ERROR_GUEST_FUNCTION_NOT_FOUND")

    def test_repeat_prints_a_timing_summary(self):
        out, err = self.ok("run", GUEST, "Add", "40", "2", "--repeat", "200")
        self.assertEqual(out, "42\n")
        for word in ("200 calls", "min", "median", "p99"):
            self.assertIn(word, err)
        out, _ = self.ok("run", GUEST, "Add", "40", "2", "--repeat", "50", "--json")
        timing = json.loads(out)["timing"]
        self.assertEqual(timing["calls"], 50)
        self.assertTrue(0 < timing["min_ns"] <= timing["median_ns"] <= timing["p99_ns"] <= timing["max_ns"])

    def test_repeat_summarizes_guest_cpu_and_exits(self):
        out, err = self.ok("run", GUEST, "Add", "40", "2", "--repeat", "5")
        self.assertEqual(out, "42\n")
        lines = err.splitlines()
        self.assertEqual(lines[0], "5 calls", err)
        self.assertRegex(lines[1], r"^  wall time: min \S+ [mun]?s, median .*, p99 .* \(mean .*, max .*\)$")
        self.assertRegex(lines[2], r"^  guest CPU: min \S+ [mun]?s, median .*, p99 .* \(mean .*, max .*\)$")
        self.assertRegex(lines[3], r"^  per call:  \d+(\.\d+)? VM exits?, 0 host calls$")
        timing = json.loads(self.ok("run", GUEST, "Add", "40", "2", "--repeat", "5", "--json")[0])["timing"]
        cpu = timing["guest_cpu"]
        self.assertTrue(0 < cpu["min_ns"] <= cpu["median_ns"] <= cpu["p99_ns"] <= cpu["max_ns"], cpu)
        self.assertTrue(cpu["min_ns"] <= cpu["mean_ns"] <= cpu["max_ns"], cpu)
        self.assertGreaterEqual(timing["vm_exits_per_call"], 1, "the call's end is an exit")
        self.assertEqual(timing["host_calls_per_call"], 0)

    def test_repeated_calls_start_from_the_same_state(self):
        # Without the restore between calls the counter would climb.
        out, _ = self.ok("run", GUEST, "ReadCounter", "--repeat", "5")
        self.assertEqual(out, "0\n")

    def test_snapshot_out_then_in(self):
        init = self.path("init.bin", b"abc")
        snap = self.path("app.snap")
        out, _ = self.ok("run", GUEST, "--init-data", init, "--snapshot-out", snap, "GetInitData")
        self.assertEqual(out, "616263\n")
        out, _ = self.ok("run", "--snapshot-in", snap, "GetInitData")
        self.assertEqual(out, "616263\n")
        out, _ = self.ok("run", "--snapshot-in", snap, "Add", "40", "2", "--json")
        self.assertEqual(json.loads(out)["result"]["value"], 42)
        only = self.path("only.snap")
        out, _ = self.ok("run", GUEST, "--snapshot-out", only)
        self.assertEqual(out, "")
        self.assertTrue(os.path.getsize(only) > 0)
        out, _ = self.ok("inspect", "--snapshot-in", only)
        self.assertIn("Add(i32, i32) -> i32", out)
        _, err = self.fails(USAGE, "run", "--snapshot-in", snap, GUEST, "Add", "1", "2")
        self.assertIn("leave out GUEST.elf", err)
        _, err = self.fails(USAGE, "run", "--snapshot-in", snap, "--heap-size", "1M", "Add", "1", "2")
        self.assertIn("cannot be used with --snapshot-in", err)
        _, err = self.fails(LIBRARY, "run", "--snapshot-in", init, "Add", "1", "2")
        self.assertIn("HL_ERROR_SNAPSHOT_CORRUPT", err)

    # ------------------------------------------------------------------ metrics and CPU budgets

    def test_metrics_follow_the_result_on_stdout(self):
        out, _ = self.ok("run", "--metrics", GUEST, "Add", "40", "2")
        lines = out.splitlines()
        self.assertEqual(lines[0], "42", "the result comes first")
        self.assertIn("hyperlight_calls_total 1", lines)
        self.assertIn("# TYPE hyperlight_calls_total counter", lines)
        self.assertIn('hyperlight_sandboxes_created_total{origin="cold"} 1', lines)
        self.assertIn("hyperlight_sandboxes_deleted_total 1", lines, "read after the sandbox is gone")
        self.assertIn("hyperlight_call_duration_seconds_count 1", lines)
        self.assertFalse(any(line.startswith("hyperlight_call_failures_total") for line in lines))
        out, _ = self.ok("run", "--metrics", GUEST, "Add", "40", "2", "--repeat", "5")
        self.assertIn("hyperlight_calls_total 5", out.splitlines())
        self.assertIn("hyperlight_restores_total 5", out.splitlines())
        out, _ = self.ok("run", GUEST, "Add", "40", "2")
        self.assertEqual(out, "42\n", "no metrics without --metrics")

    def test_metrics_in_json(self):
        report = json.loads(self.ok("run", GUEST, "Add", "40", "2", "--metrics", "--json")[0])
        self.assertEqual(report["result"], {"kind": "i32", "value": 42})
        self.assertIn("hyperlight_calls_total 1\n", report["metrics"])
        self.assertTrue(report["metrics"].endswith("\n"))
        snap = self.path("m.snap")
        report = json.loads(self.ok("run", GUEST, "--snapshot-out", snap, "--metrics", "--json")[0])
        self.assertIn("hyperlight_calls_total 0\n", report["metrics"])

    def test_metrics_after_a_failed_call(self):
        out, err = self.fails(LIBRARY, "run", "--metrics", GUEST, "FailWithMessage", "no luck")
        self.assertIn("HL_ERROR_GUEST_ERROR", err)
        self.assertNotIn("hyperlight_", err)
        self.assertIn("hyperlight_calls_total 1", out.splitlines())
        self.assertIn('hyperlight_call_failures_total{code="GUEST_ERROR"} 1', out.splitlines())
        out, _ = self.fails(LIBRARY, "run", "--metrics", "--json", GUEST, "NoSuchFunction")
        report = json.loads(out)
        self.assertEqual(report["error"]["code"], "HL_ERROR_GUEST_FUNCTION_NOT_FOUND")
        self.assertIn('hyperlight_call_failures_total{code="GUEST_FUNCTION_NOT_FOUND"} 1', report["metrics"])
        # A sandbox that could not be made: the engine was, and says so.
        out, err = self.fails(LIBRARY, "run", "--metrics", self.path("bad.elf", b"nope" * 32), "Add", "1", "2")
        self.assertIn("HL_ERROR_INVALID_ELF", err)
        self.assertIn("hyperlight_calls_total 0", out.splitlines())
        # A usage error stops before anything ran: stdout stays empty.
        out, _ = self.fails(USAGE, "run", "--metrics", GUEST, "Add", "forty", "2")
        self.assertEqual(out, "")
        _, err = self.fails(USAGE, "run", "--metrics", "--raw", GUEST, "Echo", "x")
        self.assertIn("--metrics and --raw cannot be used together", err)

    def test_a_cpu_budget(self):
        out, err = self.fails(LIBRARY, "run", GUEST, "Spin", "--cpu-budget", "50ms")
        self.assertEqual(out, "")
        self.assertIn("HL_ERROR_CPU_BUDGET_EXCEEDED", err)
        self.assertIn("50.000 ms", err)
        self.assertIn("hint: raise --cpu-budget", err)
        out, _ = self.fails(LIBRARY, "run", GUEST, "Spin", "--cpu-budget", "50ms", "--json")
        self.assertEqual(json.loads(out)["error"]["code"], "HL_ERROR_CPU_BUDGET_EXCEEDED")
        self.assertEqual(json.loads(out)["error"]["value"], 37)
        out, err = self.fails(LIBRARY, "run", GUEST, "Spin", "--cpu-budget", "20ms", "--repeat", "3", "--metrics")
        self.assertIn("HL_ERROR_CPU_BUDGET_EXCEEDED: call 1 of 3: hl_call", err)
        self.assertIn('hyperlight_call_failures_total{code="CPU_BUDGET_EXCEEDED"} 1', out.splitlines())
        out, _ = self.ok("run", GUEST, "Add", "40", "2", "--cpu-budget", "1s")
        self.assertEqual(out, "42\n", "a budget the call stays within")
        out, _ = self.ok("run", GUEST, "Add", "40", "2", "--cpu-budget", "0")
        self.assertEqual(out, "42\n", "0: no budget")
        for bad in ("50", "fast", "-5ms"):
            out, err = self.fails(USAGE, "run", GUEST, "Spin", "--cpu-budget", bad)
            self.assertEqual(out, "")
            self.assertIn(f"--cpu-budget: '{bad}' is not a duration", err)
            self.assertIn("Try 'hyperlight run --help'", err)

    # ------------------------------------------------------ failures: statuses and messages

    def test_a_non_elf_file(self):
        text = self.path("not-a-guest.txt", b"just some text, long enough to hold an ELF header but not one\n" * 4)
        out, err = self.fails(LIBRARY, "run", text, "Add", "1", "2")
        self.assertEqual(out, "")
        self.assertIn("HL_ERROR_INVALID_ELF", err)
        self.assertIn("no ELF magic number", err)
        self.assertIn("guest SDK", err)

    def test_a_missing_guest_file(self):
        _, err = self.fails(LIBRARY, "run", self.path("absent.elf"), "Add", "1", "2")
        self.assertIn("HL_ERROR_IO", err)
        self.assertIn("No such file or directory", err)

    def test_a_missing_function(self):
        _, err = self.fails(LIBRARY, "run", GUEST, "NoSuchFunction")
        self.assertIn("HL_ERROR_GUEST_FUNCTION_NOT_FOUND", err)
        self.assertIn("'NoSuchFunction'", err)
        self.assertIn("hyperlight inspect", err)

    def test_a_wrong_argument(self):
        out, err = self.fails(USAGE, "run", GUEST, "Add", "forty", "2")
        self.assertEqual(out, "")
        self.assertIn("argument 1 of Add(i32, i32) -> i32: 'forty' is not i32", err)
        self.assertIn("whole number", err)
        _, err = self.fails(USAGE, "run", GUEST, "Add", "1")
        self.assertIn("takes 2 arguments, got 1", err)
        _, err = self.fails(LIBRARY, "run", GUEST, "Add", "i64:1", "2")
        self.assertIn("HL_ERROR_PARAMETER_TYPE_MISMATCH", err)
        _, err = self.fails(USAGE, "run", GUEST, "Echo", "@" + self.path("absent.txt"))
        self.assertIn("cannot read", err)

    def test_a_timeout(self):
        _, err = self.fails(LIBRARY, "run", GUEST, "Spin", "--timeout", "200ms")
        self.assertIn("HL_ERROR_TIMEOUT", err)
        self.assertIn("200.000 ms", err)
        self.assertIn("raise --timeout", err)
        _, err = self.fails(LIBRARY, "run", GUEST, "Spin", "--timeout", "100ms", "--repeat", "3")
        self.assertIn("HL_ERROR_TIMEOUT: call 1 of 3: hl_call", err)

    def test_guest_failures(self):
        _, err = self.fails(LIBRARY, "run", GUEST, "FailWithMessage", "it went wrong")
        self.assertIn("HL_ERROR_GUEST_ERROR", err)
        self.assertIn("it went wrong", err)
        _, err = self.fails(LIBRARY, "run", GUEST, "UndefinedInstruction")
        self.assertIn("HL_ERROR_GUEST_EXCEPTION", err)

    def test_usage_errors(self):
        for args, text in [
            (["run", GUEST, "Add", "1", "2", "--bogus"], "unknown option '--bogus'"),
            (["run"], "no guest given"),
            (["run", GUEST], "no function given"),
            (["run", GUEST, "Add", "1", "2", "--timeout"], "--timeout needs a value"),
            (["run", GUEST, "Add", "1", "2", "--heap-size", "big"], "is not a size"),
            (["inspect"], "no guest given"),
            (["check", "extra"], "unexpected argument"),
            (["frobnicate"], "unknown command"),
            ([], "no command given"),
        ]:
            out, err = self.fails(USAGE, *args)
            self.assertEqual(out, "", args)
            self.assertIn(text, err, args)
            self.assertIn("--help", err, args)

    def test_an_option_the_library_refuses(self):
        _, err = self.fails(LIBRARY, "run", GUEST, "Add", "1", "2", "--heap-size", "1K")
        self.assertIn("HL_ERROR_INVALID_ARGUMENT", err)
        self.assertIn("hl_config_set_heap_size", err)

    # -------------------------------------------------------------- inspect, check, help

    def test_inspect_lists_the_functions(self):
        out, _ = self.ok("inspect", GUEST)
        self.assertIn(": 22 functions", out)
        self.assertIn("  Add(i32, i32) -> i32\n", out)
        self.assertIn("  Spin() -> void\n", out)
        table = json.loads(self.ok("inspect", GUEST, "--json")[0])
        self.assertTrue(table["declared"])
        self.assertFalse(table["fallback"])
        add = [f for f in table["functions"] if f["name"] == "Add"]
        self.assertEqual(add, [{"name": "Add", "params": ["i32", "i32"], "result": "i32"}])
        sdk = json.loads(self.ok("inspect", SDK_GUEST, "--json")[0])
        self.assertTrue(sdk["fallback"])

    def test_inspect_a_guest_without_a_table(self):
        init = self.path("many", b"many-functions")
        out, _ = self.ok("inspect", GUEST, "--init-data", init)
        self.assertIn("declared no function table", out)
        out, _ = self.ok("inspect", GUEST, "--init-data", init, "--output-buffer-size", "1M", "--json")
        self.assertEqual(len(json.loads(out)["functions"]), 322)
        _, err = self.fails(USAGE, "run", GUEST, "--init-data", init, "Add", "40", "2")
        self.assertIn("declared no function table", err)
        out, _ = self.ok("run", GUEST, "--init-data", init, "Add", "i32:40", "i32:2")
        self.assertEqual(out, "42\n")

    def test_check(self):
        out, _ = self.ok("check")
        self.assertIn("hyperlight can run sandboxes here", out)
        report = json.loads(self.ok("check", "--json", "--guest", GUEST)[0])
        self.assertTrue(report["ok"])
        names = [c["name"] for c in report["checks"]]
        for name in ("device", "access", "api", "capabilities", "hypervisor", "dirty ring", "sandbox"):
            self.assertIn(name, names)
        self.assertEqual(report["checks"][-1]["status"], "ok")
        out, _ = self.fails(3, "check", "--guest", self.path("bad.elf", b"nope"))
        self.assertIn("HL_ERROR_INVALID_ELF", out)

    def test_help_and_version(self):
        for args, text in [(["--help"], "Exit status"), (["run", "--help"], "--snapshot-in FILE"),
                           (["run", "--help"], "--cpu-budget DURATION"), (["run", "--help"], "--metrics"),
                           (["help", "inspect"], "--json"), (["check", "-h"], "dirty ring")]:
            out, _ = self.ok(*args)
            self.assertIn(text, out, args)
        out, _ = self.ok("--version")
        self.assertRegex(out, r"^hyperlight \d+\.\d+\.\d+\n$")


def main():
    global CLI, GUEST, SDK_GUEST, LUA_GUEST, JS_GUEST
    parser = argparse.ArgumentParser()
    parser.add_argument("--cli", required=True)
    parser.add_argument("--guest", required=True)
    parser.add_argument("--sdk-guest", required=True)
    parser.add_argument("--lua-guest", default="", help="lua.elf, where it is built")
    parser.add_argument("--js-guest", default="", help="js.elf, where it is built")
    args, rest = parser.parse_known_args()
    CLI, GUEST, SDK_GUEST, LUA_GUEST, JS_GUEST = args.cli, args.guest, args.sdk_guest, args.lua_guest, args.js_guest
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
