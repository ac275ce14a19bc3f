// ELF core files: a synthetic crashed "process" is written, parsed back with
// <elf.h> and opened with gdb; existing files are never overwritten, failures
// leave nothing behind and name the path.
#include "debug/core_file.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/procfs.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "common/error.h"

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kCodeAddress = 0x400000;   // 2 pages of known bytes, r-x
constexpr uint64_t kDataAddress = 0x600000;   // data, zero, data pages, rw-
constexpr uint64_t kEmptyAddress = 0x800000;  // 4 zero pages, rw-
constexpr uint64_t kRip = 0x400123;
constexpr uint64_t kRsp = 0x600ff0;
constexpr uint64_t kRax = 0x1122334455667788;

// A crashed guest as the sandbox would describe it; owns its memory.
struct SyntheticProcess {
  std::vector<uint8_t> code = std::vector<uint8_t>(2 * kPage);
  std::vector<uint8_t> data = std::vector<uint8_t>(3 * kPage, 0);
  std::vector<uint8_t> empty = std::vector<uint8_t>(4 * kPage, 0);
  hl::debug::CoreDescription core;

  SyntheticProcess() {
    for (size_t i = 0; i < code.size(); ++i) code[i] = static_cast<uint8_t>(i * 7 + 1);
    for (size_t i = 0; i < kPage; ++i) data[i] = static_cast<uint8_t>(0xa0 + i % 16);  // page 0
    for (size_t i = 2 * kPage; i < 3 * kPage; ++i) data[i] = 0x5c;                     // page 2; page 1 stays zero
    core.registers.rip = kRip;
    core.registers.rsp = kRsp;
    core.registers.rax = kRax;
    core.registers.cs = 0x2b;
    core.registers.ss = 0x23;
    core.registers.eflags = 0x10246;
    core.fp_registers.cwd = 0x37f;
    core.fp_registers.mxcsr = 0x1f80;
    core.has_fp_registers = true;
    core.signal = SIGSEGV;
    core.segments = {{kCodeAddress, code, true, false, true},
                     {kDataAddress, data, true, true, false},
                     {kEmptyAddress, empty, true, true, false}};
    core.auxv = {{AT_ENTRY, kCodeAddress + 0x100},
                 {AT_PHDR, kCodeAddress + 0x40},
                 {AT_PHNUM, 4},
                 {AT_PHENT, sizeof(Elf64_Phdr)},
                 {AT_PAGESZ, kPage}};
    core.program_name = "/opt/guests/simpleguest-with-a-long-name";
  }
};

class CoreFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "hl-core-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }
  std::string path(const char *name) const { return directory_ + "/" + name; }

  std::string directory_;
};

std::vector<uint8_t> read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <typename T>
T read_at(const std::vector<uint8_t> &file, uint64_t offset) {
  T value;
  EXPECT_LE(offset + sizeof value, file.size());
  std::memcpy(&value, file.data() + offset, sizeof value);
  return value;
}

struct Note {
  std::string name;
  uint32_t type;
  std::vector<uint8_t> descriptor;
};

std::vector<Note> parse_notes(const std::vector<uint8_t> &file, const Elf64_Phdr &note_header) {
  std::vector<Note> notes;
  uint64_t offset = note_header.p_offset;
  const uint64_t end = note_header.p_offset + note_header.p_filesz;
  while (offset + sizeof(Elf64_Nhdr) <= end) {
    const auto header = read_at<Elf64_Nhdr>(file, offset);
    offset += sizeof header;
    Note note;
    note.type = header.n_type;
    note.name.assign(reinterpret_cast<const char *>(file.data() + offset), header.n_namesz);
    offset += (header.n_namesz + 3) / 4 * 4;
    note.descriptor.assign(file.begin() + static_cast<long>(offset),
                           file.begin() + static_cast<long>(offset + header.n_descsz));
    offset += (header.n_descsz + 3) / 4 * 4;
    notes.push_back(std::move(note));
  }
  EXPECT_EQ(offset, end);
  return notes;
}

