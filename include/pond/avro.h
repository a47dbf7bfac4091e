/*
 * pond avro layer: Apache Avro 1.11 schemas, a generic value tree, and
 * object container files (read and write) with the null, deflate, snappy and
 * zstandard codecs. It is what Iceberg manifests and manifest lists stand on:
 * record fields keep their Iceberg `field-id`, arrays their `element-id`,
 * maps their `key-id`/`value-id`, and Iceberg's encoding of maps with
 * non-string keys (an array of `k<id>_v<id>` records with logicalType "map")
 * decodes to a map value. Depends on the util layer, jansson, zlib, zstd and
 * snappy.
 *
 * Reading is streaming: a reader holds one block of the file at a time, and
 * decoded values live in an arena the caller gives and resets. Input is
 * untrusted: sizes and counts are checked against the bytes that remain and
 * against limits before anything is allocated, and errors name the byte
 * offset ("could not read avro file x.avro: truncated block at byte 1234").
 */
#ifndef POND_AVRO_H
#define POND_AVRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pond/util.h"

/* ---- schemas --------------------------------------------------------------- */

typedef enum {
	POND_AVRO_NULL = 0,
	POND_AVRO_BOOLEAN,
	POND_AVRO_INT,
	POND_AVRO_LONG,
	POND_AVRO_FLOAT,
	POND_AVRO_DOUBLE,
	POND_AVRO_BYTES,
	POND_AVRO_STRING,
	POND_AVRO_RECORD,
	POND_AVRO_ENUM,
	POND_AVRO_ARRAY,
	POND_AVRO_MAP,
	POND_AVRO_FIXED,
	POND_AVRO_UNION,
} pond_avro_type;

/* Logical types the module knows. A logicalType that is unknown, or invalid
 * for its underlying type (Avro spec: "must be ignored"), is NONE, and the
 * raw name is still in logical_name. */
typedef enum {
	POND_AVRO_LOGICAL_NONE = 0,
	POND_AVRO_LOGICAL_DECIMAL,          /* bytes or fixed; precision, scale */
	POND_AVRO_LOGICAL_UUID,             /* string (or fixed 16) */
	POND_AVRO_LOGICAL_DATE,             /* int: days since 1970-01-01 */
	POND_AVRO_LOGICAL_TIME_MILLIS,      /* int */
	POND_AVRO_LOGICAL_TIME_MICROS,      /* long */
	POND_AVRO_LOGICAL_TIMESTAMP_MILLIS, /* long */
	POND_AVRO_LOGICAL_TIMESTAMP_MICROS, /* long */
	POND_AVRO_LOGICAL_LOCAL_TIMESTAMP_MILLIS,
	POND_AVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS,
	POND_AVRO_LOGICAL_DURATION,         /* fixed 12 */
	POND_AVRO_LOGICAL_ICEBERG_MAP,      /* array of {key, value} records */
} pond_avro_logical;

typedef struct pond_avro_node pond_avro_node;

/* A field of a record. field_id is the Iceberg "field-id" (has_field_id
 * says whether the field had one). default_value is the JSON default or
 * NULL, borrowed from the schema. */
typedef struct pond_avro_field {
	const char *name;
	const pond_avro_node *type;
	int32_t field_id;
	bool has_field_id;
	const json_t *default_value;
} pond_avro_field;

/* One node of a parsed schema; read-only, owned by its pond_avro_schema.
 * Named types referenced twice (or recursively) are the same node. */
struct pond_avro_node {
	pond_avro_type type;
	pond_avro_logical logical;
	const char *logical_name;   /* raw "logicalType" or NULL */
	int precision, scale;       /* decimal */
	const char *name;           /* full name of a record, enum or fixed */
	const json_t *json;         /* the node's JSON (any other attribute) */

	/* record */
	size_t nfields;
	const pond_avro_field *fields;
	/* enum */
	size_t nsymbols;
	const char *const *symbols;
	/* array (items), map (values); an ICEBERG_MAP array has both: key is
	 * the key field's type, values the value field's type */
	const pond_avro_node *items;
	const pond_avro_node *keys;
	const pond_avro_node *values;
	int32_t element_id, key_id, value_id;
	bool has_element_id, has_key_id, has_value_id;
	/* union */
	size_t nbranches;
	const pond_avro_node *const *branches;
	/* fixed */
	size_t size;
};

/* A parsed schema: owns all its nodes. */
typedef struct pond_avro_schema pond_avro_schema;

