#include "bounded_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace hlcli {
namespace {

std::string temp_file(const std::string &name, const std::string &contents) {
  std::string path = ::testing::TempDir() + "/hl-cli-" + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string failure(const std::string &path, size_t max) {
  try {
    read_bounded_file(path, max);
  } catch (const InputFileError &e) {
    return e.what();
  }
  ADD_FAILURE() << "read " << path;
  return "";
}

TEST(BoundedFile, ReadsUpToTheBound) {
  std::string path = temp_file("ten", "0123456789");
  EXPECT_EQ(read_bounded_file(path, 10), "0123456789");
  EXPECT_EQ(failure(path, 9),
            "cannot read '" + path + "': it is larger than 9 bytes, the most hyperlight accepts here");
  EXPECT_EQ(read_bounded_file(temp_file("empty", ""), 0), "");
  ::unlink(path.c_str());
}

TEST(BoundedFile, BoundsWhatHasNoSize) {
  // /dev/zero never ends and reports no size: the bound stops the read.
  EXPECT_NE(failure("/dev/zero", 100000).find("larger than 100000 bytes"), std::string::npos);
}

TEST(BoundedFile, NamesTheFileAndTheReason) {
  EXPECT_NE(failure("/nonexistent/x", 10).find("cannot read '/nonexistent/x': No such file or directory"),
            std::string::npos);
  EXPECT_NE(failure("/", 10).find("it is a directory"), std::string::npos);
}

}  // namespace
}  // namespace hlcli
