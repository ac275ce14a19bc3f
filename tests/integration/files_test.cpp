// Paths the library reads (guest ELF, snapshot file, file to map) must be
// regular files: anything else fails with HL_ERROR_IO at once, and a FIFO
// never blocks the caller waiting for a writer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <string>

#include "test_support.h"

namespace {

class Files : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::string(::testing::TempDir()) + "hl-files-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << pattern;
    dir_ = pattern;
    fifo_ = dir_ + "/guest.fifo";
    ASSERT_EQ(::mkfifo(fifo_.c_str(), 0600), 0) << fifo_;
  }
  void TearDown() override {
    ::unlink(fifo_.c_str());
    ::rmdir(dir_.c_str());
  }

  // Runs call on another thread and expects HL_ERROR_IO saying path must be a
  // regular file. If call is still running after a few seconds it is stuck
  // in open(): a writer on the FIFO lets it go, and the test fails instead
  // of hanging.
  void expect_refused(const std::string &path, const std::function<hl_error_t *()> &call) {
    std::future<hl_error_t *> pending = std::async(std::launch::async, call);
    if (pending.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
      ADD_FAILURE() << "the call blocked on '" << path << "' instead of refusing it";
      int writer = ::open(fifo_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);  // never blocks on a FIFO
      if (writer >= 0) ::close(writer);
    }
    ErrorPtr err(pending.get());
    ASSERT_TRUE(err) << path << " was accepted";
    std::string msg = hl_error_message(err.get());
    EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_IO) << msg;
    EXPECT_NE(msg.find("'" + path + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("must be a regular file"), std::string::npos) << msg;
  }

  std::string dir_, fifo_;
};

TEST_F(Files, GuestThatIsAFifoIsRefusedWithoutBlocking) {
  hl_sandbox_t *sb = nullptr;
  expect_refused(fifo_, [&] { return hl_sandbox_new(nullptr, fifo_.c_str(), &sb); });
  EXPECT_EQ(sb, nullptr);
  hl_sandbox_t *from_dir = nullptr;
  expect_refused(dir_, [&] { return hl_sandbox_new(nullptr, dir_.c_str(), &from_dir); });
  EXPECT_EQ(from_dir, nullptr);
}

TEST_F(Files, SnapshotThatIsAFifoIsRefusedWithoutBlocking) {
  hl_snapshot_t *snap = nullptr;
  expect_refused(fifo_, [&] { return hl_snapshot_load(fifo_.c_str(), &snap); });
  EXPECT_EQ(snap, nullptr);
  expect_refused(dir_, [&] { return hl_snapshot_load(dir_.c_str(), &snap); });
  EXPECT_EQ(snap, nullptr);
}

TEST_F(Files, MappedFileThatIsAFifoIsRefusedWithoutBlocking) {
  SandboxPtr sb = new_sandbox();
  ASSERT_TRUE(sb);
  const uint64_t guest_address = 1ull << 36;
  expect_refused(fifo_, [&] { return hl_sandbox_map_file_cow(sb.get(), fifo_.c_str(), guest_address, nullptr); });
  expect_refused(dir_, [&] { return hl_sandbox_map_file_cow(sb.get(), dir_.c_str(), guest_address, nullptr); });
  hl_val_t args[] = {i32(1), i32(2)};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "Add", args, 2, &r.val));
  EXPECT_FALSE(err) << "a refused mapping must leave the sandbox usable: " << describe(err);
}

}  // namespace
