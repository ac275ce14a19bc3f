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

HL_API hl_error_t *hl_engine_config_set_span_callback(hl_engine_config_t *config, hl_span_fn_t callback,
                                                      void *user_data, hl_finalizer_t finalizer) {
  bool handed_over = false;
  hl_error_t *err = hl::guarded(__func__, [&] {
    hl::require(config != nullptr, "hl_engine_config_set_span_callback: config is NULL");
    config->options.span_callback = nullptr;
    if (callback == nullptr) return;
    // Shared by the config and every engine made from it: the finalizer
    // runs when the last of them lets go.
    struct UserData {
      void *data;
      hl_finalizer_t finalizer;
      ~UserData() {
        if (finalizer != nullptr) finalizer(data);
      }
    };
    auto held = std::make_shared<UserData>(UserData{user_data, nullptr});
    held->finalizer = finalizer;
    handed_over = true;
    config->options.span_callback = [callback, held](const hl::SpanEvent &event) {
      const hl_span_event_t c = hl::to_c(event);
      callback(held->data, &c);
    };
  });
  if (!handed_over && callback != nullptr && finalizer != nullptr) finalizer(user_data);
  return err;
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
