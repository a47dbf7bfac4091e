/*
 * Internals shared by the table layer's files.
 */
#ifndef POND_TABLE_INTERNAL_H
#define POND_TABLE_INTERNAL_H

#include "pond/table.h"

#define POND__LAKE_METADATA_KEPT 4

struct pond_lake {
	const pond_project *project;
	pond_catalog *catalog;
	pond_engine *engine;
	pond_engine *owned_engine;  /* set when the lake opened its own */
	bool buffer_seen;           /* the catalog has pond_buffer (buffer.c) */
	bool write_through;         /* appends never go to the row buffer */
	bool borrowed_catalog;      /* pond_lake_open_catalog's: closed by its owner */
	pond_s3_client *s3;         /* opened on first use (lake.c) */
	pond_io_cache *cache;
	pond_fileio **kept;         /* pond__lake_keep_fileio */
	size_t nkept, capkept;
	/* The JSON of the last metadata files read, by location (commit.c):
	 * a metadata file is never rewritten, so a session's next statement
	 * builds the table from it without reading and parsing it again. */
	struct {
		char *location;
		json_t *json;
	} md_json[POND__LAKE_METADATA_KEPT];
	size_t md_next;
};

/* Lets go of what a lake opened or kept on its own (storage, metadata
 * JSON), for a lake on the stack that borrows its catalog and project
 * (pond_lake_close does it for the others). */
void pond__lake_release(pond_lake *lake);

/* Opens the lake's engine when it has none yet (a lake from
 * pond_lake_open_catalog opens one only when rows are read or written). */
int pond__lake_engine(pond_lake *lake, pond_error *err);

/* ---- storage (storage.c) ---- */

/* The lake's S3 client and object cache (borrowed), opened on first use
 * from the project's storage settings. */
int pond__lake_storage(pond_lake *lake, pond_s3_client **client, pond_io_cache **cache, pond_error *err);
/* Closes what pond__lake_storage opened (pond__lake_release does). */
void pond__lake_storage_close(pond_lake *lake);
/* A new staging folder for files bound for an object store, in the
 * project's cache (ROOT/.pond/cache/staging/UUID, in a), held with a lock
 * (*lock) so that the next writer removes it if this process dies first
 * (folders nobody holds are swept here). */
int pond__stage_open(pond_lake *lake, pond_arena *a, const char **dir, int *lock, pond_error *err);
/* Removes the staging folder and lets its lock go. */
void pond__stage_close(const char *dir, int *lock);
/* Removes a local folder and everything in it (links not followed). */
void pond__remove_tree(const char *dir);
/* Keeps *io (taken: set to NULL) until the lake closes, with the local
 * copies it holds: SQL handed out of the table layer may name them. */
int pond__lake_keep_fileio(pond_lake *lake, pond_fileio **io, pond_error *err);
/* The file IO of a table: by where its metadata file is (metadata_location,
 * else md->location), with the moved-table remap set. */
int pond__table_fileio(pond_lake *lake, const pond_iceberg_metadata *md, const char *metadata_location,
                       pond_fileio **out, pond_error *err);

/* Creates the namespace of id, with its parents, unless it exists. */
int pond__table_ensure_namespace(pond_lake *lake, const pond_table_ident *id, pond_error *err);

/* Writes text as the next metadata file (NNNNN-uuid.metadata.json under
 * LOCATION/metadata, numbered after `previous`, 00000 without one) through
 * io; returns its path in arena. Views' metadata files use it too. */
int pond__table_write_metadata_text(pond_fileio *io, const char *location, const char *text, const char *previous,
                                    pond_arena *arena, const char **out_path, pond_error *err);
/* The table's metadata written so, through io (the table's:
 * pond__table_fileio). */
int pond__table_write_metadata(pond_fileio *io, const pond_iceberg_metadata *md, const char *previous,
                               pond_arena *arena, const char **out_path, pond_error *err);
/* Deletes one file by its real path; a failure is only logged (what is
 * left is an orphan). */
void pond__table_remove_file(pond_fileio *io, const char *path);

