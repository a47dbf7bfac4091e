/*
 * pond iceberg layer: the Apache Iceberg table format as the spec defines it.
 * Types and schemas, typed single values (literals), partition transforms and
 * specs, sort orders, the single-value binary encoding of bounds, table
 * metadata JSON (v1 and v2 read, v2 written) and the metadata updates and
 * requirements of the REST catalog's CommitTableRequest, which are the only
 * way pond changes table metadata. Depends on pond/util.h (errors, arenas,
 * JSON) and zlib.
 *
 * Memory: parsed objects live in a pond_arena. pond_iceberg_metadata and
 * pond_iceberg_commit own their arena; everything reachable from them is
 * borrowed and lives until the matching _free.
 */
#ifndef POND_ICEBERG_H
#define POND_ICEBERG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pond/util.h"

__extension__ typedef __int128 pond_int128;

/* ---- types --------------------------------------------------------------- */

typedef enum pond_iceberg_type_id {
	POND_ICEBERG_BOOLEAN = 1,
	POND_ICEBERG_INT,
	POND_ICEBERG_LONG,
	POND_ICEBERG_FLOAT,
	POND_ICEBERG_DOUBLE,
	POND_ICEBERG_DECIMAL,
	POND_ICEBERG_DATE,
	POND_ICEBERG_TIME,
	POND_ICEBERG_TIMESTAMP,
	POND_ICEBERG_TIMESTAMPTZ,
	POND_ICEBERG_TIMESTAMP_NS,
	POND_ICEBERG_TIMESTAMPTZ_NS,
	POND_ICEBERG_STRING,
	POND_ICEBERG_UUID,
	POND_ICEBERG_FIXED,
	POND_ICEBERG_BINARY,
	POND_ICEBERG_STRUCT,
	POND_ICEBERG_LIST,
	POND_ICEBERG_MAP,
} pond_iceberg_type_id;

typedef struct pond_iceberg_type pond_iceberg_type;

/* A struct field (also used for a schema's top-level columns). */
typedef struct pond_iceberg_field {
	int32_t id;
	const char *name;
	bool required;
	pond_iceberg_type *type;
	const char *doc;             /* NULL when absent */
	const char *initial_default; /* the JSON text of the value; NULL when absent */
	const char *write_default;   /* the JSON text of the value; NULL when absent */
} pond_iceberg_field;

struct pond_iceberg_type {
	pond_iceberg_type_id id;
	int32_t precision, scale; /* decimal(P,S) */
	int32_t length;           /* fixed[L] */
	/* struct */
	size_t nfields;
	pond_iceberg_field *fields;
	/* list */
	int32_t element_id;
	bool element_required;
	pond_iceberg_type *element;
	/* map */
	int32_t key_id, value_id;
	bool value_required;
	pond_iceberg_type *key, *value;
};

bool pond_iceberg_type_is_primitive(const pond_iceberg_type *type);
/* Structural equality, field ids, names, docs and defaults included. */
bool pond_iceberg_type_equal(const pond_iceberg_type *a, const pond_iceberg_type *b);
/* A primitive type's spec name ("long", "decimal(9,2)", "fixed[16]"); nested
 * types give "struct", "list", "map". out holds 40 bytes. */
void pond_iceberg_type_format(char out[40], const pond_iceberg_type *type);
/* A primitive type from its spec name; the type lives in arena. */
int pond_iceberg_type_parse_primitive(pond_iceberg_type **out, const char *name, pond_arena *arena,
                                      pond_error *err);
/* A type from its JSON form (Appendix C): a string or a struct/list/map object.
 * `what` names the input for messages. Nesting is limited to 64 levels. */
int pond_iceberg_type_from_json(pond_iceberg_type **out, const json_t *json, pond_arena *arena,
                                const char *what, pond_error *err);
/* The JSON form; a new reference, NULL on allocation failure. */
json_t *pond_iceberg_type_to_json(const pond_iceberg_type *type);
/* A deep copy into arena. */
pond_iceberg_type *pond_iceberg_type_copy(const pond_iceberg_type *type, pond_arena *arena);

/* ---- schemas ------------------------------------------------------------- */

