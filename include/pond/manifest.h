/*
 * pond iceberg layer, part two: what a snapshot points at. File IO (local
 * paths, file:// URIs, and the moved-table remap), manifests (data and
 * delete entries) and manifest lists read and written as the Iceberg spec
 * defines them, filter expressions, and scan planning: from table metadata
 * and a filter to the data files to read, each with the delete files that
 * apply to it. Depends on pond/avro.h and pond/iceberg.h.
 *
 * Memory: readers decode into an arena the caller gives and resets (one
 * entry or one block at a time, so 100k entries stream in bounded memory);
 * a scan plan owns its arena. Everything a plan or a decoded entry points at
 * is borrowed from that arena.
 */
#ifndef POND_MANIFEST_H
#define POND_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pond/avro.h"
#include "pond/iceberg.h"
#include "pond/io.h"
#include "pond/util.h"

/* ---- file IO -------------------------------------------------------------- */

/* One file of a listing; borrowed for the callback's duration. */
typedef struct pond_fileio_entry {
	const char *path;       /* as the backend names it: a local path, s3://b/k */
	int64_t size;
	int64_t mtime_ms;       /* last modified; 0 when unknown */
} pond_fileio_entry;

/* Called per listed file; a non-zero return stops the listing and is
 * returned by it. */
typedef int (*pond_fileio_list_fn)(const pond_fileio_entry *entry, void *payload);

/* What a storage backend provides. Paths are the table's own strings after
 * remapping (a local path, or a URI the backend understands). */
typedef struct pond_fileio_ops {
	const char *name; /* "local", "s3" */
	/* Reads a whole file (NUL-terminated; *len without it), refusing files
	 * over max_len. Caller frees *out with pond_free. */
	int (*read)(void *backend, const char *path, char **out, size_t *len, size_t max_len, pond_error *err);
	/* Opens an Avro container file for streaming. */
	int (*open_avro)(void *backend, const char *path, pond_avro_reader **out, pond_error *err);
	/* Creates a new Avro container file (never overwriting). */
	int (*create_avro)(void *backend, const char *path, const pond_avro_schema *schema,
	                   const pond_avro_writer_options *opts, pond_avro_writer **out, pond_error *err);
	/* Writes a whole file, atomically, creating folders. */
	int (*write)(void *backend, const char *path, const void *data, size_t len, pond_error *err);
	/* Size of a file in bytes. */
	int (*size)(void *backend, const char *path, int64_t *out, pond_error *err);
	void (*free)(void *backend);
	/* Deletes files; a missing one is no error. All are tried; the first
	 * failure is returned naming its file. */
	int (*remove_many)(void *backend, const char *const *paths, size_t n, pond_error *err);
	/* Calls fn for every file under folder dir, at any depth, in no set
	 * order; a missing folder lists nothing. */
	int (*list)(void *backend, const char *dir, pond_fileio_list_fn fn, void *payload, pond_error *err);
	/* Moves the local file `local` to path, which must not exist yet: the
	 * whole file appears at once or not at all (S3: multipart above the
	 * client's threshold, completed before this returns). `local` is gone
	 * afterwards, also on failure. */
	int (*upload)(void *backend, const char *local, const char *path, pond_error *err);
	/* A local file with path's bytes (size >= 0 is checked), *local valid
	 * until release(*hold). NULL for a backend whose paths are local. */
	int (*local_copy)(void *backend, const char *path, int64_t size, const char **local, void **hold,
	                  pond_error *err);
	void (*release)(void *backend, void *hold);
	/* Makes local copies of many paths ready at once (S3: downloads into
	 * the cache on several connections), holding none; NULL: nothing to
	 * do ahead. */
	int (*prefetch)(void *backend, const char *const *paths, const int64_t *sizes, size_t n, pond_error *err);
} pond_fileio_ops;

typedef struct pond_fileio pond_fileio;

/* The local file system: plain paths and file:// URIs. Free with
 * pond_fileio_free. */
int pond_fileio_local_new(pond_fileio **out, pond_error *err);
/* S3: s3:// (and s3a://, s3n://) URLs through client, Avro files read
 * through cache when it is not NULL. Both are borrowed and must outlive
 * the file IO. New Avro files are staged locally and uploaded when their
 * writer finishes, refusing to replace an object where the server honours
 * If-None-Match (AWS, MinIO; s3rver does not). Free with pond_fileio_free. */
