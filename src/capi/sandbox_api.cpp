// hl_sandbox_*, hl_register and hl_call.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "capi/c_host_function.h"
#include "capi/call_options.h"
#include "capi/host_function_signature.h"
#include "capi/shim.h"
#include "common/regular_file.h"
#include "protocol/values.h"

namespace {

constexpr size_t kMaxGuestFileSize = 512ull << 20;

std::vector<uint8_t> read_guest_file(const char *path) {
  struct stat st;
  hl::UniqueFd fd = hl::open_regular_file("hl_sandbox_new", path, &st);
  if (static_cast<uint64_t>(st.st_size) > kMaxGuestFileSize)
    throw hl::Error(hl::ErrorCode::kInvalidElf, hl::format("hl_sandbox_new: '%s' is larger than 512 MiB", path));
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw hl::Error(hl::ErrorCode::kIo,
                      hl::errno_message(hl::format("hl_sandbox_new: read('%s')", path).c_str(), errno));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

void create(const hl_config_t *config, std::span<const uint8_t> elf, hl_sandbox_t **out) {
  auto sandbox = std::make_unique<hl_sandbox>();
  sandbox->engine = hl::engine_of(config);
  sandbox->sandbox = sandbox->engine->create_sandbox(hl::settings_of(config), elf);
  *out = sandbox.release();
}

// Prefixes an error's message with the guest file it concerns.
template <typename F>
void naming_file(const char *path, F &&body) {
  try {
    body();
  } catch (const hl::Error &e) {
    throw hl::Error(e.code(), hl::format("%s: %s", path, e.what()));
  }
}

}  // namespace

extern "C" {

HL_API hl_error_t *hl_sandbox_new(const hl_config_t *config, const char *guest_path, hl_sandbox_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_sandbox_new: out is NULL");
    *out = nullptr;
    hl::require(guest_path != nullptr, "hl_sandbox_new: guest_path is NULL");
    std::vector<uint8_t> elf = read_guest_file(guest_path);  // its errors name the path already
    naming_file(guest_path, [&] { create(config, elf, out); });
  });
}

HL_API hl_error_t *hl_sandbox_new_from_memory(const hl_config_t *config, const uint8_t *guest_elf, size_t guest_elf_len,
                                              hl_sandbox_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_sandbox_new_from_memory: out is NULL");
    *out = nullptr;
    hl::require(guest_elf != nullptr || guest_elf_len == 0, "hl_sandbox_new_from_memory: guest_elf is NULL");
    naming_file("<memory>", [&] { create(config, {guest_elf, guest_elf_len}, out); });
  });
}

HL_API uint64_t hl_sandbox_memory_size(const hl_sandbox_t *sandbox) {
  return sandbox != nullptr ? sandbox->sandbox->layout().memory_size : 0;
}

HL_API void hl_sandbox_delete(hl_sandbox_t *sandbox) {
  if (sandbox == nullptr) return;
  sandbox->anchor->detach();                             // waits for calls through guest function pointers
  sandbox->engine->retire(std::move(sandbox->sandbox));  // kept warm if it was made from a snapshot
  delete sandbox;                                        // may drop the engine's last reference
}

HL_API hl_error_t *hl_sandbox_counter_increment(hl_sandbox_t *sandbox, uint64_t *value) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_sandbox_counter_increment: sandbox is NULL");
    uint64_t v = sandbox->sandbox->counter_increment();
    if (value != nullptr) *value = v;
  });
}

HL_API hl_error_t *hl_sandbox_counter_decrement(hl_sandbox_t *sandbox, uint64_t *value) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_sandbox_counter_decrement: sandbox is NULL");
    uint64_t v = sandbox->sandbox->counter_decrement();
    if (value != nullptr) *value = v;
  });
}

HL_API uint64_t hl_sandbox_counter_value(const hl_sandbox_t *sandbox) {
  return sandbox != nullptr ? sandbox->sandbox->counter_value() : 0;
}

HL_API hl_error_t *hl_sandbox_map_region(hl_sandbox_t *sandbox, const void *host_address, uint64_t size,
                                         uint64_t guest_address, uint32_t flags, void *user_data,
                                         hl_finalizer_t finalizer) {
  // The memory is hyperlight's from the call on, whatever its outcome. Once
  // the MappedMemory exists, dropping the last reference finalizes it (on
  // failure, before this returns); until then, a failure finalizes it here.
  bool handed_over = false;
  hl_error_t *err = hl::guarded(__func__, [&] {
    auto memory = std::make_shared<const hl::MappedMemory>(host_address, size, finalizer, user_data);
    handed_over = true;
    hl::require(sandbox != nullptr, "hl_sandbox_map_region: sandbox is NULL");
    sandbox->sandbox->map_region(std::move(memory), guest_address, flags);
  });
  if (err != nullptr && !handed_over && finalizer != nullptr) finalizer(user_data);
  return err;
}

HL_API hl_error_t *hl_sandbox_unmap_region(hl_sandbox_t *sandbox, uint64_t guest_address) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_sandbox_unmap_region: sandbox is NULL");
    sandbox->sandbox->unmap_region(guest_address);
  });
}

