// Host-function sets (hl_host_functions_t): one set shared by many
// sandboxes, from an ELF and from snapshots (spares included); finalizers
// that run once, when the last holder lets go; the freeze rule; the check
// hl_sandbox_new_from_snapshot makes against the snapshot's recorded host
// functions; names shared with hl_register; bad input.
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace {

struct HostFunctionsDeleter {
  void operator()(hl_host_functions_t *f) const { hl_host_functions_delete(f); }
};
struct SnapshotDeleter {
  void operator()(hl_snapshot_t *s) const { hl_snapshot_delete(s); }
};
using HostFunctionsPtr = std::unique_ptr<hl_host_functions_t, HostFunctionsDeleter>;
using SnapshotPtr = std::unique_ptr<hl_snapshot_t, SnapshotDeleter>;

const hl_val_kind_t kTwoI32[] = {HL_VAL_I32, HL_VAL_I32};

HostFunctionsPtr new_set() {
  hl_host_functions_t *set = nullptr;
  ErrorPtr err(hl_host_functions_new(&set));
  EXPECT_FALSE(err) << describe(err);
  return HostFunctionsPtr(set);
}

// HostAdd's user data: what it adds, how often it ran, whether it was finalized.
struct Adder {
  int32_t bias = 0;
  std::atomic<int> calls{0};
  std::atomic<int> finalized{0};
};

hl_error_t *biased_add(void *user_data, const hl_val_t *args, size_t, hl_val_t *result) {
  auto *adder = static_cast<Adder *>(user_data);
  adder->calls++;
  result->kind = HL_VAL_I32;
  result->of.i32 = args[0].of.i32 + args[1].of.i32 + adder->bias;
  return nullptr;
}

void finalize_adder(void *user_data) { static_cast<Adder *>(user_data)->finalized++; }

void add_host_add(hl_host_functions_t *set, Adder *adder) {
  ErrorPtr err(hl_host_functions_add(set, "HostAdd", kTwoI32, 2, HL_VAL_I32, biased_add, adder, finalize_adder));
  ASSERT_FALSE(err) << describe(err);
}

ConfigPtr config_with(hl_host_functions_t *set) {
  ConfigPtr config(hl_config_new());
  ErrorPtr err(hl_config_set_host_functions(config.get(), set));
  EXPECT_FALSE(err) << describe(err);
  return config;
}

int32_t add_via_host(hl_sandbox_t *sb, int32_t a, int32_t b) {
  const hl_val_t args[] = {i32(a), i32(b)};
  Result r;
  ErrorPtr err(hl_call(sb, "AddViaHost", args, 2, &r.val));
  EXPECT_FALSE(err) << describe(err);
  return r.val.of.i32;
}

SandboxPtr from_snapshot(const hl_snapshot_t *snap, const hl_config_t *config) {
  hl_sandbox_t *sb = nullptr;
  ErrorPtr err(hl_sandbox_new_from_snapshot(snap, config, &sb));
  EXPECT_FALSE(err) << describe(err);
  return SandboxPtr(sb);
}

SnapshotPtr snapshot_of(hl_sandbox_t *sb) {
  hl_snapshot_t *snap = nullptr;
  ErrorPtr err(hl_sandbox_snapshot(sb, &snap));
  EXPECT_FALSE(err) << describe(err);
  return SnapshotPtr(snap);
}

TEST(HostFunctionSets, OneSetServesManySandboxesFromAnElfAndFromASnapshot) {
  Adder adder;
  adder.bias = 100;
  HostFunctionsPtr set = new_set();
  add_host_add(set.get(), &adder);
  ConfigPtr config = config_with(set.get());

  std::vector<SandboxPtr> sandboxes;
  for (int i = 0; i < 3; i++) sandboxes.push_back(new_sandbox(config.get()));
  SnapshotPtr snap = snapshot_of(sandboxes[0].get());
  for (int i = 0; i < 3; i++) sandboxes.push_back(from_snapshot(snap.get(), config.get()));
  for (size_t i = 0; i < sandboxes.size(); i++)
    EXPECT_EQ(add_via_host(sandboxes[i].get(), static_cast<int32_t>(i), 1), static_cast<int32_t>(i) + 101);
  EXPECT_EQ(adder.calls.load(), 6);
  // A restore checks against the set's functions too.
  ErrorPtr restored(hl_sandbox_restore(sandboxes[5].get(), snap.get()));
  EXPECT_FALSE(restored) << describe(restored);
  sandboxes.clear();
  config.reset();
  set.reset();
  EXPECT_EQ(adder.finalized.load(), 1);
}

TEST(HostFunctionSets, FinalizersRunOnceWhenTheLastHolderLetsGo) {
  Adder adder;
  HostFunctionsPtr set = new_set();
  add_host_add(set.get(), &adder);
  ConfigPtr config = config_with(set.get());
  SandboxPtr first = new_sandbox(config.get());
  SandboxPtr second = new_sandbox(config.get());

  set.reset();  // the config and the sandboxes still hold it
  EXPECT_EQ(adder.finalized.load(), 0);
  config.reset();
  EXPECT_EQ(adder.finalized.load(), 0);
  EXPECT_EQ(add_via_host(first.get(), 2, 3), 5);
  first.reset();
  EXPECT_EQ(adder.finalized.load(), 0);
  EXPECT_EQ(add_via_host(second.get(), 4, 5), 9);
  second.reset();
  EXPECT_EQ(adder.finalized.load(), 1);
}

TEST(HostFunctionSets, AConfigLetsGoOfItsSetWhenGivenAnother) {
  Adder a, b;
  HostFunctionsPtr set_a = new_set(), set_b = new_set();
  add_host_add(set_a.get(), &a);
  add_host_add(set_b.get(), &b);
  ConfigPtr config = config_with(set_a.get());
  set_a.reset();
  EXPECT_EQ(a.finalized.load(), 0);
  ASSERT_FALSE(ErrorPtr(hl_config_set_host_functions(config.get(), set_b.get())));
  EXPECT_EQ(a.finalized.load(), 1);  // in that call
  ASSERT_FALSE(ErrorPtr(hl_config_set_host_functions(config.get(), nullptr)));
  SandboxPtr sb = new_sandbox(config.get());  // no set: HostAdd is unknown
  const hl_val_t args[] = {i32(1), i32(2)};
  expect_call_error(sb.get(), "AddViaHost", args, 2, HL_ERROR_HOST_FUNCTION_NOT_FOUND);
  set_b.reset();
  EXPECT_EQ(b.finalized.load(), 1);
}

TEST(HostFunctionSets, MakingASandboxFreezesTheSet) {
  Adder adder, late;
  HostFunctionsPtr set = new_set();
  add_host_add(set.get(), &adder);
  ConfigPtr config = config_with(set.get());
  // Naming it in a config does not freeze it; making a sandbox does.
  ErrorPtr before(
      hl_host_functions_add(set.get(), "HostNotify", kTwoI32, 1, HL_VAL_VOID, biased_add, nullptr, nullptr));
  EXPECT_FALSE(before) << describe(before);
  SandboxPtr sb = new_sandbox(config.get());
  ErrorPtr after(
      hl_host_functions_add(set.get(), "HostEcho", kTwoI32, 1, HL_VAL_I32, biased_add, &late, finalize_adder));
  ASSERT_TRUE(after);
  EXPECT_EQ(hl_error_code(after.get()), HL_ERROR_HOST_FUNCTIONS_FROZEN);
  const std::string message = hl_error_message(after.get());
  EXPECT_EQ(message.rfind("hl_host_functions_add", 0), 0u) << message;
  EXPECT_NE(message.find("HostEcho"), std::string::npos) << message;
  EXPECT_NE(message.find("hl_host_functions_new"), std::string::npos) << message;
  EXPECT_EQ(late.finalized.load(), 1);  // refused: finalized at once
  // Still frozen once its sandboxes are gone.
  sb.reset();
  ErrorPtr later(hl_host_functions_add(set.get(), "HostEcho", kTwoI32, 1, HL_VAL_I32, biased_add, nullptr, nullptr));
  EXPECT_EQ(code_of(later), HL_ERROR_HOST_FUNCTIONS_FROZEN);
}

TEST(HostFunctionSets, ASnapshotNeedsEveryHostFunctionItRecordedInTheSetAtCreation) {
  SandboxPtr source = new_sandbox();
  register_host_add(source.get());
  SnapshotPtr snap = snapshot_of(source.get());

  auto expect_mismatch = [&](hl_host_functions_t *set, const char *what) {
    ConfigPtr config = config_with(set);
    hl_sandbox_t *sb = reinterpret_cast<hl_sandbox_t *>(1);
    ErrorPtr err(hl_sandbox_new_from_snapshot(snap.get(), config.get(), &sb));
    EXPECT_EQ(sb, nullptr);
    hl_sandbox_delete(sb);
    if (!err) {
      ADD_FAILURE() << what << ": no error";
      return std::string();
    }
    EXPECT_EQ(hl_error_code(err.get()), HL_ERROR_SNAPSHOT_MISMATCH) << what;
    const std::string message = hl_error_message(err.get());
    EXPECT_EQ(message.rfind("hl_sandbox_new_from_snapshot: ", 0), 0u) << message;
    EXPECT_NE(message.find("'HostAdd'"), std::string::npos) << message;
    return message;
  };
  HostFunctionsPtr empty = new_set();
  std::string missing = expect_mismatch(empty.get(), "an empty set");
  EXPECT_NE(missing.find("host-function set"), std::string::npos) << missing;

  HostFunctionsPtr other_signature = new_set();
  const hl_val_kind_t two_i64[] = {HL_VAL_I64, HL_VAL_I64};
  ASSERT_FALSE(ErrorPtr(
      hl_host_functions_add(other_signature.get(), "HostAdd", two_i64, 2, HL_VAL_I64, host_add, nullptr, nullptr)));
  std::string differs = expect_mismatch(other_signature.get(), "another signature");
  EXPECT_NE(differs.find("(i64, i64) -> i64 here, (i32, i32) -> i32 then"), std::string::npos) << differs;

  // A set that has it, with the same signature, passes; so does no set at
  // all (the user registers after creation, as before sets).
  Adder adder;
  HostFunctionsPtr good = new_set();
  add_host_add(good.get(), &adder);
  ConfigPtr config = config_with(good.get());
  SandboxPtr made = from_snapshot(snap.get(), config.get());
  EXPECT_EQ(add_via_host(made.get(), 20, 22), 42);
  SandboxPtr without = from_snapshot(snap.get(), nullptr);
  register_host_add(without.get());
  EXPECT_EQ(add_via_host(without.get(), 1, 1), 2);
}

TEST(HostFunctionSets, SparesTakeTheNewConfigsSet) {
  EngineConfigPtr engine_config(hl_engine_config_new());
  ASSERT_FALSE(ErrorPtr(hl_engine_config_set_vm_pool_size(engine_config.get(), 2)));
  hl_engine_t *engine_raw = nullptr;
  ASSERT_FALSE(ErrorPtr(hl_engine_new(engine_config.get(), &engine_raw)));
  EnginePtr engine(engine_raw);

  Adder plus_one, plus_two;
  plus_one.bias = 1;
  plus_two.bias = 2;
  HostFunctionsPtr set_one = new_set(), set_two = new_set();
  add_host_add(set_one.get(), &plus_one);
  add_host_add(set_two.get(), &plus_two);
  ConfigPtr config_one = config_with(set_one.get()), config_two = config_with(set_two.get());
  ASSERT_FALSE(ErrorPtr(hl_config_set_engine(config_one.get(), engine.get())));
  ASSERT_FALSE(ErrorPtr(hl_config_set_engine(config_two.get(), engine.get())));

  SandboxPtr source = new_sandbox(config_one.get());
  SnapshotPtr snap = snapshot_of(source.get());
  source.reset();
  // Each deleted sandbox may be parked and taken by the next: its host
  // functions go with the user who deleted it, and the next gets its own.
  for (int round = 0; round < 6; round++) {
    const bool one = round % 2 == 0;
    SandboxPtr sb = from_snapshot(snap.get(), one ? config_one.get() : config_two.get());
    EXPECT_EQ(add_via_host(sb.get(), 10, 10), one ? 21 : 22) << "round " << round;
  }
  ConfigPtr no_set(hl_config_new());
  ASSERT_FALSE(ErrorPtr(hl_config_set_engine(no_set.get(), engine.get())));
  SandboxPtr bare = from_snapshot(snap.get(), no_set.get());
  const hl_val_t args[] = {i32(1), i32(2)};
  expect_call_error(bare.get(), "AddViaHost", args, 2, HL_ERROR_HOST_FUNCTION_NOT_FOUND);
  bare.reset();
  config_one.reset();
  config_two.reset();
  set_one.reset();
  set_two.reset();
  EXPECT_EQ(plus_one.finalized.load(), 1);  // parked spares hold no host functions
  EXPECT_EQ(plus_two.finalized.load(), 1);
}

TEST(HostFunctionSets, NamesAreUniqueAcrossTheSetAndHlRegister) {
  Adder adder;
  HostFunctionsPtr set = new_set();
  add_host_add(set.get(), &adder);
  std::atomic<int> finalized{0};
  auto count = [](void *p) { (*static_cast<std::atomic<int> *>(p))++; };
  ErrorPtr twice(hl_host_functions_add(set.get(), "HostAdd", kTwoI32, 2, HL_VAL_I32, host_add, &finalized, count));
  EXPECT_EQ(code_of(twice), HL_ERROR_ALREADY_REGISTERED) << describe(twice);
  EXPECT_EQ(finalized.load(), 1);

  ConfigPtr config = config_with(set.get());
  SandboxPtr sb = new_sandbox(config.get());
  ErrorPtr clash(hl_register(sb.get(), "HostAdd", kTwoI32, 2, HL_VAL_I32, host_add, &finalized, count));
  ASSERT_TRUE(clash);
  EXPECT_EQ(hl_error_code(clash.get()), HL_ERROR_ALREADY_REGISTERED);
  EXPECT_NE(std::string(hl_error_message(clash.get())).find("host-function set"), std::string::npos)
      << hl_error_message(clash.get());
  EXPECT_EQ(finalized.load(), 2);

  // Other names register beside the set's, per sandbox.
  const hl_val_kind_t one_string[] = {HL_VAL_STRING};
  auto echo = [](void *, const hl_val_t *args, size_t, hl_val_t *result) -> hl_error_t * {
    return hl_val_set_string(result, args[0].of.string.ptr, args[0].of.string.len);
  };
  ASSERT_FALSE(ErrorPtr(hl_register(sb.get(), "HostEcho", one_string, 1, HL_VAL_STRING, echo, &finalized, count)));
  EXPECT_EQ(add_via_host(sb.get(), 1, 2), 3);
  const hl_val_t text[] = {str("hello")};
  Result r;
  ErrorPtr err(hl_call(sb.get(), "EchoViaHost", text, 1, &r.val));
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(r.str(), "hello");
  // A snapshot records both; a restore onto a sandbox of the same set
  // without HostEcho is refused.
  SnapshotPtr snap = snapshot_of(sb.get());
  SandboxPtr other = new_sandbox(config.get());
  ErrorPtr refused(hl_sandbox_restore(other.get(), snap.get()));
  EXPECT_EQ(code_of(refused), HL_ERROR_SNAPSHOT_MISMATCH) << describe(refused);
  sb.reset();
  EXPECT_EQ(finalized.load(), 3);  // the sandbox's own function, with the sandbox
  EXPECT_EQ(adder.finalized.load(), 0);
}

TEST(HostFunctionSets, BadInputGetsSpecificErrors) {
  EXPECT_EQ(code_of(ErrorPtr(hl_host_functions_new(nullptr))), HL_ERROR_INVALID_ARGUMENT);
  hl_host_functions_delete(nullptr);
  EXPECT_EQ(code_of(ErrorPtr(hl_config_set_host_functions(nullptr, nullptr))), HL_ERROR_INVALID_ARGUMENT);

  HostFunctionsPtr set = new_set();
  std::atomic<int> finalized{0};
  auto count = [](void *p) { (*static_cast<std::atomic<int> *>(p))++; };
  auto add = [&](hl_host_functions_t *target, const char *name, const hl_val_kind_t *kinds, size_t n,
                 hl_val_kind_t result, hl_host_fn_t fn) {
    ErrorPtr err(hl_host_functions_add(target, name, kinds, n, result, fn, &finalized, count));
    EXPECT_TRUE(err) << name;
    return err ? std::string(hl_error_message(err.get())) + " #" + std::to_string(hl_error_code(err.get()))
               : std::string();
  };
  const hl_val_kind_t void_param[] = {HL_VAL_VOID};
  const hl_val_kind_t bad_kind[] = {static_cast<hl_val_kind_t>(42)};
  hl_val_kind_t many[33];
  for (auto &k : many) k = HL_VAL_I32;
  const std::string long_name(256, 'x');
  const std::string invalid = " #" + std::to_string(HL_ERROR_INVALID_ARGUMENT);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {add(nullptr, "F", nullptr, 0, HL_VAL_VOID, host_add), "functions is NULL"},
      {add(set.get(), "F", nullptr, 0, HL_VAL_VOID, nullptr), "callback is NULL"},
      {add(set.get(), nullptr, nullptr, 0, HL_VAL_VOID, host_add), "name must be 1 to 255 bytes"},
      {add(set.get(), "", nullptr, 0, HL_VAL_VOID, host_add), "name must be 1 to 255 bytes"},
      {add(set.get(), long_name.c_str(), nullptr, 0, HL_VAL_VOID, host_add), "name must be 1 to 255 bytes"},
      {add(set.get(), "F", nullptr, 1, HL_VAL_VOID, host_add), "param_kinds is NULL"},
      {add(set.get(), "F", void_param, 1, HL_VAL_VOID, host_add), "parameter 0 has invalid kind 0"},
      {add(set.get(), "F", bad_kind, 1, HL_VAL_VOID, host_add), "parameter 0 has invalid kind 42"},
      {add(set.get(), "F", many, 33, HL_VAL_VOID, host_add), "at most 32 parameters"},
      {add(set.get(), "F", nullptr, 0, static_cast<hl_val_kind_t>(42), host_add), "invalid return kind 42"},
  };
  for (const auto &[message, want] : cases) {
    EXPECT_EQ(message.rfind("hl_host_functions_add", 0), 0u) << message;
    EXPECT_NE(message.find(want), std::string::npos) << message;
    EXPECT_NE(message.find(invalid), std::string::npos) << message;
  }
  EXPECT_EQ(finalized.load(), static_cast<int>(cases.size()));  // each refused user_data finalized at once
  // 32 parameters is the limit, not past it.
  EXPECT_FALSE(ErrorPtr(hl_host_functions_add(set.get(), "F", many, 32, HL_VAL_VOID, host_add, nullptr, nullptr)));
}

