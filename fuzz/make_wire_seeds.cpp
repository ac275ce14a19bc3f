// Writes the seed corpus of fuzz_wire_decode: small valid messages of every
// type a guest sends, each in its own file.
// Usage: fuzz_wire_seeds OUTPUT_DIR   (fuzz/corpus/fuzz_wire_decode holds its output)
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "hl_wire.h"

namespace {

std::string g_dir;
int g_failures = 0;

class Seed {
 public:
  explicit Seed(uint8_t type) { hl_wire_begin(&w_, buf_, sizeof buf_, type); }
  hl_wire_writer *w() { return &w_; }
  void str(const char *s) { hl_wire_put_str(&w_, s, static_cast<uint32_t>(std::strlen(s))); }
  void val(hl_wire_val v) { hl_wire_put_val(&w_, &v); }

  // Ends the message and writes it to OUTPUT_DIR/name.
  void save(const char *name) {
    uint32_t len = hl_wire_end(&w_);
    std::string path = g_dir + "/" + name;
    std::FILE *f = len != 0 ? std::fopen(path.c_str(), "wb") : nullptr;
    if (f == nullptr || std::fwrite(buf_, 1, len, f) != len || std::fclose(f) != 0) {
      std::fprintf(stderr, "fuzz_wire_seeds: cannot write %s\n", path.c_str());
      g_failures++;
    }
  }

 private:
  uint8_t buf_[512];
  hl_wire_writer w_;
};

hl_wire_val i32(int32_t v) {
  hl_wire_val w{};
  w.kind = HL_WIRE_I32;
  w.of.i32 = v;
  return w;
}

hl_wire_val kind_only(uint8_t kind) {
  hl_wire_val w{};
  w.kind = kind;
  return w;
}

hl_wire_val buf(uint8_t kind, const char *s, uint32_t len) {
  hl_wire_val w{};
  w.kind = kind;
  w.of.buf.ptr = reinterpret_cast<const uint8_t *>(s);
  w.of.buf.len = len;
  return w;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  g_dir = argv[1];

  {  // A host call with two i32 arguments (simpleguest's AddViaHost).
    Seed s(HL_MSG_CALL);
    s.str("HostAdd");
    hl_wire_put_u8(s.w(), 2);
    s.val(i32(40));
    s.val(i32(2));
    s.save("call_two_i32");
  }
  {  // A host call with one argument of every kind.
    Seed s(HL_MSG_CALL);
    s.str("EveryKind");
    hl_wire_put_u8(s.w(), 9);
    s.val(i32(-7));
    hl_wire_val v = kind_only(HL_WIRE_U32);
    v.of.u32 = 0xdeadbeefu;
    s.val(v);
    v = kind_only(HL_WIRE_I64);
    v.of.i64 = -1234567890123ll;
    s.val(v);
    v = kind_only(HL_WIRE_U64);
    v.of.u64 = 0x0123456789abcdefull;
    s.val(v);
    v = kind_only(HL_WIRE_F32);
    v.of.f32 = 1.5f;
    s.val(v);
    v = kind_only(HL_WIRE_F64);
    v.of.f64 = -0.25;
    s.val(v);
    v = kind_only(HL_WIRE_BOOL);
    v.of.boolean = 1;
    s.val(v);
    s.val(buf(HL_WIRE_STRING, "hello", 5));
    s.val(buf(HL_WIRE_BYTES, "\x00\x01\x02\xff", 4));
    s.save("call_every_kind");
  }
  {  // A host call without arguments.
    Seed s(HL_MSG_CALL);
    s.str("Nothing");
    hl_wire_put_u8(s.w(), 0);
    s.save("call_no_args");
  }
  {
    Seed s(HL_MSG_RESULT);
    s.val(i32(42));
    s.save("result_i32");
  }
  {
    Seed s(HL_MSG_RESULT);
    s.val(kind_only(HL_WIRE_VOID));
    s.save("result_void");
  }
  {
    Seed s(HL_MSG_RESULT);
    s.val(buf(HL_WIRE_STRING, "echoed back", 11));
    s.save("result_string");
  }
  {
    Seed s(HL_MSG_RESULT);
    s.val(buf(HL_WIRE_BYTES, "\x10\x20\x30", 3));
    s.save("result_bytes");
  }
  {
    Seed s(HL_MSG_ERROR);
    hl_wire_put_u32(s.w(), 14);
    s.str("guest function failed");
    s.save("error");
  }
  {
    Seed s(HL_MSG_PRINT);
    s.str("hello from the guest\n");
    s.save("print");
  }
  {
    Seed s(HL_MSG_READY);
    hl_wire_put_u32(s.w(), 1);
    hl_wire_put_u64(s.w(), 0x205000);
    s.save("ready");
  }
  {
    Seed s(HL_MSG_LOG);
    hl_wire_put_u8(s.w(), 3);
    hl_wire_put_u32(s.w(), 42);
    s.str("guest.c");
    s.str("a log record");
    s.save("log");
  }
  return g_failures == 0 ? 0 : 1;
}