hl::ErrorCode error_code_of(const std::function<void()> &action, std::string *message = nullptr) {
  try {
    action();
  } catch (const hl::Error &e) {
    if (message != nullptr) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no hl::Error thrown";
  return hl::ErrorCode{};
}

TEST_F(CoreFile, ParsesBackAsALinuxCore) {
  SyntheticProcess process;
  const std::string core_path = path("guest.core");
  hl::debug::write_core_file(core_path, process.core);
  EXPECT_EQ(std::filesystem::status(core_path).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::vector<uint8_t> file = read_file(core_path);

  const auto elf = read_at<Elf64_Ehdr>(file, 0);
  ASSERT_EQ(std::memcmp(elf.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(elf.e_ident[EI_CLASS], ELFCLASS64);
  EXPECT_EQ(elf.e_ident[EI_DATA], ELFDATA2LSB);
  EXPECT_EQ(elf.e_type, ET_CORE);
  EXPECT_EQ(elf.e_machine, EM_X86_64);
  EXPECT_EQ(elf.e_phentsize, sizeof(Elf64_Phdr));
  // PT_NOTE + code (1 run) + data (data, zero, data: 3 runs) + empty (1 run).
  ASSERT_EQ(elf.e_phnum, 6);
  std::vector<Elf64_Phdr> headers;
  for (int i = 0; i < elf.e_phnum; ++i)
    headers.push_back(read_at<Elf64_Phdr>(file, elf.e_phoff + static_cast<uint64_t>(i) * sizeof(Elf64_Phdr)));

  ASSERT_EQ(headers[0].p_type, PT_NOTE);
  EXPECT_EQ(headers[0].p_offset % 4, 0u);
  const std::vector<Note> notes = parse_notes(file, headers[0]);
  ASSERT_EQ(notes.size(), 4u);
  const uint32_t expected_types[] = {NT_PRSTATUS, NT_PRPSINFO, NT_FPREGSET, NT_AUXV};
  const size_t expected_sizes[] = {sizeof(elf_prstatus), sizeof(elf_prpsinfo), sizeof(user_fpregs_struct),
                                   6 * sizeof(Elf64_auxv_t)};
  for (size_t i = 0; i < notes.size(); ++i) {
    EXPECT_EQ(notes[i].name, std::string("CORE", 5)) << i;
    EXPECT_EQ(notes[i].type, expected_types[i]) << i;
    EXPECT_EQ(notes[i].descriptor.size(), expected_sizes[i]) << i;
  }

  elf_prstatus status;
  std::memcpy(&status, notes[0].descriptor.data(), sizeof status);
  EXPECT_EQ(status.pr_cursig, SIGSEGV);
  EXPECT_EQ(status.pr_info.si_signo, SIGSEGV);
  EXPECT_EQ(status.pr_pid, 1);
  user_regs_struct registers;
  std::memcpy(&registers, &status.pr_reg, sizeof registers);
  EXPECT_EQ(registers.rip, kRip);
  EXPECT_EQ(registers.rsp, kRsp);
  EXPECT_EQ(registers.rax, kRax);
  EXPECT_EQ(registers.eflags, 0x10246u);
  EXPECT_EQ(status.pr_fpvalid, 1);

  elf_prpsinfo info;
  std::memcpy(&info, notes[1].descriptor.data(), sizeof info);
  EXPECT_STREQ(info.pr_fname, "simpleguest-wit");  // the last path part, 15 characters
  EXPECT_STREQ(info.pr_psargs, "/opt/guests/simpleguest-with-a-long-name");

  user_fpregs_struct fp_registers;
  std::memcpy(&fp_registers, notes[2].descriptor.data(), sizeof fp_registers);
  EXPECT_EQ(fp_registers.mxcsr, 0x1f80u);
  EXPECT_EQ(fp_registers.cwd, 0x37fu);

  std::vector<Elf64_auxv_t> auxv(6);
  std::memcpy(auxv.data(), notes[3].descriptor.data(), notes[3].descriptor.size());
  const std::pair<uint64_t, uint64_t> expected_auxv[] = {{AT_ENTRY, kCodeAddress + 0x100},
                                                         {AT_PHDR, kCodeAddress + 0x40},
                                                         {AT_PHNUM, 4},
                                                         {AT_PHENT, sizeof(Elf64_Phdr)},
                                                         {AT_PAGESZ, kPage},
                                                         {AT_NULL, 0}};
  for (size_t i = 0; i < auxv.size(); ++i) {
    EXPECT_EQ(auxv[i].a_type, expected_auxv[i].first) << i;
    EXPECT_EQ(auxv[i].a_un.a_val, expected_auxv[i].second) << i;
  }

  struct ExpectedLoad {
    uint64_t address;
    const uint8_t *bytes;  // nullptr: not in the file
    uint64_t size;
    uint32_t flags;
  };
  const ExpectedLoad expected_loads[] = {
      {kCodeAddress, process.code.data(), 2 * kPage, PF_R | PF_X},
      {kDataAddress, process.data.data(), kPage, PF_R | PF_W},
      {kDataAddress + kPage, nullptr, kPage, PF_R | PF_W},
      {kDataAddress + 2 * kPage, process.data.data() + 2 * kPage, kPage, PF_R | PF_W},
      {kEmptyAddress, nullptr, 4 * kPage, PF_R | PF_W},
  };
  uint64_t data_end = 0;
  for (size_t i = 0; i < std::size(expected_loads); ++i) {
    const Elf64_Phdr &load = headers[i + 1];
    const ExpectedLoad &expected = expected_loads[i];
    EXPECT_EQ(load.p_type, PT_LOAD) << i;
    EXPECT_EQ(load.p_vaddr, expected.address) << i;
    EXPECT_EQ(load.p_memsz, expected.size) << i;
    EXPECT_EQ(load.p_flags, expected.flags) << i;
    EXPECT_EQ(load.p_align, kPage) << i;
    EXPECT_EQ(load.p_offset % kPage, 0u) << i;
    if (expected.bytes == nullptr) {
      EXPECT_EQ(load.p_filesz, 0u) << i;
      continue;
    }
    ASSERT_EQ(load.p_filesz, expected.size) << i;
    ASSERT_LE(load.p_offset + load.p_filesz, file.size()) << i;
    EXPECT_EQ(std::memcmp(file.data() + load.p_offset, expected.bytes, expected.size), 0) << i;
    data_end = std::max(data_end, load.p_offset + load.p_filesz);
  }
  EXPECT_EQ(data_end, file.size());  // the zero pages took no room
  EXPECT_EQ(file.size(), kPage + 4 * kPage);
}

TEST_F(CoreFile, WithoutFpRegistersHasNoFpregsetNote) {
  SyntheticProcess process;
  process.core.has_fp_registers = false;
  process.core.auxv.clear();
  const std::string core_path = path("nofp.core");
  hl::debug::write_core_file(core_path, process.core);
  const std::vector<uint8_t> file = read_file(core_path);
  const auto elf = read_at<Elf64_Ehdr>(file, 0);
  const auto note_header = read_at<Elf64_Phdr>(file, elf.e_phoff);
  const std::vector<Note> notes = parse_notes(file, note_header);
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0].type, static_cast<uint32_t>(NT_PRSTATUS));
  EXPECT_EQ(notes[1].type, static_cast<uint32_t>(NT_PRPSINFO));
  EXPECT_EQ(notes[2].type, static_cast<uint32_t>(NT_AUXV));
  EXPECT_EQ(notes[2].descriptor, std::vector<uint8_t>(sizeof(Elf64_auxv_t), 0));  // AT_NULL alone
}

TEST_F(CoreFile, AnExistingFileIsNeverOverwritten) {
  SyntheticProcess process;
  const std::string core_path = path("existing.core");
  { std::ofstream(core_path) << "keep me"; }
  std::string message;
  EXPECT_EQ(error_code_of([&] { hl::debug::write_core_file(core_path, process.core); }, &message), hl::ErrorCode::kIo);
  EXPECT_NE(message.find(core_path), std::string::npos) << message;
  EXPECT_NE(message.find("errno 17"), std::string::npos) << message;  // EEXIST
  std::ifstream in(core_path);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "keep me");  // neither overwritten nor removed

  // A symlink is not followed, not even to a file that does not exist yet.
  const std::string link_path = path("link.core");
  const std::string target_path = path("target");
  ASSERT_EQ(::symlink(target_path.c_str(), link_path.c_str()), 0);
  EXPECT_EQ(error_code_of([&] { hl::debug::write_core_file(link_path, process.core); }), hl::ErrorCode::kIo);
  EXPECT_FALSE(std::filesystem::exists(target_path));
  EXPECT_TRUE(std::filesystem::is_symlink(link_path));
}

TEST_F(CoreFile, AMissingDirectoryNamesThePath) {
  SyntheticProcess process;
  const std::string core_path = path("no-such-directory/guest.core");
  std::string message;
  EXPECT_EQ(error_code_of([&] { hl::debug::write_core_file(core_path, process.core); }, &message), hl::ErrorCode::kIo);
  EXPECT_NE(message.find(core_path), std::string::npos) << message;
  EXPECT_NE(message.find("errno 2"), std::string::npos) << message;  // ENOENT
}

// A write that fails half-way (here: the file size limit, EFBIG) leaves no
// partial core. In a child, so the limit does not touch the test process.
TEST_F(CoreFile, AFailedWriteRemovesThePartialFile) {
  const std::string core_path = path("partial.core");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{2 * kPage, 2 * kPage};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    SyntheticProcess process;  // a header page and 4 data pages: past the limit
    try {
      hl::debug::write_core_file(core_path, process.core);
    } catch (const hl::Error &e) {
      if (e.code() != hl::ErrorCode::kIo) ::_exit(11);
      if (std::string(e.what()).find(core_path) == std::string::npos) ::_exit(12);
      ::_exit(::access(core_path.c_str(), F_OK) == 0 ? 13 : 0);
    }
    ::_exit(14);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);  // 11: not kIo, 12: path missing, 13: file left, 14: no error
  EXPECT_FALSE(std::filesystem::exists(core_path));
}