HL_API hl_error_t *hl_sandbox_map_file_cow(hl_sandbox_t *sandbox, const char *path, uint64_t guest_address,
                                           uint64_t *size) {
  return hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr && path != nullptr, "hl_sandbox_map_file_cow: sandbox or path is NULL");
    uint64_t mapped = sandbox->sandbox->map_file_cow(path, guest_address);
    if (size != nullptr) *size = mapped;
  });
}

HL_API hl_error_t *hl_register(hl_sandbox_t *sandbox, const char *name, const hl_val_kind_t *param_kinds,
                               size_t nparams, hl_val_kind_t return_kind, hl_host_fn_t callback, void *user_data,
                               hl_finalizer_t finalizer) {
  // Until the HostFunction owns user_data, a failure must finalize it here.
  bool handed_over = false;
  hl_error_t *err = hl::guarded(__func__, [&] {
    hl::require(sandbox != nullptr, "hl_register: sandbox is NULL");
    hl::require(callback != nullptr, "hl_register: callback is NULL");
    hl::HostFunctionSignature sig =
        hl::check_host_function_signature(__func__, name, param_kinds, nparams, return_kind);
    auto fn = std::make_unique<hl::CHostFunction>(std::move(sig.name), std::move(sig.params), sig.result, callback,
                                                  user_data, finalizer);
    handed_over = true;
    sandbox->sandbox->register_host_function(std::move(fn));
  });
  if (err != nullptr && !handed_over && finalizer != nullptr) finalizer(user_data);
  return err;
}

HL_API hl_error_t *hl_call(hl_sandbox_t *sandbox, const char *function, const hl_val_t *args, size_t nargs,
                           hl_val_t *result) {
  if (result != nullptr) *result = hl_val_t{};
  return hl::guarded(__func__, [&]() -> hl::Failure {
    hl::require(sandbox != nullptr, "hl_call: sandbox is NULL");
    hl::require(function != nullptr, "hl_call: function is NULL");
    hl::Val out{};
    if (hl::Failure failure = sandbox->sandbox->try_call(function, hl::ArgsFromC(args, nargs).data(), nargs,
                                                         result != nullptr ? &out : nullptr))
      return failure;
    if (result != nullptr) *result = hl::to_c(out);
    return std::nullopt;
  });
}

HL_API hl_error_t *hl_call_with_timeout(hl_sandbox_t *sandbox, const char *function, const hl_val_t *args, size_t nargs,
                                        hl_val_t *result, uint64_t timeout_ns) {
  if (result != nullptr) *result = hl_val_t{};
  return hl::guarded(__func__, [&]() -> hl::Failure {
    hl::require(sandbox != nullptr, "hl_call_with_timeout: sandbox is NULL");
    hl::require(function != nullptr, "hl_call_with_timeout: function is NULL");
    hl::Val out{};
    hl::Sandbox::CallSettings settings;
    settings.timeout_ns = timeout_ns;
    if (hl::Failure failure = sandbox->sandbox->try_call(function, hl::ArgsFromC(args, nargs).data(), nargs,
                                                         result != nullptr ? &out : nullptr, settings))
      return failure;
    if (result != nullptr) *result = hl::to_c(out);
    return std::nullopt;
  });
}

HL_API hl_error_t *hl_call_ex(hl_sandbox_t *sandbox, const char *function, const hl_val_t *args, size_t nargs,
                              hl_val_t *result, const hl_call_options_t *options, hl_call_stats_t *stats) {
  if (result != nullptr) *result = hl_val_t{};
  if (stats != nullptr) *stats = hl_call_stats_t{};
  return hl::guarded(__func__, [&]() -> hl::Failure {
    hl::require(sandbox != nullptr, "hl_call_ex: sandbox is NULL");
    hl::require(function != nullptr, "hl_call_ex: function is NULL");
    const hl::Sandbox::CallSettings settings = hl::call_settings_from_c(options, "hl_call_ex");
    hl::Val out{};
    hl::CallStatsOut stats_out(stats);
    if (hl::Failure failure =
            sandbox->sandbox->try_call(function, hl::ArgsFromC(args, nargs).data(), nargs,
                                       result != nullptr ? &out : nullptr, settings, stats_out.target()))
      return failure;
    if (result != nullptr) *result = hl::to_c(out);
    return std::nullopt;
  });
}

HL_API uint64_t hl_sandbox_id(const hl_sandbox_t *sandbox) { return sandbox != nullptr ? sandbox->sandbox->id() : 0; }

HL_API hl_sandbox_status_t hl_sandbox_status(const hl_sandbox_t *sandbox) {
  return sandbox == nullptr || sandbox->sandbox->poisoned() ? HL_SANDBOX_POISONED : HL_SANDBOX_READY;
}

HL_API hl_error_t *hl_sandbox_interrupt_handle(hl_sandbox_t *sandbox, hl_interrupt_handle_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_sandbox_interrupt_handle: out is NULL");
    *out = nullptr;
    hl::require(sandbox != nullptr, "hl_sandbox_interrupt_handle: sandbox is NULL");
    *out = new hl_interrupt_handle{sandbox->sandbox->interrupt_control()};
  });
}

HL_API hl_kill_result_t hl_kill(hl_interrupt_handle_t *handle) {
  if (handle == nullptr) return HL_KILL_SANDBOX_GONE;
  return hl::to_c(handle->control->kill());
}

HL_API void hl_interrupt_handle_delete(hl_interrupt_handle_t *handle) { delete handle; }

}  // extern "C"