TEST(HostFunctionSets, ManyThreadsMakeAndCallSandboxesOfOneSet) {
  Adder adder;
  HostFunctionsPtr set = new_set();
  add_host_add(set.get(), &adder);
  ConfigPtr config = config_with(set.get());
  SandboxPtr source = new_sandbox(config.get());
  SnapshotPtr snap = snapshot_of(source.get());
  constexpr int kThreads = 4, kSandboxes = 3, kCalls = 50;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++)
    threads.emplace_back([&, t] {
      for (int s = 0; s < kSandboxes; s++) {
        hl_sandbox_t *raw = nullptr;
        ErrorPtr err(s % 2 == 0 ? hl_sandbox_new_from_snapshot(snap.get(), config.get(), &raw)
                                : hl_sandbox_new(config.get(), HL_SIMPLEGUEST_PATH, &raw));
        SandboxPtr sb(raw);
        if (err) {
          wrong++;
          continue;
        }
        for (int i = 0; i < kCalls; i++) {
          const hl_val_t args[] = {i32(t), i32(i)};
          Result r;
          ErrorPtr call(hl_call(sb.get(), "AddViaHost", args, 2, &r.val));
          if (call || r.val.of.i32 != t + i) wrong++;
        }
      }
    });
  for (auto &thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(adder.calls.load(), kThreads * kSandboxes * kCalls);
}

}  // namespace

