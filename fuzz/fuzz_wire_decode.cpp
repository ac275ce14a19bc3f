// libFuzzer target: the input is an output buffer written by a hostile guest.
//
// 1. Decode it the way the host does (src/sandbox/sandbox.cpp and boot.cpp):
//    hl_wire_open, then by message type CALL / RESULT / ERROR / PRINT /
//    READY / LOG, then hl_wire_done. Every decoded string and byte span is
//    copied out (ASan flags any span outside the input) and must lie inside
//    the message; values go through from_wire() (copied and borrowed) and
//    back through to_wire().
// 2. Canonical form: a message the decoder accepts re-encodes to exactly the
//    bytes it was decoded from.
// 3. Round trip: a message built from the input (FuzzedDataProvider) encodes
//    and decodes back to itself; encoding into a buffer one byte short fails
//    without writing past it; a reader given less than total_len rejects it.
//
// A broken property aborts, which libFuzzer reports as a crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "abi/hl_wire.h"
#include "common/api_types.h"
#include "common/error.h"
#include "protocol/values.h"

#define FUZZ_CHECK(cond)                                                                               \
  do {                                                                                                 \
    if (!(cond)) {                                                                                     \
      std::fprintf(stderr, "fuzz_wire_decode: check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                                    \
    }                                                                                                  \
  } while (0)

namespace {

struct Span {
  const uint8_t *ptr = nullptr;
  uint32_t len = 0;
};

// One message's fields, whatever its type (the others stay zero).
struct Message {
  uint8_t type = 0;
  uint32_t total = 0;             // total_len from the header (decoded messages)
  Span text;                      // CALL name, ERROR message, PRINT text, LOG file
  Span text2;                     // LOG message
  uint8_t u8 = 0;                 // LOG level
  uint32_t u32 = 0;               // ERROR code, READY ABI version, LOG line
  uint64_t u64 = 0;               // READY dispatch address
  std::vector<hl_wire_val> vals;  // CALL arguments, RESULT value
};

volatile uint8_t g_sink;

// Reads every byte of [ptr, ptr + len), as the host does when it copies a
// decoded string out (ASan reports any byte outside the input).
void touch(const uint8_t *ptr, uint32_t len) {
  uint8_t acc = 0;
  for (uint32_t i = 0; i < len; i++) acc = static_cast<uint8_t>(acc + ptr[i]);
  g_sink = acc;
}

// A decoded span lies inside the message body [buf + header, buf + total).
void check_inside(const uint8_t *buf, uint32_t total, const uint8_t *ptr, uint32_t len) {
  FUZZ_CHECK(ptr != nullptr);
  FUZZ_CHECK(ptr >= buf + HL_WIRE_HEADER_SIZE && ptr <= buf + total);
  FUZZ_CHECK(len <= static_cast<uint32_t>(buf + total - ptr));
  touch(ptr, len);
}

// A str as hl_wire_get_str returned it: inside the message and followed by a NUL.
void check_str(const uint8_t *buf, uint32_t total, Span s) {
  check_inside(buf, total, s.ptr, s.len);
  FUZZ_CHECK(s.len < static_cast<uint32_t>(buf + total - s.ptr));
  FUZZ_CHECK(s.ptr[s.len] == 0);
}

// A value hl_wire_get_val accepted, and what the host makes of it.
void check_val(const uint8_t *buf, uint32_t total, const hl_wire_val &v) {
  FUZZ_CHECK(v.kind < HL_WIRE_KIND_COUNT && hl::is_valid_kind(v.kind));
  FUZZ_CHECK(hl::kind_name(v.kind) != nullptr);
  if (v.kind == HL_WIRE_BOOL) FUZZ_CHECK(v.of.boolean <= 1);
  if (v.kind == HL_WIRE_STRING) check_str(buf, total, {v.of.buf.ptr, v.of.buf.len});
  if (v.kind == HL_WIRE_BYTES) check_inside(buf, total, v.of.buf.ptr, v.of.buf.len);

  // A guest function's result: copied into memory the caller owns.
  hl::Val owned = hl::from_wire(v, true);
  FUZZ_CHECK(owned.kind == hl::val_kind(v.kind));
  if (v.kind == HL_WIRE_STRING || v.kind == HL_WIRE_BYTES) {
    const uint8_t *p =
        v.kind == HL_WIRE_STRING ? reinterpret_cast<const uint8_t *>(owned.of.string.ptr) : owned.of.bytes.ptr;
    size_t len = v.kind == HL_WIRE_STRING ? owned.of.string.len : owned.of.bytes.len;
    FUZZ_CHECK((owned.flags & hl::ValFlag::kOwned) != 0 && p != nullptr && len == v.of.buf.len);
    FUZZ_CHECK(len == 0 || std::memcmp(p, v.of.buf.ptr, len) == 0);
    FUZZ_CHECK(p[len] == 0);
  } else {
    FUZZ_CHECK(owned.of.u64 == v.of.u64);
  }
  // Back to the wire, as a host function's result goes.
  try {
    hl_wire_val back = hl::to_wire(owned, "fuzzed value");
    FUZZ_CHECK(v.kind != HL_WIRE_VOID);
    FUZZ_CHECK(back.kind == v.kind);
    if (v.kind == HL_WIRE_STRING || v.kind == HL_WIRE_BYTES)
      FUZZ_CHECK(back.of.buf.len == v.of.buf.len);
    else
      FUZZ_CHECK(back.of.u64 == v.of.u64);
  } catch (const hl::Error &e) {
    FUZZ_CHECK(v.kind == HL_WIRE_VOID && e.code() == hl::ErrorCode::kInvalidArgument);
  }
  hl::release_value(&owned);
  FUZZ_CHECK(owned.kind == hl::ValKind::kVoid);

  // A host function's argument: borrows the guest's buffer.
  hl::Val borrowed = hl::from_wire(v, false);
  FUZZ_CHECK((borrowed.flags & hl::ValFlag::kOwned) == 0);
  if (v.kind == HL_WIRE_STRING) FUZZ_CHECK(reinterpret_cast<const uint8_t *>(borrowed.of.string.ptr) == v.of.buf.ptr);
  if (v.kind == HL_WIRE_BYTES) FUZZ_CHECK(borrowed.of.bytes.ptr == v.of.buf.ptr);
}

// Decodes buf[0, cap) the way the host does for each message type. Returns
// true when the host would accept the message (every read succeeded and
// hl_wire_done).
bool decode(const uint8_t *buf, uint32_t cap, Message *m) {
  hl_wire_reader r;
  m->type = hl_wire_open(&r, buf, cap);
  if (m->type == 0) {
    FUZZ_CHECK(!hl_wire_done(&r));
    FUZZ_CHECK(hl_wire_get_u8(&r) == 0 && !hl_wire_done(&r));  // a failed reader stays failed
    return false;
  }
  const uint32_t total = m->total = r.len;
  FUZZ_CHECK(total >= HL_WIRE_HEADER_SIZE && total <= cap);
  bool ok = false;            // every read succeeded
  bool host_refuses = false;  // the reads did, but the host refuses the content
  switch (m->type) {
    case HL_MSG_CALL: {  // Sandbox::serve_host_call
      ok = hl_wire_get_str(&r, &m->text.ptr, &m->text.len);
      if (ok) check_str(buf, total, m->text);
      uint8_t nargs = hl_wire_get_u8(&r);
      host_refuses = nargs > HL_WIRE_MAX_ARGS;
      for (uint8_t i = 0; ok && !host_refuses && i < nargs; i++) {
        hl_wire_val v;
        ok = hl_wire_get_val(&r, &v) != 0;
        if (ok) {
          check_val(buf, total, v);
          m->vals.push_back(v);
        }
      }
      break;
    }
    case HL_MSG_RESULT: {  // Sandbox::call
      hl_wire_val v;
      ok = hl_wire_get_val(&r, &v) != 0;
      if (ok) {
        check_val(buf, total, v);
        m->vals.push_back(v);
      }
      break;
    }
    case HL_MSG_ERROR:  // Sandbox::call, fail_abort, initialise_guest
      m->u32 = hl_wire_get_u32(&r);
      ok = hl_wire_get_str(&r, &m->text.ptr, &m->text.len);
      if (ok) check_str(buf, total, m->text);
      break;
    case HL_MSG_PRINT:  // Sandbox::serve_print
      ok = hl_wire_get_str(&r, &m->text.ptr, &m->text.len);
      if (ok) check_str(buf, total, m->text);
      break;
    case HL_MSG_READY:  // Sandbox::initialise_guest
      m->u32 = hl_wire_get_u32(&r);
      m->u64 = hl_wire_get_u64(&r);
      ok = true;  // hl_wire_done below tells whether both reads succeeded
      break;
    case HL_MSG_LOG:  // Sandbox::serve_log
      m->u8 = hl_wire_get_u8(&r);
      m->u32 = hl_wire_get_u32(&r);
      ok = hl_wire_get_str(&r, &m->text.ptr, &m->text.len);
      if (ok) check_str(buf, total, m->text);
      ok = ok && hl_wire_get_str(&r, &m->text2.ptr, &m->text2.len);
      if (ok) check_str(buf, total, m->text2);
      break;
    default: return false;  // the host: protocol error
  }
  const bool done = hl_wire_done(&r);
  FUZZ_CHECK(r.pos <= r.len && r.len == total);
  if (!ok) FUZZ_CHECK(!done);  // a failed read leaves the reader failed
  return ok && done && !host_refuses;
}

// Encodes m into buf[0, cap). Returns hl_wire_end's result; *needed gets the
// writer's idea of the full size.
uint32_t encode(const Message &m, uint8_t *buf, uint32_t cap, uint32_t *needed) {
  hl_wire_writer w;
  hl_wire_begin(&w, buf, cap, m.type);
  switch (m.type) {
    case HL_MSG_CALL:
      hl_wire_put_str(&w, m.text.ptr, m.text.len);
      hl_wire_put_u8(&w, static_cast<uint8_t>(m.vals.size()));
      for (const hl_wire_val &v : m.vals) hl_wire_put_val(&w, &v);
      break;
    case HL_MSG_RESULT: hl_wire_put_val(&w, &m.vals.at(0)); break;
    case HL_MSG_ERROR:
      hl_wire_put_u32(&w, m.u32);
      hl_wire_put_str(&w, m.text.ptr, m.text.len);
      break;
    case HL_MSG_PRINT: hl_wire_put_str(&w, m.text.ptr, m.text.len); break;
    case HL_MSG_READY:
      hl_wire_put_u32(&w, m.u32);
      hl_wire_put_u64(&w, m.u64);
      break;
    case HL_MSG_LOG:
      hl_wire_put_u8(&w, m.u8);
      hl_wire_put_u32(&w, m.u32);
      hl_wire_put_str(&w, m.text.ptr, m.text.len);
      hl_wire_put_str(&w, m.text2.ptr, m.text2.len);
      break;
    default: break;
  }
  uint32_t len = hl_wire_end(&w);
  if (needed != nullptr) *needed = w.needed;
  return len;
}

bool same_span(Span a, Span b) { return a.len == b.len && (a.len == 0 || std::memcmp(a.ptr, b.ptr, a.len) == 0); }

// `sent` was encoded, `got` decoded from it.
bool same_val(const hl_wire_val &sent, const hl_wire_val &got) {
  if (sent.kind != got.kind) return false;
  switch (sent.kind) {
    case HL_WIRE_VOID: return true;
    case HL_WIRE_BOOL: return got.of.boolean == (sent.of.boolean != 0 ? 1 : 0);
    case HL_WIRE_STRING:
    case HL_WIRE_BYTES: return same_span({sent.of.buf.ptr, sent.of.buf.len}, {got.of.buf.ptr, got.of.buf.len});
    case HL_WIRE_I32:
    case HL_WIRE_U32:
    case HL_WIRE_F32: return sent.of.u32 == got.of.u32;  // bit patterns, NaNs included
    default: return sent.of.u64 == got.of.u64;
  }
}

bool same(const Message &sent, const Message &got) {
  if (sent.type != got.type || sent.u8 != got.u8 || sent.u32 != got.u32 || sent.u64 != got.u64) return false;
  if (!same_span(sent.text, got.text) || !same_span(sent.text2, got.text2)) return false;
  if (sent.vals.size() != got.vals.size()) return false;
  for (size_t i = 0; i < sent.vals.size(); i++)
    if (!same_val(sent.vals[i], got.vals[i])) return false;
  return true;
}

// Property 1 + 2 on the raw input.
void decode_as_host(const uint8_t *data, uint32_t size) {
  Message m;
  if (!decode(data, size, &m)) return;
  const uint32_t total = m.total;
  std::unique_ptr<uint8_t[]> again(new uint8_t[total]);
  uint32_t needed = 0;
  FUZZ_CHECK(encode(m, again.get(), total, &needed) == total && needed == total);
  FUZZ_CHECK(std::memcmp(again.get(), data, total) == 0);
}

// Property 3: a message made from the input survives encode -> decode.
void round_trip(const uint8_t *data, size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<std::vector<uint8_t>> storage;  // owns the spans below; moving a vector keeps its data
  storage.reserve(2 + HL_WIRE_MAX_ARGS + 1);
  auto bytes = [&](size_t max) -> Span {
    storage.push_back(in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, max)));
    return {storage.back().data(), static_cast<uint32_t>(storage.back().size())};
  };

  Message m;
  m.type = in.ConsumeIntegralInRange<uint8_t>(HL_MSG_CALL, HL_MSG_LOG);
  bool valid = true;  // false: a kind the encoder must refuse
  size_t nvals = m.type == HL_MSG_CALL     ? in.ConsumeIntegralInRange<size_t>(0, HL_WIRE_MAX_ARGS + 1)
                 : m.type == HL_MSG_RESULT ? 1
                                           : 0;
  m.text = bytes(m.type == HL_MSG_CALL ? 300 : 1024);
  if (m.type == HL_MSG_LOG) m.text2 = bytes(1024);
  if (m.type == HL_MSG_LOG) m.u8 = in.ConsumeIntegral<uint8_t>();
  if (m.type == HL_MSG_ERROR || m.type == HL_MSG_READY || m.type == HL_MSG_LOG) m.u32 = in.ConsumeIntegral<uint32_t>();
  if (m.type == HL_MSG_READY) m.u64 = in.ConsumeIntegral<uint64_t>();
  if (m.type != HL_MSG_CALL && m.type != HL_MSG_ERROR && m.type != HL_MSG_PRINT && m.type != HL_MSG_LOG) m.text = {};
  for (size_t i = 0; i < nvals; i++) {
    hl_wire_val v{};
    v.kind = in.ConsumeIntegralInRange<uint8_t>(0, HL_WIRE_KIND_COUNT);  // KIND_COUNT is invalid
    v.of.u64 = 0;
    switch (v.kind) {
      case HL_WIRE_I32:
      case HL_WIRE_U32:
      case HL_WIRE_F32: v.of.u32 = in.ConsumeIntegral<uint32_t>(); break;
      case HL_WIRE_I64:
      case HL_WIRE_U64:
      case HL_WIRE_F64: v.of.u64 = in.ConsumeIntegral<uint64_t>(); break;
      case HL_WIRE_BOOL: v.of.boolean = in.ConsumeIntegral<uint8_t>(); break;  // any non-zero encodes as 1
      case HL_WIRE_STRING:
      case HL_WIRE_BYTES: {
        Span s = bytes(512);
        v.of.buf.ptr = s.ptr;
        v.of.buf.len = s.len;
        break;
      }
      case HL_WIRE_VOID: break;
      default: valid = false; break;
    }
    m.vals.push_back(v);
  }

  // A dry run with no buffer tells the size and writes nothing.
  uint32_t needed = 0;
  FUZZ_CHECK(encode(m, nullptr, 0, &needed) == 0);
  if (!valid) {
    std::vector<uint8_t> big(needed + 4096);
    FUZZ_CHECK(encode(m, big.data(), static_cast<uint32_t>(big.size()), nullptr) == 0);
    return;
  }
  FUZZ_CHECK(needed >= HL_WIRE_HEADER_SIZE);

  // One byte short: refused, nothing written past the end (ASan watches).
  {
    std::unique_ptr<uint8_t[]> shortbuf(new uint8_t[needed - 1]);
    uint32_t needed_again = 0;
    FUZZ_CHECK(encode(m, shortbuf.get(), needed - 1, &needed_again) == 0 && needed_again == needed);
  }

  // Exactly enough, then some trailing guest bytes after the message.
  const uint32_t trailing = in.ConsumeIntegralInRange<uint32_t>(0, 64);
  std::unique_ptr<uint8_t[]> buf(new uint8_t[needed + trailing]);
  FUZZ_CHECK(encode(m, buf.get(), needed, nullptr) == needed);
  for (uint32_t i = 0; i < trailing; i++) buf[needed + i] = in.ConsumeIntegral<uint8_t>();

  Message got;
  bool accepted = decode(buf.get(), needed + trailing, &got);
  FUZZ_CHECK(accepted == (m.vals.size() <= HL_WIRE_MAX_ARGS));  // the host refuses more than 32 arguments
  if (accepted) FUZZ_CHECK(same(m, got));

  // A reader told the buffer is shorter than total_len rejects the header.
  hl_wire_reader r;
  FUZZ_CHECK(hl_wire_open(&r, buf.get(), needed - 1) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > UINT32_MAX) return 0;
  decode_as_host(data, static_cast<uint32_t>(size));
  round_trip(data, size);
  return 0;
}
