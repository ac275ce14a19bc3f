// An engine's metrics in the Prometheus text exposition format 0.0.4
// (hl_engine_metrics_write_prometheus; names in docs/observability.md).
#pragma once

#include <string>

#include "common/api_types.h"

namespace hl {

std::string prometheus_text(const Metrics &metrics);

}  // namespace hl
