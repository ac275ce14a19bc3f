// js.elf (Duktape in a guest) through the C ABI: the script corpus of
// tests/scripts/js (its README says how a script states what it expects),
// then what the corpus cannot say: Eval's results and errors in detail,
// print, host.call and its kinds, the stack, heap and time limits, and
// snapshots that give every request a clean engine.
#include <string>
#include <vector>

#include "script_corpus.h"
#include "test_support.h"

using script_corpus::SnapshotPtr;

class JsCorpus : public testing::TestWithParam<script_corpus::Script> {
 protected:
  static void SetUpTestSuite() { sandbox_ = new script_corpus::CorpusSandbox(HL_JS_GUEST_PATH); }
  static void TearDownTestSuite() { delete sandbox_; }
  static script_corpus::CorpusSandbox *sandbox_;
};
script_corpus::CorpusSandbox *JsCorpus::sandbox_;

TEST_P(JsCorpus, Runs) { sandbox_->run(GetParam(), GetParam().name + ".js"); }

INSTANTIATE_TEST_SUITE_P(Scripts, JsCorpus, testing::ValuesIn(script_corpus::corpus(HL_JS_SCRIPTS_DIR, ".js", "// ")),
                         [](const testing::TestParamInfo<script_corpus::Script> &script) { return script.param.name; });

namespace {

struct Printed {
  std::string text;
};

void collect_print(void *user_data, const char *text, size_t len) {
  static_cast<Printed *>(user_data)->text.append(text, len);
}

SandboxPtr js_sandbox(const hl_config_t *config = nullptr) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config, HL_JS_GUEST_PATH, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

// Eval(script) -> the result text; fails the test on an error.
std::string eval(hl_sandbox_t *sb, const std::string &script) {
  hl_val_t arg = str(script);
  Result r;
  ErrorPtr err(hl_call(sb, "Eval", &arg, 1, &r.val));
  EXPECT_FALSE(err) << script << ": " << describe(err);
  if (err) return {};
  EXPECT_EQ(r.val.kind, HL_VAL_STRING);
  return r.str();
}

// Eval(script) that must fail with code; returns the message.
std::string eval_error(hl_sandbox_t *sb, const std::string &script, hl_error_code_t code = HL_ERROR_GUEST_ERROR) {
  hl_val_t arg = str(script);
  return expect_call_error(sb, "Eval", &arg, 1, code);
}

bool contains(const std::string &s, const std::string &part) { return s.find(part) != std::string::npos; }

SnapshotPtr snapshot(hl_sandbox_t *sb) { return script_corpus::snapshot_of(sb); }

}  // namespace

TEST(JsGuest, EvalReturnsStringOfTheCompletionValue) {
  SandboxPtr sb = js_sandbox();
  EXPECT_EQ(eval(sb.get(), "6*7"), "42");
  EXPECT_EQ(eval(sb.get(), "'ja' + 'va' + 'script'"), "javascript");
  EXPECT_EQ(eval(sb.get(), "var unused = 1"), "undefined");
  EXPECT_EQ(eval(sb.get(), "[1, [2, 3]]"), "1,2,3");
  EXPECT_EQ(eval(sb.get(), "({})"), "[object Object]");
  EXPECT_EQ(eval(sb.get(), "null"), "null");
  EXPECT_EQ(eval(sb.get(), "0.1 + 0.2"), "0.30000000000000004");
  EXPECT_EQ(eval(sb.get(), "Symbol('s')"), "Symbol(s)");  // String(), not ToString(), which throws
  EXPECT_EQ(eval(sb.get(), "'a\\u0000b'"), std::string("a\0b", 3));
  EXPECT_EQ(eval(sb.get(), "new Date(86400000).toISOString()"), "1970-01-02T00:00:00.000Z");
}

TEST(JsGuest, SourceAndResultsKeepEmbeddedNuls) {
  SandboxPtr sb = js_sandbox();
  using namespace std::string_literals;
  EXPECT_EQ(eval(sb.get(), "'a\0b'.length + '|' + 'x\\u0000y'"s), "3|x\0y"s);
}