/* Work done in the catalog transaction that swaps a table's metadata
 * pointer (commit.c): fn runs after the swap and before the transaction
 * commits; its failure rolls the swap back and ends the commit with its
 * error (never retried, even POND_ECONFLICT). */
typedef struct pond__commit_hook {
	int (*fn)(pond_catalog *catalog, void *payload, pond_error *err);
	void *payload;
} pond__commit_hook;

/* pond_table_commit with a hook (may be NULL) in the swap's transaction. */
int pond__table_commit(pond_lake *lake, const pond_table_ident *id, pond_table_commit_fn build, void *payload,
                       const pond_commit_options *opts, const pond__commit_hook *hook, pond_table **out,
                       pond_error *err);

/* pond_table_commit_all with a hook (may be NULL) in the swaps' transaction. */
int pond__table_commit_all(pond_lake *lake, const pond_table_change *changes, size_t n,
                           const pond_commit_options *opts, const pond__commit_hook *hook, pond_table **out,
                           pond_error *err);

/* ---- after a commit (upkeep.c) ---- */

/* Table properties pond reads, and pond's defaults for them. Java's default
 * for delete-after-commit is false; pond's is true: on a home box nobody
 * prunes metadata files by hand, and each is a copy of the whole history. */
#define POND_PROP_DELETE_METADATA "write.metadata.delete-after-commit.enabled"
#define POND_DEFAULT_DELETE_METADATA true
/* pond's own: commits expire snapshots past a high-water mark (table.h). */
#define POND_PROP_EXPIRE_ON_COMMIT "pond.expire-on-commit.enabled"
#define POND_PROP_MAX_SNAPSHOTS "pond.history.max-snapshots"
#define POND_DEFAULT_MAX_SNAPSHOTS 100

/* Whether path lies strictly inside folder root (no ".." segment). */
bool pond__path_under(const char *path, const char *root);
/* Runs after a successful commit of next (written at next_location) over
 * base: deletes metadata files that fell out of the metadata-log, and
 * expires snapshots past the table's high-water mark. Never fails: the
 * commit has happened; problems are logged. */
/* Whether pond_table_expire with opts would remove anything from md
 * (expire.c); planned in memory. */
bool pond__expire_pending(const pond_iceberg_metadata *md, const pond_expire_options *opts);
void pond__table_after_commit(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_metadata *base,
                              const pond_iceberg_metadata *next, const char *next_location);

/* A new table's metadata, not yet in the catalog (create.c): location
 * WAREHOUSE/ns/name, fresh field ids; the namespace is created when
 * missing. *out has no metadata location. */
int pond__table_stage(pond_table **out, pond_lake *lake, const pond_table_ident *id,
                      const pond_iceberg_schema *schema, pond_error *err);
/* Creates a staged table in one catalog change: build's updates (may be
 * NULL: none) applied to md, written as its first metadata file and
 * registered, with hook (may be NULL) in the same transaction. Another
 * writer creating it first is POND_ECONFLICT. */
/* A commit hook's work on a REST project's state database, after the
 * remote commit landed (it cannot share its transaction). */
/* pond orphans' one-line refusal for a REST project. */
int pond__orphans_rest_refusal(pond_lake *lake, pond_error *err);
int pond__table_rest_hook(pond_lake *lake, const pond__commit_hook *hook, pond_error *err);
int pond__table_commit_create(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_metadata *md,
                              pond_table_commit_fn build, void *payload, const pond__commit_hook *hook,
                              pond_error *err);

/* ---- schema evolution (evolve.c) ---- */

/* Resolves a dotted path of struct field names to the struct holding the
 * field and its index there. A name may itself hold dots: the whole rest
 * of the path is tried first at each level. A name matches exactly, else
 * as the one case-insensitive match. */
bool pond__schema_find_path(pond_iceberg_type *root, const char *path, pond_iceberg_type **parent, size_t *index);

/* ---- the read SQL (scan_sql.c) ---- */

/* The column pond__scan_sql_tasks adds with each row's data file path (as
 * resolved) when asked, and the alias of the read in the SQL it builds. */
#define POND_SCAN_FILE_COLUMN "__pond_file"

