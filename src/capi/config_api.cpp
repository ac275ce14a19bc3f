// hl_config_*.
#include "capi/shim.h"

extern "C" {

HL_API hl_config_t *hl_config_new(void) { return new (std::nothrow) hl_config(); }

HL_API void hl_config_delete(hl_config_t *config) { delete config; }

HL_API hl_error_t *hl_config_set_heap_size(hl_config_t *config, uint64_t bytes) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_heap_size: config is NULL");
    config->config.set_heap_size(bytes);
  });
}

HL_API hl_error_t *hl_config_set_stack_size(hl_config_t *config, uint64_t bytes) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_stack_size: config is NULL");
    config->config.set_stack_size(bytes);
  });
}

HL_API hl_error_t *hl_config_set_input_buffer_size(hl_config_t *config, uint64_t bytes) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_input_buffer_size: config is NULL");
    config->config.set_input_buffer_size(bytes);
  });
}

HL_API hl_error_t *hl_config_set_output_buffer_size(hl_config_t *config, uint64_t bytes) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_output_buffer_size: config is NULL");
    config->config.set_output_buffer_size(bytes);
  });
}

HL_API hl_error_t *hl_config_set_log_callback(hl_config_t *config, hl_log_fn_t callback, void *user_data) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_log_callback: config is NULL");
    config->config.log_callback = nullptr;
    if (callback == nullptr) return;
    // The record's strings are NUL-terminated just past their ends (GuestLogRecord).
    config->config.log_callback = [callback, user_data](const hl::GuestLogRecord &record) {
      callback(user_data, hl::to_c(record.level), record.file.data(), record.file.size(), record.line,
               record.message.data(), record.message.size());
    };
  });
}

HL_API hl_error_t *hl_config_set_print_callback(hl_config_t *config, hl_print_fn_t callback, void *user_data) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_print_callback: config is NULL");
    config->config.print_callback = nullptr;
    if (callback == nullptr) return;
    config->config.print_callback = [callback, user_data](std::string_view text) {
      callback(user_data, text.data(), text.size());
    };
  });
}

HL_API hl_error_t *hl_config_set_print_limit(hl_config_t *config, uint64_t bytes) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_print_limit: config is NULL");
    config->config.print_limit = bytes;
  });
}

HL_API hl_error_t *hl_config_set_call_cpu_budget_ns(hl_config_t *config, uint64_t budget_ns) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_call_cpu_budget_ns: config is NULL");
    config->config.call_cpu_budget_ns = budget_ns;
  });
}

HL_API hl_error_t *hl_config_set_max_log_level(hl_config_t *config, hl_log_level_t level) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_max_log_level: config is NULL");
    config->config.set_max_log_level(hl::log_level_from_c(level));
  });
}

HL_API hl_error_t *hl_config_set_call_timeout_ns(hl_config_t *config, uint64_t timeout_ns) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_call_timeout_ns: config is NULL");
    config->config.call_timeout_ns = timeout_ns;
  });
}

HL_API hl_error_t *hl_config_set_init_timeout_ns(hl_config_t *config, uint64_t timeout_ns) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_init_timeout_ns: config is NULL");
    config->config.init_timeout_ns = timeout_ns;
  });
}

HL_API hl_error_t *hl_config_set_gdb_port(hl_config_t *config, uint16_t port) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_gdb_port: config is NULL");
    config->config.gdb_port = port;
    config->config.gdb_port_set = true;
  });
}

HL_API hl_error_t *hl_config_set_crashdump_dir(hl_config_t *config, const char *directory) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_crashdump_dir: config is NULL");
    config->config.crashdump_dir = directory != nullptr ? directory : "";
    config->config.crashdump_dir_set = true;
  });
}

HL_API hl_error_t *hl_config_set_engine(hl_config_t *config, hl_engine_t *engine) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_engine: config is NULL");
    config->engine = engine != nullptr ? engine->engine : nullptr;
  });
}

HL_API hl_error_t *hl_config_set_host_functions(hl_config_t *config, hl_host_functions_t *functions) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_host_functions: config is NULL");
    // The old set may be released here, its finalizers with it: after the
    // new one is in place, so a finalizer sees a consistent config.
    std::shared_ptr<hl::HostFunctionSet> old = std::move(config->config.host_functions);
    config->config.host_functions = functions != nullptr ? functions->set : nullptr;
  });
}

HL_API hl_error_t *hl_config_set_init_data(hl_config_t *config, const uint8_t *data, size_t len, uint32_t flags) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_config_set_init_data: config is NULL");
    config->config.set_init_data(data, len, flags);
  });
}

}  // extern "C"
