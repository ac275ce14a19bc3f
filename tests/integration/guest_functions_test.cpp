// The guest's function table through the C ABI: hl_sandbox_guest_function_count
// and hl_sandbox_guest_function, for guests with a table, with a fallback,
// without a table, from snapshots and while a call runs.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

struct SnapshotDeleter {
  void operator()(hl_snapshot_t *s) const { hl_snapshot_delete(s); }
};
using SnapshotPtr = std::unique_ptr<hl_snapshot_t, SnapshotDeleter>;

struct GuestFunction {
  std::string name;
  hl_val_kind_t result = 0;
  std::vector<hl_val_kind_t> params;
};

struct Table {
  uint32_t flags = 0;
  std::vector<GuestFunction> functions;
  const GuestFunction *find(const std::string &name) const {
    for (const GuestFunction &f : functions)
      if (f.name == name) return &f;
    return nullptr;
  }
};

Table read_table(const hl_sandbox_t *sb) {
  Table table;
  size_t count = 0;
  ErrorPtr err(hl_sandbox_guest_function_count(sb, &count, &table.flags));
  EXPECT_FALSE(err) << describe(err);
  for (size_t i = 0; i < count; i++) {
    const char *name = nullptr;
    size_t name_len = 0, nparams = 0;
    hl_val_kind_t result = 0xff;
    const hl_val_kind_t *params = nullptr;
    ErrorPtr e(hl_sandbox_guest_function(sb, i, &name, &name_len, &result, &params, &nparams));
    EXPECT_FALSE(e) << describe(e);
    if (e) break;
    EXPECT_EQ(std::strlen(name), name_len);
    EXPECT_EQ(params == nullptr, nparams == 0) << "kinds are NULL exactly when there are none";
    table.functions.push_back(
        {std::string(name, name_len), result, std::vector<hl_val_kind_t>(params, params + nparams)});
  }
  return table;
}

