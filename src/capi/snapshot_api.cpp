// hl_sandbox_snapshot / restore, hl_call_and_restore, sandboxes from
// snapshots and snapshot files.
#include "capi/call_options.h"
#include "capi/shim.h"
#include "snapshot/snapshot_file.h"

extern "C" {

HL_API hl_error_t *hl_sandbox_snapshot(hl_sandbox_t *sandbox, hl_snapshot_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_sandbox_snapshot: out is NULL");
    *out = nullptr;
    hl::require(sandbox != nullptr, "hl_sandbox_snapshot: sandbox is NULL");
    auto handle = std::make_unique<hl_snapshot>();
    handle->snapshot = sandbox->sandbox->snapshot();
    *out = handle.release();
  });
}

HL_API hl_error_t *hl_sandbox_crashdump(hl_sandbox_t *sandbox, const char *path) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_sandbox_crashdump: sandbox is NULL");
    hl::require(path != nullptr && path[0] != '\0', "hl_sandbox_crashdump: path is NULL or empty");
    sandbox->sandbox->write_crash_dump(path);
  });
}

HL_API hl_error_t *hl_sandbox_restore(hl_sandbox_t *sandbox, const hl_snapshot_t *snapshot) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_sandbox_restore: sandbox is NULL");
    hl::require(snapshot != nullptr, "hl_sandbox_restore: snapshot is NULL");
    sandbox->sandbox->restore(snapshot->snapshot);
  });
}

HL_API hl_error_t *hl_call_and_restore(hl_sandbox_t *sandbox, const hl_snapshot_t *snapshot, const char *function,
                                       const hl_val_t *args, size_t nargs, hl_val_t *result) {
  if (result != nullptr) *result = hl_val_t{};
  return hl::guarded(__func__, [&]() -> hl::Failure {
    hl::require(sandbox != nullptr, "hl_call_and_restore: sandbox is NULL");
    hl::require(snapshot != nullptr, "hl_call_and_restore: snapshot is NULL");
    hl::require(function != nullptr, "hl_call_and_restore: function is NULL");
    hl::Val out{};
    if (hl::Failure failure = sandbox->sandbox->try_call_and_restore(
            snapshot->snapshot, function, hl::ArgsFromC(args, nargs).data(), nargs, result != nullptr ? &out : nullptr))
      return failure;
    if (result != nullptr) *result = hl::to_c(out);
    return std::nullopt;
  });
}

HL_API hl_error_t *hl_call_and_restore_ex(hl_sandbox_t *sandbox, const hl_snapshot_t *snapshot, const char *function,
                                          const hl_val_t *args, size_t nargs, hl_val_t *result,
                                          const hl_call_options_t *options, hl_call_stats_t *stats) {
  if (result != nullptr) *result = hl_val_t{};
  if (stats != nullptr) *stats = hl_call_stats_t{};
  return hl::guarded(__func__, [&]() -> hl::Failure {
    hl::require(sandbox != nullptr, "hl_call_and_restore_ex: sandbox is NULL");
    hl::require(snapshot != nullptr, "hl_call_and_restore_ex: snapshot is NULL");
    hl::require(function != nullptr, "hl_call_and_restore_ex: function is NULL");
    const hl::Sandbox::CallSettings settings = hl::call_settings_from_c(options, "hl_call_and_restore_ex");
    hl::Val out{};
    hl::CallStatsOut stats_out(stats);
    if (hl::Failure failure = sandbox->sandbox->try_call_and_restore(
            snapshot->snapshot, function, hl::ArgsFromC(args, nargs).data(), nargs, result != nullptr ? &out : nullptr,
            settings, stats_out.target()))
      return failure;
    if (result != nullptr) *result = hl::to_c(out);
    return std::nullopt;
  });
}

HL_API hl_error_t *hl_sandbox_new_from_snapshot(const hl_snapshot_t *snapshot, const hl_config_t *config,
                                                hl_sandbox_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_sandbox_new_from_snapshot: out is NULL");
    *out = nullptr;
    hl::require(snapshot != nullptr, "hl_sandbox_new_from_snapshot: snapshot is NULL");
    auto sandbox = std::make_unique<hl_sandbox>();
    sandbox->engine = hl::engine_of(config);
    {
      // The handle is const to the caller; which engines used it is ours.
      auto *handle = const_cast<hl_snapshot_t *>(snapshot);
      std::lock_guard<std::mutex> lock(handle->engines_mu);
      bool known = false;
      for (const auto &e : handle->engines) known |= e.lock() == sandbox->engine;
      if (!known) handle->engines.push_back(sandbox->engine);
    }
    sandbox->sandbox = sandbox->engine->create_sandbox_from_snapshot(hl::settings_of(config), snapshot->snapshot);
    *out = sandbox.release();
  });
}

HL_API void hl_snapshot_delete(hl_snapshot_t *snapshot) {
  if (snapshot == nullptr) return;
  std::vector<std::weak_ptr<hl::Engine>> engines = std::move(snapshot->engines);
  delete snapshot;
  // Sandboxes kept warm for it, if it is gone now (no sandbox holds it).
  for (const auto &weak : engines)
    if (std::shared_ptr<hl::Engine> engine = weak.lock()) engine->evict_expired_spares();
}

HL_API uint64_t hl_snapshot_memory_size(const hl_snapshot_t *snapshot) {
  return snapshot != nullptr ? snapshot->snapshot->layout.memory_size : 0;
}

HL_API hl_error_t *hl_snapshot_save(const hl_snapshot_t *snapshot, const char *path) {
  return hl::guarded(__func__, [&] {
    hl::require(snapshot != nullptr && path != nullptr, "hl_snapshot_save: snapshot or path is NULL");
    hl::save_snapshot(*snapshot->snapshot, path);
  });
}

HL_API hl_error_t *hl_snapshot_load(const char *path, hl_snapshot_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_snapshot_load: out is NULL");
    *out = nullptr;
    hl::require(path != nullptr, "hl_snapshot_load: path is NULL");
    auto handle = std::make_unique<hl_snapshot>();
    // The rebuilt vCPU state depends on what this machine's KVM offers
    // (UMIP), the same for every engine here: the default one says.
    handle->snapshot = hl::load_snapshot(path, hl::Engine::default_engine()->host_cr4());
    *out = handle.release();
  });
}

}  // extern "C"
