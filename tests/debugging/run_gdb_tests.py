#!/usr/bin/python3
"""End-to-end tests of the gdb stub and crash dumps with the real gdb.

Each scenario starts `hyperlight run` on tests/guests/debugguest.c (built
-O0 -g), drives it with gdb in batch mode (or talks the remote protocol
itself for the bad-input cases) and checks both gdb's output and what the
CLI printed and returned. Registered with ctest, one test per scenario
(tests/CMakeLists.txt); run one by hand with

  tests/debugging/run_gdb_tests.py --cli build/tools/cli/hyperlight \\
      --guest build/tests/guests/debugguest.elf \\
      --source tests/guests/debugguest.c --scenario break_and_backtrace

(--scenario all runs every one). Standard library only. A missing gdb is a
failure, not a skip: scripts/install-deps.sh installs it.
"""

import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

GDB_TIMEOUT = 60  # seconds for one gdb session; a hang fails the scenario
CLI_TIMEOUT = 60


class Failure(Exception):
    pass


def check(condition, message, *outputs):
    if not condition:
        details = "\n".join("---- %s ----\n%s" % (name, text) for name, text in outputs)
        raise Failure(message + ("\n" + details if details else ""))


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Cli:
    """`hyperlight run` in the background; its stderr is collected by a thread."""

    def __init__(self, ctx, args):
        self.argv = [ctx.cli, "run"] + args
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self.waiting = threading.Event()
        self.stdout_parts = []
        self.stdout = ""
        # Both pipes are drained by threads (never by communicate(), which
        # would race this reader for stderr).
        self.readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=lambda: self.stdout_parts.append(self.proc.stdout.read()), daemon=True)
        ]
        for r in self.readers:
            r.start()

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)
            if "waiting for gdb on 127.0.0.1:" in line:
                self.waiting.set()
        self.waiting.set()  # ended without waiting: wait_for_gdb_prompt reports it

    def wait_for_gdb_prompt(self, timeout=30):
        check(self.waiting.wait(timeout), "the CLI never said it waits for gdb", ("cli stderr", self.stderr()))
        check(self.proc.poll() is None or "waiting for gdb" in self.stderr(),
              "the CLI ended instead of waiting for gdb", ("cli stderr", self.stderr()))

    def finish(self, timeout=CLI_TIMEOUT):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("the CLI did not finish within %d s: %s\n%s" % (timeout, " ".join(self.argv), self.stderr()))
        for r in self.readers:
            r.join(10)
        self.stdout = "".join(self.stdout_parts)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for r in self.readers:
            r.join(10)

    def stderr(self):
        return "".join(self.stderr_lines)


class Context:
    def __init__(self, args):
        self.cli = args.cli
        self.guest = args.guest
        self.gdb = args.gdb
        self.tmp = args.tmp
        with open(args.source) as f:
            self.source = f.read().splitlines()
        self.notes = []

    def line(self, tag):
        """The line number of the guest source line carrying `tag: TAG`."""
        for i, text in enumerate(self.source, 1):
            if re.search(r"tag: %s\b" % re.escape(tag), text):
                return i
        raise Failure("no line tagged %r in the guest source" % tag)

    def note(self, text):
        self.notes.append(text)
        print("NOTE: " + text)

    def gdb_argv(self, port, commands, extra=()):
        argv = [self.gdb, "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off"]
        argv += list(extra)
        if port is not None:
            argv += ["-ex", "target remote 127.0.0.1:%d" % port]
        for c in commands:
            argv += ["-ex", c]
        return argv

    def run_gdb(self, argv, timeout=GDB_TIMEOUT):
        try:
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise Failure("gdb did not finish within %d s; output so far:\n%s" % (timeout, e.stdout or ""))
        return p.returncode, p.stdout

    def session(self, function_args, commands, extra=()):
        """Starts the CLI with a gdb port, runs gdb with commands against
        it, and waits for the CLI. Returns (gdb output, cli)."""
        port = free_port()
        cli = Cli(self, ["--gdb-port", str(port), self.guest] + function_args)
        try:
            cli.wait_for_gdb_prompt()
            _, out = self.run_gdb(self.gdb_argv(port, commands, extra) + [self.guest])
            cli.finish()
        finally:
            cli.kill()
        print(out)
        return out, cli


def expect_result(cli, value, gdb_out=""):
    check(cli.proc.returncode == 0 and cli.stdout.strip() == value,
          "the CLI should print %s and succeed; it returned %s" % (value, cli.proc.returncode),
          ("cli stdout", cli.stdout), ("cli stderr", cli.stderr()), ("gdb", gdb_out))