TEST_F(CoreFile, AbsurdNotesAreRefusedBeforeAnythingIsCreated) {
  SyntheticProcess process;
  process.core.auxv.assign(hl::debug::kMaxCoreAuxvEntries + 1, {AT_PAGESZ, kPage});
  const std::string core_path = path("too-large.core");
  EXPECT_EQ(error_code_of([&] { hl::debug::write_core_file(core_path, process.core); }), hl::ErrorCode::kTooLarge);
  EXPECT_FALSE(std::filesystem::exists(core_path));

  SyntheticProcess unaligned;
  unaligned.core.segments[0].address += 1;
  EXPECT_EQ(error_code_of([&] { hl::debug::write_core_file(core_path, unaligned.core); }),
            hl::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(core_path));
}

TEST(CoreFileName, IsUniquePerCounterAndSafe) {
  const std::string first = hl::debug::core_file_name("/var/crash", "/opt/guests/my guest.elf", 1);
  const std::string prefix = "/var/crash/hyperlight-my_guest.elf-" + std::to_string(::getpid()) + "-";
  EXPECT_EQ(first.rfind(prefix, 0), 0u) << first;
  EXPECT_EQ(first.substr(first.size() - 7), "-1.core") << first;
  const std::string second = hl::debug::core_file_name("/var/crash/", "/opt/guests/my guest.elf", 2);
  EXPECT_EQ(second.rfind(prefix, 0), 0u) << second;  // no double slash
  EXPECT_NE(first, second);
  EXPECT_NE(hl::debug::core_file_name("d", "", 0).find("/hyperlight-guest-"), std::string::npos);
}

