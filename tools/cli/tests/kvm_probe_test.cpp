#include "kvm_probe.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace hlcli {
namespace {

DeviceAccess refused(uint32_t mode, bool active, bool listed) {
  return {"/dev/kvm", EACCES, mode, "kvm", "alice", active, listed};
}

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

TEST(KvmProbe, AccessFixNamesTheCommand) {
  EXPECT_TRUE(contains(access_fix(refused(0660, false, false)), "sudo usermod -aG kvm alice"));
  EXPECT_TRUE(contains(access_fix(refused(0660, false, true)), "log out and in again (or run: newgrp kvm)"));
  EXPECT_TRUE(contains(access_fix(refused(0660, true, true)), "SELinux"));
  const std::string owner_only = access_fix(refused(0600, false, false));
  EXPECT_TRUE(contains(owner_only, "sudo chgrp kvm /dev/kvm && sudo chmod 660 /dev/kvm")) << owner_only;
  EXPECT_TRUE(contains(owner_only, "udev"));
  DeviceAccess other = refused(0660, false, false);
  other.open_errno = ENXIO;
  EXPECT_TRUE(contains(access_fix(other), "No such device or address"));
}

TEST(KvmProbe, AMissingDeviceFailsAndSaysWhy) {
  std::vector<CheckItem> items = probe_kvm("/nonexistent/kvm");
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0].name, "device");
  EXPECT_EQ(items[0].status, CheckStatus::kFail);
  EXPECT_TRUE(contains(items[0].detail, "/nonexistent/kvm is missing"));
  EXPECT_FALSE(items[0].fix.empty());
  for (size_t i = 1; i < items.size(); i++) EXPECT_NE(items[i].status, CheckStatus::kOk) << items[i].name;
}

TEST(KvmProbe, ADeviceThatIsNotKvmFailsTheApiCheck) {
  // /dev/null is a character device that opens read-write but knows no KVM ioctl.
  std::vector<CheckItem> items = probe_kvm("/dev/null");
  ASSERT_GE(items.size(), 3u);
  EXPECT_EQ(items[0].status, CheckStatus::kOk);
  EXPECT_EQ(items[1].status, CheckStatus::kOk);
  EXPECT_EQ(items[2].name, "api");
  EXPECT_EQ(items[2].status, CheckStatus::kFail);
}

TEST(KvmProbe, ThisMachinesKvmPasses) {
  for (const CheckItem &item : probe_kvm())
    EXPECT_NE(item.status, CheckStatus::kFail) << item.name << ": " << item.detail;
}

}  // namespace
}  // namespace hlcli