/* The read SQL of md at the snapshot opts select, without a catalog: io
 * is the table's (pond__table_fileio: the moved-table remap) and holds the
 * local copies the SQL reads, so it must outlive every run of the SQL.
 * *nfiles (may be NULL) gets the number of data files the scan kept. extra
 * (nextra of them) are read too: the buffered files. Errors carry no
 * table name (pond_table_scan_sql adds it). */
int pond__scan_sql(pond_buf *out, pond_engine *engine, const pond_iceberg_metadata *md, pond_fileio *io,
                   const pond_scan_options *opts, const pond_scan_task *extra, size_t nextra, size_t *nfiles,
                   pond_error *err);
/* The read SQL of some planned tasks (borrowed) with schema's columns and,
 * with with_file, POND_SCAN_FILE_COLUMN last. io carries the remap and, on
 * an object store, fetches and holds the local copies the SQL names (the
 * file column then holds those: pond_fileio_held maps a task's path to
 * it). */
int pond__scan_sql_tasks(pond_buf *out, pond_engine *engine, const pond_iceberg_metadata *md, pond_fileio *io,
                         const pond_iceberg_schema *schema, const pond_scan_task *const *tasks, size_t ntasks,
                         bool with_file, pond_error *err);

/* ---- values in the read SQL (scan_literal.c) ---- */

/* A literal as text DuckDB casts back to the column type; false for null. */
bool pond__scan_literal_text(pond_buf *out, const pond_iceberg_literal *lit);
/* A field's initial-default (JSON text) as text; false when absent/null. */
bool pond__scan_default_text(pond_buf *out, const pond_iceberg_field *f);
/* ['file', ...]: a list of file paths as SQL string literals. */
void pond__scan_put_file_list(pond_buf *sql, const char *const *files, size_t n);
/* The type's DuckDB name as a SQL string literal. */
void pond__scan_put_type_literal(pond_buf *sql, const pond_iceberg_type *type);

/* ---- the deletes of a read (scan_deletes.c) ---- */

/* What the anti-joins need of a read: the planned tasks (borrowed), the
 * schema read and, per top-level field, the name the reads give it. What
 * they build is allocated in arena. */
typedef struct pond__scan_read {
	pond_engine *engine;
	pond_fileio *io;                     /* resolves the paths delete files record */
	const pond_iceberg_schema *schema;
	const pond_scan_task *const *tasks;
	size_t ntasks;
	const char *const *inner;
	pond_arena *arena;
	pond_error *err;
} pond__scan_read;

/* Position deletes: the (resolved data file, position) pairs that apply,
 * as a subquery; NULL when none do. Delete files record data files by
 * the paths the writer knew, so each recorded path is resolved here and
 * kept only where the planner attached that delete file to that file. */
int pond__scan_position_deletes(const pond__scan_read *r, const char **out);
/* Anti-joins for the equality delete files attached to the tasks, appended to sql: each
 * removes the rows of the files it applies to whose equality columns match
 * one of its rows (nulls match nulls, as the spec says). */
int pond__scan_equality_deletes(const pond__scan_read *r, pond_buf *sql);

/* ---- path maps (path_map.c) ---- */

/* A hash map from strings (copied) to integers, for sets of file paths. */
typedef struct pond__path_map {
	size_t n, cap;
	char **keys;
	int64_t *values;
	bool oom;  /* set by callers that could not add a key */
} pond__path_map;

int pond__path_map_put(pond__path_map *m, const char *key, int64_t value);
/* Appends a copy of s to a growing array of strings (*items, *n of them,
 * room for *cap; the caller frees each and the array). */
int pond__strlist_add(char ***items, size_t *n, size_t *cap, const char *s, pond_error *err);
bool pond__path_map_get(const pond__path_map *m, const char *key, int64_t *value);
void pond__path_map_dispose(pond__path_map *m);

/* ---- what metadata reaches (reach.c) ---- */

