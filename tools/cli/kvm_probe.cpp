#include "kvm_probe.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/kvm.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "unique_fd.h"

namespace hlcli {
namespace {

// What hyperlight asks of the dirty ring (src/kvm): 4096 entries per vCPU.
constexpr int kDirtyRingEntries = 4096;

bool module_loaded(const char *name) {
  struct stat st;
  return ::stat((std::string("/sys/module/") + name).c_str(), &st) == 0;
}

// Whether the first "flags" line of /proc/cpuinfo lists flag.
bool cpu_has_flag(const std::string &flag) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    line += ' ';
    return line.find(" " + flag + " ") != std::string::npos;
  }
  return false;
}

std::string user_name(uid_t uid) {
  std::vector<char> buf(16384);
  struct passwd pw, *found = nullptr;
  if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) return pw.pw_name;
  return std::to_string(uid);
}

std::string group_name(gid_t gid) {
  std::vector<char> buf(16384);
  struct group gr, *found = nullptr;
  if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) == 0 && found != nullptr) return gr.gr_name;
  return std::to_string(gid);
}

bool process_has_group(gid_t gid) {
  if (::getegid() == gid) return true;
  int n = ::getgroups(0, nullptr);
  if (n <= 0) return false;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  n = ::getgroups(n, groups.data());
  return n > 0 && std::find(groups.begin(), groups.begin() + n, gid) != groups.begin() + n;
}

bool database_lists_user_in_group(const std::string &user, gid_t gid) {
  struct passwd pw, *found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return false;
  int n = 256;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  if (::getgrouplist(user.c_str(), pw.pw_gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<size_t>(n));
    if (::getgrouplist(user.c_str(), pw.pw_gid, groups.data(), &n) < 0) return false;
  }
  return std::find(groups.begin(), groups.begin() + n, gid) != groups.begin() + n;
}

// How to get a KVM module loaded, judged from the CPU's flags.
std::string module_fix() {
  if (cpu_has_flag("vmx")) return "load KVM for Intel: sudo modprobe kvm_intel";
  if (cpu_has_flag("svm")) return "load KVM for AMD: sudo modprobe kvm_amd";
  return "this CPU offers no hardware virtualization here (no vmx or svm flag): enable VT-x/AMD-V in the "
         "firmware, or nested virtualization for this VM; or boot a kernel with PVM (kvm_pvm)";
}

std::string hypervisor_kind() {
  std::string found;
  const std::pair<const char *, const char *> modules[] = {
      {"kvm_intel", "hardware KVM (kvm_intel)"}, {"kvm_amd", "hardware KVM (kvm_amd)"}, {"kvm_pvm", "PVM (kvm_pvm)"}};
  for (const auto &[module, text] : modules)
    if (module_loaded(module)) found += (found.empty() ? "" : ", ") + std::string(text);
  return found.empty() ? "no kvm_intel, kvm_amd or kvm_pvm module loaded (built into the kernel?)" : found;
}

void skip_rest(std::vector<CheckItem> &items, const char *const *names, size_t count) {
  for (size_t i = 0; i < count; i++)
    items.push_back({names[i], CheckStatus::kSkip, "not checked: the device is unusable", ""});
}

}  // namespace

const char *status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::kOk: return "ok";
    case CheckStatus::kInfo: return "info";
    case CheckStatus::kWarn: return "warn";
    case CheckStatus::kFail: return "fail";
    case CheckStatus::kSkip: return "skip";
  }
  return "?";
}

std::string access_fix(const DeviceAccess &a) {
  if (a.open_errno != EACCES && a.open_errno != EPERM)
    return std::string("opening it failed with ") + std::strerror(a.open_errno) + "; is the device node broken?";
  const bool group_may_use = (a.mode & 060) == 060;
  if (!group_may_use)
    return "let a group use it: sudo groupadd -f kvm && sudo chgrp kvm " + a.device + " && sudo chmod 660 " + a.device +
           " (a udev rule keeps it: KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"), then: sudo usermod "
           "-aG kvm " +
           a.user + " and log in again";
  if (a.group_active)
    return "your groups include '" + a.group +
           "', which may use it: something else refuses (an ACL, SELinux or "
           "AppArmor policy, or a container's device rules)";
  if (a.group_listed)
    return "you are in group '" + a.group +
           "', but this session started before you were added: log out and in "
           "again (or run: newgrp " +
           a.group + ")";
  return "add yourself to group '" + a.group + "': sudo usermod -aG " + a.group + " " + a.user +
         ", then log out and in again";
}