typedef struct pond_iceberg_schema {
	int32_t schema_id;
	pond_iceberg_type *root; /* a struct */
	size_t nidentifier_field_ids;
	int32_t *identifier_field_ids;
} pond_iceberg_schema;

/* A schema object ({"type":"struct","schema-id":..,"fields":[..]}); a missing
 * schema-id reads as 0. */
int pond_iceberg_schema_from_json(pond_iceberg_schema **out, const json_t *json, pond_arena *arena,
                                  const char *what, pond_error *err);
json_t *pond_iceberg_schema_to_json(const pond_iceberg_schema *schema);
/* The field with this id anywhere in the schema (list elements and map keys
 * and values are not fields); NULL when absent. Borrowed. */
const pond_iceberg_field *pond_iceberg_schema_find_field(const pond_iceberg_schema *schema, int32_t field_id);
/* The field at a dotted path of struct field names ("address.city"); NULL
 * when absent. Borrowed. */
const pond_iceberg_field *pond_iceberg_schema_find_name(const pond_iceberg_schema *schema, const char *name);
/* The dotted name of a field id into buf; false when absent. List elements
 * are "element", map parts "key" and "value", as Java names them. */
bool pond_iceberg_schema_field_name(pond_buf *buf, const pond_iceberg_schema *schema, int32_t field_id);
/* The highest id of any field, list element or map key/value; 0 when none. */
int32_t pond_iceberg_schema_highest_field_id(const pond_iceberg_schema *schema);
/* A copy of schema with fresh ids 1.. (top-level fields first, then nested,
 * as Java assigns them); *last_column_id gets the highest. */
int pond_iceberg_schema_assign_fresh_ids(pond_iceberg_schema **out, const pond_iceberg_schema *schema,
                                         int32_t *last_column_id, pond_arena *arena, pond_error *err);
/* The same with ids after+1.. (a table's next schema: ids are never reused). */
int pond_iceberg_schema_assign_ids_after(pond_iceberg_schema **out, const pond_iceberg_schema *schema, int32_t after,
                                         int32_t *last_column_id, pond_arena *arena, pond_error *err);
pond_iceberg_schema *pond_iceberg_schema_copy(const pond_iceberg_schema *schema, pond_arena *arena);

/* ---- literals (typed single values) ------------------------------------- */

/* A value of a primitive type. Dates are days since 1970-01-01; times and
 * timestamps microseconds (timestamp_ns: nanoseconds); decimals an unscaled
 * value with the type's scale. String, binary and fixed point at bytes that
 * the literal does not own. */
typedef struct pond_iceberg_literal {
	pond_iceberg_type_id type;
	bool is_null;
	int32_t scale; /* decimal */
	union {
		bool b;
		int32_t i32;   /* int, date */
		int64_t i64;   /* long, time, timestamp(tz)(_ns) */
		float f32;
		double f64;
		pond_int128 dec;
		uint8_t uuid[16];
		struct {
			const uint8_t *ptr;
			size_t len;
		} bytes; /* string (UTF-8), binary, fixed */
	} v;
} pond_iceberg_literal;

pond_iceberg_literal pond_iceberg_literal_null(pond_iceberg_type_id type);
pond_iceberg_literal pond_iceberg_literal_bool(bool v);
pond_iceberg_literal pond_iceberg_literal_int(int32_t v);
pond_iceberg_literal pond_iceberg_literal_long(int64_t v);
pond_iceberg_literal pond_iceberg_literal_float(float v);
pond_iceberg_literal pond_iceberg_literal_double(double v);
pond_iceberg_literal pond_iceberg_literal_decimal(pond_int128 unscaled, int32_t scale);
pond_iceberg_literal pond_iceberg_literal_date(int32_t days);
pond_iceberg_literal pond_iceberg_literal_time(int64_t micros);
pond_iceberg_literal pond_iceberg_literal_timestamp(int64_t micros);
pond_iceberg_literal pond_iceberg_literal_timestamptz(int64_t micros);
pond_iceberg_literal pond_iceberg_literal_string(const char *s, size_t len);
pond_iceberg_literal pond_iceberg_literal_binary(const void *p, size_t len);
pond_iceberg_literal pond_iceberg_literal_fixed(const void *p, size_t len);
pond_iceberg_literal pond_iceberg_literal_uuid(const uint8_t uuid[16]);