int pond_fileio_s3_new(pond_fileio **out, pond_s3_client *client, pond_io_cache *cache, pond_error *err);
/* Any backend: ops is borrowed (static), backend is freed by ops->free. */
int pond_fileio_new(pond_fileio **out, const pond_fileio_ops *ops, void *backend, pond_error *err);
void pond_fileio_free(pond_fileio **io);

/* Paths starting with `from` are rewritten to start with `to` instead
 * (both copied). Replaces any earlier remap; from NULL turns it off. */
int pond_fileio_set_remap(pond_fileio *io, const char *from, const char *to, pond_error *err);
/* The moved-table remap: when the table's recorded location (md->location,
 * "./x" read as "x") differs from the folder that holds the metadata file's
 * folder, paths under the recorded location are read from the real folder.
 * Does nothing when they agree or the metadata file is not in a folder. */
int pond_fileio_remap_table(pond_fileio *io, const pond_iceberg_metadata *md, const char *metadata_path,
                            pond_error *err);
/* The path the backend will open for `path` (remapped; file:// stripped
 * for the local backend), appended to out. */
void pond_fileio_resolve(const pond_fileio *io, const char *path, pond_buf *out);
/* Whether a remap is set: the table's files are not where its metadata
 * says, so a writer puts new files at the resolved path but records them
 * under the recorded location, like the files already there. */
bool pond_fileio_remapped(const pond_fileio *io);

int pond_fileio_read(pond_fileio *io, const char *path, char **out, size_t *len, size_t max_len, pond_error *err);
int pond_fileio_open_avro(pond_fileio *io, const char *path, pond_avro_reader **out, pond_error *err);
int pond_fileio_create_avro(pond_fileio *io, const char *path, const pond_avro_schema *schema,
                            const pond_avro_writer_options *opts, pond_avro_writer **out, pond_error *err);
int pond_fileio_write(pond_fileio *io, const char *path, const void *data, size_t len, pond_error *err);
int pond_fileio_size(pond_fileio *io, const char *path, int64_t *out, pond_error *err);
/* Reads a metadata JSON file (plain or gzip) at path. */
int pond_fileio_load_metadata(pond_iceberg_metadata **out, pond_fileio *io, const char *path, pond_error *err);
/* Deletes files by path as resolved (no remap is applied; missing ones
 * are no error); every one is tried and the first failure returned. */
int pond_fileio_remove(pond_fileio *io, const char *const *paths, size_t n, pond_error *err);
/* Lists every file under folder dir (as resolved), at any depth. */
int pond_fileio_list(pond_fileio *io, const char *dir, pond_fileio_list_fn fn, void *payload, pond_error *err);
/* Moves the local file `local` to path (as resolved): see the op. */
int pond_fileio_upload(pond_fileio *io, const char *local, const char *path, pond_error *err);
/* Whether the backend's paths are local files (DuckDB reads them as they
 * are): true for the local backend. */
bool pond_fileio_is_local(const pond_fileio *io);
/* A local file with the bytes of path (as resolved; size >= 0 is checked
 * against the file's), fetched when the backend is not local and held
 * (an S3 object's cached copy is not evicted) until the file IO is freed.
 * *local is borrowed from io; asking again for one path gives the same
 * file. The local backend gives the path itself. */
int pond_fileio_local_copy(pond_fileio *io, const char *path, int64_t size, const char **local, pond_error *err);
/* Readies local copies of paths (as resolved; sizes[i] >= 0 checked) that
 * pond_fileio_local_copy is about to ask for, fetching those not there
 * yet in parallel; the local copies are then asked for as usual. */
int pond_fileio_prefetch(pond_fileio *io, const char *const *paths, const int64_t *sizes, size_t n,
                         pond_error *err);
/* The local file pond_fileio_local_copy gave for path, or NULL when it
 * gave none (never fetches). */
const char *pond_fileio_held(const pond_fileio *io, const char *path);

/* ---- manifests ------------------------------------------------------------- */

typedef enum pond_manifest_status {
	POND_MANIFEST_EXISTING = 0,
	POND_MANIFEST_ADDED = 1,
	POND_MANIFEST_DELETED = 2,
} pond_manifest_status;

typedef enum pond_file_content {
	POND_CONTENT_DATA = 0,
	POND_CONTENT_POSITION_DELETES = 1,
	POND_CONTENT_EQUALITY_DELETES = 2,
} pond_file_content;