/* Parses Avro schema JSON text. The caller frees *out with
 * pond_avro_schema_free. Errors name `what` (e.g. the file) when not NULL. */
int pond_avro_schema_parse(pond_avro_schema **out, const char *json_text, size_t len,
                           const char *what, pond_error *err);
/* The same from a jansson value (borrowed; the schema takes a reference). */
int pond_avro_schema_from_json(pond_avro_schema **out, json_t *json, const char *what,
                               pond_error *err);
void pond_avro_schema_free(pond_avro_schema **schema);
/* The root node; borrowed, valid until the schema is freed. */
const pond_avro_node *pond_avro_schema_root(const pond_avro_schema *schema);
/* The schema as compact JSON text (what a writer puts in avro.schema);
 * borrowed. */
const char *pond_avro_schema_json(const pond_avro_schema *schema);

/* A record node's field by Iceberg field id, or by name; NULL when absent.
 * Returns the index through *index when index is not NULL. */
const pond_avro_field *pond_avro_node_field_by_id(const pond_avro_node *record, int32_t field_id, size_t *index);
const pond_avro_field *pond_avro_node_field_by_name(const pond_avro_node *record, const char *name, size_t *index);
/* "int", "record", ... */
const char *pond_avro_type_name(pond_avro_type type);

/* ---- values ---------------------------------------------------------------- */

typedef struct pond_avro_value pond_avro_value;
typedef struct pond_avro_map_entry {
	pond_avro_value *key;      /* a string, or any type for ICEBERG_MAP */
	pond_avro_value *value;
} pond_avro_map_entry;

/* A generic value. Unions are resolved: a value is never of type UNION, and
 * `branch` is the union branch it was read from (-1 outside unions).
 * `schema` is the node the value was decoded with or built for (may be NULL
 * for a built scalar). Strings are NUL-terminated; bytes.len excludes it. */
struct pond_avro_value {
	pond_avro_type type;
	int32_t branch;
	const pond_avro_node *schema;
	union {
		bool boolean;
		int32_t i32;            /* INT */
		int64_t i64;            /* LONG */
		float f32;
		double f64;
		struct { const uint8_t *ptr; size_t len; } bytes;  /* BYTES, STRING, FIXED */
		struct { int32_t index; const char *symbol; } enm;
		struct { size_t count; pond_avro_value **items; } array;
		struct { size_t count; pond_avro_map_entry *entries; } map;
		struct { size_t count; pond_avro_value **fields; } record; /* schema order */
	} u;
};

/* Field of a record value: by Iceberg field id first, then by name (writers
 * renamed fields between versions, ids stay). Either may be -1/NULL to skip.
 * Borrowed; NULL when the record has no such field. A present field whose
 * value is null is a value of type NULL. */
const pond_avro_value *pond_avro_record_get(const pond_avro_value *record, int32_t field_id, const char *name);
const pond_avro_value *pond_avro_record_get_by_id(const pond_avro_value *record, int32_t field_id);
const pond_avro_value *pond_avro_record_get_by_name(const pond_avro_value *record, const char *name);

/* Scalar accessors: true and *out set when the value has that type (an INT
 * also reads as a long, a FLOAT as a double). */
bool pond_avro_value_is_null(const pond_avro_value *value);
bool pond_avro_value_get_long(const pond_avro_value *value, int64_t *out);
bool pond_avro_value_get_double(const pond_avro_value *value, double *out);
/* Strings return the text; bytes and fixed too (not NUL-safe then). */
const char *pond_avro_value_get_string(const pond_avro_value *value);

/* Building values to write. Everything is allocated from `arena`; NULL when
 * an allocation fails. Strings and bytes are copied. */
pond_avro_value *pond_avro_value_null(pond_arena *arena);
pond_avro_value *pond_avro_value_boolean(pond_arena *arena, bool v);
pond_avro_value *pond_avro_value_int(pond_arena *arena, int32_t v);
pond_avro_value *pond_avro_value_long(pond_arena *arena, int64_t v);
pond_avro_value *pond_avro_value_float(pond_arena *arena, float v);
pond_avro_value *pond_avro_value_double(pond_arena *arena, double v);
pond_avro_value *pond_avro_value_string(pond_arena *arena, const char *s);
pond_avro_value *pond_avro_value_bytes(pond_arena *arena, const void *p, size_t len);
pond_avro_value *pond_avro_value_fixed(pond_arena *arena, const void *p, size_t len);
pond_avro_value *pond_avro_value_enum(pond_arena *arena, const pond_avro_node *enum_node, int32_t index);
/* Containers with `count` slots (NULL-initialised) for the caller to fill. */
pond_avro_value *pond_avro_value_array(pond_arena *arena, size_t count);
pond_avro_value *pond_avro_value_map(pond_arena *arena, size_t count);
/* A record for `record_node` with every field NULL; fill with
 * pond_avro_record_set. A field left NULL is written as null (when its type
 * allows null) or its schema default. */
