#include "debug/core_file.h"

#include "debug/auxv.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/procfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/error.h"
#include "common/unique_fd.h"

namespace hl::debug {

namespace {

constexpr uint64_t kPageSize = 4096;
constexpr char kNoteName[] = "CORE";  // namesz counts the NUL: 5
constexpr int kGuestPid = 1;          // a guest has no pid; gdb shows "process 1"
constexpr size_t kFnameMax = sizeof(elf_prpsinfo::pr_fname) - 1;
constexpr size_t kPsargsMax = sizeof(elf_prpsinfo::pr_psargs) - 1;
constexpr size_t kProgramNameInFileNameMax = 64;

// The kernel's layouts, which gdb expects byte for byte.
static_assert(sizeof(elf_prstatus) == 336);
static_assert(sizeof(elf_prpsinfo) == 136);
static_assert(sizeof(user_fpregs_struct) == 512);
static_assert(sizeof(elf_prstatus::pr_reg) == sizeof(user_regs_struct));

uint64_t round_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// One PT_LOAD: a run of pages of one segment, either with data or all zero.
struct LoadRun {
  uint64_t address;
  const uint8_t *data;  // nullptr: all zero, written with p_filesz = 0
  uint64_t size;
  uint32_t flags;  // PF_*
};

bool page_is_zero(const uint8_t *page) {
  static constexpr uint8_t kZeroPage[kPageSize] = {};
  return std::memcmp(page, kZeroPage, kPageSize) == 0;
}

uint32_t load_flags(const CoreSegment &segment) {
  return (segment.readable ? PF_R : 0u) | (segment.writable ? PF_W : 0u) | (segment.executable ? PF_X : 0u);
}

// Splits each segment where it changes between zero pages and pages with data.
std::vector<LoadRun> split_into_runs(const std::vector<CoreSegment> &segments) {
  std::vector<LoadRun> runs;
  for (const CoreSegment &segment : segments) {
    const uint8_t *bytes = segment.bytes.data();
    const uint64_t size = segment.bytes.size();
    uint64_t run_start = 0;
    while (run_start < size) {
      const bool zero = page_is_zero(bytes + run_start);
      uint64_t run_end = run_start + kPageSize;
      while (run_end < size && page_is_zero(bytes + run_end) == zero) run_end += kPageSize;
      runs.push_back(
          {segment.address + run_start, zero ? nullptr : bytes + run_start, run_end - run_start, load_flags(segment)});
      run_start = run_end;
    }
  }
  return runs;
}

template <typename T>
void append_bytes(std::vector<uint8_t> &out, const T &value) {
  const auto *bytes = reinterpret_cast<const uint8_t *>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

void pad_to(std::vector<uint8_t> &out, uint64_t alignment) { out.resize(round_up(out.size(), alignment), 0); }

// Elf64_Nhdr, "CORE\0" padded to 4, the descriptor padded to 4.
void append_note(std::vector<uint8_t> &out, uint32_t type, const void *descriptor, size_t size) {
  Elf64_Nhdr header{};
  header.n_namesz = sizeof kNoteName;
  header.n_descsz = static_cast<Elf64_Word>(size);
  header.n_type = type;
  append_bytes(out, header);
  out.insert(out.end(), kNoteName, kNoteName + sizeof kNoteName);
  pad_to(out, 4);
  const auto *bytes = static_cast<const uint8_t *>(descriptor);
  out.insert(out.end(), bytes, bytes + size);
  pad_to(out, 4);
}

std::string_view last_path_part(std::string_view name) {
  const size_t slash = name.rfind('/');
  return slash == std::string_view::npos ? name : name.substr(slash + 1);
}

std::vector<uint8_t> build_notes(const CoreDescription &core) {
  std::vector<uint8_t> notes;

  elf_prstatus status{};
  status.pr_info.si_signo = core.signal;
  status.pr_cursig = static_cast<short>(core.signal);
  status.pr_pid = kGuestPid;
  status.pr_pgrp = kGuestPid;
  status.pr_sid = kGuestPid;
  std::memcpy(&status.pr_reg, &core.registers, sizeof status.pr_reg);
  status.pr_fpvalid = core.has_fp_registers ? 1 : 0;
  append_note(notes, NT_PRSTATUS, &status, sizeof status);

  elf_prpsinfo info{};
  info.pr_state = 0;  // running
  info.pr_sname = 'R';
  info.pr_pid = kGuestPid;
  info.pr_pgrp = kGuestPid;
  info.pr_sid = kGuestPid;
  const std::string_view fname = last_path_part(core.program_name).substr(0, kFnameMax);
  std::memcpy(info.pr_fname, fname.data(), fname.size());
  const std::string_view psargs = std::string_view(core.program_name).substr(0, kPsargsMax);
  std::memcpy(info.pr_psargs, psargs.data(), psargs.size());
  append_note(notes, NT_PRPSINFO, &info, sizeof info);

  if (core.has_fp_registers) append_note(notes, NT_FPREGSET, &core.fp_registers, sizeof core.fp_registers);

  const std::string auxv = encode_auxv(core.auxv);
  append_note(notes, NT_AUXV, auxv.data(), auxv.size());
  return notes;
}

void check_description(const CoreDescription &core) {
  if (core.auxv.size() > kMaxCoreAuxvEntries)
    throw Error(ErrorCode::kTooLarge,
                format("core file: %zu auxv entries, at most %zu", core.auxv.size(), kMaxCoreAuxvEntries));
  for (const auto &[type, value] : core.auxv)
    if (type == AT_NULL)
      throw Error(ErrorCode::kInvalidArgument, "core file: the auxv holds AT_NULL (the writer ends it)");
  for (const CoreSegment &segment : core.segments)
    if (segment.address % kPageSize != 0 || segment.bytes.size() % kPageSize != 0)
      throw Error(ErrorCode::kInvalidArgument,
                  format("core file: segment at 0x%llx of %zu bytes is not page-aligned",
                         static_cast<unsigned long long>(segment.address), segment.bytes.size()));
}

// The Ehdr, the Phdrs (and the extended-numbering Shdr), the notes and the
// padding up to the first PT_LOAD's data: everything before the memory.
std::vector<uint8_t> build_headers(const CoreDescription &core, const std::vector<LoadRun> &runs) {
  const std::vector<uint8_t> notes = build_notes(core);
  const uint64_t program_header_count = 1 + runs.size();
  const bool extended_numbering = program_header_count >= PN_XNUM;
  const uint64_t section_headers_offset = sizeof(Elf64_Ehdr) + program_header_count * sizeof(Elf64_Phdr);
  const uint64_t notes_offset = section_headers_offset + (extended_numbering ? sizeof(Elf64_Shdr) : 0);
  const uint64_t data_offset = round_up(notes_offset + notes.size(), kPageSize);

  std::vector<uint8_t> out;
  out.reserve(data_offset);

  Elf64_Ehdr elf{};
  std::memcpy(elf.e_ident, ELFMAG, SELFMAG);
  elf.e_ident[EI_CLASS] = ELFCLASS64;
  elf.e_ident[EI_DATA] = ELFDATA2LSB;
  elf.e_ident[EI_VERSION] = EV_CURRENT;
  elf.e_ident[EI_OSABI] = ELFOSABI_NONE;
  elf.e_type = ET_CORE;
  elf.e_machine = EM_X86_64;
  elf.e_version = EV_CURRENT;
  elf.e_phoff = sizeof(Elf64_Ehdr);
  elf.e_ehsize = sizeof(Elf64_Ehdr);
  elf.e_phentsize = sizeof(Elf64_Phdr);
  elf.e_phnum = extended_numbering ? PN_XNUM : static_cast<Elf64_Half>(program_header_count);
  if (extended_numbering) {
    elf.e_shoff = section_headers_offset;
    elf.e_shentsize = sizeof(Elf64_Shdr);
    elf.e_shnum = 1;
    elf.e_shstrndx = SHN_UNDEF;
  }
  append_bytes(out, elf);

  Elf64_Phdr note_header{};
  note_header.p_type = PT_NOTE;
  note_header.p_offset = notes_offset;
  note_header.p_filesz = notes.size();
  note_header.p_align = 4;
  append_bytes(out, note_header);

  uint64_t file_offset = data_offset;
  for (const LoadRun &run : runs) {
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_flags = run.flags;
    load.p_offset = file_offset;
    load.p_vaddr = run.address;
    load.p_filesz = run.data != nullptr ? run.size : 0;
    load.p_memsz = run.size;
    load.p_align = kPageSize;
    append_bytes(out, load);
    file_offset += load.p_filesz;
  }

  if (extended_numbering) {
    Elf64_Shdr count_holder{};  // SHT_NULL; sh_info carries the program header count
    count_holder.sh_info = static_cast<Elf64_Word>(program_header_count);
    append_bytes(out, count_holder);
  }

  out.insert(out.end(), notes.begin(), notes.end());
  out.resize(data_offset, 0);
  return out;
}

[[noreturn]] void throw_io_error(const std::string &path, const char *what, int err) {
  throw Error(ErrorCode::kIo, format("core file '%s': %s", path.c_str(), errno_message(what, err).c_str()));
}

void write_fully(int fd, const uint8_t *data, uint64_t size, const std::string &path) {
  constexpr uint64_t kMaxWrite = 1u << 30;  // Linux writes at most ~2 GiB per call anyway
  while (size > 0) {
    const ssize_t written = ::write(fd, data, std::min(size, kMaxWrite));
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_io_error(path, "write", errno);
    }
    if (written == 0) throw_io_error(path, "write", EIO);  // no progress and no errno: never loop forever
    data += written;
    size -= static_cast<uint64_t>(written);
  }
}

// Removes the file it names when destroyed, unless kept: a failed write
// leaves no partial core behind.
class PartialFileRemover {
 public:
  explicit PartialFileRemover(const std::string &path) : path_(path) {}
  PartialFileRemover(const PartialFileRemover &) = delete;
  PartialFileRemover &operator=(const PartialFileRemover &) = delete;
  ~PartialFileRemover() {
    if (!kept_) ::unlink(path_.c_str());
  }
  void keep() { kept_ = true; }