/* Orders two non-null literals of the same type: <0, 0, >0. Strings and
 * bytes compare as unsigned bytes (for UTF-8, code point order); floats
 * order -0 before 0 and NaN last. Decimals of different scale compare by
 * value. Returns 0 for mismatched types (a caller error). */
int pond_iceberg_literal_compare(const pond_iceberg_literal *a, const pond_iceberg_literal *b);
bool pond_iceberg_literal_equal(const pond_iceberg_literal *a, const pond_iceberg_literal *b);
/* The literal as text, as Java's toHumanString writes it in partition
 * paths: dates "2024-01-31", times and timestamps as Java's LocalTime and
 * LocalDateTime print them ("10:11", "10:11:12.500"), timestamptz with a
 * "Z" suffix, decimals "14.20", uuids in 8-4-4-4-12 form, binary and fixed
 * as base64, null as "null". */
void pond_iceberg_literal_to_text(pond_buf *out, const pond_iceberg_literal *lit);
/* Parses text in the forms above (booleans true/false, integers, floats,
 * decimals with up to the type's scale; timestamps also with an offset)
 * into a literal of `type` (a primitive). Bytes are copied into arena. */
int pond_iceberg_literal_from_text(pond_iceberg_literal *out, const pond_iceberg_type *type, const char *text,
                                   pond_arena *arena, pond_error *err);

/* ---- bounds: single-value binary serialization (spec Appendix D) -------- */

/* Appends the binary form of a non-null literal to out. */
void pond_iceberg_bound_encode(pond_buf *out, const pond_iceberg_literal *lit);
/* Reads the binary form for `type`. String/binary/fixed point into data
 * (not copied). */
int pond_iceberg_bound_decode(pond_iceberg_literal *out, const pond_iceberg_type *type, const void *data,
                              size_t len, pond_error *err);
/* Minimal big-endian two's complement bytes of v (1..16 bytes), as Java's
 * BigInteger.toByteArray; returns the length. */
size_t pond_iceberg_int128_to_be(uint8_t out[16], pond_int128 v);

/* ---- transforms ---------------------------------------------------------- */

typedef enum pond_iceberg_transform_kind {
	POND_ICEBERG_IDENTITY = 1,
	POND_ICEBERG_BUCKET,
	POND_ICEBERG_TRUNCATE,
	POND_ICEBERG_YEAR,
	POND_ICEBERG_MONTH,
	POND_ICEBERG_DAY,
	POND_ICEBERG_HOUR,
	POND_ICEBERG_VOID,
} pond_iceberg_transform_kind;

typedef struct pond_iceberg_transform {
	pond_iceberg_transform_kind kind;
	int32_t param; /* bucket count N or truncate width W */
} pond_iceberg_transform;

/* "identity", "bucket[16]", "truncate[4]", "year", "month", "day", "hour",
 * "void". */
int pond_iceberg_transform_parse(pond_iceberg_transform *out, const char *text, pond_error *err);
/* The spec string of a transform; out holds 32 bytes. */
void pond_iceberg_transform_format(char out[32], pond_iceberg_transform t);
/* Whether the transform accepts values of this source type. */
bool pond_iceberg_transform_accepts(pond_iceberg_transform t, const pond_iceberg_type *source);
/* The result type (spec "Partition Transforms" table) for a source type the
 * transform accepts; POND_EINVAL naming both otherwise. */
int pond_iceberg_transform_result_type(pond_iceberg_type **out, pond_iceberg_transform t,
                                       const pond_iceberg_type *source, pond_arena *arena, pond_error *err);
/* Applies the transform to a value of the source type. Null in gives null
 * out; truncated strings point into the input. */
int pond_iceberg_transform_apply(pond_iceberg_literal *out, pond_iceberg_transform t,
                                 const pond_iceberg_literal *in, pond_error *err);
/* The spec's 32-bit hash of a non-null value (Appendix B). */
int32_t pond_iceberg_hash(const pond_iceberg_literal *lit);
/* A transform result as Java's toHumanString writes it in partition paths:
 * year "2024", month "2024-01", day "2024-01-31", hour "2024-01-31-10",
 * "null" for null, otherwise the literal's text. */
