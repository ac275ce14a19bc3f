// What the snapshot and scaling benchmarks share: scribbleguest sandboxes of
// a chosen size, an engine of a benchmark's own, a snapshot to make
// sandboxes from, and library errors turned into benchmark errors.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "hyperlight.h"

// Ends the benchmark with err's message when there is an error; false when
// err is NULL. Takes err.
inline bool failed(benchmark::State &state, hl_error_t *err) {
  if (err == nullptr) return false;
  state.SkipWithError(hl_error_message(err));
  hl_error_delete(err);
  return true;
}

// An i32 argument, as the benches' Add(40, 2) calls pass them.
inline hl_val_t i32_val(int32_t v) {
  hl_val_t val{};
  val.kind = HL_VAL_I32;
  val.of.i32 = v;
  return val;
}

struct ScribbleSizes {
  uint64_t heap_bytes = 16ull << 20;
  uint64_t input_buffer_bytes = 0;  // 0: the library's default
};

// A scribbleguest sandbox from its ELF, or null (the reason on stderr).
// engine null: the default engine.
inline hl_sandbox_t *scribble_sandbox(const ScribbleSizes &sizes, hl_engine_t *engine = nullptr) {
  hl_config_t *config = hl_config_new();
  hl_error_t *err = hl_config_set_heap_size(config, sizes.heap_bytes);
  if (err == nullptr && sizes.input_buffer_bytes != 0)
    err = hl_config_set_input_buffer_size(config, sizes.input_buffer_bytes);
  if (err == nullptr) err = hl_config_set_engine(config, engine);
  hl_sandbox_t *sb = nullptr;
  if (err == nullptr) err = hl_sandbox_new(config, HL_SCRIBBLEGUEST_PATH, &sb);
  hl_config_delete(config);
  if (err != nullptr) {
    std::fprintf(stderr, "scribbleguest sandbox: %s\n", hl_error_message(err));
    hl_error_delete(err);
  }
  return sb;
}

inline hl_sandbox_t *scribble_sandbox(uint64_t heap_bytes, hl_engine_t *engine = nullptr) {
  return scribble_sandbox(ScribbleSizes{heap_bytes, 0}, engine);
}

// An engine of the benchmark's own: sandboxes that other benchmarks left
// parked, or spares built for their snapshots, neither help nor cost here,
// its metrics count this benchmark only, and deleting it at the end frees
// everything the benchmark made.
class OwnEngine {
 public:
  OwnEngine() {
    if (hl_error_t *err = hl_engine_new(nullptr, &engine_); err != nullptr) {
      error_ = hl_error_message(err);
      hl_error_delete(err);
      return;
    }
    config_ = hl_config_new();
    hl_error_delete(hl_config_set_engine(config_, engine_));
  }
  ~OwnEngine() {
    hl_config_delete(config_);
    hl_engine_delete(engine_);
  }
  OwnEngine(const OwnEngine &) = delete;
  OwnEngine &operator=(const OwnEngine &) = delete;

  // Empty when the engine exists.
  const std::string &error() const { return error_; }
  hl_engine_t *engine() const { return engine_; }
  // A config that names the engine (for hl_sandbox_new_from_snapshot).
  const hl_config_t *config() const { return config_; }
  hl_metrics_t metrics() const {
    hl_metrics_t m{};
    hl_error_delete(hl_engine_metrics(engine_, &m));
    return m;
  }

 private:
  hl_engine_t *engine_ = nullptr;
  hl_config_t *config_ = nullptr;
  std::string error_;
};

// A snapshot of a scribbleguest sandbox (16 MiB heap) just after it was
// made, on an engine of its own, to make sandboxes from.
class SnapshotSource {
 public:
  SnapshotSource() {
    if (!engine_.error().empty()) {
      error_ = engine_.error();
      return;
    }
    source_ = scribble_sandbox(16ull << 20, engine_.engine());
    if (source_ == nullptr) {
      error_ = "no scribbleguest sandbox";
      return;
    }
    if (hl_error_t *err = hl_sandbox_snapshot(source_, &snapshot_); err != nullptr) {
      error_ = hl_error_message(err);
      hl_error_delete(err);
    }
  }
  ~SnapshotSource() {
    hl_snapshot_delete(snapshot_);
    hl_sandbox_delete(source_);
  }
  SnapshotSource(const SnapshotSource &) = delete;
  SnapshotSource &operator=(const SnapshotSource &) = delete;

  // Empty when the snapshot exists.
  const std::string &error() const { return error_; }
  hl_error_t *new_sandbox(hl_sandbox_t **out) const {
    return hl_sandbox_new_from_snapshot(snapshot_, engine_.config(), out);
  }

 private:
  OwnEngine engine_;  // first: outlives the sandbox and snapshot made on it
  hl_sandbox_t *source_ = nullptr;
  hl_snapshot_t *snapshot_ = nullptr;
  std::string error_;
};
