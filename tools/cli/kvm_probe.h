// What `hyperlight check` finds out about KVM on this machine, with its
// own open and ioctls on /dev/kvm (no sandbox): the device, access to it,
// the API version, the capabilities hyperlight needs, the kind of
// hypervisor and the dirty ring.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hlcli {

enum class CheckStatus { kOk, kInfo, kWarn, kFail, kSkip };

// "ok", "info", "warn", "fail", "skip".
const char *status_name(CheckStatus status);

struct CheckItem {
  std::string name;    // "device", "access", ...
  CheckStatus status;  // kFail: hyperlight cannot run here
  std::string detail;  // what was found
  std::string fix;     // what to do about a failure or warning ("" if nothing)
};

// Why the device refused this user, as facts (gathered by probe_kvm).
struct DeviceAccess {
  std::string device;
  int open_errno = 0;
  uint32_t mode = 0;          // permission bits of the device
  std::string group;          // the device's group, by name (or number)
  std::string user;           // the effective user, by name (or number)
  bool group_active = false;  // this process has the device's group
  bool group_listed = false;  // the group database puts the user in it
};

// The command that gives this user access, or what else to look at.
std::string access_fix(const DeviceAccess &access);

std::vector<CheckItem> probe_kvm(const std::string &device = "/dev/kvm");

}  // namespace hlcli
