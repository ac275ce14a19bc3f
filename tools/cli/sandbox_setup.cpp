#include "sandbox_setup.h"

#include "bounded_file.h"

namespace hlcli {
namespace {

ConfigPtr new_config(const SandboxOptions &o, hl_engine_t *engine) {
  ConfigPtr config(hl_config_new());
  if (!config) throw LibraryError(HL_ERROR_OUT_OF_MEMORY, "hl_config_new: out of memory");
  hl_config_t *c = config.get();
  check(hl_config_set_engine(c, engine));
  if (o.heap_size) check(hl_config_set_heap_size(c, *o.heap_size));
  if (o.stack_size) check(hl_config_set_stack_size(c, *o.stack_size));
  if (o.input_buffer_size) check(hl_config_set_input_buffer_size(c, *o.input_buffer_size));
  if (o.output_buffer_size) check(hl_config_set_output_buffer_size(c, *o.output_buffer_size));
  if (o.timeout_ns) check(hl_config_set_call_timeout_ns(c, *o.timeout_ns));
  if (o.cpu_budget_ns) check(hl_config_set_call_cpu_budget_ns(c, *o.cpu_budget_ns));
  if (o.log_level) check(hl_config_set_max_log_level(c, *o.log_level));
  if (o.gdb_port) check(hl_config_set_gdb_port(c, *o.gdb_port));
  if (o.crashdump_dir) check(hl_config_set_crashdump_dir(c, o.crashdump_dir->c_str()));
  if (o.init_data) {
    std::string data = read_bounded_file(*o.init_data, kMaxInitDataBytes);
    check(hl_config_set_init_data(c, reinterpret_cast<const uint8_t *>(data.data()), data.size(), 0));
  }
  return config;
}

}  // namespace

EnginePtr new_engine() {
  EngineConfigPtr config(hl_engine_config_new());
  if (!config) throw LibraryError(HL_ERROR_OUT_OF_MEMORY, "hl_engine_config_new: out of memory");
  check(hl_engine_config_set_vm_pool_size(config.get(), 0));
  hl_engine_t *engine = nullptr;
  check(hl_engine_new(config.get(), &engine));
  return EnginePtr(engine);
}

SandboxPtr new_sandbox(const SandboxOptions &options, const std::optional<std::string> &guest, hl_engine_t *engine) {
  ConfigPtr config = new_config(options, engine);
  hl_sandbox_t *sandbox = nullptr;
  if (options.snapshot_in) {
    hl_snapshot_t *raw = nullptr;
    check(hl_snapshot_load(options.snapshot_in->c_str(), &raw));
    SnapshotPtr snapshot(raw);
    check(hl_sandbox_new_from_snapshot(snapshot.get(), config.get(), &sandbox));
  } else {
    check(hl_sandbox_new(config.get(), guest.value().c_str(), &sandbox));
  }
  return SandboxPtr(sandbox);
}

Session open_session(const SandboxOptions &options, const std::optional<std::string> &guest) {
  Session session;
  session.engine = new_engine();
  session.sandbox = new_sandbox(options, guest, session.engine.get());
  return session;
}

}  // namespace hlcli
