// hl_sandbox_snapshot / restore, hl_call_and_restore, sandboxes from
// snapshots, snapshot files and the VM pool.
#include "capi/shim.h"
#include "kvm/kvm_system.h"
#include "kvm/vm_pool.h"
#include "sandbox/cpu_state.h"
#include "sandbox/spare_sandboxes.h"
#include "snapshot/snapshot_file.h"

extern "C" {

HL_API hl_error_t *hl_sandbox_snapshot(hl_sandbox_t *sandbox, hl_snapshot_t **out) {
  return hl::guarded([&] {
    hl::require(out != nullptr, "hl_sandbox_snapshot: out is NULL");
    *out = nullptr;
    hl::require(sandbox != nullptr, "hl_sandbox_snapshot: sandbox is NULL");
    auto handle = std::make_unique<hl_snapshot>();
    handle->snapshot = sandbox->sandbox->snapshot();
    *out = handle.release();
  });
}

HL_API hl_error_t *hl_sandbox_restore(hl_sandbox_t *sandbox, const hl_snapshot_t *snapshot) {
  return hl::guarded([&] {
    hl::require(sandbox != nullptr, "hl_sandbox_restore: sandbox is NULL");
    hl::require(snapshot != nullptr, "hl_sandbox_restore: snapshot is NULL");
    sandbox->sandbox->restore(snapshot->snapshot);
  });
}

HL_API hl_error_t *hl_call_and_restore(hl_sandbox_t *sandbox, const hl_snapshot_t *snapshot, const char *function,
                                       const hl_val_t *args, size_t nargs, hl_val_t *result) {
  if (result != nullptr) *result = hl_val_t{};
  return hl::guarded([&] {
    hl::require(sandbox != nullptr, "hl_call_and_restore: sandbox is NULL");
    hl::require(snapshot != nullptr, "hl_call_and_restore: snapshot is NULL");
    hl::require(function != nullptr, "hl_call_and_restore: function is NULL");
    sandbox->sandbox->call_and_restore(snapshot->snapshot, function, args, nargs, result);
  });
}

HL_API hl_error_t *hl_sandbox_new_from_snapshot(const hl_snapshot_t *snapshot, const hl_config_t *config,
                                                hl_sandbox_t **out) {
  return hl::guarded([&] {
    hl::require(out != nullptr, "hl_sandbox_new_from_snapshot: out is NULL");
    *out = nullptr;
    hl::require(snapshot != nullptr, "hl_sandbox_new_from_snapshot: snapshot is NULL");
    static const hl::SandboxConfig kDefaults;
    auto sandbox = std::make_unique<hl_sandbox>();
    sandbox->sandbox =
        hl::Sandbox::create_from_snapshot(config != nullptr ? config->config : kDefaults, snapshot->snapshot);
    *out = sandbox.release();
  });
}

HL_API void hl_snapshot_delete(hl_snapshot_t *snapshot) {
  if (snapshot == nullptr) return;
  delete snapshot;
  hl::SpareSandboxes::instance().evict_expired();  // sandboxes kept warm for it, if it is gone now
}

HL_API uint64_t hl_snapshot_memory_size(const hl_snapshot_t *snapshot) {
  return snapshot != nullptr ? snapshot->snapshot->layout.memory_size : 0;
}

HL_API hl_error_t *hl_snapshot_save(const hl_snapshot_t *snapshot, const char *path) {
  return hl::guarded([&] {
    hl::require(snapshot != nullptr && path != nullptr, "hl_snapshot_save: snapshot or path is NULL");
    hl::save_snapshot(*snapshot->snapshot, path);
  });
}

HL_API hl_error_t *hl_snapshot_load(const char *path, hl_snapshot_t **out) {
  return hl::guarded([&] {
    hl::require(out != nullptr, "hl_snapshot_load: out is NULL");
    *out = nullptr;
    hl::require(path != nullptr, "hl_snapshot_load: path is NULL");
    auto handle = std::make_unique<hl_snapshot>();
    // The rebuilt vCPU state depends on what this machine's KVM offers (UMIP).
    handle->snapshot = hl::load_snapshot(path, hl::host_cr4(hl::kvm::KvmSystem::instance()->offers_umip()));
    *out = handle.release();
  });
}

HL_API hl_error_t *hl_set_vm_pool_size(uint32_t size) {
  return hl::guarded([&] {
    hl::kvm::VmPool::instance().set_target_size(size);
    hl::SpareSandboxes::instance().set_capacity(size);
  });
}

}  // extern "C"