def expect_in(text, pattern, what, *outputs):
    check(re.search(pattern, text) is not None, "%s: /%s/ not found" % (what, pattern), ("gdb", text), *outputs)


# ---------------------------------------------------------------- gdb scenarios


def break_and_backtrace(ctx):
    out, cli = ctx.session(["Compute", "20", "1"], ["break scale", "continue", "bt", "continue"])
    expect_in(out, r"Breakpoint 1, scale \(x=21\) at .*debugguest\.c:%d" % ctx.line("scale-doubled"), "stop in scale")
    expect_in(out, r"#0  scale \(x=21\)", "frame 0")
    expect_in(out, r"#1  0x[0-9a-f]+ in compute \(a=20, b=1\) at .*debugguest\.c:%d" % ctx.line("compute-call"),
              "the caller")
    expect_in(out, r"in hlg_dispatch \(\)", "the dispatcher")
    expect_in(out, r"exited normally", "the end of the session")
    expect_result(cli, "43", out)


def info_registers_rip(ctx):
    out, cli = ctx.session(["Compute", "20", "1"], ["break scale", "continue", "info registers rip", "continue"])
    expect_in(out, r"rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <scale\+\d+>", "rip names scale")
    expect_result(cli, "43", out)


def print_locals_and_args(ctx):
    out, cli = ctx.session(["Compute", "20", "1"], [
        "break scale", "continue", "next", "print x", "print doubled", "up", "print a", "print b", "print sum",
        "continue"
    ])
    expect_in(out, r"\$1 = 21\n", "the argument x")
    expect_in(out, r"\$2 = 42\n", "the local doubled")
    expect_in(out, r"\$3 = 20\n\$4 = 1\n\$5 = 21\n", "the caller's a, b and sum")
    expect_result(cli, "43", out)


def next_step_stepi(ctx):
    out, cli = ctx.session(["Compute", "20", "1"], [
        "break compute", "continue", "next", "step", "print/x $pc", "stepi", "print/x $pc", "info line *$pc",
        "continue"
    ])
    sum_line, call_line, doubled_line = ctx.line("compute-sum"), ctx.line("compute-call"), ctx.line("scale-doubled")
    expect_in(out, r"Breakpoint 1, compute \(a=20, b=1\) at .*:%d\n%d\t" % (sum_line, sum_line), "stop in compute")
    expect_in(out, r"\n%d\t.*tag: compute-call" % call_line, "next reaches the call line")
    expect_in(out, r"scale \(x=21\) at .*:%d\n%d\t" % (doubled_line, doubled_line), "step enters scale")
    pcs = re.findall(r"\$\d+ = (0x[0-9a-f]+)\n", out)
    check(len(pcs) == 2, "two $pc values expected", ("gdb", out))
    before, after = int(pcs[0], 16), int(pcs[1], 16)
    check(0 < after - before <= 15, "stepi should move $pc by one instruction: %#x -> %#x" % (before, after),
          ("gdb", out))
    expect_result(cli, "43", out)


def finish(ctx):
    out, cli = ctx.session(["Compute", "20", "1"], ["break scale", "continue", "finish", "continue"])
    expect_in(out, r"0x[0-9a-f]+ in compute \(a=20, b=1\) at .*debugguest\.c:%d" % ctx.line("compute-call"),
              "finish returns to the caller")
    expect_in(out, r"Value returned is \$1 = 43", "finish prints the value")
    expect_result(cli, "43", out)


def set_var(ctx):
    out, cli = ctx.session(["Compute", "20", "1"],
                           ["break scale", "continue", "next", "set var doubled = 100", "print doubled", "continue"])
    expect_in(out, r"\$1 = 100\n", "the changed local")
    expect_result(cli, "101", out)


def hbreak(ctx):
    # The stub serves hardware breakpoints (Z1) with int3s, as the guest's
    # debug registers never fire on PVM; gdb must see it stop at the address.
    out, cli = ctx.session(["Compute", "20", "1"], ["hbreak scale", "continue", "bt", "continue"])
    expect_in(out, r"Hardware assisted breakpoint 1 at 0x[0-9a-f]+: file .*debugguest\.c, line %d" %
              ctx.line("scale-doubled"), "gdb sets the hardware breakpoint")
    expect_in(out, r"Breakpoint 1, scale \(x=21\)", "the hardware breakpoint stops in scale")
    expect_in(out, r"#1  0x[0-9a-f]+ in compute", "the caller")
    expect_result(cli, "43", out)


