/*
 * pond util layer: what every other layer uses. Errors with a caller-owned
 * message, one allocation wrapper (with fault injection for tests), arenas,
 * a growable byte buffer, logging, JSON helpers over jansson, time, uuids,
 * hashing and small file helpers. Depends on libc, jansson and nothing else
 * of pond's. It also holds the stand-ins for libcurl, libpq and
 * libmicrohttpd that load each on first use (src/util/dynlib.h).
 */
#ifndef POND_UTIL_H
#define POND_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* jansson's JSON value, kept opaque: files that build or read JSON include
 * <jansson.h> themselves. */
typedef struct json_t json_t;

/* pond's version: `pond --version`, and the User-Agent of its requests. */
#define POND_VERSION "0.1.0"

#if defined(__GNUC__)
#define POND_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define POND_PRINTF(fmt, args)
#endif

/* ---- errors ------------------------------------------------------------ */

/* Error codes: 0 is success, failures are negative. */
enum {
	POND_OK = 0,
	POND_ERROR = -1,       /* generic failure */
	POND_ENOMEM = -2,      /* allocation failed */
	POND_EINVAL = -3,      /* bad argument or bad input */
	POND_EIO = -4,         /* file or network IO failed */
	POND_ENOTFOUND = -5,   /* no such table, file, key */
	POND_EEXISTS = -6,     /* already exists */
	POND_ECONFLICT = -7,   /* a concurrent change won */
	POND_ECORRUPT = -8,    /* input is malformed */
	POND_EUNSUPPORTED = -9,/* valid, but not something pond does */
	POND_ESQL = -10,       /* the SQL engine refused a statement */
	POND_ECANCELED = -11,  /* interrupted by the user */
	POND_ELIMIT = -12,     /* a size or count limit was exceeded */
	POND_EUSAGE = -13,     /* bad command line */
};

#define POND_ERROR_MSG_MAX 1024

/* A caller-owned error: one code and one line of message. */
typedef struct pond_error {
	int code;
	char msg[POND_ERROR_MSG_MAX];
} pond_error;

#define POND_ERROR_INIT {0, {0}}

/* Sets code and message (printf style) and returns code, so a failing path
 * reads `return pond_error_set(err, POND_EIO, "could not open %s", path);`.
 * err may be NULL. Newlines in the message become spaces. */
int pond_error_set(pond_error *err, int code, const char *fmt, ...) POND_PRINTF(3, 4);
int pond_error_setv(pond_error *err, int code, const char *fmt, va_list ap);

/* Puts "PREFIX: " before the current message, e.g. a file name. Returns the
 * error's code. */
int pond_error_prefix(pond_error *err, const char *fmt, ...) POND_PRINTF(2, 3);

void pond_error_clear(pond_error *err);

/* A short name for a code ("conflict", "not found"). Never NULL. */
const char *pond_error_code_name(int code);

/* ---- allocation -------------------------------------------------------- */

/* All of pond allocates through these. They return NULL on failure (and for
 * overflowing count*size); callers handle it. */
void *pond_malloc(size_t size);
void *pond_calloc(size_t count, size_t size);
void *pond_realloc(void *ptr, size_t size);
void *pond_reallocarray(void *ptr, size_t count, size_t size);
char *pond_strdup(const char *s);
char *pond_strndup(const char *s, size_t n);
void pond_free(void *ptr);

/* Test hook: make the Nth allocation from now fail (1 = the next one); 0
 * turns it off. Counts across threads. */
void pond_alloc_fail_at(long n);
/* Allocations made since the counter was last reset (for tests). */
long pond_alloc_count(void);

/* Multiplies with an overflow check: false when a*b does not fit. */
bool pond_mul_overflows(size_t a, size_t b, size_t *out);

/* ---- arenas ------------------------------------------------------------ */

/* A region allocator for one scope (a request, a query, a commit): many
 * allocations, one reset. Not thread-safe. */
typedef struct pond_arena pond_arena;

pond_arena *pond_arena_new(void);
void pond_arena_free(pond_arena **arena);
/* Frees everything allocated from the arena, keeping its first block. */
void pond_arena_reset(pond_arena *arena);
/* 16-byte aligned, uninitialised; NULL on failure. */
void *pond_arena_alloc(pond_arena *arena, size_t size);
void *pond_arena_calloc(pond_arena *arena, size_t count, size_t size);
char *pond_arena_strdup(pond_arena *arena, const char *s);
char *pond_arena_strndup(pond_arena *arena, const char *s, size_t n);
char *pond_arena_sprintf(pond_arena *arena, const char *fmt, ...) POND_PRINTF(2, 3);
void *pond_arena_memdup(pond_arena *arena, const void *p, size_t n);
/* Makes room for one more item in an array living in the arena: *items
 * holds count items of item_size in *cap slots; when full it moves to a
 * block twice the size (16 at first). False when out of memory (*items
 * and *cap unchanged). */