std::string run_command(const std::string &command) {
  std::string output;
  FILE *pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  ::pclose(pipe);
  return output;
}

// How `x/2gx address` prints the two words at bytes.
std::string gdb_words(uint64_t address, const uint8_t *bytes) {
  uint64_t words[2];
  std::memcpy(words, bytes, sizeof words);
  char line[64];
  std::snprintf(line, sizeof line, "0x%lx:\t0x%016lx\t0x%016lx", address, words[0], words[1]);
  return line;
}

// gdb's own reading of the core: registers from NT_PRSTATUS, memory from the
// PT_LOADs, zeros from the runs without file data.
TEST_F(CoreFile, GdbReadsRegistersAndMemory) {
  ASSERT_EQ(std::system("command -v gdb >/dev/null 2>&1"), 0)
      << "gdb is not installed: scripts/install-deps.sh installs it";
  SyntheticProcess process;
  const std::string core_path = path("gdb.core");
  hl::debug::write_core_file(core_path, process.core);

  const std::string output =
      run_command("gdb -batch -nx -c '" + core_path +
                  "' -ex 'info registers rip rsp' -ex 'x/2gx 0x600000' -ex 'x/2gx 0x601000' -ex 'x/2gx 0x400000'"
                  " -ex 'x/2gx 0x803ff0' 2>&1");
  SCOPED_TRACE(output);
  EXPECT_NE(output.find("rip            0x400123"), std::string::npos);
  EXPECT_NE(output.find("rsp            0x600ff0"), std::string::npos);
  EXPECT_NE(output.find(gdb_words(0x600000, process.data.data())), std::string::npos);
  EXPECT_NE(output.find(gdb_words(0x601000, process.data.data() + kPage)), std::string::npos);
  EXPECT_NE(output.find(gdb_words(0x400000, process.code.data())), std::string::npos);
  EXPECT_NE(output.find(gdb_words(0x803ff0, process.empty.data() + 4 * kPage - 16)), std::string::npos);
  EXPECT_NE(output.find("SIGSEGV"), std::string::npos);
}

}  // namespace