namespace {

int32_t typed_biased_add(void *user_data, int32_t a, int32_t b) {
  auto *adder = static_cast<Adder *>(user_data);
  adder->calls++;
  return a + b + adder->bias;
}

}  // namespace

// A set holds typed functions too (hl_host_functions_add_typed): called
// through libffi from every sandbox made with the set, finalized once when
// the last holder lets go, and frozen like the rest of the set.
TEST(HostFunctionSets, TypedFunctionsAreSharedLikeUniformOnes) {
  Adder adder;
  adder.bias = 1000;
  {
    HostFunctionsPtr set = new_set();
    ErrorPtr add(hl_host_functions_add_typed(set.get(), "HostAdd", kTwoI32, 2, HL_VAL_I32,
                                             reinterpret_cast<hl_typed_fn_t>(typed_biased_add), HL_TYPED_USER_DATA,
                                             &adder, finalize_adder));
    ASSERT_FALSE(add) << describe(add);
    ConfigPtr config = config_with(set.get());
    SandboxPtr first = new_sandbox(config.get());
    SandboxPtr second = new_sandbox(config.get());
    EXPECT_EQ(add_via_host(first.get(), 40, 2), 1042);
    EXPECT_EQ(add_via_host(second.get(), 1, 2), 1003);
    EXPECT_EQ(adder.calls.load(), 2);

    ErrorPtr frozen(hl_host_functions_add_typed(set.get(), "Other", kTwoI32, 2, HL_VAL_I32,
                                                reinterpret_cast<hl_typed_fn_t>(typed_biased_add), HL_TYPED_USER_DATA,
                                                nullptr, nullptr));
    EXPECT_EQ(code_of(frozen), HL_ERROR_HOST_FUNCTIONS_FROZEN) << describe(frozen);
    ErrorPtr bad(hl_host_functions_add_typed(set.get(), "Bad", kTwoI32, 2, HL_VAL_I32, nullptr, 0, nullptr, nullptr));
    EXPECT_EQ(code_of(bad), HL_ERROR_INVALID_ARGUMENT) << describe(bad);
    EXPECT_EQ(adder.finalized.load(), 0);
  }
  EXPECT_EQ(adder.finalized.load(), 1);
}