bool pond_arena_grow(pond_arena *arena, void **items, size_t count, size_t *cap, size_t item_size);
/* Bytes handed out since the last reset (for limits and tests). */
size_t pond_arena_used(const pond_arena *arena);

/* ---- byte buffers ------------------------------------------------------ */

/* A growable buffer that is always NUL-terminated once anything was put in
 * it. An allocation failure is sticky: later puts do nothing and
 * pond_buf_ok() is false, so a caller checks once at the end. */
typedef struct pond_buf {
	char *ptr;
	size_t len;
	size_t cap;
	bool oom;
} pond_buf;

#define POND_BUF_INIT {NULL, 0, 0, false}

bool pond_buf_reserve(pond_buf *buf, size_t extra);
void pond_buf_put(pond_buf *buf, const void *data, size_t len);
void pond_buf_puts(pond_buf *buf, const char *s);
void pond_buf_putc(pond_buf *buf, char c);
void pond_buf_printf(pond_buf *buf, const char *fmt, ...) POND_PRINTF(2, 3);
void pond_buf_vprintf(pond_buf *buf, const char *fmt, va_list ap);
/* Empties the buffer, keeping its memory. */
void pond_buf_clear(pond_buf *buf);
/* The contents as a C string ("" when empty); borrowed. */
const char *pond_buf_cstr(const pond_buf *buf);
static inline bool pond_buf_ok(const pond_buf *buf) { return !buf->oom; }
/* Hands the memory to the caller (free with pond_free); buffer is reset. */
char *pond_buf_detach(pond_buf *buf);
void pond_buf_dispose(pond_buf *buf);

/* ---- logging ----------------------------------------------------------- */

typedef enum {
	POND_LOG_ERROR = 0,
	POND_LOG_WARN = 1,
	POND_LOG_INFO = 2,
	POND_LOG_DEBUG = 3,
} pond_log_level;

/* Reads POND_LOG (error|warn|info|debug; default warn). Called lazily by
 * pond_log, callable again after changing the environment (tests). */
void pond_log_init(void);
void pond_log_set_level(pond_log_level level);
bool pond_log_enabled(pond_log_level level);
/* One line on stderr: "pond: debug: message". Thread-safe. */
void pond_log(pond_log_level level, const char *fmt, ...) POND_PRINTF(2, 3);

#define pond_debug(...) do { if (pond_log_enabled(POND_LOG_DEBUG)) pond_log(POND_LOG_DEBUG, __VA_ARGS__); } while (0)
#define pond_info(...) do { if (pond_log_enabled(POND_LOG_INFO)) pond_log(POND_LOG_INFO, __VA_ARGS__); } while (0)
#define pond_warn(...) pond_log(POND_LOG_WARN, __VA_ARGS__)

/* ---- JSON (jansson) ---------------------------------------------------- */

/* Parses text; a syntax error names `what` (a file name) with line and
 * column. Caller owns the result (json_decref). Depth is capped by jansson. */
int pond_json_parse(json_t **out, const char *text, size_t len, const char *what, pond_error *err);
/* Reads and parses a file. */
int pond_json_load_file(json_t **out, const char *path, pond_error *err);

/* Typed field getters. A missing field is POND_ENOTFOUND (message names the
 * field and `what`), a field of the wrong type POND_EINVAL. *_opt variants
 * leave *out alone and return 0 when the field is missing. */
int pond_json_get_int(const json_t *obj, const char *key, int64_t *out, const char *what, pond_error *err);
int pond_json_get_int_opt(const json_t *obj, const char *key, int64_t *out, const char *what, pond_error *err);
int pond_json_get_string(const json_t *obj, const char *key, const char **out, const char *what, pond_error *err);
int pond_json_get_string_opt(const json_t *obj, const char *key, const char **out, const char *what, pond_error *err);
int pond_json_get_bool_opt(const json_t *obj, const char *key, bool *out, const char *what, pond_error *err);
int pond_json_get_array(const json_t *obj, const char *key, json_t **out, const char *what, pond_error *err);
int pond_json_get_object(const json_t *obj, const char *key, json_t **out, const char *what, pond_error *err);