TEST(JsGuest, AResultLargerThanTheOutputBufferIsTooLarge) {
  SandboxPtr sb = js_sandbox();
  hl_val_t arg = str("'x'.repeat(1 << 20)");
  expect_call_error(sb.get(), "Eval", &arg, 1, HL_ERROR_TOO_LARGE);
  EXPECT_EQ(hl_sandbox_status(sb.get()), HL_SANDBOX_READY);
  EXPECT_EQ(eval(sb.get(), "'x'.repeat(1000).length"), "1000");
}

TEST(JsGuest, GlobalsPersistBetweenCallsOnOneSandbox) {
  SandboxPtr sb = js_sandbox();
  eval(sb.get(), "var total = 0; function add(n) { total += n; return total; }");
  eval(sb.get(), "add(40)");
  EXPECT_EQ(eval(sb.get(), "add(2)"), "42");
}

TEST(JsGuest, ErrorsCarryTheEngineMessageAndLine) {
  SandboxPtr sb = js_sandbox();
  EXPECT_TRUE(contains(eval_error(sb.get(), "var a = 1;\n\nnope()"),
                       "guest function 'Eval' failed: ReferenceError: identifier 'nope' undefined (line 3)"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "function f() {\n  null.x;\n}\nf()"),
                       "TypeError: cannot read property 'x' of null (line 2)"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "\nthrow new RangeError('custom')"), "RangeError: custom (line 2)"));
  EXPECT_TRUE(
      contains(eval_error(sb.get(), "var x = 1;\nvar y = ;"), "SyntaxError: empty expression not allowed (line 2"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "throw 'just a string'"), "failed: just a string"));
  // An error does not poison the sandbox.
  EXPECT_EQ(eval(sb.get(), "1 + 1"), "2");
}

TEST(JsGuest, PrintGoesToThePrintCallback) {
  Printed printed;
  ConfigPtr config(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_print_callback(config.get(), collect_print, &printed)));
  SandboxPtr sb = js_sandbox(config.get());
  EXPECT_EQ(eval(sb.get(), "print('a', 1, true, null, undefined, [2, 3]); print(); print(Symbol('t')); 'r'"), "r");
  EXPECT_EQ(printed.text, "a 1 true null undefined 2,3\n\nSymbol(t)\n");
}

namespace {

hl_error_t *host_add_i64(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I64;
  result->of.i64 = args[0].of.i64 + args[1].of.i64;
  return nullptr;
}
hl_error_t *host_add_i32(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_I32;
  result->of.i32 = args[0].of.i32 + args[1].of.i32;
  return nullptr;
}
hl_error_t *host_halve_f32(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_F32;
  result->of.f32 = args[0].of.f32 / 2;
  return nullptr;
}
hl_error_t *host_next_u64(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_U64;
  result->of.u64 = args[0].of.u64 + 1;
  return nullptr;
}
hl_error_t *host_scale(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_F64;
  result->of.f64 = args[0].of.f64 * args[1].of.f64;
  return nullptr;
}
hl_error_t *host_greet(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  std::string text = "hello " + std::string(args[0].of.string.ptr, args[0].of.string.len);
  return hl_val_set_string(result, text.data(), text.size());
}
hl_error_t *host_negate(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_BOOL;
  result->of.boolean = !args[0].of.boolean;
  return nullptr;
}
hl_error_t *host_length(void *, const hl_val_t *args, size_t, hl_val_t *result) {
  result->kind = HL_VAL_U32;
  result->of.u32 = static_cast<uint32_t>(args[0].of.bytes.len);
  return nullptr;
}
hl_error_t *host_fail(void *, const hl_val_t *args, size_t, hl_val_t *) {
  std::string why(args[0].of.string.ptr, args[0].of.string.len);
  return hl_error_new(("refused: " + why).c_str());
}
hl_error_t *host_nothing(void *, const hl_val_t *, size_t, hl_val_t *result) {
  result->kind = HL_VAL_VOID;
  return nullptr;
}
hl_error_t *host_blob(void *, const hl_val_t *, size_t, hl_val_t *result) {
  return hl_val_set_bytes(result, reinterpret_cast<const uint8_t *>("bytes!"), 6);
}

void register_host_functions(hl_sandbox_t *sb) {
  script_corpus::register_host_fns(sb, {
                                           {"Add", {HL_VAL_I64, HL_VAL_I64}, HL_VAL_I64, host_add_i64},
                                           {"Scale", {HL_VAL_F64, HL_VAL_F64}, HL_VAL_F64, host_scale},
                                           {"AddI32", {HL_VAL_I32, HL_VAL_I32}, HL_VAL_I32, host_add_i32},
                                           {"HalveF32", {HL_VAL_F32}, HL_VAL_F32, host_halve_f32},
                                           {"NextU64", {HL_VAL_U64}, HL_VAL_U64, host_next_u64},
                                           {"Greet", {HL_VAL_STRING}, HL_VAL_STRING, host_greet},
                                           {"Negate", {HL_VAL_BOOL}, HL_VAL_BOOL, host_negate},
                                           {"Length", {HL_VAL_BYTES}, HL_VAL_U32, host_length},
                                           {"Fail", {HL_VAL_STRING}, HL_VAL_VOID, host_fail},
                                           {"Nothing", {}, HL_VAL_VOID, host_nothing},
                                           {"Blob", {}, HL_VAL_BYTES, host_blob},
                                       });
}

}  // namespace