pond_avro_value *pond_avro_value_record(pond_arena *arena, const pond_avro_node *record_node);
/* Sets a field by name; false when the record has no such field. */
bool pond_avro_record_set(pond_avro_value *record, const char *name, pond_avro_value *value);

/* Appends the value as JSON to buf in the shape of Avro's JSON encoding with
 * unions unwrapped: records and maps as objects, bytes and fixed as lower
 * case hex strings, enums as their symbol, ICEBERG_MAP as an array of
 * {"key","value"} objects. Doubles print with %.17g. */
void pond_avro_value_to_json(pond_buf *buf, const pond_avro_value *value);

/* ---- codecs ---------------------------------------------------------------- */

typedef enum {
	POND_AVRO_CODEC_NULL = 0,
	POND_AVRO_CODEC_DEFLATE,
	POND_AVRO_CODEC_SNAPPY,
	POND_AVRO_CODEC_ZSTANDARD,
} pond_avro_codec;

/* "null", "deflate", "snappy", "zstandard". */
const char *pond_avro_codec_name(pond_avro_codec codec);
int pond_avro_codec_from_name(pond_avro_codec *out, const char *name, pond_error *err);

/* ---- reading container files ----------------------------------------------- */

/* Limits on untrusted input. */
#define POND_AVRO_MAX_BLOCK_BYTES ((size_t)64 << 20)     /* compressed or not */
#define POND_AVRO_MAX_HEADER_BYTES ((size_t)16 << 20)
#define POND_AVRO_MAX_DEPTH 64

/* Where a reader's bytes come from: fill up to `len` bytes at `buf`, set
 * *nread (0 only at end of input), return 0 or a negative code with err
 * set. */
typedef int (*pond_avro_read_fn)(void *buf, size_t len, size_t *nread, void *payload, pond_error *err);

typedef struct pond_avro_reader pond_avro_reader;

/* Opens a container file and reads its header. The caller closes *out with
 * pond_avro_reader_close. */
int pond_avro_reader_open_file(pond_avro_reader **out, const char *path, pond_error *err);
/* Reads from memory; `data` is borrowed and must outlive the reader. `name`
 * is used in error messages (copied). */
int pond_avro_reader_open_memory(pond_avro_reader **out, const void *data, size_t len,
                                 const char *name, pond_error *err);
/* The same, taking over `data` (from pond_malloc): the reader frees it on
 * close, and at once when opening fails. */
int pond_avro_reader_open_memory_owned(pond_avro_reader **out, void *data, size_t len, const char *name,
                                       pond_error *err);
/* Reads through a callback (e.g. an HTTP body). `size_hint` is the total
 * length when known (0 if not), used to reject oversized blocks early. */
int pond_avro_reader_open_stream(pond_avro_reader **out, pond_avro_read_fn read, void *payload,
                                 uint64_t size_hint, const char *name, pond_error *err);
void pond_avro_reader_close(pond_avro_reader **reader);

/* The writer's schema from the file; borrowed, valid until close. */
const pond_avro_schema *pond_avro_reader_schema(const pond_avro_reader *reader);
pond_avro_codec pond_avro_reader_codec(const pond_avro_reader *reader);
/* A file metadata value by key ("schema", "format-version", "avro.codec"),
 * NUL-terminated, length through *len when not NULL; borrowed; NULL when
 * absent. */
const char *pond_avro_reader_meta(const pond_avro_reader *reader, const char *key, size_t *len);
/* The metadata entries in file order: false when i is out of range. */
bool pond_avro_reader_meta_at(const pond_avro_reader *reader, size_t i, const char **key,
                              const char **value, size_t *len);

/* Decodes the next record into `arena` (the caller resets it per record or
 * per block; *out lives until then). Returns 1 with *out set, 0 at the end
 * of the file, or a negative code. After an error the reader only returns
 * that error again. */
int pond_avro_reader_next(pond_avro_reader *reader, pond_arena *arena, const pond_avro_value **out,
                          pond_error *err);