std::vector<CheckItem> probe_kvm(const std::string &device) {
  std::vector<CheckItem> items;
  static const char *const kAfterDevice[] = {"access", "api", "capabilities", "dirty ring"};
  struct stat st;
  if (::stat(device.c_str(), &st) != 0) {
    const int err = errno;
    const bool kvm_loaded = module_loaded("kvm_intel") || module_loaded("kvm_amd") || module_loaded("kvm_pvm");
    items.push_back({"device", CheckStatus::kFail, device + " is missing (" + std::strerror(err) + ")",
                     kvm_loaded ? "KVM is loaded but " + device +
                                      " is not here: in a container, pass it in (docker run --device " + device +
                                      "); else make it: sudo mknod " + device + " c 10 232"
                                : module_fix()});
    skip_rest(items, kAfterDevice, 4);
    items.push_back({"hypervisor", CheckStatus::kInfo, hypervisor_kind(), ""});
    return items;
  }
  if (!S_ISCHR(st.st_mode)) {
    items.push_back({"device", CheckStatus::kFail, device + " is not a character device",
                     "remove it and load KVM again (" + module_fix() + ")"});
    skip_rest(items, kAfterDevice, 4);
    return items;
  }
  items.push_back({"device", CheckStatus::kOk,
                   device + " is a character device (" + std::to_string(major(st.st_rdev)) + ":" +
                       std::to_string(minor(st.st_rdev)) + ")",
                   ""});

  const std::string user = user_name(::geteuid());
  UniqueFd kvm(::open(device.c_str(), O_RDWR | O_CLOEXEC));
  const int open_errno = errno;
  if (kvm.get() < 0) {
    DeviceAccess access{device,
                        open_errno,
                        static_cast<uint32_t>(st.st_mode & 07777),
                        group_name(st.st_gid),
                        user,
                        process_has_group(st.st_gid),
                        database_lists_user_in_group(user, st.st_gid)};
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", access.mode);
    items.push_back({"access", CheckStatus::kFail,
                     device + " does not open read-write for user '" + user + "' (" + std::strerror(access.open_errno) +
                         "; mode " + mode + ", group '" + access.group + "')",
                     access_fix(access)});
    skip_rest(items, kAfterDevice + 1, 3);
    items.push_back({"hypervisor", CheckStatus::kInfo, hypervisor_kind(), ""});
    return items;
  }
  items.push_back({"access", CheckStatus::kOk, device + " opens read-write for user '" + user + "'", ""});

  const int api = ::ioctl(kvm.get(), KVM_GET_API_VERSION, 0);
  if (api != KVM_API_VERSION) {
    items.push_back({"api", CheckStatus::kFail,
                     "KVM API version " + std::to_string(api) + ", hyperlight needs " + std::to_string(KVM_API_VERSION),
                     "use a Linux kernel with the standard KVM API"});
    skip_rest(items, kAfterDevice + 2, 2);
    return items;
  }
  items.push_back({"api", CheckStatus::kOk, "KVM API version " + std::to_string(api), ""});

  std::string missing;
  auto need = [&](bool present, const char *name) {
    if (!present) missing += (missing.empty() ? "" : ", ") + std::string(name);
  };
  need(::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) > 0, "KVM_CAP_USER_MEMORY");
  need(::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) > 0, "KVM_CAP_IMMEDIATE_EXIT");
  need((::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) & KVM_SYNC_X86_REGS) != 0,
       "KVM_CAP_SYNC_REGS (x86 registers)");
  if (missing.empty())
    items.push_back({"capabilities", CheckStatus::kOk,
                     "KVM_CAP_USER_MEMORY, KVM_CAP_IMMEDIATE_EXIT, KVM_CAP_SYNC_REGS: all there", ""});
  else
    items.push_back({"capabilities", CheckStatus::kFail, "missing " + missing,
                     "hyperlight needs these: use a newer kernel (5.x or later)"});

  items.push_back({"hypervisor", CheckStatus::kInfo, hypervisor_kind(), ""});

  const int ring_bytes = ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING);
  const int ring_acq_rel = ::ioctl(kvm.get(), KVM_CHECK_EXTENSION, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
  const int ring_entries = ring_bytes > 0 ? ring_bytes / static_cast<int>(sizeof(kvm_dirty_gfn)) : 0;
  const std::string acq_rel = std::string(", KVM_CAP_DIRTY_LOG_RING_ACQ_REL ") + (ring_acq_rel > 0 ? "too" : "not");
  if (ring_entries >= kDirtyRingEntries)
    items.push_back({"dirty ring", CheckStatus::kOk,
                     "KVM_CAP_DIRTY_LOG_RING, up to " + std::to_string(ring_entries) + " entries per vCPU" + acq_rel +
                         ": restores copy only the pages a guest wrote",
                     ""});
  else
    items.push_back({"dirty ring", CheckStatus::kWarn,
                     ring_entries > 0 ? "KVM_CAP_DIRTY_LOG_RING holds only " + std::to_string(ring_entries) +
                                            " entries per vCPU; hyperlight uses 4096"
                                      : std::string("no KVM_CAP_DIRTY_LOG_RING"),
                     "sandboxes work, but every snapshot restore copies all of the snapshot's memory; Linux 5.11 "
                     "or later has the dirty ring"});
  return items;
}

}  // namespace hlcli
