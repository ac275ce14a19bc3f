/* The call/result codec shared by host and guest (plain C, freestanding).
 *
 * A message is little-endian:  u32 total_len | u8 type | 3 zero bytes | body
 *   CALL   : str name | u8 nargs | nargs x val
 *   RESULT : val
 *   ERROR  : u32 code | str message
 *   PRINT  : str text
 *   READY  : u32 abi_version | u64 dispatch_address
 *   LOG    : u8 level | u32 line | str file | str message
 * str = u32 len | len bytes | one NUL (not counted; lets the guest use C strings)
 * val = u8 kind | payload: 4 bytes (i32 u32 f32), 8 bytes (i64 u64 f64),
 *       1 byte (bool: 0 or 1), str (string), u32 len | bytes (bytes)
 *
 * The reader trusts nothing: every length is checked against the buffer, and
 * a failed read leaves the reader failed (all later reads fail too). */
#ifndef HYPERLIGHT_WIRE_HL_WIRE_H
#define HYPERLIGHT_WIRE_HL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Value kinds: the same numbers as HL_VAL_* in include/hyperlight.h. */
#define HL_WIRE_VOID 0u
#define HL_WIRE_I32 1u
#define HL_WIRE_U32 2u
#define HL_WIRE_I64 3u
#define HL_WIRE_U64 4u
#define HL_WIRE_F32 5u
#define HL_WIRE_F64 6u
#define HL_WIRE_BOOL 7u
#define HL_WIRE_STRING 8u
#define HL_WIRE_BYTES 9u
#define HL_WIRE_KIND_COUNT 10u

#define HL_MSG_CALL 1u
#define HL_MSG_RESULT 2u
#define HL_MSG_ERROR 3u
#define HL_MSG_PRINT 4u
#define HL_MSG_READY 5u
#define HL_MSG_LOG 6u

#define HL_WIRE_HEADER_SIZE 8u
#define HL_WIRE_MAX_NAME 255u
#define HL_WIRE_MAX_ARGS 32u

typedef struct hl_wire_val {
  uint8_t kind;
  union {
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f32;
    double f64;
    uint8_t boolean;
    struct {
      const uint8_t *ptr; /* string: followed by a NUL in the buffer */
      uint32_t len;
    } buf;
  } of;
} hl_wire_val;

typedef struct hl_wire_writer {
  uint8_t *buf;
  uint32_t cap;
  uint32_t pos;
  uint32_t needed; /* bytes the message would need; > cap after overflow */
  int failed;
} hl_wire_writer;

typedef struct hl_wire_reader {
  const uint8_t *buf;
  uint32_t len; /* the message's total_len, checked against the buffer */
  uint32_t pos;
  int failed;
} hl_wire_reader;

/* Writer: begin, put..., end. end() returns the total length, or 0 if the
 * message did not fit (writer.needed then tells how much it would need). */
void hl_wire_begin(hl_wire_writer *w, uint8_t *buf, uint32_t cap, uint8_t type);
void hl_wire_put_u8(hl_wire_writer *w, uint8_t v);
void hl_wire_put_u32(hl_wire_writer *w, uint32_t v);
void hl_wire_put_u64(hl_wire_writer *w, uint64_t v);
void hl_wire_put_str(hl_wire_writer *w, const void *ptr, uint32_t len);
void hl_wire_put_val(hl_wire_writer *w, const hl_wire_val *v);
uint32_t hl_wire_end(hl_wire_writer *w);

/* Reader: open() validates the header against cap (the buffer size) and
 * returns the message type, or 0 if the header is malformed. */
uint8_t hl_wire_open(hl_wire_reader *r, const uint8_t *buf, uint32_t cap);
uint8_t hl_wire_get_u8(hl_wire_reader *r);
uint32_t hl_wire_get_u32(hl_wire_reader *r);
uint64_t hl_wire_get_u64(hl_wire_reader *r);
/* A str: sets *ptr and *len (pointing into the buffer); fails unless followed by NUL. */
int hl_wire_get_str(hl_wire_reader *r, const uint8_t **ptr, uint32_t *len);
/* A val: fails on an unknown kind, bool other than 0/1, or a bad length. */
int hl_wire_get_val(hl_wire_reader *r, hl_wire_val *v);
/* True when every byte was consumed and no read failed. */
int hl_wire_done(const hl_wire_reader *r);

/* Round up to 8: where the next message starts after one of length len. */
static inline uint32_t hl_wire_align8(uint32_t len) { return (len + 7u) & ~7u; }

#ifdef __cplusplus
}
#endif

#endif
