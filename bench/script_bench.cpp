// Script guests (lua.elf, js.elf) per request against the same engines run
// natively in this process (docs/guests.md): the figure of merit is the
// ratio to native, each request on a fresh interpreter state.
//
// - BM_<Lang>Native: a new interpreter per request (lua_State /
//   duk_context), the script, its result as text, the interpreter closed.
// - BM_<Lang>CallAndRestore: hl_call_and_restore(Eval) on one sandbox whose
//   snapshot holds a ready interpreter.
// - BM_<Lang>FromSnapshot: a sandbox from that snapshot, Eval, deleted.
// Then the ratios, the guests' ELF sizes, and the memory an idle sandbox
// with the interpreter loaded costs (RSS over 50 sandboxes from the snapshot).
#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "hyperlight.h"

extern "C" {
#include "duktape.h"
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"
}

namespace {

// The same small request in both languages: build a table of squares, join
// some of them as text.
const char *const kLuaScript =
    "local t = {} for i = 1, 200 do t[i] = i * i end "
    "return table.concat(t, ',', 1, 5) .. ' ' .. #t";
const char *const kJsScript =
    "var t = []; for (var i = 1; i <= 200; i++) t.push(i * i); "
    "t.slice(0, 5).join(',') + ' ' + t.length";
const char *const kExpected = "1,4,9,16,25 200";

struct Guest {
  const char *name;
  const char *path;
  const char *script;
};
const Guest kLua{"Lua", HL_LUA_GUEST_PATH, kLuaScript};
const Guest kJs{"Js", HL_JS_GUEST_PATH, kJsScript};

bool check(benchmark::State &state, hl_error_t *err) {
  if (err == nullptr) return true;
  state.SkipWithError(hl_error_message(err));
  hl_error_delete(err);
  return false;
}

hl_val_t script_arg(const char *script) {
  hl_val_t v{};
  v.kind = HL_VAL_STRING;
  v.of.string.ptr = script;
  v.of.string.len = std::strlen(script);
  return v;
}

// One sandbox from the guest and its snapshot, for a benchmark's lifetime.
struct Booted {
  hl_sandbox_t *sandbox = nullptr;
  hl_snapshot_t *snapshot = nullptr;
  bool boot(benchmark::State &state, const Guest &guest) {
    return check(state, hl_sandbox_new(nullptr, guest.path, &sandbox)) &&
           check(state, hl_sandbox_snapshot(sandbox, &snapshot));
  }
  ~Booted() {
    hl_snapshot_delete(snapshot);
    hl_sandbox_delete(sandbox);
  }
};

bool result_is_expected(benchmark::State &state, hl_val_t &result) {
  const bool ok = result.kind == HL_VAL_STRING && std::string(result.of.string.ptr, result.of.string.len) == kExpected;
  if (!ok) state.SkipWithError("Eval returned something else than expected");
  hl_val_release(&result);
  return ok;
}

// The libraries lua.elf opens (guests/lua), no more: io, package and debug
// are left out in the guest, so opening them natively would not compare.
void open_guest_libraries(lua_State *L) {
  const luaL_Reg libraries[] = {{LUA_GNAME, luaopen_base},       {LUA_COLIBNAME, luaopen_coroutine},
                                {LUA_TABLIBNAME, luaopen_table}, {LUA_STRLIBNAME, luaopen_string},
                                {LUA_UTF8LIBNAME, luaopen_utf8}, {LUA_MATHLIBNAME, luaopen_math},
                                {LUA_OSLIBNAME, luaopen_os}};
  for (const luaL_Reg &library : libraries) {
    luaL_requiref(L, library.name, library.func, 1);
    lua_pop(L, 1);
  }
}

void BM_LuaNative(benchmark::State &state) {
  for (auto _ : state) {
    lua_State *L = luaL_newstate();
    open_guest_libraries(L);
    if (luaL_dostring(L, kLuaScript) != LUA_OK || std::string(luaL_tolstring(L, -1, nullptr)) != kExpected) {
      state.SkipWithError("native Lua failed");
      lua_close(L);
      break;
    }
    lua_close(L);
  }
}
BENCHMARK(BM_LuaNative)->UseRealTime()->MinTime(1.0);

void BM_JsNative(benchmark::State &state) {
  for (auto _ : state) {
    duk_context *ctx = duk_create_heap_default();
    if (duk_peval_string(ctx, kJsScript) != 0 || std::string(duk_safe_to_string(ctx, -1)) != kExpected) {
      state.SkipWithError("native duktape failed");
      duk_destroy_heap(ctx);
      break;
    }
    duk_destroy_heap(ctx);
  }
}
BENCHMARK(BM_JsNative)->UseRealTime()->MinTime(1.0);

void call_and_restore(benchmark::State &state, const Guest &guest) {
  Booted b;
  if (!b.boot(state, guest)) return;
  hl_val_t arg = script_arg(guest.script);
  for (auto _ : state) {
    hl_val_t result{};
    if (!check(state, hl_call_and_restore(b.sandbox, b.snapshot, "Eval", &arg, 1, &result)) ||
        !result_is_expected(state, result))
      break;
  }
}
void BM_LuaCallAndRestore(benchmark::State &state) { call_and_restore(state, kLua); }
void BM_JsCallAndRestore(benchmark::State &state) { call_and_restore(state, kJs); }
BENCHMARK(BM_LuaCallAndRestore)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_JsCallAndRestore)->UseRealTime()->MinTime(1.0);