/* Bytes the reader holds for blocks (compressed and decoded), for tests of
 * bounded memory. */
size_t pond_avro_reader_buffer_bytes(const pond_avro_reader *reader);
/* Records read so far. */
uint64_t pond_avro_reader_records(const pond_avro_reader *reader);

/* ---- writing container files ----------------------------------------------- */

typedef struct pond_avro_writer_options {
	pond_avro_codec codec;
	int level;             /* compression level; 0 = the codec's default */
	size_t block_bytes;    /* flush a block when it reaches this many bytes */
} pond_avro_writer_options;

#define POND_AVRO_WRITER_OPTIONS_INIT {POND_AVRO_CODEC_NULL, 0, 64 * 1024}

/* Where a writer's bytes go: write all `len` bytes, or return a negative
 * code with err set. */
typedef int (*pond_avro_write_fn)(const void *data, size_t len, void *payload, pond_error *err);

typedef struct pond_avro_writer pond_avro_writer;

/* Creates `path` (failing if it exists: files are never overwritten) and
 * writes a container file with `schema` (borrowed: it must outlive the
 * writer). opts may be NULL for the defaults. Free with
 * pond_avro_writer_free; a writer freed before pond_avro_writer_finish
 * removes the file. */
int pond_avro_writer_open_file(pond_avro_writer **out, const char *path, const pond_avro_schema *schema,
                               const pond_avro_writer_options *opts, pond_error *err);
/* Appends the file to `buf` (borrowed; it must outlive the writer). */
int pond_avro_writer_open_buf(pond_avro_writer **out, pond_buf *buf, const pond_avro_schema *schema,
                              const pond_avro_writer_options *opts, pond_error *err);
int pond_avro_writer_open_stream(pond_avro_writer **out, pond_avro_write_fn write, void *payload,
                                 const char *name, const pond_avro_schema *schema,
                                 const pond_avro_writer_options *opts, pond_error *err);
/* Where a writer's bytes go when the file needs a last step once they are
 * all out (an upload): write takes the bytes; finish, called by
 * pond_avro_writer_finish after the last of them, makes the file visible,
 * and its failure fails the finish; free (always called, when the writer
 * is freed or cannot be made) releases payload, which the writer owns
 * from the call on. finish and free may be NULL. */
typedef struct pond_avro_sink {
	pond_avro_write_fn write;
	int (*finish)(void *payload, pond_error *err);
	void (*free)(void *payload);
	void *payload;
} pond_avro_sink;
int pond_avro_writer_open_sink(pond_avro_writer **out, const pond_avro_sink *sink, const char *name,
                               const pond_avro_schema *schema, const pond_avro_writer_options *opts,
                               pond_error *err);
/* Adds a file metadata entry (copied). Only before the first append; keys
 * starting with "avro." are reserved. */
int pond_avro_writer_set_meta(pond_avro_writer *writer, const char *key, const void *value, size_t len,
                              pond_error *err);
int pond_avro_writer_set_meta_string(pond_avro_writer *writer, const char *key, const char *value,
                                     pond_error *err);
/* Encodes one value of the schema's root type (the value is not kept). A
 * record value built for another node is matched field by field (by id,
 * then name). Flushes a block when it is full. */
int pond_avro_writer_append(pond_avro_writer *writer, const pond_avro_value *value, pond_error *err);
/* Writes the last block (and the header of an empty file) and closes the
 * file. The writer must still be freed. */
int pond_avro_writer_finish(pond_avro_writer *writer, pond_error *err);
void pond_avro_writer_free(pond_avro_writer **writer);
/* Records appended so far, and bytes the writer holds for its block. */
uint64_t pond_avro_writer_records(const pond_avro_writer *writer);
size_t pond_avro_writer_buffer_bytes(const pond_avro_writer *writer);

/* ---- raw binary encoding ----------------------------------------------------- */

/* Encodes one value with `node` (Avro binary encoding, no container) onto
 * buf. */
int pond_avro_encode(pond_buf *buf, const pond_avro_node *node, const pond_avro_value *value, pond_error *err);
/* Decodes one value of `node` from data[0..len), advancing *pos. Errors
 * name the byte offset base + *pos. */
int pond_avro_decode(const pond_avro_value **out, const pond_avro_node *node, const uint8_t *data, size_t len,
                     size_t *pos, pond_arena *arena, uint64_t base, pond_error *err);

#endif
