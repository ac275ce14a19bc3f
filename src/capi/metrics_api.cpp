// hl_engine_metrics, hl_engine_metrics_write_prometheus, hl_histogram_bucket_bound_ns.
#include <cstdlib>
#include <cstring>

#include "capi/shim.h"
#include "common/duration_histogram.h"
#include "engine/prometheus_text.h"

namespace {

hl::Engine &engine_of(const hl_engine_t *engine) {
  if (engine != nullptr) return *engine->engine;
  return *hl::Engine::default_engine();  // lives until the process exits
}

}  // namespace

extern "C" {

HL_API hl_error_t *hl_engine_metrics(const hl_engine_t *engine, hl_metrics_t *out) {
  return hl::guarded(__func__, [&] {
    hl::require(out != nullptr, "hl_engine_metrics: out is NULL");
    *out = hl::to_c(engine_of(engine).metrics());
  });
}

HL_API hl_error_t *hl_engine_metrics_write_prometheus(const hl_engine_t *engine, char **text, size_t *length) {
  if (text != nullptr) *text = nullptr;
  if (length != nullptr) *length = 0;
  return hl::guarded(__func__, [&] {
    hl::require(text != nullptr, "hl_engine_metrics_write_prometheus: text is NULL");
    hl::require(length != nullptr, "hl_engine_metrics_write_prometheus: length is NULL");
    const std::string rendered = hl::prometheus_text(engine_of(engine).metrics());
    char *copy = static_cast<char *>(std::malloc(rendered.size() + 1));  // hl_free() frees it
    if (copy == nullptr) throw std::bad_alloc();
    std::memcpy(copy, rendered.c_str(), rendered.size() + 1);
    *text = copy;
    *length = rendered.size();
  });
}

HL_API uint64_t hl_histogram_bucket_bound_ns(uint32_t index) {
  return index < hl::DurationHistogram::kBuckets ? hl::DurationHistogram::kBoundsNs[index] : 0;
}

}  // extern "C"