void from_snapshot(benchmark::State &state, const Guest &guest) {
  Booted b;
  if (!b.boot(state, guest)) return;
  hl_val_t arg = script_arg(guest.script);
  for (auto _ : state) {
    hl_sandbox_t *sb = nullptr;
    if (!check(state, hl_sandbox_new_from_snapshot(b.snapshot, nullptr, &sb))) break;
    hl_val_t result{};
    const bool ok = check(state, hl_call(sb, "Eval", &arg, 1, &result)) && result_is_expected(state, result);
    hl_sandbox_delete(sb);
    if (!ok) break;
  }
}
void BM_LuaFromSnapshot(benchmark::State &state) { from_snapshot(state, kLua); }
void BM_JsFromSnapshot(benchmark::State &state) { from_snapshot(state, kJs); }
BENCHMARK(BM_LuaFromSnapshot)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_JsFromSnapshot)->UseRealTime()->MinTime(1.0);

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// RSS per idle sandbox made from the snapshot (its interpreter loaded).
double idle_sandbox_kib(const Guest &guest) {
  constexpr int kSandboxes = 50;
  hl_sandbox_t *base = nullptr;
  hl_snapshot_t *snap = nullptr;
  if (hl_error_t *e = hl_sandbox_new(nullptr, guest.path, &base)) {
    hl_error_delete(e);
    return -1;
  }
  if (hl_error_t *e = hl_sandbox_snapshot(base, &snap)) {
    hl_error_delete(e);
    hl_sandbox_delete(base);
    return -1;
  }
  const long before = rss_kib();
  std::vector<hl_sandbox_t *> sandboxes;
  hl_val_t arg = script_arg(guest.script);
  for (int i = 0; i < kSandboxes; i++) {
    hl_sandbox_t *sb = nullptr;
    if (hl_error_t *e = hl_sandbox_new_from_snapshot(snap, nullptr, &sb)) {
      hl_error_delete(e);
      break;
    }
    hl_val_t result{};
    hl_error_delete(hl_call(sb, "Eval", &arg, 1, &result));  // each has run a request: idle, not untouched
    hl_val_release(&result);
    sandboxes.push_back(sb);
  }
  const long after = rss_kib();
  for (hl_sandbox_t *sb : sandboxes) hl_sandbox_delete(sb);
  hl_snapshot_delete(snap);
  hl_sandbox_delete(base);
  return sandboxes.empty() ? -1 : static_cast<double>(after - before) / static_cast<double>(sandboxes.size());
}

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run> &runs) override {
    for (const Run &run : runs)
      if (!run.error_occurred)
        times_[run.benchmark_name().substr(0, run.benchmark_name().find('/'))] = run.GetAdjustedRealTime();
    ConsoleReporter::ReportRuns(runs);
  }
  void print_summary() const {
    std::printf("\nper request, fresh interpreter state (ratio to native in this process):\n");
    for (const Guest *g : {&kLua, &kJs}) {
      const double native = find(std::string("BM_") + g->name + "Native");
      for (const char *way : {"CallAndRestore", "FromSnapshot"}) {
        const double t = find(std::string("BM_") + g->name + way);
        if (native > 0 && t > 0)
          std::printf("  %-3s %-15s %9.2f us  native %7.2f us  %6.2fx native\n", g->name, way, t / 1e3, native / 1e3,
                      t / native);
      }
    }
    std::printf("\nguest ELF sizes and memory per idle sandbox (50 from a snapshot, each after one request):\n");
    for (const Guest *g : {&kLua, &kJs}) {
      struct stat st {};
      const long size = stat(g->path, &st) == 0 ? static_cast<long>(st.st_size) : -1;
      std::printf("  %-3s %8ld bytes on disk, %8.1f KiB RSS per idle sandbox\n", g->name, size, idle_sandbox_kib(*g));
    }
  }

 private:
  double find(const std::string &name) const {
    auto it = times_.find(name);
    return it == times_.end() ? -1 : it->second;
  }
  std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}