void pond_iceberg_transform_human(pond_buf *out, pond_iceberg_transform t, const pond_iceberg_literal *result);

/* ---- partition specs ----------------------------------------------------- */

typedef struct pond_iceberg_partition_field {
	int32_t source_id;
	int32_t field_id;
	const char *name;
	pond_iceberg_transform transform;
} pond_iceberg_partition_field;

typedef struct pond_iceberg_partition_spec {
	int32_t spec_id;
	size_t nfields;
	pond_iceberg_partition_field *fields;
} pond_iceberg_partition_spec;

#define POND_ICEBERG_PARTITION_FIELD_START 1000

/* A spec object ({"spec-id":..,"fields":[..]}) or, for v1's "partition-spec",
 * a bare array of fields. Missing field-ids (v1) are assigned from
 * *next_field_id (1000 when NULL), which advances. */
int pond_iceberg_partition_spec_from_json(pond_iceberg_partition_spec **out, const json_t *json,
                                          int32_t *next_field_id, pond_arena *arena, const char *what,
                                          pond_error *err);
json_t *pond_iceberg_partition_spec_to_json(const pond_iceberg_partition_spec *spec);
/* Checks every source id exists in schema and its transform accepts it. */
int pond_iceberg_partition_spec_check(const pond_iceberg_partition_spec *spec,
                                      const pond_iceberg_schema *schema, pond_error *err);
/* The struct type of partition tuples (field ids are the partition field
 * ids; all optional). */
int pond_iceberg_partition_spec_type(pond_iceberg_type **out, const pond_iceberg_partition_spec *spec,
                                     const pond_iceberg_schema *schema, pond_arena *arena, pond_error *err);
/* Appends the partition path "a=1/ts_day=2024-01-01" for a tuple of
 * transform results (one per spec field), names and values URL-escaped as
 * Java does. */
void pond_iceberg_partition_path(pond_buf *out, const pond_iceberg_partition_spec *spec,
                                 const pond_iceberg_literal *values);
int32_t pond_iceberg_partition_spec_highest_field_id(const pond_iceberg_partition_spec *spec);

/* ---- sort orders --------------------------------------------------------- */

typedef struct pond_iceberg_sort_field {
	pond_iceberg_transform transform;
	int32_t source_id;
	bool descending;
	bool nulls_first;
} pond_iceberg_sort_field;

typedef struct pond_iceberg_sort_order {
	int32_t order_id; /* 0 is the unsorted order */
	size_t nfields;
	pond_iceberg_sort_field *fields;
} pond_iceberg_sort_order;

int pond_iceberg_sort_order_from_json(pond_iceberg_sort_order **out, const json_t *json, pond_arena *arena,
                                      const char *what, pond_error *err);
json_t *pond_iceberg_sort_order_to_json(const pond_iceberg_sort_order *order);

/* ---- table metadata ------------------------------------------------------ */

typedef struct pond_iceberg_kv {
	const char *key;
	const char *value;
} pond_iceberg_kv;

typedef struct pond_iceberg_snapshot {
	int64_t snapshot_id;
	bool has_parent;
	int64_t parent_snapshot_id;
	int64_t sequence_number; /* 0 for v1 */
	int64_t timestamp_ms;
	const char *manifest_list; /* NULL for v1 snapshots that list manifests */
	size_t nmanifests;
	const char **manifests;
	const char *operation; /* summary "operation"; NULL when no summary */
	size_t nsummary;       /* the other summary entries */
	pond_iceberg_kv *summary;
	bool has_schema_id;
	int32_t schema_id;
	json_t *extra; /* unknown keys, kept for re-serialization; may be NULL */
} pond_iceberg_snapshot;

typedef struct pond_iceberg_ref {
	const char *name;
	bool is_tag;
	int64_t snapshot_id;
	int64_t max_ref_age_ms;         /* -1 when absent */
	int64_t max_snapshot_age_ms;    /* -1 when absent (branches only) */
	int32_t min_snapshots_to_keep;  /* -1 when absent (branches only) */
} pond_iceberg_ref;

typedef struct pond_iceberg_snapshot_log_entry {
	int64_t timestamp_ms;
	int64_t snapshot_id;
} pond_iceberg_snapshot_log_entry;