def watch_software(ctx):
    out, cli = ctx.session(["Watched", "5"], [
        "set can-use-hw-watchpoints 0", "break watched", "continue", "watch watched_value", "continue", "continue",
        "continue", "delete", "continue"
    ])
    expect_in(out, r"Watchpoint 2: watched_value", "a software watchpoint")
    expect_in(out, r"Old value = 0\nNew value = 5\n", "the first write")
    expect_in(out, r"Old value = 5\nNew value = 6\n", "the second write")
    expect_in(out, r"Old value = 6\nNew value = 12\n", "the third write")
    expect_result(cli, "12", out)


def watch_hardware(ctx):
    # gdb's default is a hardware watchpoint (Z2). The stub refuses it (the
    # guest's debug registers never fire on PVM), so gdb says so instead of
    # silently never stopping; after `delete` the guest runs to the end.
    out, cli = ctx.session(["Watched", "5"], ["break watched", "continue", "watch watched_value", "continue", "delete",
                                              "continue"])
    expect_in(out, r"Could not insert hardware watchpoint 2", "gdb is told hardware watchpoints are unsupported")
    expect_in(out, r"exited normally", "the guest ran to the end")
    expect_result(cli, "12", out)


def ctrl_c(ctx):
    port = free_port()
    cli = Cli(ctx, ["--gdb-port", str(port), ctx.guest, "Spin"])
    out = ""
    try:
        cli.wait_for_gdb_prompt()
        # gdb says READY once connected; its Ctrl-C must come after that (a
        # SIGINT while it connects ends a batch gdb), and after `continue`.
        argv = ctx.gdb_argv(port, ["echo READY\\n", "continue", "bt", "set var spinning = 0", "continue"])
        gdb = subprocess.Popen(argv + [ctx.guest], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               bufsize=1)
        lines = []
        ready = threading.Event()

        def read():
            for line in gdb.stdout:
                lines.append(line)
                if line.startswith("READY"):
                    ready.set()
            ready.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        ready.wait(GDB_TIMEOUT)
        time.sleep(1.0)  # gdb continued; the guest spins
        os.kill(gdb.pid, signal.SIGINT)
        try:
            gdb.wait(timeout=GDB_TIMEOUT)
        except subprocess.TimeoutExpired:
            gdb.kill()
            gdb.wait()
        reader.join(10)
        out = "".join(lines)
        print(out)
        expect_in(out, r"Program received signal SIGINT, Interrupt\.", "gdb reports the interrupt",
                  ("cli stderr", cli.stderr()))
        expect_in(out, r"in spin \(\) at .*debugguest\.c:%d" % ctx.line("spin-loop"), "stopped in the spin loop")
        cli.finish()
    finally:
        cli.kill()
    expect_result(cli, "7", out)


def detach(ctx):
    out, cli = ctx.session(["Compute", "20", "1"], ["break scale", "continue", "detach"])
    expect_in(out, r"Breakpoint 1, scale", "stop in scale")
    expect_in(out, r"\[Inferior 1 \(Remote target\) detached\]", "gdb detaches")
    expect_result(cli, "43", out)


def fault_while_attached(ctx):
    out, cli = ctx.session(["WriteNull"], ["continue", "bt", "continue"])
    expect_in(out, r"Program received signal SIGSEGV, Segmentation fault\.", "gdb sees the fault")
    expect_in(out, r"write_null \(\) at .*debugguest\.c:%d" % ctx.line("write-null"), "at the faulting line")
    expect_in(out, r"#1  0x[0-9a-f]+ in hlg__wrapper_write_null", "the caller")
    check(cli.proc.returncode != 0 and "HL_ERROR_MEMORY_ACCESS_VIOLATION" in cli.stderr(),
          "the call should fail with an access violation", ("cli stderr", cli.stderr()), ("gdb", out))


# ---------------------------------------------------------------- crash dumps


def crash_dump(ctx, function_args):
    dump_dir = tempfile.mkdtemp(prefix="cores-", dir=ctx.tmp)
    cli = Cli(ctx, ["--crashdump-dir", dump_dir, ctx.guest] + function_args)
    rc = cli.finish()
    err = cli.stderr()
    check(rc != 0, "the faulting call should fail", ("cli stderr", err))
    m = re.search(r"\(core dump: ([^)]+)\)", err)
    check(m is not None, "the error should name the core file (exit status %s)" % rc, ("cli stderr", err),
          ("cli stdout", cli.stdout))
    core = m.group(1)
    check(os.path.isfile(core) and os.path.dirname(core) == dump_dir, "the core is not in the dump directory: " + core)
    return err, core


