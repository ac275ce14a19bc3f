/* lua.elf: Lua 5.4 in a sandbox (docs/guest-sdk.md, "lua.elf").
 *
 * One lua_State, created when the sandbox starts, so a snapshot holds a
 * ready interpreter. Eval(string) -> string runs a chunk in it and returns
 * tostring() of its first result ("" when it returns nothing); a Lua error
 * fails the call with HLG_ERROR_GUEST_ERROR and Lua's message, which names
 * the chunk and line ([string "..."]:1: ...). Libraries: base (without
 * dofile and loadfile), coroutine, table, string, utf8, math, and os with
 * only time, clock, date and difftime (a guest's clocks read 0, the epoch);
 * print writes to the host's print path. host.call("Name", ...) calls a
 * host function the embedder registered.
 *
 * Memory and time limits are the sandbox's: Lua's allocator returns NULL
 * when the guest heap is exhausted (Lua raises "not enough memory"), and a
 * call that runs too long is stopped by the host's time limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hyperlight_guest.h"
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

/* Abort codes of this guest (the SDK's are 1000-1099). */
#define LUA_GUEST_ABORT_INIT 1200u  /* the interpreter could not be created */
#define LUA_GUEST_ABORT_PANIC 1201u /* an error outside any protected call */

#define HOST_CALL_MAX_ARGS ((int)HL_WIRE_MAX_ARGS)

static lua_State *g_lua;

/* ------------------------------------------------------------------------ */
/* The interpreter's services: memory, panics, warnings                     */
/* ------------------------------------------------------------------------ */

/* realloc returns NULL when the heap cannot grow a block (guests on musl);
 * Lua then collects garbage, retries and finally raises "not enough
 * memory". Shrinking never fails, as Lua requires. */
static void *lua_heap_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

/* Every chunk runs in a protected call, so a panic is a bug here. */
static int panic(lua_State *L) {
  const char *message = lua_tostring(L, -1);
  hlg_abortf(LUA_GUEST_ABORT_PANIC, "Lua panic: %s", message ? message : "(error object is not a string)");
}

/* warn(): off until a script turns it on with warn("@on"), as in lua.c;
 * messages go to stderr, which is the host's print path too. */
static int g_warnings_on, g_warning_continues;

static void warning(void *ud, const char *message, int to_be_continued) {
  (void)ud;
  if (!g_warning_continues && message[0] == '@') {
    if (strcmp(message, "@on") == 0) g_warnings_on = 1;
    if (strcmp(message, "@off") == 0) g_warnings_on = 0;
    return;
  }
  if (g_warnings_on)
    fprintf(stderr, "%s%s%s", g_warning_continues ? "" : "Lua warning: ", message, to_be_continued ? "" : "\n");
  g_warning_continues = to_be_continued;
}

/* ------------------------------------------------------------------------ */
/* host.call                                                                */
/* ------------------------------------------------------------------------ */

/* host.call(name, ...): each argument's kind comes from its Lua type
 * (integer -> i64, float -> f64, boolean -> bool, string -> string), so the
 * host function must be registered with those kinds. The result comes back
 * as the closest Lua value: integers (a u64 above 2^63-1 as a float), floats,
 * booleans, strings (bytes too); void returns nothing. A failed host call is
 * a Lua error with the host's message. */
static int host_call(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  int nargs = lua_gettop(L) - 1;
  if (nargs > HOST_CALL_MAX_ARGS)
    return luaL_error(L, "host.call('%s'): %d arguments, at most %d", name, nargs, HOST_CALL_MAX_ARGS);
  hlg_val args[HOST_CALL_MAX_ARGS];
  for (int i = 0; i < nargs; i++) {
    int at = i + 2;
    size_t len = 0;
    const char *text;
    switch (lua_type(L, at)) {
      case LUA_TNUMBER:
        args[i] = lua_isinteger(L, at) ? hlg_i64(lua_tointeger(L, at)) : hlg_f64(lua_tonumber(L, at));
        break;
      case LUA_TBOOLEAN: args[i] = hlg_bool(lua_toboolean(L, at)); break;
      case LUA_TSTRING:
        text = lua_tolstring(L, at, &len); /* stays valid: the string is on the stack */
        if (len > UINT32_MAX) return luaL_error(L, "host.call('%s'): argument %d is too long", name, i + 1);
        args[i] = hlg_string_n(text, (uint32_t)len);
        break;
      default:
        return luaL_error(L,
                          "host.call('%s'): argument %d is a %s; only numbers, booleans and strings cross to the host",
                          name, i + 1, luaL_typename(L, at));
    }
  }
  hlg_val result;
  if (hlg_call_host(name, args, (uint32_t)nargs, &result) != HLG_OK) return luaL_error(L, "%s", hlg_last_host_error());
  switch (result.kind) {
    case HLG_VOID: return 0;
    case HLG_I32: lua_pushinteger(L, result.of.i32); break;
    case HLG_U32: lua_pushinteger(L, result.of.u32); break;
    case HLG_I64: lua_pushinteger(L, result.of.i64); break;
    case HLG_U64:
      if (result.of.u64 <= (uint64_t)LUA_MAXINTEGER)
        lua_pushinteger(L, (lua_Integer)result.of.u64);
      else
        lua_pushnumber(L, (lua_Number)result.of.u64);
      break;
    case HLG_F32: lua_pushnumber(L, result.of.f32); break;
    case HLG_F64: lua_pushnumber(L, result.of.f64); break;
    case HLG_BOOL: lua_pushboolean(L, result.of.boolean); break;
    case HLG_STRING:
    case HLG_BYTES: lua_pushlstring(L, (const char *)result.of.buf.ptr, result.of.buf.len); break;
    default: return luaL_error(L, "host.call('%s'): the host returned a value of unknown kind %d", name, result.kind);
  }
  return 1;
}