typedef struct pond_iceberg_metadata_log_entry {
	int64_t timestamp_ms;
	const char *metadata_file;
} pond_iceberg_metadata_log_entry;

#define POND_ICEBERG_NO_SNAPSHOT (-1)

typedef struct pond_iceberg_metadata {
	pond_arena *arena; /* owns everything below except the json_t values */
	int format_version;
	const char *table_uuid;
	const char *location;
	int64_t last_sequence_number;
	int64_t last_updated_ms;
	int32_t last_column_id;
	size_t nschemas;
	pond_iceberg_schema **schemas;
	int32_t current_schema_id;
	size_t nspecs;
	pond_iceberg_partition_spec **specs;
	int32_t default_spec_id;
	int32_t last_partition_id;
	size_t nsort_orders;
	pond_iceberg_sort_order **sort_orders;
	int32_t default_sort_order_id;
	size_t nproperties;
	pond_iceberg_kv *properties;
	int64_t current_snapshot_id; /* POND_ICEBERG_NO_SNAPSHOT when none */
	size_t nsnapshots;
	pond_iceberg_snapshot *snapshots;
	size_t nsnapshot_log;
	pond_iceberg_snapshot_log_entry *snapshot_log;
	size_t nmetadata_log;
	pond_iceberg_metadata_log_entry *metadata_log;
	size_t nrefs;
	pond_iceberg_ref *refs;
	json_t *statistics;           /* array kept as read; NULL when absent */
	json_t *partition_statistics; /* array kept as read; NULL when absent */
	json_t *extra;                /* unknown top-level keys; NULL when none */
} pond_iceberg_metadata;

/* Parses and validates metadata JSON text (gzip-compressed text too, known
 * by its magic bytes). `what` names the file in messages. v1 and v2 are
 * read; v3 is refused with POND_EUNSUPPORTED. Caller frees *out. */
int pond_iceberg_metadata_parse(pond_iceberg_metadata **out, const void *data, size_t len, const char *what,
                                pond_error *err);
int pond_iceberg_metadata_from_json(pond_iceberg_metadata **out, const json_t *json, const char *what,
                                    pond_error *err);
/* The JSON of a metadata file's bytes (gzip-compressed too), for a caller
 * that keeps it to build metadata from more than once
 * (pond_iceberg_metadata_from_json). Caller json_decrefs *out. */
int pond_iceberg_metadata_json(json_t **out, const void *data, size_t len, const char *what, pond_error *err);
/* The largest metadata file read, inflated or not. */
#define POND_ICEBERG_METADATA_MAX_BYTES ((size_t)256 << 20)
/* Reads a metadata file ("*.metadata.json" or "*.gz.metadata.json"). */
int pond_iceberg_metadata_load_file(pond_iceberg_metadata **out, const char *path, pond_error *err);
void pond_iceberg_metadata_free(pond_iceberg_metadata **md);
/* Checks the spec's invariants (ids resolve, ids unique, sequence numbers);
 * the message names the field that is wrong. */
int pond_iceberg_metadata_validate(const pond_iceberg_metadata *md, const char *what, pond_error *err);
/* The v2 JSON form (format-version 2, whatever was read). */
int pond_iceberg_metadata_to_json(json_t **out, const pond_iceberg_metadata *md, pond_error *err);
/* The JSON text; caller frees *out with pond_free. */
int pond_iceberg_metadata_serialize(char **out, const pond_iceberg_metadata *md, bool pretty, pond_error *err);
/* A deep copy with its own arena. */
int pond_iceberg_metadata_copy(pond_iceberg_metadata **out, const pond_iceberg_metadata *md, pond_error *err);