def core_write_null(ctx):
    err, core = crash_dump(ctx, ["WriteNull"])
    check("HL_ERROR_MEMORY_ACCESS_VIOLATION" in err, "an access violation expected", ("cli stderr", err))
    _, out = ctx.run_gdb(ctx.gdb_argv(None, ["bt"]) + [ctx.guest, core])
    print(out)
    expect_in(out, r"Program terminated with signal SIGSEGV", "the core's signal")
    expect_in(out, r"#0  0x[0-9a-f]+ in write_null \(\) at .*debugguest\.c:%d" % ctx.line("write-null"),
              "the faulting function")
    expect_in(out, r"in hlg_dispatch \(\)", "the dispatcher")


def core_overflow(ctx):
    err, core = crash_dump(ctx, ["Overflow", "0"])
    check("HL_ERROR_STACK_OVERFLOW" in err, "a stack overflow expected", ("cli stderr", err))
    _, out = ctx.run_gdb(ctx.gdb_argv(None, ["bt 4"]) + [ctx.guest, core])
    print(out)
    expect_in(out, r"Program terminated with signal SIGSEGV", "the core's signal")
    expect_in(out, r"#0  0x[0-9a-f]+ in overflow \(", "the faulting frame")
    expect_in(out, r"#1  0x[0-9a-f]+ in overflow \(depth=(\d+)\) at .*debugguest\.c:%d" % ctx.line("overflow-recurse"),
              "the recursion")
    expect_in(out, r"#2  0x[0-9a-f]+ in overflow \(depth=", "deeper recursion")


# ---------------------------------------------------------------- raw protocol


def checksum(payload):
    return "%02x" % (sum(payload.encode("latin-1")) % 256)


def frame(payload):
    return "$" + payload + "#" + checksum(payload)


class RawGdb:
    """A minimal remote-protocol client: sends packets, acks replies."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data.encode("latin-1") if isinstance(data, str) else data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        check(remaining > 0, "no reply from the stub in time; have %r" % self.buffer[:200])
        ready, _, _ = select.select([self.sock], [], [], remaining)
        check(ready, "no reply from the stub in time; have %r" % self.buffer[:200])
        data = self.sock.recv(65536)
        check(data, "the stub closed the connection; have %r" % self.buffer[:200])
        self.buffer += data

    def read_ack(self, timeout=10):
        """The next '+' or '-'."""
        deadline = time.monotonic() + timeout
        while not self.buffer:
            self._fill(deadline)
        c, self.buffer = self.buffer[:1].decode(), self.buffer[1:]
        check(c in "+-", "expected an ack, got %r" % c)
        return c

    def read_packet(self, timeout=10):
        """The next packet's payload (acknowledged), skipping acks."""
        deadline = time.monotonic() + timeout
        while True:
            self.buffer = self.buffer.lstrip(b"+")
            end = self.buffer.find(b"#")
            if self.buffer.startswith(b"$") and end >= 0 and len(self.buffer) >= end + 3:
                payload = self.buffer[1:end].decode("latin-1")
                sent = self.buffer[end + 1:end + 3].decode()
                self.buffer = self.buffer[end + 3:]
                check(sent == checksum(payload), "bad checksum from the stub on %r" % payload)
                self.send("+")
                return payload
            check(not self.buffer or self.buffer.startswith(b"$"), "unexpected bytes %r" % self.buffer[:100])
            self._fill(deadline)

    def request(self, payload):
        self.send(frame(payload))
        ack = self.read_ack()
        check(ack == "+", "the stub refused a well-formed %r" % payload[:40])
        return self.read_packet()

    def close(self):
        self.sock.close()


def expect_stop_reply(reply):
    check(re.match(r"^T05", reply) is not None, "'?' should answer T05..., got %r" % reply)


def port_in_use(ctx):
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        start = time.monotonic()
        cli = Cli(ctx, ["--gdb-port", str(port), ctx.guest, "Compute", "1", "2"])
        rc = cli.finish(timeout=20)
        took = time.monotonic() - start
    finally:
        blocker.close()
    print(cli.stderr())
    check(rc != 0 and "HL_ERROR_DEBUGGER" in cli.stderr(), "a port in use should fail with HL_ERROR_DEBUGGER",
          ("cli stderr", cli.stderr()))
    check("waiting for gdb" not in cli.stderr(), "the CLI should not wait on a port it could not take")
    check(took < 10, "the failure took %.1f s" % took)