/* Sets of resolved paths a table's metadata reaches. */
typedef struct pond__reach {
	pond_fileio *io;          /* borrowed; carries the table's remap */
	bool entries;             /* read manifests for the files they name */
	bool live_only;           /* ... ADDED and EXISTING entries only */
	pond__path_map lists;     /* manifest lists */
	pond__path_map manifests;
	pond__path_map files;     /* data and delete files */
	pond__path_map other;     /* metadata and statistics files */
	pond_buf resolved;
	pond_arena *arena, *scratch;
} pond__reach;

int pond__reach_init(pond__reach *r, pond_fileio *io, bool entries, bool live_only, pond_error *err);
void pond__reach_dispose(pond__reach *r);
/* path as io resolves it, in a buffer the next call reuses; NULL when out
 * of memory. */
const char *pond__reach_resolve(pond__reach *r, const char *path);
/* Adds a snapshot's manifest list and manifests and, when r->entries, the
 * files their entries name; each manifest is read once, and not at all
 * when skip (may be NULL) holds it. */
int pond__reach_snapshot(pond__reach *r, const pond_iceberg_snapshot *s, const pond__path_map *skip, pond_error *err);
/* Adds the statistics-path of each entry of a statistics list (may be NULL). */
int pond__reach_statistics(pond__reach *r, const json_t *list, pond_error *err);
/* Everything md reaches: metadata_location, the metadata-log's files,
 * statistics files and every snapshot. */
int pond__reach_table(pond__reach *r, const pond_iceberg_metadata *md, const char *metadata_location,
                      pond_error *err);

/* ---- archive folders (archive.c) ---- */

/* The file that marks DEST/<a table's place in the warehouse> as the
 * folder pond archives that table's files to; it holds the table's uuid. */
#define POND__ARCHIVE_MARKER ".pond-archive"

/* Whether path lies in an archive folder of md's table: a folder above it
 * holds the marker naming the table; *root gets that folder. */
bool pond__archive_root(const char *path, const pond_iceberg_metadata *md, pond_buf *root);

/* ---- the write path (write.c) ---- */

/* One write to a table: loaded once, then one change committed. */
typedef struct pond__write {
	pond_lake *lake;
	const pond_table_ident *id;
	pond_table *table;
	pond_arena *arena;                        /* the table's: lives until pond__write_end */
	const char *name;                         /* "ns.t", for messages */
	const pond_iceberg_metadata *md;
	const pond_iceberg_schema *schema;        /* current */
	const pond_iceberg_partition_spec *spec;  /* default */
	const pond_write_options *opts;
	pond_fileio *io;
	bool creating;                            /* table staged in memory: the commit creates it */
	pond_iceberg_schema *new_schema;          /* opts->schema_change applied (or opts->replace_schema);
	                                           * committed with the rows */
	bool unpartition;                         /* replace_schema: the default spec becomes unpartitioned */
	int32_t base_spec_id;                     /* the default spec the write started from */
	int32_t new_last_column_id;
	int32_t base_schema_id;                   /* the schema the change was made from ... */
	int32_t base_last_column_id;              /* ... and its last column id (md has the new one) */
	int64_t buffer_max_rows;                  /* a pure append of at most this many rows goes to the
	                                           * row buffer (buffer.c) instead; 0: never */
	int64_t target_file_size;                 /* bytes per written file; 0: write.target-file-size-bytes */
	/* A table on an object store: files are written under this local
	 * folder (as under the table's location) and uploaded before a
	 * manifest names them; NULL: written in place. */
	const char *stage;
	int stage_lock;                           /* pond__stage_open's */
	char **uploaded;                          /* objects uploaded and not yet committed */
	size_t nuploaded, capuploaded;
} pond__write;