/* ------------------------------------------------------------------------ */
/* Eval                                                                     */
/* ------------------------------------------------------------------------ */

struct chunk {
  const char *code;
  size_t len;
};

/* Runs in protected mode: [chunk as light userdata] -> [result text]. The
 * chunk is named after its own text, as luaL_dostring names it, so errors
 * read [string "first line..."]:LINE: message. Text only: no bytecode. */
static int run_chunk(lua_State *L) {
  const struct chunk *chunk = (const struct chunk *)lua_touserdata(L, 1);
  lua_settop(L, 0);
  if (luaL_loadbufferx(L, chunk->code, chunk->len, chunk->code, "t") != LUA_OK) return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  if (lua_gettop(L) == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  luaL_tolstring(L, 1, NULL); /* honours __tostring and __name */
  return 1;
}

/* The message handler: any error object becomes text, as in lua.c (no
 * traceback: the message is the result). */
static int error_text(lua_State *L) {
  if (lua_tostring(L, 1)) return 1;
  if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
  lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  return 1;
}

static uint32_t eval(const hlg_val *args, uint32_t nargs, hlg_val *result) {
  (void)nargs;
  lua_State *L = g_lua;
  struct chunk chunk = {(const char *)args[0].of.buf.ptr, args[0].of.buf.len};
  /* Nothing here allocates outside the protected call. */
  lua_settop(L, 0);
  lua_pushcfunction(L, error_text);
  lua_pushcfunction(L, run_chunk);
  lua_pushlightuserdata(L, &chunk);
  int status = lua_pcall(L, 1, 1, 1);
  size_t len = 0;
  const char *text = lua_tolstring(L, -1, &len); /* a string either way: no conversion, no allocation */
  if (status != LUA_OK) return hlg_error(HLG_ERROR_GUEST_ERROR, text ? text : "Lua error");
  if (len > UINT32_MAX) return hlg_error(HLG_ERROR_TOO_LARGE, "the result is larger than 4 GiB");
  /* Stays on the stack, so valid until the dispatcher has copied it. */
  *result = hlg_string_n(text, (uint32_t)len);
  return HLG_OK;
}

/* ------------------------------------------------------------------------ */
/* Start-up                                                                 */
/* ------------------------------------------------------------------------ */

static void open_library(lua_State *L, const char *name, lua_CFunction open) {
  luaL_requiref(L, name, open, 1);
  lua_pop(L, 1);
}

/* Sets table[name] = nil for each name; the table is on top of the stack. */
static void remove_fields(lua_State *L, const char *const *names) {
  for (; *names; names++) {
    lua_pushnil(L);
    lua_setfield(L, -2, *names);
  }
}

static int open_libraries(lua_State *L) {
  static const char *const base_removed[] = {"dofile", "loadfile", NULL};
  static const char *const os_removed[] = {"execute", "exit",      "getenv",  "remove",
                                           "rename",  "setlocale", "tmpname", NULL};
  static const luaL_Reg host[] = {{"call", host_call}, {NULL, NULL}};
  open_library(L, LUA_GNAME, luaopen_base);
  open_library(L, LUA_COLIBNAME, luaopen_coroutine);
  open_library(L, LUA_TABLIBNAME, luaopen_table);
  open_library(L, LUA_STRLIBNAME, luaopen_string);
  open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);
  open_library(L, LUA_MATHLIBNAME, luaopen_math);
  open_library(L, LUA_OSLIBNAME, luaopen_os);
  lua_pushglobaltable(L);
  remove_fields(L, base_removed);
  lua_pop(L, 1);
  lua_getglobal(L, LUA_OSLIBNAME);
  remove_fields(L, os_removed);
  lua_pop(L, 1);
  luaL_newlib(L, host);
  lua_setglobal(L, "host");
  /* math.random's seed: the sandbox's, not the (constant) clock. */
  uint64_t seed = hlg_random_seed();
  lua_getglobal(L, LUA_MATHLIBNAME);
  lua_getfield(L, -1, "randomseed");
  lua_pushinteger(L, (lua_Integer)seed);
  lua_call(L, 1, 0);
  return 0;
}

void hyperlight_main(void) {
  static const uint8_t string_kind[] = {HLG_STRING};
  lua_State *L = lua_newstate(lua_heap_alloc, NULL);
  if (!L) hlg_abort(LUA_GUEST_ABORT_INIT, "lua_newstate: not enough memory for a Lua state");
  lua_atpanic(L, panic);
  lua_setwarnf(L, warning, NULL);
  lua_pushcfunction(L, open_libraries);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK)
    hlg_abortf(LUA_GUEST_ABORT_INIT, "opening Lua's libraries: %s", lua_tostring(L, -1));
  lua_gc(L, LUA_GCCOLLECT); /* a compact heap in the snapshot */
  g_lua = L;
  if (hlg_register("Eval", eval, HLG_STRING, 1, string_kind) != HLG_OK)
    hlg_abort(LUA_GUEST_ABORT_INIT, "cannot register Eval");
}