/* Borrowed lookups; NULL when absent. */
const pond_iceberg_schema *pond_iceberg_metadata_schema(const pond_iceberg_metadata *md, int32_t schema_id);
const pond_iceberg_schema *pond_iceberg_metadata_current_schema(const pond_iceberg_metadata *md);
const pond_iceberg_partition_spec *pond_iceberg_metadata_spec(const pond_iceberg_metadata *md, int32_t spec_id);
const pond_iceberg_partition_spec *pond_iceberg_metadata_default_spec(const pond_iceberg_metadata *md);
const pond_iceberg_sort_order *pond_iceberg_metadata_sort_order(const pond_iceberg_metadata *md, int32_t order_id);
const pond_iceberg_snapshot *pond_iceberg_metadata_snapshot(const pond_iceberg_metadata *md, int64_t snapshot_id);
const pond_iceberg_snapshot *pond_iceberg_metadata_current_snapshot(const pond_iceberg_metadata *md);
const pond_iceberg_ref *pond_iceberg_metadata_ref(const pond_iceberg_metadata *md, const char *name);
const char *pond_iceberg_metadata_property(const pond_iceberg_metadata *md, const char *key);
/* A property read as a boolean ("true"/"false", any case) or an integer;
 * dflt when it is absent or not one. */
bool pond_iceberg_metadata_property_bool(const pond_iceberg_metadata *md, const char *key, bool dflt);
int64_t pond_iceberg_metadata_property_i64(const pond_iceberg_metadata *md, const char *key, int64_t dflt);

/* The next metadata file name: "00000-<uuid>.metadata.json" when previous is
 * NULL, else the 5-digit version parsed from previous (a name or a path) plus
 * one. out holds 64 bytes. */
int pond_iceberg_metadata_file_name(char out[64], const char *previous, pond_error *err);

/* ---- updates and requirements (REST CommitTableRequest) ------------------ */

typedef enum pond_iceberg_update_action {
	POND_ICEBERG_ASSIGN_UUID = 1,
	POND_ICEBERG_UPGRADE_FORMAT_VERSION,
	POND_ICEBERG_ADD_SCHEMA,
	POND_ICEBERG_SET_CURRENT_SCHEMA,
	POND_ICEBERG_ADD_SPEC,
	POND_ICEBERG_SET_DEFAULT_SPEC,
	POND_ICEBERG_ADD_SORT_ORDER,
	POND_ICEBERG_SET_DEFAULT_SORT_ORDER,
	POND_ICEBERG_ADD_SNAPSHOT,
	POND_ICEBERG_SET_SNAPSHOT_REF,
	POND_ICEBERG_REMOVE_SNAPSHOTS,
	POND_ICEBERG_REMOVE_SNAPSHOT_REF,
	POND_ICEBERG_SET_LOCATION,
	POND_ICEBERG_SET_PROPERTIES,
	POND_ICEBERG_REMOVE_PROPERTIES,
} pond_iceberg_update_action;

/* One update; the members its action uses are set, others zero. */
typedef struct pond_iceberg_update {
	pond_iceberg_update_action action;
	const char *uuid;                      /* assign-uuid */
	int format_version;                    /* upgrade-format-version */
	const pond_iceberg_schema *schema;     /* add-schema */
	int32_t last_column_id;                /* add-schema; 0 = the schema's highest id */
	int32_t id;                            /* set-current-schema, set-default-spec,
	                                          set-default-sort-order: -1 = last added */
	const pond_iceberg_partition_spec *spec;     /* add-spec */
	const pond_iceberg_sort_order *sort_order;   /* add-sort-order */
	const pond_iceberg_snapshot *snapshot;       /* add-snapshot */
	pond_iceberg_ref ref;                  /* set-snapshot-ref; remove-snapshot-ref uses ref.name */
	size_t nsnapshot_ids;                  /* remove-snapshots */
	const int64_t *snapshot_ids;
	const char *location;                  /* set-location */
	size_t nproperties;                    /* set-properties */
	const pond_iceberg_kv *properties;
	size_t nremovals;                      /* remove-properties */
	const char *const *removals;
} pond_iceberg_update;

typedef enum pond_iceberg_requirement_type {
	POND_ICEBERG_ASSERT_CREATE = 1,
	POND_ICEBERG_ASSERT_TABLE_UUID,
	POND_ICEBERG_ASSERT_REF_SNAPSHOT_ID,
	POND_ICEBERG_ASSERT_CURRENT_SCHEMA_ID,
	POND_ICEBERG_ASSERT_LAST_ASSIGNED_FIELD_ID,
	POND_ICEBERG_ASSERT_LAST_ASSIGNED_PARTITION_ID,
	POND_ICEBERG_ASSERT_DEFAULT_SPEC_ID,
	POND_ICEBERG_ASSERT_DEFAULT_SORT_ORDER_ID,
} pond_iceberg_requirement_type;