typedef enum pond_manifest_content {
	POND_MANIFEST_CONTENT_DATA = 0,
	POND_MANIFEST_CONTENT_DELETES = 1,
} pond_manifest_content;

/* One entry of an int-keyed statistics map (column id -> count). */
typedef struct pond_column_count {
	int32_t field_id;
	int64_t value;
} pond_column_count;

/* One entry of a bounds map: column id -> Appendix D bytes. */
typedef struct pond_column_bound {
	int32_t field_id;
	const uint8_t *ptr;
	size_t len;
} pond_column_bound;

/* A data or delete file as a manifest records it (spec "data_file", field
 * id 2). Maps and lists have n* counts; a missing map is 0 entries. */
typedef struct pond_data_file {
	pond_file_content content;
	const char *file_path;
	const char *file_format;     /* as written: "PARQUET", "parquet", ... */
	int32_t spec_id;             /* the manifest's partition spec */
	size_t npartition;           /* one literal per spec field */
	pond_iceberg_literal *partition;
	int64_t record_count;
	int64_t file_size_in_bytes;
	size_t ncolumn_sizes;
	pond_column_count *column_sizes;
	size_t nvalue_counts;
	pond_column_count *value_counts;
	size_t nnull_value_counts;
	pond_column_count *null_value_counts;
	size_t nnan_value_counts;
	pond_column_count *nan_value_counts;
	size_t nlower_bounds;
	pond_column_bound *lower_bounds;
	size_t nupper_bounds;
	pond_column_bound *upper_bounds;
	const uint8_t *key_metadata; /* NULL when absent */
	size_t key_metadata_len;
	size_t nsplit_offsets;
	int64_t *split_offsets;
	size_t nequality_ids;
	int32_t *equality_ids;
	bool has_sort_order_id;
	int32_t sort_order_id;
	const char *referenced_data_file; /* NULL when absent */
} pond_data_file;

/* A manifest entry. On read, v2 ADDED entries with a null sequence number
 * inherit the manifest's (has_* then true), and v1 entries get 0. */
typedef struct pond_manifest_entry {
	pond_manifest_status status;
	bool has_snapshot_id;
	int64_t snapshot_id;
	bool has_sequence_number;
	int64_t sequence_number; /* data sequence number */
	bool has_file_sequence_number;
	int64_t file_sequence_number;
	pond_data_file data_file;
} pond_manifest_entry;

/* Summary of one partition field over a manifest's files (field 508). */
typedef struct pond_partition_summary {
	bool contains_null;
	bool has_contains_nan;
	bool contains_nan;
	const uint8_t *lower_bound; /* Appendix D bytes; NULL when absent */
	size_t lower_bound_len;
	const uint8_t *upper_bound;
	size_t upper_bound_len;
} pond_partition_summary;

#define POND_MANIFEST_UNASSIGNED_SEQ (-1)

/* A manifest as a manifest list records it (spec "manifest_file"). Counts
 * are -1 when absent (v1). A sequence number of POND_MANIFEST_UNASSIGNED_SEQ
 * is given the list's sequence number by the list writer. */
typedef struct pond_manifest_file {
	const char *manifest_path;
	int64_t manifest_length;
	int32_t partition_spec_id;
	pond_manifest_content content;
	int64_t sequence_number;
	int64_t min_sequence_number;
	int64_t added_snapshot_id;
	int32_t added_files_count, existing_files_count, deleted_files_count;
	int64_t added_rows_count, existing_rows_count, deleted_rows_count;
	bool has_partitions;
	size_t npartitions;
	pond_partition_summary *partitions;
	const uint8_t *key_metadata;
	size_t key_metadata_len;
} pond_manifest_file;

/* -- reading -- */

typedef struct pond_manifest_reader pond_manifest_reader;

/* Opens a manifest. `file` (borrowed, may be NULL) is its manifest-list
 * record, for sequence-number inheritance and the spec id. The partition
 * tuple's types come from spec and schema when given (borrowed; they must
 * outlive the reader), else from the file's "partition-spec" and "schema"
 * metadata. Close with pond_manifest_reader_close. */
int pond_manifest_reader_open(pond_manifest_reader **out, pond_fileio *io, const char *path,
                              const pond_manifest_file *file, const pond_iceberg_partition_spec *spec,
                              const pond_iceberg_schema *schema, pond_error *err);
/* The same over an already open Avro reader (taken over: closed by the
 * manifest reader, also on failure). `name` names the file in errors. */