SandboxPtr new_sandbox_from(const char *path, const hl_config_t *config = nullptr) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new(config, path, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

// simpleguest with init data "many-functions": 300 extra functions whose
// table (about 77 KB) fits only an output buffer larger than the default.
ConfigPtr many_functions_config(uint64_t output_buffer_size = 0, const char *init = "many-functions") {
  ConfigPtr config(hl_config_new());
  ErrorPtr err(hl_config_set_init_data(config.get(), reinterpret_cast<const uint8_t *>(init), std::strlen(init), 0));
  EXPECT_FALSE(err) << describe(err);
  if (output_buffer_size != 0) {
    ErrorPtr e(hl_config_set_output_buffer_size(config.get(), output_buffer_size));
    EXPECT_FALSE(e) << describe(e);
  }
  return config;
}

TEST(GuestFunctions, ListsTheSimpleGuestsFunctionsWithTheirKinds) {
  SandboxPtr sb = new_sandbox();
  Table table = read_table(sb.get());
  EXPECT_EQ(table.flags, uint32_t{HL_GUEST_TABLE_DECLARED});
  EXPECT_EQ(table.functions.size(), 22u);

  const GuestFunction *add = table.find("Add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->result, HL_VAL_I32);
  EXPECT_EQ(add->params, (std::vector<hl_val_kind_t>{HL_VAL_I32, HL_VAL_I32}));
  const GuestFunction *echo = table.find("Echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->result, HL_VAL_STRING);
  EXPECT_EQ(echo->params, (std::vector<hl_val_kind_t>{HL_VAL_STRING}));
  const GuestFunction *spin = table.find("Spin");
  ASSERT_NE(spin, nullptr);
  EXPECT_EQ(spin->result, HL_VAL_VOID);
  EXPECT_TRUE(spin->params.empty());
  const GuestFunction *mix = table.find("Mix11");
  ASSERT_NE(mix, nullptr);
  EXPECT_EQ(mix->result, HL_VAL_I64);
  EXPECT_EQ(mix->params,
            (std::vector<hl_val_kind_t>{HL_VAL_I32, HL_VAL_U32, HL_VAL_I64, HL_VAL_U64, HL_VAL_F32, HL_VAL_F64,
                                        HL_VAL_BOOL, HL_VAL_STRING, HL_VAL_BYTES, HL_VAL_I32, HL_VAL_I64}));
  for (size_t i = 1; i < table.functions.size(); i++)
    EXPECT_LT(table.functions[i - 1].name, table.functions[i].name) << "in byte order of the names";
}

TEST(GuestFunctions, TheSameIndexGivesTheSameFunctionEveryTime) {
  SandboxPtr sb = new_sandbox();
  const char *first = nullptr;
  const char *again = nullptr;
  ErrorPtr a(hl_sandbox_guest_function(sb.get(), 3, &first, nullptr, nullptr, nullptr, nullptr));
  Result r;
  hl_val_t args[] = {i32(40), i32(2)};
  ErrorPtr call(hl_call(sb.get(), "Add", args, 2, &r.val));
  ErrorPtr b(hl_sandbox_guest_function(sb.get(), 3, &again, nullptr, nullptr, nullptr, nullptr));
  ASSERT_FALSE(a || call || b) << describe(a) << describe(call) << describe(b);
  EXPECT_EQ(first, again) << "calls leave the table (and the pointers into it) alone";
}

TEST(GuestFunctions, ReportsTheFallback) {
  SandboxPtr sb = new_sandbox_from(HL_SDKGUEST_PATH);
  Table table = read_table(sb.get());
  EXPECT_EQ(table.flags, uint32_t{HL_GUEST_TABLE_DECLARED | HL_GUEST_TABLE_FALLBACK});
  const GuestFunction *all = table.find("AllTypes");
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->result, HL_VAL_STRING);
  EXPECT_EQ(all->params.size(), 11u);
  const GuestFunction *not_fn = table.find("Not");
  ASSERT_NE(not_fn, nullptr);
  EXPECT_EQ(not_fn->result, HL_VAL_BOOL);
}

TEST(GuestFunctions, EveryOutputButCountMayBeNull) {
  SandboxPtr sb = new_sandbox();
  size_t count = 0;
  ErrorPtr err(hl_sandbox_guest_function_count(sb.get(), &count, nullptr));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(count, 22u);
  ErrorPtr e(hl_sandbox_guest_function(sb.get(), 0, nullptr, nullptr, nullptr, nullptr, nullptr));
  EXPECT_FALSE(e) << describe(e);
}

TEST(GuestFunctions, RefusesNullsAndAnIndexPastTheEnd) {
  SandboxPtr sb = new_sandbox();
  size_t count = 0;
  ErrorPtr null_sb(hl_sandbox_guest_function_count(nullptr, &count, nullptr));
  EXPECT_EQ(code_of(null_sb), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hl_error_message(null_sb.get())).find("sandbox is NULL"), std::string::npos);
  ErrorPtr null_count(hl_sandbox_guest_function_count(sb.get(), nullptr, nullptr));
  EXPECT_EQ(code_of(null_count), HL_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hl_error_message(null_count.get())).find("count is NULL"), std::string::npos);
  ErrorPtr null_fn(hl_sandbox_guest_function(nullptr, 0, nullptr, nullptr, nullptr, nullptr, nullptr));
  EXPECT_EQ(code_of(null_fn), HL_ERROR_INVALID_ARGUMENT);

  const char *name = "untouched";
  size_t nparams = 77;
  ErrorPtr past(hl_sandbox_guest_function(sb.get(), 22, &name, nullptr, nullptr, nullptr, &nparams));
  EXPECT_EQ(code_of(past), HL_ERROR_OUT_OF_RANGE);
  EXPECT_EQ(std::string(hl_error_message(past.get())),
            "hl_sandbox_guest_function: index 22 is past the guest's 22 functions; hl_sandbox_guest_function_count "
            "says how many there are");
  EXPECT_STREQ(name, "untouched") << "nothing is written on error";
  EXPECT_EQ(nparams, 77u);
  ErrorPtr huge(hl_sandbox_guest_function(sb.get(), SIZE_MAX, &name, nullptr, nullptr, nullptr, nullptr));
  EXPECT_EQ(code_of(huge), HL_ERROR_OUT_OF_RANGE);
}

// A table larger than the output buffer is left out of READY: the guest
// then declares nothing, and checks calls itself.
TEST(GuestFunctions, AGuestWithoutATableDeclaresNothing) {
  ConfigPtr config = many_functions_config();
  SandboxPtr sb = new_sandbox_from(HL_SIMPLEGUEST_PATH, config.get());
  size_t count = 99;
  uint32_t flags = 99;
  ErrorPtr err(hl_sandbox_guest_function_count(sb.get(), &count, &flags));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(count, 0u);
  EXPECT_EQ(flags, 0u);
  ErrorPtr first(hl_sandbox_guest_function(sb.get(), 0, nullptr, nullptr, nullptr, nullptr, nullptr));
  EXPECT_EQ(code_of(first), HL_ERROR_OUT_OF_RANGE);

  Result r;
  hl_val_t args[] = {i32(40), i32(2)};
  ErrorPtr call(hl_call(sb.get(), "Add", args, 2, &r.val));
  ASSERT_FALSE(call) << describe(call);
  EXPECT_EQ(r.val.of.i32, 42);
  ErrorPtr missing(hl_call(sb.get(), "NoSuchFunction", nullptr, 0, nullptr));
  EXPECT_EQ(code_of(missing), HL_ERROR_GUEST_FUNCTION_NOT_FOUND) << "the guest's own check";
}