/* What a change does, all in one snapshot. */
typedef struct pond__change {
	/* Rows to add, with the table's columns by name (NULL: none). */
	const char *rows_sql;
	/* More rows to add, each written by an engine write of its own after
	 * rows_sql's, so that each partition's rows of one of them go to files
	 * of their own (a compaction's bins of about the target size). */
	const char *const *rows_rounds;
	size_t nrows_rounds;
	/* Rows to remove: a SQL predicate over the table's columns (which are
	 * also reachable as __pond_d."col"). Files holding a row for which it
	 * is true are rewritten without those rows. NULL: none. */
	const char *remove_where;
	/* Optional unbound filter implied by remove_where, to prune the files
	 * looked at. */
	const pond_expr *prune;
	/* Rows that replace the removed ones: a SELECT of the table's columns
	 * (by position) over the relation __pond_d, which holds exactly the
	 * rows remove_where removes, read from the same files (an UPDATE).
	 * NULL: none. */
	const char *matched_rows_sql;
	/* Remove every live file of the branch (a whole overwrite). */
	bool remove_all;
	/* The rows to add were computed from the table as it was read: any
	 * commit since then is a conflict (not only those touching what the
	 * change removes). */
	bool validate_all;
	/* The snapshot operation; NULL: append, delete or overwrite by what
	 * was added and removed. */
	const char *operation;
	/* Runs in the catalog transaction of the commit (a flush empties the
	 * row buffer there). */
	pond__commit_hook hook;
	/* Files to remove by path (as scan tasks give them: resolved), data
	 * and delete files alike, planned at read_snapshot_id (a rewrite:
	 * rows_sql holds their rows). Commits since then may add files, which
	 * stay; one that removed a listed file, or added a position delete
	 * for a listed data file, is a conflict. */
	const char *const *remove_files;
	size_t nremove_files;
	int64_t read_snapshot_id;
	/* Files that move (an archive): remove_files[i] comes back at
	 * move_to[i] in the same snapshot, its manifest entry as it was but
	 * for the path: partition, metrics, counts and data sequence number,
	 * so delete files apply to it as before (its file sequence number is
	 * the commit's: the spec assigns it to every added file). NULL: none. */
	const char *const *move_to;
	/* The added files get this data sequence number instead of the
	 * commit's (Iceberg spec: a rewrite may keep the sequence number it
	 * started from, so equality deletes committed meanwhile still apply
	 * to the rewritten rows; such deletes are then no conflict). */
	bool has_data_sequence_number;
	int64_t data_sequence_number;
} pond__change;

/* Loads the table and opens file IO; opts may be NULL. */
int pond__write_begin(pond__write *w, pond_lake *lake, const pond_table_ident *id, const pond_write_options *opts,
                      pond_error *err);
void pond__write_end(pond__write *w);
/* A SELECT casting select_sql's columns, by position, to the table's
 * (write_files.c). */
int pond__write_cast_select(pond__write *w, pond_buf *sql, const char *select_sql, pond_error *err);
/* rows_sql (the table's columns) followed by the value of each partition
 * field the default spec computes, as a write computes it: a row that no
 * partition can take fails this query as it would fail the write
 * (write_files.c). Unsupported transforms fail at once. */
int pond__write_partitioned_select(pond__write *w, pond_buf *sql, const char *rows_sql, pond_error *err);
/* After a write of that SELECT failed with rc: a query with another number
 * of columns than the table is told so, with both numbers (POND_EINVAL);
 * any other failure is returned as it is. */
int pond__write_cast_error(pond__write *w, const char *select_sql, int rc, pond_error *err);
/* Writes the change's data files and manifest, then commits one snapshot
 * (retried against fresh metadata; a file to remove that another writer
 * removed first is POND_ECONFLICT). Changing nothing commits nothing.
 * On failure everything written is removed. */
int pond__write_commit_change(pond__write *w, const pond__change *change, pond_write_result *out, pond_error *err);
/* Loads the table and commits change (its prune, when NULL, from
 * remove_where), reading the table again and retrying when a concurrent
 * commit conflicts with what it read, a few times (update.c). verb names
 * the statement in errors ("delete from"). */
int pond__write_retrying(pond_lake *lake, const pond_table_ident *id, const pond__change *change,
                         const pond_write_options *opts, const char *verb, pond_write_result *out, pond_error *err);
/* The filter as a pruning expression when pond's filter parser reads it;
 * NULL otherwise (delete.c). */
const pond_expr *pond__write_prune(pond__write *w, const char *filter_sql);
/* Prefixes "could not VERB ns.t" unless the message names the table or is
 * a conflict (which does). */