int pond_manifest_reader_open_avro(pond_manifest_reader **out, pond_avro_reader *avro, const char *name,
                                   const pond_manifest_file *file, const pond_iceberg_partition_spec *spec,
                                   const pond_iceberg_schema *schema, pond_error *err);
void pond_manifest_reader_close(pond_manifest_reader **reader);
/* Decodes the next entry into arena (reset by the caller between entries or
 * blocks). 1 with *out set, 0 at the end, negative on error (message names
 * the file). */
int pond_manifest_reader_next(pond_manifest_reader *reader, pond_arena *arena, const pond_manifest_entry **out,
                              pond_error *err);
/* From the file's metadata: format version (1 when absent), content, spec
 * id (the list's when given), the partition spec used for the tuple
 * (borrowed). */
int pond_manifest_reader_format_version(const pond_manifest_reader *reader);
pond_manifest_content pond_manifest_reader_content(const pond_manifest_reader *reader);
int32_t pond_manifest_reader_spec_id(const pond_manifest_reader *reader);
const pond_iceberg_partition_spec *pond_manifest_reader_spec(const pond_manifest_reader *reader);
/* The result types of the partition fields, one per spec field (borrowed). */
const pond_iceberg_type *const *pond_manifest_reader_partition_types(const pond_manifest_reader *reader);

/* -- writing -- */

typedef struct pond_manifest_writer_options {
	const pond_iceberg_schema *schema;        /* required: the table schema */
	const pond_iceberg_partition_spec *spec;  /* required */
	pond_manifest_content content;
	int64_t snapshot_id;        /* the adding snapshot: added_snapshot_id */
	pond_avro_codec codec;
	int format_version;         /* 2 (the only one written) */
} pond_manifest_writer_options;

#define POND_MANIFEST_WRITER_OPTIONS_INIT {NULL, NULL, POND_MANIFEST_CONTENT_DATA, 0, POND_AVRO_CODEC_DEFLATE, 2}

typedef struct pond_manifest_writer pond_manifest_writer;

/* Creates a manifest at path (never overwriting). Free with
 * pond_manifest_writer_free (removes the file when not finished). */
int pond_manifest_writer_open(pond_manifest_writer **out, pond_fileio *io, const char *path,
                              const pond_manifest_writer_options *opts, pond_error *err);
/* The same into a memory buffer (borrowed) for tests and uploads. */
int pond_manifest_writer_open_buf(pond_manifest_writer **out, pond_buf *buf,
                                  const pond_manifest_writer_options *opts, pond_error *err);
/* Appends one entry (copied into the file; not kept). The entry's data
 * file's partition has one literal per spec field. An entry without a
 * snapshot id gets the writer's; ADDED entries without a sequence number
 * are written with null (inherited on read). */
int pond_manifest_writer_add(pond_manifest_writer *writer, const pond_manifest_entry *entry, pond_error *err);
/* Finishes the file and describes it for the manifest list: path, length,
 * spec, content, counts, partition summaries, min sequence number
 * (UNASSIGNED when an added entry inherits). *out lives in arena. */
int pond_manifest_writer_finish(pond_manifest_writer *writer, pond_manifest_file *out, pond_arena *arena,
                                pond_error *err);
void pond_manifest_writer_free(pond_manifest_writer **writer);

/* The Avro schema JSON of manifest entries for a partition type (a struct
 * of the partition fields). New reference; NULL on failure. */
json_t *pond_manifest_entry_avro_schema(const pond_iceberg_type *partition_type, int format_version);

/* ---- manifest lists ------------------------------------------------------- */

typedef struct pond_manifest_list_reader pond_manifest_list_reader;

int pond_manifest_list_reader_open(pond_manifest_list_reader **out, pond_fileio *io, const char *path,
                                   pond_error *err);
void pond_manifest_list_reader_close(pond_manifest_list_reader **reader);
/* 1 with *out (in arena), 0 at the end, negative on error. */
int pond_manifest_list_reader_next(pond_manifest_list_reader *reader, pond_arena *arena,
                                   const pond_manifest_file **out, pond_error *err);
int pond_manifest_list_reader_format_version(const pond_manifest_list_reader *reader);

/* All manifests of a snapshot into arena: its manifest list, or for a v1
 * snapshot that lists `manifests` directly, records built from those paths
 * (spec and counts read from each manifest's header). */
