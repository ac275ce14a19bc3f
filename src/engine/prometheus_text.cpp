#include "engine/prometheus_text.h"

#include <cinttypes>
#include <cstdio>

#include "common/duration_histogram.h"

namespace hl {
namespace {

class Writer {
 public:
  void header(const char *name, const char *type, const char *help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // name{labels} value; labels may be empty.
  void sample(const char *name, const std::string &labels, uint64_t value) {
    char number[32];
    std::snprintf(number, sizeof number, "%" PRIu64, value);
    line(name, labels, number);
  }
  void seconds(const char *name, const std::string &labels, uint64_t ns) {
    char number[48];
    std::snprintf(number, sizeof number, "%.9f", static_cast<double>(ns) / 1e9);
    line(name, labels, number);
  }
  void counter(const char *name, const char *help, uint64_t value) {
    header(name, "counter", help);
    sample(name, "", value);
  }
  // Prometheus buckets are cumulative; ours are not.
  template <typename Histogram>
  void histogram(const char *name, const char *help, const Histogram &h) {
    header(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < DurationHistogram::kBuckets; i++) {
      cumulative += h.buckets[i];
      std::string le;
      if (i + 1 == DurationHistogram::kBuckets) {
        le = "+Inf";
      } else {
        char bound[32];
        std::snprintf(bound, sizeof bound, "%g", static_cast<double>(DurationHistogram::kBoundsNs[i]) / 1e9);
        le = bound;
      }
      sample(bucket.c_str(), "le=\"" + le + "\"", cumulative);
    }
    seconds((std::string(name) + "_sum").c_str(), "", h.sum_ns);
    sample((std::string(name) + "_count").c_str(), "", h.count);
  }
  std::string take() { return std::move(out_); }

 private:
  void line(const char *name, const std::string &labels, const char *value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  std::string out_;
};

}  // namespace

std::string prometheus_text(const Metrics &m) {
  Writer w;
  w.counter("hyperlight_calls_total", "Guest calls made.", m.calls);
  w.header("hyperlight_call_failures_total", "counter", "Guest calls that failed, by error code.");
  for (size_t code = 0; code < static_cast<size_t>(MetricsSize::kErrorCodes); code++) {
    if (m.failures_by_code[code] == 0) continue;
    const char *name = name_of(static_cast<ErrorCode>(code));
    w.sample("hyperlight_call_failures_total", std::string("code=\"") + (name != nullptr ? name : "UNKNOWN") + "\"",
             m.failures_by_code[code]);
  }
  w.counter("hyperlight_kills_total", "hl_kill calls that stopped a running call.", m.kills);
  w.counter("hyperlight_stale_kills_total", "hl_kill calls that found no call running.", m.stale_kills);
  w.counter("hyperlight_host_calls_total", "Host functions guests called.", m.host_calls);
  w.counter("hyperlight_vm_exits_total", "Times a vCPU left its guest during calls.", m.vm_exits);
  w.counter("hyperlight_restores_total", "Snapshot restores.", m.restores);
  w.counter("hyperlight_restored_pages_total", "4 KiB pages copied back by restores.", m.pages_restored);
  w.header("hyperlight_sandboxes_created_total", "counter", "Sandboxes made, by origin.");
  for (size_t origin = 0; origin < static_cast<size_t>(MetricsSize::kOrigins); origin++) {
    std::string label = name_of(static_cast<SandboxOrigin>(origin));
    for (char &c : label) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    w.sample("hyperlight_sandboxes_created_total", "origin=\"" + label + "\"", m.sandboxes_created[origin]);
  }
  w.counter("hyperlight_sandboxes_deleted_total", "Sandboxes deleted.", m.sandboxes_deleted);
  w.counter("hyperlight_print_bytes_total", "Bytes guests printed.", m.print_bytes);
  w.counter("hyperlight_print_dropped_bytes_total", "Printed bytes past a print limit, not delivered.",
            m.print_bytes_dropped);
  w.histogram("hyperlight_call_duration_seconds", "Duration of guest calls.", m.call_duration);
  w.histogram("hyperlight_restore_duration_seconds", "Duration of snapshot restores.", m.restore_duration);
  w.histogram("hyperlight_sandbox_create_duration_seconds", "Time taken to make a sandbox.", m.create_duration);
  return w.take();
}

}  // namespace hl