void pond__write_error(pond__write *w, pond_error *err, const char *verb);

/* ---- manifest merging on append (write_merge.c) ---- */

/* One commit attempt's view for merging the manifests it carries. */
typedef struct pond__merge {
	pond_fileio *io;
	const pond_iceberg_metadata *base;   /* the attempt's fresh metadata: properties, specs, schema */
	int64_t snapshot_id;                 /* the snapshot being made */
	int attempt;
	bool has_new_manifest;               /* the snapshot adds a data manifest ... */
	int32_t new_spec_id;                 /* ... of this spec */
	pond_arena *arena;                   /* the attempt's */
	/* Called with each manifest written, before anything can fail, so the
	 * attempt's undo removes it. */
	int (*remember)(void *payload, const char *path, pond_error *err);
	void *payload;
} pond__merge;

/* Iceberg's merge-append over carried (the parent's manifests the new
 * snapshot keeps; the new manifest is not among them): per spec, when the
 * snapshot would hold commit.manifest.min-count-to-merge data manifests
 * (default 100) and commit.manifest-merge.enabled (default true), those
 * not written by this snapshot are packed into manifests of up to
 * commit.manifest.target-size-bytes (default 8 MB), in place. */
int pond__write_merge_manifests(const pond__merge *m, pond_manifest_file *carried, size_t *ncarried, pond_error *err);

/* ---- the files a write adds (write_files.c) ---- */

/* Writes rows_sql as Parquet into a new folder under the table's data/,
 * split by the default partition spec; files with no rows are dropped,
 * and a null in a required column fails the write. *dir is the folder (to
 * remove on failure); *files, in w's arena, have the bounds the engine's
 * statistics leave out filled in. */
int pond__write_rows(pond__write *w, const char *rows_sql, const char **dir, pond_written_file **files,
                     size_t *nfiles, pond_error *err);
/* Uploads written files staged locally (w->stage) to their places under
 * the table's location, each whole before this returns; each file's path
 * becomes its URL. Nothing to do for a table written in place. */
int pond__write_upload(pond__write *w, pond_written_file *files, size_t nfiles, pond_error *err);
/* Forgets the uploads not yet committed, deleting them when discard (a
 * write that failed). */
void pond__write_forget_uploads(pond__write *w, bool discard);
/* Writes the manifest of the new files (ADDED by snapshot_id; the data
 * sequence number change's when it keeps one, else inherited) at *path and
 * describes it in *out (both in w's arena); each file's partition is put
 * into partitions. */
int pond__write_manifest(pond__write *w, const pond__change *change, int64_t snapshot_id,
                         const pond_written_file *files, size_t nfiles, pond__path_map *partitions,
                         pond_manifest_file *out, const char **path, pond_error *err);
/* The written files as manifest data files (stats, partition tuples under
 * the default spec), in w's arena. */
int pond__write_data_files(pond__write *w, const pond_written_file *files, size_t nfiles, pond_data_file **out,
                           pond_error *err);
/* Puts a partition, its spec and values, into set as a key. */
int pond__write_partition_key(pond__path_map *set, int32_t spec_id, const pond_iceberg_literal *tuple, size_t n);

/* ---- the row buffer (buffer.c) ---- */

/* The forms of a buffered append's data (pond_buffer.form). */
#define POND__BUFFER_CHUNKS "chunks"    /* data chunks in pond's binary form (chunk_codec.c) */
#define POND__BUFFER_PARQUET "parquet"  /* a small Parquet file (the previous pond's form) */

/* Largest buffered data read back from the catalog. */
#define POND__BUFFER_MAX_BYTES ((size_t)256 << 20)

/* One buffered append, kept in the catalog. */
typedef struct pond__buffered {
	int64_t id;
	int64_t record_count;
	int64_t byte_count;
	int64_t created_ms;
	int32_t schema_id;  /* the schema its rows were written with */
	bool chunks;        /* form 'chunks'; else 'parquet' */
	const char *path;   /* its file in the project's cache folder (shared by the
	                     * 'chunks' entries of one schema) */
} pond__buffered;