int pond_snapshot_manifests(pond_manifest_file **out, size_t *n, pond_fileio *io,
                            const pond_iceberg_snapshot *snapshot, pond_arena *arena, pond_error *err);

typedef struct pond_manifest_list_writer_options {
	int64_t snapshot_id;
	bool has_parent_snapshot_id;
	int64_t parent_snapshot_id;
	int64_t sequence_number;
	pond_avro_codec codec;
} pond_manifest_list_writer_options;

#define POND_MANIFEST_LIST_WRITER_OPTIONS_INIT {0, false, 0, 0, POND_AVRO_CODEC_DEFLATE}

typedef struct pond_manifest_list_writer pond_manifest_list_writer;

int pond_manifest_list_writer_open(pond_manifest_list_writer **out, pond_fileio *io, const char *path,
                                   const pond_manifest_list_writer_options *opts, pond_error *err);
int pond_manifest_list_writer_open_buf(pond_manifest_list_writer **out, pond_buf *buf,
                                       const pond_manifest_list_writer_options *opts, pond_error *err);
/* Appends one manifest record; unassigned sequence numbers get the list's. */
int pond_manifest_list_writer_add(pond_manifest_list_writer *writer, const pond_manifest_file *file,
                                  pond_error *err);
int pond_manifest_list_writer_finish(pond_manifest_list_writer *writer, pond_error *err);
void pond_manifest_list_writer_free(pond_manifest_list_writer **writer);

/* ---- filter expressions --------------------------------------------------- */

typedef enum pond_expr_op {
	POND_EXPR_TRUE = 1,
	POND_EXPR_FALSE,
	POND_EXPR_AND,
	POND_EXPR_OR,
	POND_EXPR_NOT,
	POND_EXPR_EQ,
	POND_EXPR_NE,
	POND_EXPR_LT,
	POND_EXPR_LE,
	POND_EXPR_GT,
	POND_EXPR_GE,
	POND_EXPR_IN,
	POND_EXPR_NOT_IN,
	POND_EXPR_IS_NULL,
	POND_EXPR_NOT_NULL,
} pond_expr_op;

/* A filter. Unbound, predicates name a column; bound (pond_expr_bind),
 * they carry its field id and type and literals of that type. Built in an
 * arena; nodes are immutable once built. */
typedef struct pond_expr pond_expr;
struct pond_expr {
	pond_expr_op op;
	pond_expr *left, *right;      /* AND, OR (both), NOT (left) */
	const char *column;           /* predicates */
	int32_t field_id;             /* -1 until bound */
	const pond_iceberg_type *type;/* bound predicates */
	size_t nliterals;             /* 1 for comparisons, n for IN */
	pond_iceberg_literal *literals;
};

/* Builders: NULL on allocation failure (and NULL children give NULL, so
 * a tree is checked once at its root). Literal bytes are copied. */
pond_expr *pond_expr_true(pond_arena *arena);
pond_expr *pond_expr_false(pond_arena *arena);
pond_expr *pond_expr_and(pond_arena *arena, pond_expr *left, pond_expr *right);
pond_expr *pond_expr_or(pond_arena *arena, pond_expr *left, pond_expr *right);
pond_expr *pond_expr_not(pond_arena *arena, pond_expr *child);
/* op is one of EQ NE LT LE GT GE. */
pond_expr *pond_expr_compare(pond_arena *arena, pond_expr_op op, const char *column, pond_iceberg_literal value);
pond_expr *pond_expr_in(pond_arena *arena, const char *column, const pond_iceberg_literal *values, size_t n,
                        bool negate);
pond_expr *pond_expr_is_null(pond_arena *arena, const char *column);
pond_expr *pond_expr_not_null(pond_arena *arena, const char *column);

/* Parses "a > 5 and (b = 'x' or c is null) and d in (1, 2) and not e <= 2.5"
 * (keywords any case; literals: integers, decimals, 'strings', true, false,
 * null only after IS). Errors name the position. */
int pond_expr_parse(pond_expr **out, const char *text, pond_arena *arena, pond_error *err);
/* Resolves columns through schema (dotted names for nested fields) to field
 * ids, converts literals to the column's type (integers to any numeric,
 * text to dates, timestamps, uuids, ...), and pushes NOT down to the
 * predicates. An unknown column or a literal that does not convert is
 * POND_EINVAL naming it. */
int pond_expr_bind(pond_expr **out, const pond_expr *expr, const pond_iceberg_schema *schema, pond_arena *arena,
                   pond_error *err);