 private:
  const std::string &path_;
  bool kept_ = false;
};

}  // namespace

void write_core_file(const std::string &path, const CoreDescription &core) {
  check_description(core);
  const std::vector<LoadRun> runs = split_into_runs(core.segments);
  const std::vector<uint8_t> headers = build_headers(core, runs);

  UniqueFd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd.valid()) throw_io_error(path, "open", errno);
  PartialFileRemover remover(path);
  write_fully(fd.get(), headers.data(), headers.size(), path);
  for (const LoadRun &run : runs)
    if (run.data != nullptr) write_fully(fd.get(), run.data, run.size, path);
  fd.reset();
  remover.keep();
}

std::string core_file_name(const std::string &directory, std::string_view program, uint64_t counter) {
  std::string safe_program;
  for (char c : last_path_part(program).substr(0, kProgramNameInFileNameMax)) {
    const bool safe =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    safe_program += safe ? c : '_';
  }
  if (safe_program.empty()) safe_program = "guest";
  const auto unix_time =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string name = directory;
  if (!name.empty() && name.back() != '/') name += '/';
  return name + format("hyperlight-%s-%d-%lld-%llu.core", safe_program.c_str(), static_cast<int>(::getpid()),
                       static_cast<long long>(unix_time), static_cast<unsigned long long>(counter));
}

}  // namespace hl::debug