/* A table's buffered appends, oldest id first. */
typedef struct pond__buffer {
	size_t n;
	pond__buffered *entries;
	size_t ntasks;          /* distinct files of the entries */
	pond_buffer_stats stats;
	const char *signature;  /* "" when empty; changes whenever the entries do */
} pond__buffer;

/* The buffer of table (none when the catalog has no buffer table); with
 * materialize, each file is written into the cache when not there, and
 * POND_ECONFLICT says a flush moved rows meanwhile: load the table again
 * and retry (table and buffer are then one state). */
int pond__buffer_load(pond__buffer *out, pond_lake *lake, const pond_table *table, bool materialize,
                      pond_arena *a, pond_error *err);
/* Scan tasks reading the buffered files (after pond__buffer_load with
 * materialize), b->ntasks of them, in a; POND_ENOMEM only. */
int pond__buffer_tasks(const pond__buffer *b, pond_arena *a, pond_scan_task **out);
/* Runs rows_sql (the table's columns) for a plain append to w's table
 * that may be buffered: at most w->buffer_max_rows rows (and the
 * buffer's byte limit) become one 'chunks' entry (*handled, out filled;
 * no rows: *handled, nothing done). More rows are not buffered: *spill
 * is a closed spill table holding them all (the caller writes them as
 * data files and frees it). buffer_chunks.c. */
int pond__buffer_append(pond__write *w, const char *rows_sql, bool *handled, pond_spill **spill,
                        pond_write_result *out, pond_error *err);
/* Writes the 'chunks' entries group[0..n) (one schema) of md's table as
 * one Parquet file at path, with that schema's field ids (buffer_chunks.c). */
int pond__buffer_chunks_cache(pond_lake *lake, const pond_iceberg_metadata *md, const pond__buffered *const *group,
                              size_t n, const char *path, pond_arena *a, pond_error *err);
/* Inserts one buffered entry of w's table: len bytes of data in form,
 * holding records rows, under w's schema; *entry_id (may be NULL) is its
 * id. Fails when the table was dropped meanwhile. */
int pond__buffer_insert(pond__write *w, const char *form, int64_t records, const void *bytes, size_t len,
                        int64_t *entry_id, pond_error *err);
/* Keeps the written files of an append (in folder dir, which the caller
 * removes) as one 'parquet' entry of w's table: the previous pond's form,
 * which appends no longer write; kept so that tests can make a catalog
 * as that pond left it. */
int pond__buffer_put_parquet(pond__write *w, const char *dir, const pond_written_file *files, size_t nfiles,
                             pond_error *err);
/* After a buffered append: flushes when the table's limits say so (a
 * failure is a warning: the append itself is done). */
void pond__buffer_after_put(pond__write *w);
/* Flushes id's buffer before a write that is not a plain append (a write
 * to a branch other than main needs none). When opts says what the rows
 * were read from (a snapshot and the buffered rows then) and the flush
 * wrote exactly those rows on that snapshot, *use (may be NULL) becomes
 * *adjusted: opts reading from the flush's snapshot, which holds the same
 * rows. Otherwise *use is opts (and a write validating its read then
 * conflicts, as it must). */
int pond__buffer_flush_first(pond_lake *lake, const pond_table_ident *id, const pond_write_options *opts,
                             pond_write_options *adjusted, const pond_write_options **use, pond_error *err);
/* The most rows an append may have to be buffered for md's table; 0 when
 * the table does not buffer. */
int64_t pond__buffer_max_rows(const pond_iceberg_metadata *md);
/* Per table uuid, its buffered rows (none when there is no buffer table). */
int pond__buffer_records(pond_catalog *catalog, pond__path_map *records, pond_error *err);
/* Removes a dropped table's buffered rows. */
int pond__buffer_forget(pond_lake *lake, const pond_table_ident *id, pond_error *err);

/* The buffer a read of table with opts sees (none for time travel) and
 * its scan tasks, in a (scan_sql.c). When a flush came between the
 * table's load and its buffer's, the table is loaded again into *fresh
 * (the caller's to free; NULL when table was current), which the read
 * must use. */