TEST(GuestFunctions, ListsHundredsOfFunctionsInNameOrder) {
  ConfigPtr config = many_functions_config(1 << 20);
  SandboxPtr sb = new_sandbox_from(HL_SIMPLEGUEST_PATH, config.get());
  Table table = read_table(sb.get());
  EXPECT_EQ(table.flags, uint32_t{HL_GUEST_TABLE_DECLARED});
  ASSERT_EQ(table.functions.size(), 322u);
  size_t fillers = 0;
  for (const GuestFunction &f : table.functions)
    if (f.name.rfind("Filler", 0) == 0) {
      fillers++;
      EXPECT_EQ(f.name.size(), 250u);
      EXPECT_EQ(f.result, HL_VAL_I64);
    }
  EXPECT_EQ(fillers, 300u);
  for (size_t i = 1; i < table.functions.size(); i++) EXPECT_LT(table.functions[i - 1].name, table.functions[i].name);
}

TEST(GuestFunctions, SandboxesFromASnapshotHaveItsTable) {
  SandboxPtr sb = new_sandbox_from(HL_SDKGUEST_PATH);
  hl_snapshot_t *raw = nullptr;
  ErrorPtr err(hl_sandbox_snapshot(sb.get(), &raw));
  ASSERT_FALSE(err) << describe(err);
  SnapshotPtr snap(raw);
  hl_sandbox_t *from = nullptr;
  ErrorPtr made(hl_sandbox_new_from_snapshot(snap.get(), nullptr, &from));
  ASSERT_FALSE(made) << describe(made);
  SandboxPtr fresh(from);
  Table original = read_table(sb.get());
  Table copy = read_table(fresh.get());
  EXPECT_EQ(copy.flags, original.flags);
  ASSERT_EQ(copy.functions.size(), original.functions.size());
  for (size_t i = 0; i < copy.functions.size(); i++) {
    EXPECT_EQ(copy.functions[i].name, original.functions[i].name);
    EXPECT_EQ(copy.functions[i].result, original.functions[i].result);
    EXPECT_EQ(copy.functions[i].params, original.functions[i].params);
  }
}

// A restore may bring another guest's table: two simpleguest sandboxes with
// init data of the same length (same layout), one of them without a table.
TEST(GuestFunctions, ARestoreBringsTheSnapshotsTable) {
  ConfigPtr plain_config = many_functions_config(0, "just-some-data");  // 14 bytes, as "many-functions"
  ConfigPtr many_config = many_functions_config();
  SandboxPtr plain = new_sandbox_from(HL_SIMPLEGUEST_PATH, plain_config.get());
  SandboxPtr tableless = new_sandbox_from(HL_SIMPLEGUEST_PATH, many_config.get());
  hl_snapshot_t *raw = nullptr;
  ErrorPtr a(hl_sandbox_snapshot(tableless.get(), &raw));
  ASSERT_FALSE(a) << describe(a);
  SnapshotPtr without_table(raw);
  ErrorPtr b(hl_sandbox_snapshot(plain.get(), &raw));
  ASSERT_FALSE(b) << describe(b);
  SnapshotPtr with_table(raw);

  EXPECT_EQ(read_table(plain.get()).functions.size(), 22u);
  ErrorPtr restored(hl_sandbox_restore(plain.get(), without_table.get()));
  ASSERT_FALSE(restored) << describe(restored);
  Table now = read_table(plain.get());
  EXPECT_EQ(now.flags, 0u);
  EXPECT_TRUE(now.functions.empty());
  ErrorPtr back(hl_sandbox_restore(plain.get(), with_table.get()));
  ASSERT_FALSE(back) << describe(back);
  now = read_table(plain.get());
  EXPECT_EQ(now.flags, uint32_t{HL_GUEST_TABLE_DECLARED});
  EXPECT_EQ(now.functions.size(), 22u);
  ASSERT_NE(now.find("Add"), nullptr);
}

TEST(GuestFunctions, ReadableWhileACallRuns) {
  SandboxPtr sb = new_sandbox();
  std::atomic<bool> done{false};
  std::thread caller([&] {
    hl_val_t n = i64(200'000'000);
    ErrorPtr err(hl_call(sb.get(), "SpinFor", &n, 1, nullptr));
    EXPECT_FALSE(err) << describe(err);
    done = true;
  });
  size_t reads = 0;
  do {
    Table table = read_table(sb.get());
    EXPECT_EQ(table.functions.size(), 22u);
    reads++;
  } while (!done.load());
  caller.join();
  EXPECT_GT(reads, 0u);
}

}  // namespace