/* Appends a readable form ("(a > 5 and b = 'x')"). */
void pond_expr_format(pond_buf *out, const pond_expr *expr);

/* Inclusive projection of a bound filter onto a partition spec: a filter
 * on partition field ids (types = transform results) that is true for
 * every partition that may hold a matching row. */
int pond_expr_project(pond_expr **out, const pond_expr *bound, const pond_iceberg_partition_spec *spec,
                      const pond_iceberg_schema *schema, pond_arena *arena, pond_error *err);
/* A projected filter against a manifest's partition summaries: false only
 * when no file of the manifest can match. */
bool pond_expr_summaries_may_match(const pond_expr *projected, const pond_iceberg_partition_spec *spec,
                                   const pond_iceberg_type *const *types, const pond_partition_summary *summaries,
                                   size_t nsummaries);
/* A projected filter against one partition tuple (one literal per spec
 * field): false only when the partition cannot hold a matching row. */
bool pond_expr_partition_may_match(const pond_expr *projected, const pond_iceberg_partition_spec *spec,
                                   const pond_iceberg_literal *tuple, size_t n);
/* A bound filter against a file's column statistics: false only when the
 * counts or bounds prove no row matches. Missing stats keep the file. */
bool pond_expr_metrics_may_match(const pond_expr *bound, const pond_data_file *file);

/* ---- scan planning -------------------------------------------------------- */

typedef struct pond_scan_options {
	/* Which snapshot: at most one of these; none = the current one. */
	bool has_snapshot_id;
	int64_t snapshot_id;
	const char *ref;            /* a branch or tag name */
	bool has_as_of;
	int64_t as_of_ms;           /* the snapshot current at this time */
	const pond_expr *filter;    /* unbound; NULL = everything */
} pond_scan_options;

#define POND_SCAN_OPTIONS_INIT {false, 0, NULL, false, 0, NULL}

/* A delete file that applies to some data files of a plan. */
typedef struct pond_scan_delete {
	pond_file_content content;  /* POSITION_DELETES or EQUALITY_DELETES */
	const char *path;           /* after remap */
	const char *file_format;
	int64_t record_count;
	int64_t file_size_in_bytes;
	int32_t spec_id;
	size_t npartition;
	pond_iceberg_literal *partition;
	int64_t sequence_number;
	size_t nequality_ids;
	int32_t *equality_ids;
	const char *referenced_data_file;
} pond_scan_delete;

/* A data file to read. */
typedef struct pond_scan_task {
	const char *path;           /* after remap */
	const char *file_format;
	int64_t record_count;
	int64_t file_size_in_bytes;
	int32_t spec_id;
	size_t npartition;
	pond_iceberg_literal *partition;
	int64_t sequence_number;    /* data sequence number */
	size_t ndeletes;
	const pond_scan_delete *const *deletes;
} pond_scan_task;

typedef struct pond_scan_plan {
	pond_arena *arena;          /* owns everything below */
	int64_t snapshot_id;        /* POND_ICEBERG_NO_SNAPSHOT for an empty table */
	int32_t schema_id;          /* the snapshot's for time travel (id, tag,
	                               time); else the table's current schema */
	size_t ntasks;
	pond_scan_task *tasks;
	size_t ndeletes;            /* every live delete file that was considered */
	pond_scan_delete *deletes;
	/* totals */
	int64_t data_records;       /* sum of tasks' record counts */
	int64_t data_bytes;
	int64_t delete_records;
	size_t manifests_total, manifests_skipped;
	size_t entries_read, files_skipped;
} pond_scan_plan;

/* The snapshot options select (borrowed from md): by id, ref name, or the
 * one current at a time (snapshot log, else snapshot timestamps); the
 * current snapshot when none is given. *out is NULL for a table with no
 * snapshot and no selector. Unknown id/ref, or a time before the first
 * snapshot, is POND_ENOTFOUND naming it. */
int pond_scan_select_snapshot(const pond_iceberg_snapshot **out, const pond_iceberg_metadata *md,
                              const pond_scan_options *opts, pond_error *err);
/* Plans a scan. io must already carry the table's remap. Caller frees with
 * pond_scan_plan_free. */
int pond_scan_plan_files(pond_scan_plan **out, const pond_iceberg_metadata *md, pond_fileio *io,
                         const pond_scan_options *opts, pond_error *err);
void pond_scan_plan_free(pond_scan_plan **plan);

#endif
