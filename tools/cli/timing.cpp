#include "timing.h"

#include <algorithm>
#include <cstdio>

#include "text_output.h"

namespace hlcli {
namespace {

// The nearest-rank percentile of sorted samples: the smallest sample that
// at least percent% of the samples do not exceed.
uint64_t nearest_rank(const std::vector<uint64_t> &sorted, unsigned percent) {
  const uint64_t n = sorted.size();
  const uint64_t rank = (percent * n + 99) / 100;  // ceil(percent/100 * n), at least 1 for n >= 1
  return sorted[static_cast<size_t>(std::max<uint64_t>(rank, 1) - 1)];
}

std::string spread_text(const TimingSummary &t) {
  return "min " + human_duration(t.min_ns) + ", median " + human_duration(t.median_ns) + ", p99 " +
         human_duration(t.p99_ns) + " (mean " + human_duration(t.mean_ns) + ", max " + human_duration(t.max_ns) + ")";
}

std::string spread_json(const TimingSummary &t) {
  return "\"min_ns\": " + std::to_string(t.min_ns) + ", \"median_ns\": " + std::to_string(t.median_ns) +
         ", \"p99_ns\": " + std::to_string(t.p99_ns) + ", \"max_ns\": " + std::to_string(t.max_ns) +
         ", \"mean_ns\": " + std::to_string(t.mean_ns);
}

// "1 VM exit", "1.5 VM exits".
std::string per_call_count(uint64_t total, uint64_t calls, const char *noun) {
  const std::string mean = per_call(total, calls);
  return mean + " " + noun + (mean == "1" ? "" : "s");
}

}  // namespace

TimingSummary summarize(std::vector<uint64_t> durations_ns) {
  TimingSummary s;
  if (durations_ns.empty()) return s;
  std::sort(durations_ns.begin(), durations_ns.end());
  s.calls = durations_ns.size();
  s.min_ns = durations_ns.front();
  s.max_ns = durations_ns.back();
  s.median_ns = nearest_rank(durations_ns, 50);
  s.p99_ns = nearest_rank(durations_ns, 99);
  unsigned __int128 total = 0;
  for (uint64_t d : durations_ns) total += d;
  s.mean_ns = static_cast<uint64_t>(total / durations_ns.size());
  return s;
}

RepeatSummary summarize_calls(const std::vector<CallCost> &costs) {
  std::vector<uint64_t> wall, guest_cpu;
  RepeatSummary s;
  for (const CallCost &c : costs) {
    wall.push_back(c.wall_ns);
    guest_cpu.push_back(c.guest_cpu_ns);
    s.vm_exits += c.vm_exits;
    s.host_calls += c.host_calls;
  }
  s.wall = summarize(std::move(wall));
  s.guest_cpu = summarize(std::move(guest_cpu));
  return s;
}

std::string per_call(uint64_t total, uint64_t calls) {
  if (calls == 0) return "0";
  if (total % calls == 0) return std::to_string(total / calls);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(total) / static_cast<double>(calls));
  std::string text = buf;
  text.erase(text.find_last_not_of('0') + 1);  // "1.50" -> "1.5"
  if (text.back() == '.') text.pop_back();     // "3.00" (from 2.999) -> "3"
  return text;
}

std::string repeat_summary_text(const RepeatSummary &s) {
  const uint64_t calls = s.wall.calls;
  return std::to_string(calls) + (calls == 1 ? " call\n" : " calls\n") + "  wall time: " + spread_text(s.wall) +
         "\n  guest CPU: " + spread_text(s.guest_cpu) +
         "\n  per call:  " + per_call_count(s.vm_exits, calls, "VM exit") + ", " +
         per_call_count(s.host_calls, calls, "host call") + "\n";
}

std::string repeat_summary_json(const RepeatSummary &s) {
  const uint64_t calls = s.wall.calls;
  return "{\"calls\": " + std::to_string(calls) + ", " + spread_json(s.wall) + ", \"guest_cpu\": {" +
         spread_json(s.guest_cpu) + "}, \"vm_exits_per_call\": " + per_call(s.vm_exits, calls) +
         ", \"host_calls_per_call\": " + per_call(s.host_calls, calls) + "}";
}

}  // namespace hlcli
