// hl_engine_* and hl_engine_config_*.
#include "capi/shim.h"

extern "C" {

HL_API hl_engine_config_t *hl_engine_config_new(void) { return new (std::nothrow) hl_engine_config(); }

HL_API void hl_engine_config_delete(hl_engine_config_t *config) { delete config; }

HL_API hl_error_t *hl_engine_config_set_vm_pool_size(hl_engine_config_t *config, uint32_t size) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_engine_config_set_vm_pool_size: config is NULL");
    if (size > hl::kvm::VmPool::kMaxSize)
      throw hl::Error(hl::ErrorCode::kInvalidArgument,
                      hl::format("hl_engine_config_set_vm_pool_size: %u is above %u", size, hl::kvm::VmPool::kMaxSize));
    config->options.vm_pool_size = size;
  });
}

HL_API hl_error_t *hl_engine_config_set_interrupt_signal_offset(hl_engine_config_t *config, uint32_t offset) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_engine_config_set_interrupt_signal_offset: config is NULL");
    hl::InterruptSettings::check_signal_offset(offset, "hl_engine_config_set_interrupt_signal_offset");
    config->options.interrupts.signal_offset = offset;
  });
}

HL_API hl_error_t *hl_engine_config_set_interrupt_retry_delay_ns(hl_engine_config_t *config, uint64_t delay_ns) {
  return hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_engine_config_set_interrupt_retry_delay_ns: config is NULL");
    hl::InterruptSettings::check_retry_delay_ns(delay_ns, "hl_engine_config_set_interrupt_retry_delay_ns");
    config->options.interrupts.retry_delay_ns = delay_ns;
  });
}

HL_API hl_error_t *hl_engine_new(const hl_engine_config_t *config, hl_engine_t **out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_engine_new: out is NULL");
    *out = nullptr;
    auto handle = std::make_unique<hl_engine>();
    handle->engine = std::make_shared<hl::Engine>(config != nullptr ? config->options : hl::EngineOptions{});
    *out = handle.release();
  });
}

HL_API void hl_engine_delete(hl_engine_t *engine) { delete engine; }

HL_API int32_t hl_engine_interrupt_signal(const hl_engine_t *engine) {
  // The default engine's settings are the defaults: no need to make it.
  return engine != nullptr ? engine->engine->options().interrupts.signal() : hl::InterruptSettings{}.signal();
}

}  // extern "C"