TEST(JsGuest, HostCallConvertsKindsBothWays) {
  SandboxPtr sb = js_sandbox();
  register_host_functions(sb.get());
  EXPECT_EQ(eval(sb.get(), "host.call('Add', 40, 2)"), "42");
  EXPECT_EQ(eval(sb.get(), "host.call('Add', -9007199254740991, 1)"), "-9007199254740990");
  EXPECT_EQ(eval(sb.get(), "host.call('Scale', 1.5, 0.25)"), "0.375");
  EXPECT_EQ(eval(sb.get(), "host.call('Greet', 'js')"), "hello js");
  EXPECT_EQ(eval(sb.get(), "typeof host.call('Negate', false) + ' ' + host.call('Negate', false)"), "boolean true");
  EXPECT_EQ(eval(sb.get(), "host.call('Length', new Uint8Array([1, 2, 3]))"), "3");
  EXPECT_EQ(eval(sb.get(), "typeof host.call('Nothing')"), "undefined");
  EXPECT_EQ(eval(sb.get(), "host.call('Blob')"), "bytes!");
}

TEST(JsGuest, NumbersCanNameTheirKind) {
  SandboxPtr sb = js_sandbox();
  register_host_functions(sb.get());
  EXPECT_EQ(eval(sb.get(), "host.call('Scale', host.f64(2), 0.5)"), "1");
  EXPECT_EQ(eval(sb.get(), "host.call('AddI32', host.i32(-40), host.i32(-2))"), "-42");
  EXPECT_EQ(eval(sb.get(), "host.call('HalveF32', host.f32(3))"), "1.5");
  EXPECT_EQ(eval(sb.get(), "host.call('NextU64', host.u64(4294967296))"), "4294967297");
  EXPECT_EQ(eval(sb.get(), "host.call('Add', host.i64(1), 2)"), "3");
  EXPECT_TRUE(
      contains(eval_error(sb.get(), "host.i32(2147483648)"), "RangeError: host.i32: 2147483648 does not fit i32"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "host.u32(-1)"), "RangeError: host.u32: -1 does not fit u32"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "host.i64(0.5)"), "RangeError: host.i64: 0.5 does not fit i64"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "host.f64('1')"), "TypeError: host.f64: not a number"));
  // The kind is out of the script's reach: a look-alike object is still an object.
  EXPECT_TRUE(
      contains(eval_error(sb.get(), "host.call('Scale', {kind: 'f64', value: 1}, 1.5)"), "argument 1 is an object"));
}