int pond__scan_buffer(pond__buffer *b, pond_scan_task **tasks, pond_table **fresh, pond_lake *lake,
                      const pond_table *table, const pond_scan_options *opts, pond_arena *a, pond_error *err);

/* pond_view_sql for a caller that remembers whether pond_views exists:
 * *table_seen true skips the probe, and is set when the table is found
 * (views.c; SQL sessions keep it for their lifetime). */
int pond__view_sql(pond_catalog *catalog, const pond_table_ident *id, bool *table_seen, pond_arena *arena,
                   const char **select_sql, pond_error *err);


/* ---- backups (backup_files.c) ---- */

/* Copies src to dst through dst.part (synced, then renamed), creating
 * folders; unless always, skips a dst of src's size. *size gets src's
 * size, *copied whether it was copied. A missing src is POND_ENOTFOUND. */
int pond__backup_copy(const char *src, const char *dst, bool always, int64_t *size, bool *copied, pond_error *err);
/* Writes dst whole or not at all: fill writes the bytes into fd, an empty
 * dst.part (folders created), which is then synced and renamed to dst; on
 * failure dst.part is removed and dst left as it was. */
typedef int (*pond__backup_fill_fn)(int fd, void *payload, pond_error *err);
int pond__backup_write(const char *dst, pond__backup_fill_fn fill, void *payload, pond_error *err);
/* The error for a file the copied catalog names that is gone (an expiry
 * deleted it since the catalog was read): POND_ENOTFOUND. */
int pond__backup_gone(pond_error *err, const char *path);
/* Calls fn for every regular file under dir, by path relative to it
 * (nothing when dir is missing). */
typedef int (*pond__backup_walk_fn)(const char *rel, int64_t size, void *payload, pond_error *err);
int pond__backup_walk(const char *dir, pond__backup_walk_fn fn, void *payload, pond_error *err);
/* Takes dir/.pond-lock (POND_ECONFLICT, naming the holder such as
 * "backup or restore", when another process holds it); the lock goes
 * with the process. */
int pond__backup_lock(const char *dir, const char *holder, int *fd, pond_error *err);
void pond__backup_unlock(int *fd);
/* The project files a backup holds: pond.yml and these folders. */
extern const char *const pond__backup_project_dirs[];

/* ---- backups of S3 warehouses (backup_s3.c) ---- */

/* An S3 warehouse as a backup or a restore sees it: the project's S3
 * client (pond.yml's storage settings, through a lake over no catalog)
 * and, once listed, the size of every object under the warehouse. */
typedef struct pond__backup_bucket {
	pond_lake *lake;          /* for pond_lake_fileio; its catalog is NULL */
	pond_s3_client *client;   /* the lake's */
	const char *url;          /* s3://BUCKET/PREFIX */
	char *bucket, *prefix;    /* prefix "" or "PREFIX/" */
	pond__path_map sizes;     /* object URL -> size */
	pond_arena *a;
} pond__backup_bucket;

/* Opens the warehouse url (s3://BUCKET/PREFIX) with project's settings;
 * close with pond__backup_bucket_close, also after a failure. */
int pond__backup_bucket_open(pond__backup_bucket *b, const pond_project *project, const char *url, pond_error *err);
void pond__backup_bucket_close(pond__backup_bucket *b);
/* Lists every object under the warehouse into b->sizes (ListObjectsV2). */
int pond__backup_bucket_list(pond__backup_bucket *b, pond_error *err);
/* Downloads the object url, of size bytes, to dst through dst.part, unless
 * dst has that size already (*copied false). A missing object is
 * POND_ENOTFOUND; other failures name the object and S3's code. */
int pond__backup_download(pond__backup_bucket *b, const char *url, int64_t size, const char *dst, bool *copied,
                          pond_error *err);
/* Uploads the local file src as the object url, unless the listing holds
 * url with src's size (*copied false); *size gets src's size. */
int pond__backup_upload(pond__backup_bucket *b, const char *src, const char *url, int64_t *size, bool *copied,
                        pond_error *err);

#endif