/* Serializes compactly with sorted keys off (insertion order kept), into a
 * new string the caller frees with pond_free. NULL on failure. */
char *pond_json_dumps(const json_t *value, bool pretty);

/* Writes `s` as a JSON string literal (quoted, escaped) to buf. */
void pond_json_quote(pond_buf *buf, const char *s, size_t len);

/* ---- time ---------------------------------------------------------------- */

/* Wall clock, milliseconds and microseconds since the Unix epoch. */
int64_t pond_time_now_ms(void);
/* "Now" where a policy measures ages (maintenance, ingest refresh
 * windows): the POND_NOW environment variable when set (milliseconds since
 * the epoch, or a timestamp such as "2030-01-31 12:00:00", UTC), else the
 * clock. Tests move time with it instead of waiting. */
int pond_time_policy_now_ms(int64_t *out, pond_error *err);
/* A duration as people write it, in milliseconds: a number with a unit
 * (ms, s, m, h, d, w; none is seconds), or a sum such as "1d12h" or
 * "1h 30m". False for anything else, a negative number included. */
bool pond_duration_parse(const char *text, int64_t *out_ms);
int64_t pond_time_now_us(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t pond_time_mono_ns(void);

struct timespec;
/* The wall-clock instant ms from now (ms <= 0: now), normalised: the
 * absolute deadline pthread_cond_timedwait takes. */
void pond_time_deadline_in(struct timespec *out, int64_t ms);
/* Sleeps ms milliseconds (not at all when ms <= 0); a signal may end the
 * sleep early. */
void pond_time_sleep_ms(int64_t ms);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t pond_days_from_civil(int64_t y, unsigned m, unsigned d);
void pond_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Formats microseconds since the epoch as "2024-01-31T12:34:56.123456Z"
 * (trailing fraction zeros dropped, UTC). out must hold 40 bytes. */
void pond_time_format_us(char out[40], int64_t us);
/* Formats milliseconds since the epoch as ISO-8601 UTC with milliseconds. */
void pond_time_format_ms(char out[40], int64_t ms);
/* Parses "YYYY-MM-DD", "YYYY-MM-DD[T ]HH:MM[:SS[.ffffff]]" with an optional
 * "Z" or "+HH:MM" offset (none means UTC) into microseconds since the epoch. */
int pond_time_parse_us(const char *s, int64_t *out_us, pond_error *err);

/* ---- identifiers and hashing -------------------------------------------- */

/* A random (version 4) UUID: 16 bytes, and as 36 characters plus NUL. */
void pond_uuid_v4(uint8_t out[16]);
void pond_uuid_format(char out[37], const uint8_t uuid[16]);
void pond_uuid_v4_string(char out[37]);
int pond_uuid_parse(uint8_t out[16], const char *s);

/* Random bytes from the kernel (getrandom), falling back to time-seeded. */
void pond_random_bytes(void *out, size_t len);
/* A uniformly random 63-bit non-negative integer. */
int64_t pond_random_i63(void);

/* MurmurHash3 x86 32-bit, as the Iceberg spec uses for bucketing. */
uint32_t pond_murmur3_32(const void *data, size_t len, uint32_t seed);
/* FNV-1a 64-bit: hash tables inside pond. */
uint64_t pond_hash64(const void *data, size_t len);

/* ---- files --------------------------------------------------------------- */

/* Reads a whole file into a new buffer (NUL-terminated, *len without it);
 * refuses files over max_len. Caller frees with pond_free. */
int pond_file_read(char **out, size_t *len, const char *path, size_t max_len, pond_error *err);
/* Writes a file atomically: a temporary name in the same folder, fsync,
 * rename. Readers see the old file or the new one, never a part. */
int pond_file_write_atomic(const char *path, const void *data, size_t len, pond_error *err);
/* mkdir -p. */
int pond_mkdirs(const char *path, pond_error *err);
bool pond_file_exists(const char *path);
/* Calls fn for every entry of folder dir but "." and "..", with its path,
 * its name and its lstat (symbolic links not followed); entries whose path
 * would not fit PATH_MAX or that cannot be stat'ed are skipped. Stops at
 * the first non-zero return of fn and returns it; -1 when dir cannot be
 * opened. */
struct stat;
typedef int (*pond_dir_fn)(const char *path, const char *name, const struct stat *st, void *payload);
int pond_dir_each(const char *dir, pond_dir_fn fn, void *payload);

/* ---- strings ------------------------------------------------------------- */

bool pond_str_starts_with(const char *s, const char *prefix);
bool pond_str_ends_with(const char *s, const char *suffix);
/* Case-insensitive ASCII equality. */
bool pond_str_ieq(const char *a, const char *b);
/* Parses a whole string as a signed 64-bit integer; false if not one. */
bool pond_str_to_i64(const char *s, int64_t *out);
/* Parses a size: "512MB", "1g", "4 GiB", "1048576" (K, M, G, T in powers of
 * 1024); false unless it is a whole positive number of bytes. */
bool pond_str_to_size(const char *s, int64_t *out);
/* The byte two hex digits (either case) at s[0] and s[1] spell, 0..255, or
 * -1 when either is not a hex digit (s[1] is not read when s[0] is not). */
int pond_hex_byte(const char *s);
/* Whether s[0..len) is UTF-8: no overlong forms, surrogates or values
 * past U+10FFFF (what DuckDB requires of VARCHAR). */
bool pond_utf8_valid(const void *s, size_t len);
/* Appends the standard base64 (RFC 4648, padded) of data to buf. */
void pond_base64_encode(pond_buf *buf, const void *data, size_t len);
/* Appends the URL-safe base64 of data without padding (RFC 4648
 * section 5, as JWTs use it). */
void pond_base64url_encode(pond_buf *buf, const void *data, size_t len);
/* Decodes padded standard base64 text into a new buffer (caller frees
 * with pond_free); POND_ECORRUPT for anything else. */
int pond_base64_decode(unsigned char **out, size_t *len, const char *text, pond_error *err);
/* Appends s to buf as a SQL string literal ('it''s'). */
void pond_sql_quote_literal(pond_buf *buf, const char *s);
/* Appends s to buf as a SQL identifier ("a""b"). */
void pond_sql_quote_ident(pond_buf *buf, const char *s);

/* ---- YAML (libyaml) ------------------------------------------------------ */

typedef enum {
	POND_YAML_SCALAR,
	POND_YAML_SEQ,
	POND_YAML_MAP,
} pond_yaml_kind;

/* A parsed YAML node. Every node knows its line and column (1-based), so a
 * config error names "pond.yml:12:5". Everything lives in the arena given
 * to pond_yaml_parse. */
typedef struct pond_yaml_node pond_yaml_node;
struct pond_yaml_node {
	pond_yaml_kind kind;
	int line, column;
	const char *value;       /* scalar text; "" for an empty scalar */
	bool quoted;             /* scalar was quoted ('x' or "x") */
	size_t count;            /* items of a sequence, pairs of a map */
	pond_yaml_node **items;  /* sequence items */
	const char **keys;       /* map keys, in document order */
	pond_yaml_node **values; /* map values */
	size_t expanded;         /* nodes below and including this one, each
	                            alias counted as its target (capped) */
};

/* Parses one YAML document (an empty document gives an empty map). Anchors
 * and aliases resolve to the same node (never to a node containing the
 * alias, so the tree has no cycles); nesting is limited to 64 levels and a
 * document to a million values with aliases expanded.
 * Errors name `what` (the file) with line and column. */
int pond_yaml_parse(pond_yaml_node **out, const char *text, size_t len, const char *what, pond_arena *arena,
                    pond_error *err);
/* A map's value for key; NULL when absent or when node is not a map. */
const pond_yaml_node *pond_yaml_get(const pond_yaml_node *map, const char *key);
/* True for a scalar that is YAML null (~, null, empty and unquoted). */
bool pond_yaml_is_null(const pond_yaml_node *node);
/* Typed reads of a scalar; errors name what:line:column and the key. */
int pond_yaml_string(const pond_yaml_node *node, const char **out, const char *what, const char *key,
                     pond_error *err);
int pond_yaml_int(const pond_yaml_node *node, int64_t *out, const char *what, const char *key, pond_error *err);
int pond_yaml_bool(const pond_yaml_node *node, bool *out, const char *what, const char *key, pond_error *err);
/* Fails naming the first key of map not in `allowed` (NULL-terminated):
 * "pond.yml:4:1: unknown key \"warehous\"". */
int pond_yaml_check_keys(const pond_yaml_node *map, const char *const *allowed, const char *what,
                         pond_error *err);

#endif