TEST(JsGuest, HostCallFailuresThrowCatchableErrors) {
  SandboxPtr sb = js_sandbox();
  register_host_functions(sb.get());
  EXPECT_EQ(eval(sb.get(), "try { host.call('Fail', 'no') } catch (e) { e.name + ': ' + e.message }"),
            "Error: host function 'Fail' failed: refused: no");
  EXPECT_TRUE(contains(eval_error(sb.get(), "\nhost.call('Missing')"),
                       "Error: host function 'Missing' is not registered (line 2)"));
  // An integer is an i64: a host function taking f64 refuses it, a fraction goes.
  EXPECT_TRUE(contains(eval_error(sb.get(), "host.call('Scale', 2, 0.5)"), "parameter 0 is f64, the guest passed i64"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "host.call('Add', 1)"), "takes 2 arguments"));
  EXPECT_TRUE(
      contains(eval_error(sb.get(), "host.call('Add', {}, 1)"), "TypeError: host.call: argument 1 is an object"));
  EXPECT_TRUE(contains(eval_error(sb.get(), "host.call(42)"), "TypeError: host.call: the first argument"));
}

TEST(JsGuest, DeepRecursionIsACleanRangeError) {
  SandboxPtr sb = js_sandbox();
  // Script-to-script recursion: Duktape's call-stack limit.
  EXPECT_TRUE(
      contains(eval_error(sb.get(), "function f(n) { return f(n + 1) + 1 }\nf(0)"), "RangeError: callstack limit"));
  // Recursion through native code (map callbacks, getters, toString, sort): the C stack check.
  const char *natives[] = {
      "function f(n) { return [n].map(function (k) { return f(k + 1) }) } f(0)",
      "var o = { get x() { return this.x } }; o.x",
      "var o = { toString: function () { return String(o) } }; String(o)",
      "function f() { [2, 1].sort(function (a, b) { f(); return a - b }) } f()",
      "function f() { eval('f()') } f()",
      "JSON.parse('['.repeat(100000))",
      "/(a|b)*c/.exec('ab'.repeat(100000))",
  };
  for (const char *script : natives) EXPECT_TRUE(contains(eval_error(sb.get(), script), "RangeError: ")) << script;
  // Deeply nested source hits the compiler's limit.
  EXPECT_TRUE(contains(eval_error(sb.get(), "eval('('.repeat(100000) + '1' + ')'.repeat(100000))"),
                       "RangeError: compiler recursion limit"));
  EXPECT_EQ(eval(sb.get(), "'still usable'"), "still usable");
}

TEST(JsGuest, CompilingTheDeepestSourceAtTheDeepestNativeCallFitsTheDefaultStack) {
  // At every depth of a native recursion, compile the most deeply nested
  // source the compiler accepts: the stack check's reserve must cover it.
  SandboxPtr sb = js_sandbox();
  std::string result = eval(sb.get(), R"(
    var shapes = [
      function (n) { return '(function(){return '.repeat(n) + '1' + '})()'.repeat(n) },
      function (n) { return 'function f(){'.repeat(n) + '}'.repeat(n) },
      function (n) { return 'a+('.repeat(n) + '1' + ')'.repeat(n) },
      function (n) { return '{'.repeat(n) + '}'.repeat(n) },
      function (n) { return 'f('.repeat(n) + ')'.repeat(n) },
    ];
    function deepestAccepted(make) {
      var lo = 1, hi = 1000;
      while (hi - lo > 1) {
        var mid = (lo + hi) >> 1;
        try { new Function(make(mid)); lo = mid } catch (e) { if (!(e instanceof RangeError)) throw e; hi = mid }
      }
      return make(lo);
    }
    var sources = shapes.map(deepestAccepted), depth = 0, compiled = 0;
    function down() {
      depth++;
      sources.forEach(function (s) {
        try { new Function(s); compiled++ } catch (e) { if (!(e instanceof RangeError)) throw e }
      });
      [1].forEach(down);
    }
    try { down() } catch (e) { if (!(e instanceof RangeError)) throw e }
    depth > 50 && compiled > 5 * 50)");
  EXPECT_EQ(result, "true");
}