def malformed_packets(ctx):
    port = free_port()
    cli = Cli(ctx, ["--gdb-port", str(port), ctx.guest, "Compute", "20", "1"])
    try:
        cli.wait_for_gdb_prompt()
        g = RawGdb(port)
        expect_stop_reply(g.request("?"))
        # Bad checksums are refused with '-' and change nothing.
        g.send("$garbage#00")
        check(g.read_ack() == "-", "a bad checksum should get '-'")
        g.send("$?#00")
        check(g.read_ack() == "-", "a bad checksum should get '-'")
        # A well-formed packet the stub does not know: the empty reply.
        reply = g.request("garbage")
        check(reply == "" or reply.startswith("E"), "unknown packet: %r" % reply)
        print("%-32s -> %r" % ("garbage", reply))
        # 100 KB, more than the PacketSize the stub announced: acknowledged, refused.
        big = "X" * 100000
        reply = g.request(big)
        check(reply == "" or re.match(r"^E[0-9a-f]{2}$", reply), "oversize packet: %r" % reply[:40])
        print("%-32s -> %r" % ("X * 100000", reply))
        # Memory the guest does not have, and absurd lengths.
        for bad in ["m0,ffffffffffff", "m10,10", "mffffffffffffffff,10", "M10,4:01020304",
                    "Mffffffffffff0000,4:01020304", "m10", "Mzz,4:00", "M10,4:0102"]:
            reply = g.request(bad)
            check(re.match(r"^E[0-9a-f]{2}$", reply) or reply == "", "%s: expected an error, got %r" % (bad, reply))
            print("%-32s -> %r" % (bad, reply))
        # Stray acks, nacks and noise between packets.
        g.send("+++")
        expect_stop_reply(g.request("?"))
        # The stub still works: read the first bytes of code, then let the guest run.
        reply = g.request("g")
        check(re.match(r"^[0-9a-fx]+$", reply) and len(reply) >= 16 * 16, "registers: %r" % reply[:40])
        g.send(frame("c"))
        check(g.read_ack() == "+", "continue should be acknowledged")
        exit_reply = g.read_packet(timeout=30)
        check(exit_reply == "W00", "the guest's end should be reported as W00, got %r" % exit_reply)
        g.close()
        cli.finish()
    finally:
        cli.kill()
    expect_result(cli, "43")


def disconnect_mid_step(ctx):
    for packet in ["vCont;s:1", "s"]:
        port = free_port()
        cli = Cli(ctx, ["--gdb-port", str(port), ctx.guest, "Compute", "20", "1"])
        try:
            cli.wait_for_gdb_prompt()
            g = RawGdb(port)
            expect_stop_reply(g.request("?"))
            g.send(frame(packet))
            g.close()  # at once, with the step under way
            cli.finish()
        finally:
            cli.kill()
        expect_result(cli, "43")


SCENARIOS = {
    f.__name__: f
    for f in [
        break_and_backtrace, info_registers_rip, print_locals_and_args, next_step_stepi, finish, set_var, hbreak,
        watch_software, watch_hardware, ctrl_c, detach, fault_while_attached, core_write_null, core_overflow,
        port_in_use, malformed_packets, disconnect_mid_step
    ]
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", required=True, help="the hyperlight CLI")
    parser.add_argument("--guest", required=True, help="debugguest.elf")
    parser.add_argument("--source", required=True, help="debugguest.c (for line numbers)")
    parser.add_argument("--gdb", default=None, help="gdb to use (default: gdb on PATH)")
    parser.add_argument("--scenario", required=True, help="one of: all, " + ", ".join(SCENARIOS))
    args = parser.parse_args()

    if args.gdb is None:
        args.gdb = shutil.which("gdb")
    if args.gdb is None or not os.access(args.gdb, os.X_OK):
        print("FAIL: gdb is not installed (scripts/install-deps.sh installs it)")
        return 1
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    for name in names:
        if name not in SCENARIOS:
            print("unknown scenario %r; known: %s" % (name, ", ".join(SCENARIOS)))
            return 2
    failed = []
    with tempfile.TemporaryDirectory(prefix="hl-gdb-tests-") as tmp:
        args.tmp = tmp
        ctx = Context(args)
        for name in names:
            start = time.monotonic()
            try:
                SCENARIOS[name](ctx)
                print("PASS %s (%.1f s)" % (name, time.monotonic() - start))
            except Failure as e:
                print("FAIL %s: %s" % (name, e))
                failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