typedef struct pond_iceberg_requirement {
	pond_iceberg_requirement_type type;
	const char *uuid;      /* assert-table-uuid */
	const char *ref;       /* assert-ref-snapshot-id */
	bool has_snapshot_id;  /* false: the ref must not exist */
	int64_t snapshot_id;
	int64_t id;            /* the other asserts' expected id */
} pond_iceberg_requirement;

/* A parsed request: requirements and updates in an arena it owns. */
typedef struct pond_iceberg_commit {
	pond_arena *arena;
	size_t nrequirements;
	pond_iceberg_requirement *requirements;
	size_t nupdates;
	pond_iceberg_update *updates;
} pond_iceberg_commit;

/* Parses a CommitTableRequest object ({"requirements":[..],"updates":[..]},
 * "identifier" ignored). Caller frees *out. */
int pond_iceberg_commit_from_json(pond_iceberg_commit **out, const json_t *json, pond_error *err);
int pond_iceberg_commit_parse(pond_iceberg_commit **out, const char *text, size_t len, pond_error *err);
void pond_iceberg_commit_free(pond_iceberg_commit **commit);
/* One update or requirement object, into arena. */
int pond_iceberg_update_from_json(pond_iceberg_update *out, const json_t *json, pond_arena *arena,
                                  const char *what, pond_error *err);
int pond_iceberg_requirement_from_json(pond_iceberg_requirement *out, const json_t *json, pond_arena *arena,
                                       const char *what, pond_error *err);
/* The REST JSON of an update or requirement; NULL on allocation failure. */
json_t *pond_iceberg_update_to_json(const pond_iceberg_update *update);
json_t *pond_iceberg_requirement_to_json(const pond_iceberg_requirement *req);

/* The commit a REST catalog client sends to turn base into next (NULL
 * base: create the table): requirements that hold for base
 * (assert-table-uuid, assert-ref-snapshot-id for main and every ref that
 * moves, the current schema, default spec and sort order and the last
 * assigned ids where those change; assert-create for a new table) and
 * updates which, applied to base, give next (schemas, specs and orders
 * added and made current, location, properties set and removed,
 * snapshots added, refs removed and set, snapshots removed). Metadata
 * the apply keeps by itself (sequence numbers, logs) is not sent. The
 * commit borrows from next and base: keep them until it is freed. */
int pond_iceberg_metadata_diff(pond_iceberg_commit **out, const pond_iceberg_metadata *base,
                               const pond_iceberg_metadata *next, pond_error *err);
/* {"requirements":[...],"updates":[...]}; NULL on allocation failure. */
json_t *pond_iceberg_commit_to_json(const pond_iceberg_commit *commit);

typedef struct pond_iceberg_apply_options {
	/* The file base was read from: recorded in the new metadata-log. */
	const char *base_metadata_location;
	/* last-updated-ms of the result; 0 = now. */
	int64_t now_ms;
	/* metadata-log entries kept (write.metadata.previous-versions-max). */
	size_t max_metadata_log;
} pond_iceberg_apply_options;

#define POND_ICEBERG_APPLY_OPTIONS_INIT {NULL, 0, 100}

/* Checks requirements against base (NULL: the table does not exist yet) and
 * applies updates in order, giving new validated metadata (caller frees).
 * A failed requirement is POND_ECONFLICT naming it; an invalid update
 * POND_EINVAL. base is not changed. The result is format v2; it keeps
 * last-sequence-number, last-updated-ms, snapshot-log (when main moves),
 * metadata-log and current-snapshot-id (the main branch) up to date. */
int pond_iceberg_metadata_apply(pond_iceberg_metadata **out, const pond_iceberg_metadata *base,
                                const pond_iceberg_requirement *requirements, size_t nrequirements,
                                const pond_iceberg_update *updates, size_t nupdates,
                                const pond_iceberg_apply_options *opts, pond_error *err);