TEST(JsGuest, HeapExhaustionIsACleanError) {
  ConfigPtr config(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_heap_size(config.get(), 2 << 20)));
  SandboxPtr sb = js_sandbox(config.get());
  SnapshotPtr clean = snapshot(sb.get());
  // (Heaps full of small objects fail cleanly too, but slowly: near the
  // limit every allocation collects garbage up to ten times before it
  // gives up; a long linked chain also makes each collection rescan the
  // heap once per 256 links.)
  const char *hogs[] = {
      "var keep = []; for (;;) keep.push('x'.repeat(1000) + keep.length)",
      "var s = 'x'; for (;;) s = s + s",
      "var a = []; for (;;) a.push([a.length])",
  };
  for (const char *script : hogs) {
    std::string msg = eval_error(sb.get(), script);
    EXPECT_TRUE(contains(msg, "alloc failed")) << script << ": " << msg;
    ASSERT_FALSE(ErrorPtr(hl_sandbox_restore(sb.get(), clean.get())));
    EXPECT_EQ(eval(sb.get(), "typeof keep + typeof s + typeof a"), "undefinedundefinedundefined");
  }
  // Garbage is collected: allocating 25 times the heap in total is fine.
  EXPECT_EQ(eval(sb.get(), "var n = 0; for (var i = 0; i < 50000; i++) n += ('y'.repeat(999) + '!').length; n"),
            "50000000");
}

TEST(JsGuest, AnInfiniteLoopIsStoppedByTheTimeLimit) {
  SandboxPtr sb = js_sandbox();
  SnapshotPtr clean = snapshot(sb.get());
  hl_val_t arg = str("for (;;) {}");
  hl_call_options_t options{};
  options.flags = HL_CALL_OPTION_TIMEOUT;
  options.timeout_ns = 100'000'000;
  Result r;
  ErrorPtr err(hl_call_and_restore_ex(sb.get(), clean.get(), "Eval", &arg, 1, &r.val, &options, nullptr));
  ASSERT_TRUE(err);
  EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_TIMEOUT) << describe(err);
  EXPECT_EQ(eval(sb.get(), "'after the timeout'"), "after the timeout");
}

TEST(JsGuest, RestoreAfterAScriptThatScribbledGlobalsGivesACleanEngine) {
  SandboxPtr sb = js_sandbox();
  register_host_functions(sb.get());
  const std::string probe =
      "[typeof secret, typeof Object.prototype.polluted, Math.max(1, 2), JSON.stringify([1]), "
      "typeof host.call, typeof print, String([1, 2].map(function (x) { return x * 2 }))].join(' ')";
  const std::string clean_state = "undefined undefined 2 [1] function function 2,4";
  EXPECT_EQ(eval(sb.get(), probe), clean_state);
  SnapshotPtr clean = snapshot(sb.get());
  hl_val_t scribble =
      str("var secret = 'left behind'; Object.prototype.polluted = 1; Math.max = function () { return -1 };"
          "JSON.stringify = null; host.call = null; print = undefined; Array.prototype.map = null; 'scribbled'");
  Result r;
  ErrorPtr err(hl_call_and_restore(sb.get(), clean.get(), "Eval", &scribble, 1, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.str(), "scribbled");
  EXPECT_EQ(eval(sb.get(), probe), clean_state);
  // Many requests from one snapshot, each on a clean engine.
  for (int i = 0; i < 20; i++) {
    std::string script =
        "var counter = (typeof counter === 'undefined' ? 0 : counter) + 1; counter * " + std::to_string(i);
    hl_val_t arg = str(script);
    Result each;
    ErrorPtr e(hl_call_and_restore(sb.get(), clean.get(), "Eval", &arg, 1, &each.val));
    ASSERT_FALSE(e) << describe(e);
    EXPECT_EQ(each.str(), std::to_string(i));
  }
}

TEST(JsGuest, SandboxesFromASnapshotStartWithAReadyEngine) {
  SandboxPtr sb = js_sandbox();
  SnapshotPtr snap = snapshot(sb.get());
  hl_sandbox_t *raw = nullptr;
  ErrorPtr err(hl_sandbox_new_from_snapshot(snap.get(), nullptr, &raw));
  ASSERT_FALSE(err) << describe(err);
  SandboxPtr fresh(raw);
  EXPECT_EQ(eval(fresh.get(), "[3, 1, 2].sort().join('')"), "123");
}