/* The requirement and updates that create a table: assert-create, a fresh
 * uuid, schema with fresh field ids, spec and sort order rebound to those
 * ids by column name (NULL: unpartitioned, unsorted), location and
 * properties. */
int pond_iceberg_create_commit(pond_iceberg_commit **out, const pond_iceberg_schema *schema,
                               const pond_iceberg_partition_spec *spec, const pond_iceberg_sort_order *order,
                               const char *location, const pond_iceberg_kv *properties, size_t nproperties,
                               pond_error *err);
/* create_commit applied to nothing. */
int pond_iceberg_metadata_create(pond_iceberg_metadata **out, const pond_iceberg_schema *schema,
                                 const pond_iceberg_partition_spec *spec, const pond_iceberg_sort_order *order,
                                 const char *location, const pond_iceberg_kv *properties, size_t nproperties,
                                 pond_error *err);

/* ---- views (format/view-spec.md, view format version 1) -------------------- */

/* A view's metadata, kept as its JSON document (keys pond does not know
 * survive a read and a write). Owns itself; free with pond_iceberg_view_free. */
typedef struct pond_iceberg_view pond_iceberg_view;

/* Parses and checks the spec's rules (required fields, format-version 1,
 * unique schema and version ids, a version's schema and the current
 * version known, one sql representation per dialect). */
int pond_iceberg_view_parse(pond_iceberg_view **out, const void *data, size_t len, const char *what, pond_error *err);
int pond_iceberg_view_from_json(pond_iceberg_view **out, const json_t *json, const char *what, pond_error *err);
/* The metadata file's JSON text; caller frees *out with pond_free. */
int pond_iceberg_view_serialize(char **out, const pond_iceberg_view *view, bool pretty, pond_error *err);
void pond_iceberg_view_free(pond_iceberg_view **view);

/* Borrowed from the view. */
const json_t *pond_iceberg_view_json(const pond_iceberg_view *view);
const char *pond_iceberg_view_uuid(const pond_iceberg_view *view);
const char *pond_iceberg_view_location(const pond_iceberg_view *view);
int32_t pond_iceberg_view_current_version_id(const pond_iceberg_view *view);
const char *pond_iceberg_view_property(const pond_iceberg_view *view, const char *key);
/* The current version's SQL in dialect (compared ignoring case); NULL
 * when it has none. */
const char *pond_iceberg_view_sql(const pond_iceberg_view *view, const char *dialect);
/* The current version's schema, in arena. */
int pond_iceberg_view_schema(pond_iceberg_schema **out, const pond_iceberg_view *view, pond_arena *arena,
                             pond_error *err);

/* Applies a CommitViewRequest's requirements (assert-view-uuid; a failed
 * one is POND_ECONFLICT) and updates (assign-uuid, upgrade-format-version,
 * add-schema, set-location, set-properties, remove-properties,
 * add-view-version, set-current-view-version; -1 names the schema or
 * version last added) to base, or to nothing (base NULL: a new view, given
 * a fresh uuid unless one is assigned). now_ms stamps the version log.
 * Versions past the view's version.history.num-entries (default 10) are
 * dropped, the current one never. The result is checked as a parse is. */
int pond_iceberg_view_apply(pond_iceberg_view **out, const pond_iceberg_view *base, const json_t *requirements,
                            const json_t *updates, int64_t now_ms, pond_error *err);

/* What one version of a view says; strings borrowed. */
typedef struct pond_iceberg_view_definition {
	const pond_iceberg_schema *schema;
	const char *dialect;
	const char *sql;
	const char *const *default_namespace; /* levels */
	size_t ndefault_namespace;
	const pond_iceberg_kv *summary;       /* engine-name, engine-version, ... */
	size_t nsummary;
	int64_t timestamp_ms;
} pond_iceberg_view_definition;

/* A ViewVersion object for def (version-id 0 and schema-id -1, which the
 * apply replaces); NULL when out of memory. New reference. */
json_t *pond_iceberg_view_version_json(const pond_iceberg_view_definition *def);
/* The updates that make def the current version: [set-location when
 * location is not NULL,] add-schema, add-view-version,
 * set-current-view-version -1. New reference; NULL when out of memory. */
json_t *pond_iceberg_view_define_updates(const pond_iceberg_view_definition *def, const char *location);

#endif
