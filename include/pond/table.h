/*
 * pond table layer: a table as the user knows it. A project (pond.yml)
 * names a warehouse and a catalog; a lake is an open project. Tables are
 * created, loaded, changed through one commit path (updates and
 * requirements applied to fresh metadata, a new metadata file, a
 * compare-and-swap in the catalog, retried on conflict), and read by
 * handing DuckDB the files that scan planning keeps.
 */
#ifndef POND_TABLE_H
#define POND_TABLE_H

#include "pond/catalog.h"
#include "pond/engine.h"
#include "pond/iceberg.h"
#include "pond/manifest.h"
#include "pond/util.h"

/* ---- projects ---------------------------------------------------------------- */

/* The namespace of table names written without one ("t" is "main.t"), the
 * same as DuckDB's default schema. */
#define POND_DEFAULT_NAMESPACE "main"

typedef struct pond_project {
	pond_arena *arena;         /* owns everything here */
	const char *root;          /* absolute folder holding pond.yml */
	const char *config_path;   /* root/pond.yml */
	const char *name;
	const char *warehouse;     /* absolute folder (or s3:// URL) */
	const char *catalog_uri;   /* absolute SQLite path or postgresql:// URL */
	const char *catalog_name;  /* the catalog_name column; default "pond" */
	const pond_yaml_node *config;  /* the whole document, for other layers */
	/* pond.yml's storage: block, for tables on S3 (an s3:// warehouse):
	 * settings and the names of the variables holding credentials (never
	 * the secrets), and the local object cache S3 data files are read
	 * through (ROOT/.pond/cache/s3, capped at cache_max_bytes). */
	pond_s3_settings storage;
	int64_t cache_max_bytes;
	const char *cache_dir;
	/* When catalog_uri is an Iceberg REST catalog (http:// or https://):
	 * the names of the variables holding its token or OAuth2 client
	 * credential (never the values), the warehouse to ask it for, and
	 * the local SQLite file for pond's own state (ROOT/.pond/state.db). */
	struct {
		const char *token_env;
		const char *credential_env;
		const char *warehouse;
	} rest;
	const char *state_path;
} pond_project;

/* The top-level pond.yml keys one layer reads. The table layer reads name,
 * warehouse, catalog, catalog_name and storage; every other layer declares
 * its own with POND_PROJECT_KEYS in the file that reads them, and
 * pond_project_load reports a key nobody declared as "pond.yml:LINE:
 * unknown key". */
typedef struct pond_project_keys {
	const char *owner;               /* who reads them, e.g. "pipeline" */
	const char *const *keys;         /* NULL-terminated, static */
	struct pond_project_keys *next;  /* the registry's link */
} pond_project_keys;

/* Adds keys to the process-wide registry; keys must outlive every project
 * load. Registering one struct twice is a no-op. Thread-safe. */
void pond_project_register_keys(pond_project_keys *keys);
/* Whether a registered layer (or the table layer) reads top-level key. */
bool pond_project_key_known(const char *key);

/* Declares a layer's keys and registers them before main() runs, so a
 * program holding the code that reads a key accepts the key:
 *   POND_PROJECT_KEYS(pipeline, "pipelines", "defaults") */
#define POND_PROJECT_KEYS(owner, ...)                                                      \
	static const char *const pond_project_keys_of_##owner[] = {__VA_ARGS__, NULL};       \
	static pond_project_keys pond_project_keys_##owner = {#owner, pond_project_keys_of_##owner, NULL}; \
	__attribute__((constructor)) static void pond_project_keys_register_##owner(void)    \
	{                                                                                    \
		pond_project_register_keys(&pond_project_keys_##owner);                          \
	}

/* Finds pond.yml in dir (NULL: the current folder) or, when search_parents,
 * in its parents, and reads it. POND_ENOTFOUND with a message that says how
 * to create a project when there is none. */
int pond_project_find(pond_project **out, const char *dir, bool search_parents, pond_error *err);
/* Reads DIR/pond.yml. */
int pond_project_load(pond_project **out, const char *dir, pond_error *err);
void pond_project_free(pond_project **project);

/* Whether a warehouse (or a table's location) lives on S3: s3://, s3a://,
 * s3n:// (the others' files are local paths or file:// URIs). */
bool pond_project_is_s3(const char *location);

/* Whether the project's tables live in an Iceberg REST catalog. */
bool pond_project_is_rest(const pond_project *project);
/* Opens the project's catalog (a REST catalog with its token or
 * credential read from the environment, and its state file). */
int pond_project_open_catalog(pond_catalog **out, const pond_project *project, pond_error *err);

/* Writes a new project into dir (created if missing): a commented pond.yml
 * naming a SQLite catalog and a warehouse folder inside the project, the
 * folders sources/, models/, exports/, and a .gitignore keeping data and
 * secrets (.pond/) out of git. Refuses when pond.yml exists. */
int pond_project_init(const char *dir, const char *name, pond_error *err);

/* ---- lakes --------------------------------------------------------------------- */

/* An open project: its catalog connection, its warehouse and an engine.
 * One thread at a time. */
typedef struct pond_lake pond_lake;

/* Opens the project's catalog. engine may be NULL (the lake opens its own)
 * or borrowed (it must outlive the lake). */
int pond_lake_open(pond_lake **out, const pond_project *project, pond_engine *engine, pond_error *err);
/* A lake over a catalog connection the caller keeps (it must outlive the
 * lake), with no engine until a read or write of rows needs one: for
 * metadata work (commits of updates, create, drop, rename), which then
 * costs no DuckDB start. */
int pond_lake_open_catalog(pond_lake **out, const pond_project *project, pond_catalog *catalog, pond_error *err);
void pond_lake_close(pond_lake **lake);
pond_catalog *pond_lake_catalog(pond_lake *lake);
pond_engine *pond_lake_engine(pond_lake *lake);
const pond_project *pond_lake_project(const pond_lake *lake);

/* The file IO for files at location (a table location, a metadata file):
 * s3:// through the lake's S3 client (pond.yml's storage: settings) and
 * object cache, anything else on the local disk. Free it with
 * pond_fileio_free before the lake closes. */
int pond_lake_fileio(pond_lake *lake, const char *location, pond_fileio **out, pond_error *err);

/* ---- table names ---------------------------------------------------------------- */

typedef struct pond_table_ident {
	pond_ns ns;
	const char *name;
} pond_table_ident;

/* Parses "ns.t", "a.b.t" or "t" (namespace main). */
int pond_table_ident_parse(pond_table_ident *out, pond_arena *arena, const char *text, pond_error *err);
/* "ns.t", allocated in arena. */
char *pond_table_ident_format(pond_arena *arena, const pond_table_ident *id);

/* ---- loaded tables ---------------------------------------------------------------- */

typedef struct pond_table {
	pond_arena *arena;              /* owns the strings below */
	pond_table_ident ident;
	const char *metadata_location;  /* absolute */
	pond_iceberg_metadata *metadata;
	const char *catalog_location;   /* as the catalog row holds it (may be relative): what a commit
	                                 * swaps from */
} pond_table;

/* Where a table's current metadata file is (absolute; a location the
 * catalog records relative to a root is taken relative to the project),
 * in arena, without reading it; *recorded (may be NULL) gets the catalog's
 * text. POND_ENOTFOUND names the table. */
int pond_table_metadata_location(pond_lake *lake, const pond_table_ident *id, pond_arena *arena, const char **out,
                                 const char **recorded, pond_error *err);
/* Loads a table's current metadata. POND_ENOTFOUND names the table. */
int pond_table_load(pond_table **out, pond_lake *lake, const pond_table_ident *id, pond_error *err);
void pond_table_free(pond_table **table);
/* The file IO of a loaded table (its storage, and the remap of a table
 * that moved); free with pond_fileio_free before the lake closes. */
int pond_table_fileio(pond_lake *lake, const pond_table *table, pond_fileio **out, pond_error *err);
/* Calls fn for every file under the table's folder (folder NULL) or its
 * subfolder folder ("metadata"), at any depth, with paths as resolved: a
 * walk of a local folder, one listing on S3. */
int pond_table_files(pond_lake *lake, const pond_table *table, const char *folder, pond_fileio_list_fn fn,
                     void *payload, pond_error *err);
/* Deletes files of the table's storage by path as pond_table_files gives
 * them (missing ones are no error; S3: DeleteObjects in batches). */
int pond_table_remove_files(pond_lake *lake, const pond_table *table, const char *const *paths, size_t n,
                            pond_error *err);

/* ---- the commit path ---------------------------------------------------------------- */

/* Builds one attempt's change against base (the current metadata; NULL
 * when the table is being created). Allocates in arena, which lives until
 * the attempt ends. Called again with fresh metadata after a lost race, so
 * it must not assume the base it saw last time. */
typedef int (*pond_table_commit_fn)(const pond_iceberg_metadata *base, pond_arena *arena,
                                    pond_iceberg_requirement **requirements, size_t *nrequirements,
                                    pond_iceberg_update **updates, size_t *nupdates, void *payload,
                                    pond_error *err);

typedef struct pond_commit_options {
	int max_attempts;        /* lost swaps in a row while the table did not move; default 30 */
	int base_backoff_ms;     /* default 2; doubles per attempt, with jitter */
	int max_backoff_ms;      /* default 250 */
} pond_commit_options;

#define POND_COMMIT_OPTIONS_INIT {30, 2, 250}

/* Commits a change to an existing table. On a concurrent change the table
 * is reloaded and build called again, with backoff; a change that no
 * longer applies (a failed requirement) fails with POND_ECONFLICT naming
 * it. On success, *out (if not NULL) gets the new table state. */
int pond_table_commit(pond_lake *lake, const pond_table_ident *id, pond_table_commit_fn build, void *payload,
                      const pond_commit_options *opts, pond_table **out, pond_error *err);

/* One table's part of pond_table_commit_all. */
typedef struct pond_table_change {
	pond_table_ident id;
	pond_table_commit_fn build;  /* base is NULL for a table being created */
	void *payload;
	bool create;                 /* the table may be missing: the commit then registers it (its
	                              * namespace must exist), and build gets no base */
} pond_table_change;

/* Commits changes to several tables as one (the REST catalog's
 * transactions): each is built and applied against its table's current
 * metadata and written as a new metadata file, then every catalog swap
 * (and the registration of a table being created) is made in one catalog
 * transaction, so all land or none does. A lost swap retries the whole
 * set against fresh metadata, as pond_table_commit does; a failed
 * requirement fails it with POND_ECONFLICT naming the table; a missing
 * table without create is POND_ENOTFOUND. No table may appear twice.
 * On success out (may be NULL; n entries, the caller frees each) gets the
 * tables as this commit left them: the metadata it wrote and where. */
int pond_table_commit_all(pond_lake *lake, const pond_table_change *changes, size_t n, const pond_commit_options *opts,
                          pond_table **out, pond_error *err);

/* Creates a table: fresh field ids are assigned to schema; spec (NULL:
 * unpartitioned) refers to the given schema's field ids. The namespace is
 * created when missing. Location: WAREHOUSE/ns/name. */
int pond_table_create(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_schema *schema,
                      const pond_iceberg_partition_spec *spec, const pond_iceberg_kv *properties,
                      size_t nproperties, pond_table **out, pond_error *err);

/* Where a new table id would live, as pond_table_create places tables:
 * WAREHOUSE/ns/.../name, or a fresh folder of its own in the warehouse
 * when that one is taken or lies inside another table's. In arena. */
int pond_table_default_location(pond_lake *lake, const pond_table_ident *id, pond_arena *arena, const char **out,
                                pond_error *err);

/* Removes the table from the catalog; with purge, also its folder. */
int pond_table_drop(pond_lake *lake, const pond_table_ident *id, bool purge, pond_error *err);

/* Renames a table (also into another namespace, which must exist); its
 * buffered rows follow it. POND_ENOTFOUND, POND_EEXISTS as the catalog's. */
int pond_table_rename(pond_lake *lake, const pond_table_ident *from, const pond_table_ident *to, pond_error *err);

/* Sets and removes table properties in one commit. */
int pond_table_set_properties(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_kv *set,
                              size_t nset, const char *const *remove, size_t nremove, pond_error *err);

/* ---- writes ---------------------------------------------------------------------- */

/* What a write did. */
typedef struct pond_write_result {
	int64_t snapshot_id;     /* the new snapshot; 0 when nothing was committed */
	int64_t added_records;
	int64_t added_files;
	int64_t added_bytes;
	int64_t deleted_records;
	int64_t deleted_files;
	int64_t matched_records; /* rows the change's condition matched (removed or replaced) */
	bool buffered;           /* the rows went to the row buffer (no snapshot yet) */
} pond_write_result;

/* How a write commits. */
typedef struct pond_write_options {
	/* Extra snapshot summary entries, committed atomically with the data
	 * (ingestion keeps its cursor state here). */
	const pond_iceberg_kv *summary;
	size_t nsummary;
	/* The branch to commit to; NULL: main. Created when missing. */
	const char *branch;
	/* A schema change that commits with the rows: add-schema and
	 * set-current-schema go in the same commit as the snapshot, so a
	 * failed write leaves no new (empty) columns. NULL: none. */
	const struct pond_schema_change *schema_change;
	/* When the table does not exist: create it with this schema (fresh
	 * field ids, unpartitioned), the table and its first snapshot in one
	 * catalog change, so a failed or killed write leaves no empty table.
	 * An empty result still creates the table. NULL: it must exist. */
	const pond_iceberg_schema *create_schema;
	/* When set and non-zero just before the commit (a signal handler's
	 * flag), nothing is committed: POND_ECANCELED. */
	const volatile int *cancel;
	/* The rows to write were computed from the table at this snapshot
	 * (POND_ICEBERG_NO_SNAPSHOT: it was empty): the write fails with
	 * POND_ECONFLICT if the branch moved since. */
	bool has_read_snapshot;
	int64_t read_snapshot_id;
	/* The rows replace the table's under this schema, in the same commit:
	 * it becomes the current schema (with field ids after the table's
	 * last), and the table unpartitioned. The history stays. NULL: the
	 * table's schema (or schema_change). */
	const pond_iceberg_schema *replace_schema;
	/* With has_read_snapshot: the buffered rows read with it, as the
	 * signature reads of the table report (NULL: none). */
	const char *read_buffer;
	/* Work in the catalog transaction that commits the write, after the
	 * table's metadata pointer moved and before the transaction ends (an
	 * ingest records what it fetched): its failure undoes the commit.
	 * Such a write is never buffered. NULL: none. */
	int (*on_commit)(pond_catalog *catalog, void *payload, pond_error *err);
	void *on_commit_payload;
	/* With summary entries: commit a snapshot even when the write adds
	 * and removes nothing, so that the entries (a source's state that
	 * moved past input with no rows) are recorded. false: such a write
	 * commits nothing. */
	bool commit_empty;
} pond_write_options;

#define POND_WRITE_OPTIONS_INIT {NULL, 0, NULL, NULL, NULL, NULL, false, 0, NULL, NULL, NULL, NULL, false}

/* Appends the rows of select_sql (columns by position, cast to the table's
 * column types) as one snapshot. Data files are written first, then one
 * commit; when the commit fails the new files are removed and the table
 * is as it was. An empty result commits nothing. opts may be NULL. */
int pond_table_append_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                            const pond_write_options *opts, pond_write_result *out, pond_error *err);

/* Replaces rows: with filter_sql NULL, the new snapshot holds only the
 * query's rows (operation "overwrite"); else rows matching filter_sql (a
 * SQL boolean expression over the table's columns) are removed and the
 * query's rows added, in one commit (delete-insert by a window). */
int pond_table_overwrite_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                               const char *filter_sql, const pond_write_options *opts, pond_write_result *out,
                               pond_error *err);

/* Deletes the rows matching filter_sql by rewriting the files that hold
 * them (copy-on-write), in one commit. Rows for which the filter is NULL
 * stay. Deleting nothing commits nothing. */
int pond_table_delete_where(pond_lake *lake, const pond_table_ident *id, const char *filter_sql,
                            const pond_write_options *opts, pond_write_result *out, pond_error *err);

/* Updates the rows matching filter_sql (copy-on-write, one commit):
 * updated_sql is a SELECT of the table's columns, by position, over the
 * relation __pond_d, which holds exactly the matching rows, and its rows
 * replace them. out->matched_records counts the rows matched. A
 * concurrent commit that changed what the update read makes it read the
 * table again, a few times, then fail with POND_ECONFLICT. */
int pond_table_update_where(pond_lake *lake, const pond_table_ident *id, const char *updated_sql,
                            const char *filter_sql, const pond_write_options *opts, pond_write_result *out,
                            pond_error *err);

/* Upserts the query's rows on key columns: rows of the table whose key
 * appears in the query are replaced, the rest appended; when the query
 * holds a key twice, the last row wins. Keys compare as IS NOT DISTINCT
 * FROM (a null key matches a null key), so re-merging the same rows keeps
 * the row count. One commit. */
int pond_table_merge_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                           const char *const *keys, size_t nkeys, const pond_write_options *opts,
                           pond_write_result *out, pond_error *err);

/* ---- the row buffer (buffer.c) ----------------------------------------------------- */

/* Appends of few rows to a table's main branch do not write a data file
 * and a snapshot each: their rows wait in a buffer in the catalog
 * database, which every pond read of the table's current state sees at
 * once, until a flush writes them as one append snapshot. Other engines
 * see them after the flush. Writes other than appends flush first. Table
 * properties (defaults below) set when a table buffers and flushes: */
#define POND_BUFFER_ENABLED "pond.buffer.enabled"                 /* "false": never */
#define POND_BUFFER_INSERT_MAX_ROWS "pond.buffer.insert-max-rows" /* appends of at most this many rows */
#define POND_BUFFER_FLUSH_ROWS "pond.buffer.flush-rows"           /* flush at this many rows ... */
#define POND_BUFFER_FLUSH_BYTES "pond.buffer.flush-bytes"         /* ... or bytes ... */
#define POND_BUFFER_FLUSH_BATCHES "pond.buffer.flush-batches"     /* ... or buffered appends ... */
#define POND_BUFFER_FLUSH_AGE_MS "pond.buffer.flush-age-ms"       /* ... or when the oldest is this old */
#define POND_BUFFER_DEFAULT_INSERT_MAX_ROWS 1000
#define POND_BUFFER_DEFAULT_FLUSH_ROWS 10000
#define POND_BUFFER_DEFAULT_FLUSH_BYTES (8 << 20)
#define POND_BUFFER_DEFAULT_FLUSH_BATCHES 100
#define POND_BUFFER_DEFAULT_FLUSH_AGE_MS (10 * 60 * 1000)

typedef struct pond_buffer_stats {
	int64_t batches;    /* buffered appends */
	int64_t records;
	int64_t bytes;      /* of their Parquet files */
	int64_t oldest_ms;  /* when the oldest was buffered */
	uint64_t checksum;  /* of the appends' ids: changes whenever they do */
} pond_buffer_stats;

/* Writes the table's buffered rows as one append snapshot and empties its
 * buffer, in one catalog transaction. Nothing buffered commits nothing
 * (out->snapshot_id 0). */
int pond_table_flush(pond_lake *lake, const pond_table_ident *id, pond_write_result *out, pond_error *err);
/* With write_through, this lake's appends never go to the row buffer:
 * each is a snapshot of its own at once, as for a table that does not
 * buffer (what is buffered already stays until a flush). */
void pond_lake_set_write_through(pond_lake *lake, bool write_through);
/* The tables that have buffered rows, sorted, in arena. */
int pond_lake_buffered_tables(pond_lake *lake, pond_arena *arena, pond_table_ident **out, size_t *n, pond_error *err);
/* Whether the table has buffered rows (read by name: no metadata read). */
int pond_table_has_buffered_rows(pond_lake *lake, const pond_table_ident *id, bool *out, pond_error *err);
/* What the table's buffer holds. */
int pond_table_buffer_stats(pond_lake *lake, const pond_table *table, pond_buffer_stats *out, pond_error *err);

/* ---- compaction (compact.c) ------------------------------------------------------- */

/* What a compaction is about to rewrite, for a progress line. */
typedef struct pond_compact_progress {
	const char *table;             /* "ns.t" */
	int64_t data_files, bytes;     /* the table's live files (data and delete bytes) */
	int64_t rewrite_files, rewrite_bytes;
	int64_t groups;                /* partitions (groups) rewritten */
} pond_compact_progress;

typedef struct pond_compact_options {
	/* Bytes per written file; 0: the table's write.target-file-size-bytes,
	 * else 512 MB (Java's default). Files under 75% of it (or, unpartitioned,
	 * over 180%) are candidates. */
	int64_t target_file_size;
	/* A partition's candidates are rewritten from this many files on (or
	 * from more than one file holding more than the target size); 0: 5. */
	int min_input_files;
	/* A data file whose file-scoped deletes remove at least this share of
	 * its rows is rewritten on its own; 0: 0.3. */
	double delete_ratio;
	/* Only files that may hold rows matching this filter (pond's filter
	 * syntax: "day >= '2024-01-01' and region = 'eu'"); NULL: all. */
	const char *where;
	/* Called once the files to rewrite are chosen, before any is read. */
	void (*progress)(const pond_compact_progress *progress, void *payload);
	void *payload;
	/* As pond_write_options.cancel. */
	const volatile int *cancel;
} pond_compact_options;

#define POND_COMPACT_OPTIONS_INIT {0, 0, 0, NULL, NULL, NULL, NULL}

/* What a compaction did; *_after counts the snapshot it committed (or the
 * one it read, when it committed nothing). Bytes are data plus delete
 * files. */
typedef struct pond_compact_result {
	int64_t snapshot_id;           /* 0: nothing needed rewriting */
	int64_t data_files_before, delete_files_before, bytes_before;
	int64_t data_files_after, delete_files_after, bytes_after;
	int64_t rewritten_files, rewritten_bytes;
	int64_t added_files, added_bytes;
	int64_t removed_delete_files;
	int64_t groups;
} pond_compact_result;

/* Bin-packs the table's main branch: per partition of the default spec,
 * small files (and files with many deleted rows, and files of an older
 * spec) are rewritten as files of about the target size, their deletes
 * applied, sorted by the table's sort order when it has one; delete files
 * that then apply to no live file are removed. One "replace" commit; the
 * rows read the same before and after. Appends committed meanwhile stay;
 * a concurrent commit that removed a rewritten file, or deleted rows of
 * one by position, fails it with POND_ECONFLICT and nothing changes.
 * opts may be NULL. */
int pond_table_compact(pond_lake *lake, const pond_table_ident *id, const pond_compact_options *opts,
                       pond_compact_result *out, pond_error *err);

/* ---- reads ------------------------------------------------------------------------ */

/* Appends to out a SQL query (a SELECT with no trailing ';') that reads the
 * table at the snapshot the options select, pruned by their filter, for
 * DuckDB: read_parquet over the planned files with the field-id schema map
 * (renamed and added columns resolve by id, defaults fill absent columns),
 * identity partition columns missing from files filled from the partition
 * tuple, and position and equality deletes applied. The columns are the
 * snapshot's schema, in order. An empty table gives a typed empty SELECT. */
int pond_table_scan_sql(pond_buf *out, pond_lake *lake, const pond_table *table, const pond_scan_options *opts,
                        pond_error *err);

/* ---- SQL sessions ------------------------------------------------------------------ */

/* SQL over a lake: every catalog table is queryable as ns.t (or t for
 * main.t) with no setup, and writes to catalog tables (CREATE TABLE [AS],
 * INSERT, DELETE, UPDATE, DROP TABLE) become Iceberg commits. Time travel:
 *   ns.t AT (VERSION => 1234)            a snapshot id
 *   ns.t AT (VERSION => 'tag-or-branch') a tag or branch
 *   ns.t AT (TIMESTAMP => '2024-01-31 12:00:00')  the snapshot current then
 * A SELECT over one table has its WHERE conjuncts used for scan planning,
 * so DuckDB reads only the files that can match. One thread at a time. */
typedef struct pond_session pond_session;

int pond_session_open(pond_session **out, pond_lake *lake, pond_error *err);
void pond_session_close(pond_session **session);

/* Runs one statement (no trailing ';'). A write to a catalog table is
 * carried out here: *result is NULL and *message (arena) says what it did.
 * Anything else runs on the engine with the catalog tables it names bound,
 * and *result is its result (free with pond_result_free). */
int pond_session_run(pond_session *session, const char *statement, pond_arena *arena, pond_result **result,
                     const char **message, pond_error *err);

/* The statement as the engine will run it: catalog tables it names bound
 * as views (time travel rewritten), and how many files each scan kept.
 * For tests and EXPLAIN-like tools. */
int pond_session_prepare(pond_session *session, const char *statement, pond_arena *arena, const char **rewritten,
                         size_t *files_kept, pond_error *err);

/* ---- Iceberg views (iceberg_views.c) ------------------------------------------------ */

/* Views other engines see: view metadata files (view spec v1) under the
 * view's location, named as tables' metadata files are, and the catalog's
 * view rows (pond_catalog_*_view). Independent of pond views below. */

/* The view's current metadata and its file's path (in arena);
 * POND_ENOTFOUND when id is no view. Caller frees *out. */
int pond_view_iceberg_load(pond_lake *lake, const pond_table_ident *id, pond_arena *arena, pond_iceberg_view **out,
                           const char **location, pond_error *err);
/* Applies a CommitViewRequest's requirements and updates (iceberg layer's
 * pond_iceberg_view_apply) to the current view, or, with create, to
 * nothing, and swaps the catalog row to the new metadata file. A swap lost
 * to another writer is retried on fresh metadata; a change that changes
 * nothing writes no file. Creating: POND_EEXISTS when the name is taken
 * (by a table too). *out (caller frees) and *location get the result.
 * The view's current and previous metadata files are kept, older ones
 * deleted. */
int pond_view_iceberg_commit(pond_lake *lake, const pond_table_ident *id, bool create, const json_t *requirements,
                             const json_t *updates, pond_arena *arena, pond_iceberg_view **out, const char **location,
                             pond_error *err);
/* Removes the catalog row; purge also deletes its metadata files. */
int pond_view_iceberg_drop(pond_lake *lake, const pond_table_ident *id, bool purge, pond_error *err);
int pond_view_iceberg_rename(pond_lake *lake, const pond_table_ident *from, const pond_table_ident *to,
                             pond_error *err);
/* The views in parent (NULL: everywhere) and the namespaces below it, by
 * namespace then name; an arena array. */
int pond_view_iceberg_list(pond_catalog *catalog, const pond_ns *parent, pond_arena *arena, pond_table_ident **out,
                           size_t *count, pond_error *err);
/* Creates the view with def as its only version (at the location a table
 * of that name would have; its namespace is made if missing), or makes def
 * its current version. */
int pond_view_iceberg_publish(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_view_definition *def,
                              pond_error *err);

/* ---- pond views (views.c) ---------------------------------------------------------- */

/* A pond view is a name and a SELECT kept in the catalog database (table
 * pond_views, owned here), which every SQL session of the project binds like
 * a table. The transform layer stores one per `materialized: view` model.
 * A view's namespace has one level. */

/* Stores (creates or replaces) the view id with its SELECT; model_path (may
 * be NULL) says where it came from. Creates pond_views if absent. */
int pond_view_put(pond_catalog *catalog, const pond_table_ident *id, const char *select_sql, const char *model_path,
                  pond_error *err);
/* Removes the view id; *dropped (may be NULL) says whether there was one. */
int pond_view_drop(pond_catalog *catalog, const pond_table_ident *id, bool *dropped, pond_error *err);
/* *select_sql = the view's SELECT in arena, NULL when id is no view.
 * Reading never creates pond_views. */
int pond_view_sql(pond_catalog *catalog, const pond_table_ident *id, pond_arena *arena, const char **select_sql,
                  pond_error *err);

/* ---- schema evolution (evolve.c) ------------------------------------------------- */

/* A list of schema operations, applied in order to the current schema and
 * committed as one new schema (add-schema + set-current-schema, asserting
 * the schema it started from). Nothing is checked until the commit; each
 * attempt replays the list on fresh metadata, so a concurrent change that
 * leaves it valid (another new column) is absorbed, and one that does not
 * fails with POND_ECONFLICT. Column names are dotted paths through structs
 * ("address.city"); an exact name wins, else a unique case-insensitive one.
 * The adders copy their arguments and return 0, or POND_ENOMEM (which also
 * makes the commit fail) or POND_EINVAL for a NULL argument. */
typedef struct pond_schema_change pond_schema_change;

int pond_schema_change_new(pond_schema_change **out, pond_error *err);
void pond_schema_change_free(pond_schema_change **change);

/* A new column at the end of parent (a struct column, or a struct in a
 * list or map named the Iceberg way: "items.element", "attrs.value";
 * NULL: the table),
 * with fresh field ids from last-column-id + 1. default_json (NULL: none) is
 * the spec's JSON single-value form ("0", "\"n/a\"", "\"2024-01-31\"",
 * "\"9.99\"" for a decimal), recorded as initial-default and write-default
 * so rows written before read it. Format v2 takes only optional columns. */
int pond_schema_change_add_column(pond_schema_change *change, const char *parent, const char *name,
                                  const pond_iceberg_type *type, bool required, const char *default_json,
                                  const char *doc);
/* Refused for an identifier field or a column the default partition spec
 * or sort order uses. */
int pond_schema_change_drop_column(pond_schema_change *change, const char *column);
/* Refused when a sibling has the name (without case: DuckDB folds it). */
int pond_schema_change_rename_column(pond_schema_change *change, const char *column, const char *new_name);
/* The spec's promotions only: int -> long, float -> double,
 * decimal(P,S) -> decimal(P',S) with P' > P. */
int pond_schema_change_widen_column(pond_schema_change *change, const char *column, const pond_iceberg_type *type);
int pond_schema_change_make_optional(pond_schema_change *change, const char *column);
/* Always refused for an optional column (old rows may hold nulls); a
 * no-op for a required one. */
int pond_schema_change_make_required(pond_schema_change *change, const char *column);
/* Reordering within the column's struct. */
int pond_schema_change_move_first(pond_schema_change *change, const char *column);
int pond_schema_change_move_before(pond_schema_change *change, const char *column, const char *other);
int pond_schema_change_move_after(pond_schema_change *change, const char *column, const char *other);

/* The schema the change gives against md's current schema, without
 * committing (a preview, or a check before a commit); *last_column_id gets
 * the table's new last-column-id. Errors name table_name and the column.
 * The result lives in arena. */
int pond_schema_change_apply(pond_iceberg_schema **out, int32_t *last_column_id, const pond_iceberg_metadata *md,
                             const pond_schema_change *change, const char *table_name, pond_arena *arena,
                             pond_error *err);
/* Commits the change; on any error the table is unchanged. */
int pond_table_evolve_schema(pond_lake *lake, const pond_table_ident *id, const pond_schema_change *change,
                             pond_error *err);

/* ---- partition spec evolution (evolve.c) ----------------------------------------- */

/* A partition field as users write it. */
typedef struct pond_partition_field_def {
	const char *column;               /* source column, a dotted path */
	pond_iceberg_transform transform;
	const char *name;                 /* NULL: Java's default name (ts_day, id_bucket_16) */
} pond_partition_field_def;

/* Parses "region", "identity(region)", "day(ts)" (also days, month(s),
 * year(s), hour(s)), "bucket(16, id)", "truncate(4, name)" (width and
 * column in either order), "void(x)", each optionally followed by
 * "AS name"; names may be "quoted". Strings live in arena. */
int pond_partition_field_parse(pond_partition_field_def *out, const char *text, pond_arena *arena,
                               pond_error *err);

/* Each commits a new default spec (add-spec + set-default-spec, asserting
 * the default spec id and last-assigned partition id it started from).
 * Fields equivalent to one of an earlier spec keep its field id; new ones
 * continue from last-partition-id. Files already written keep their spec. */
int pond_table_add_partition_field(pond_lake *lake, const pond_table_ident *id, const pond_partition_field_def *field,
                                   pond_error *err);
/* field: a partition field name ("ts_day") or its term ("day(ts)"). In v2
 * the field leaves the new spec; its id is not reused for another field. */
int pond_table_remove_partition_field(pond_lake *lake, const pond_table_ident *id, const char *field,
                                      pond_error *err);
/* The default spec becomes exactly these fields (none: unpartitioned). */
int pond_table_replace_partition_spec(pond_lake *lake, const pond_table_ident *id,
                                      const pond_partition_field_def *fields, size_t nfields, pond_error *err);

/* ---- rollback, tags and branches (refs.c) ---------------------------------------- */

/* Sets the main branch back to snapshot_id, which must be an ancestor of
 * the current snapshot unless force (then any snapshot the table has).
 * Later snapshots stay in the table (expire removes them); the next append
 * continues from snapshot_id. POND_ECONFLICT when main moves meanwhile. */
int pond_table_rollback(pond_lake *lake, const pond_table_ident *id, int64_t snapshot_id, bool force,
                        pond_error *err);
/* Rolls main back to the newest ancestor of the current snapshot committed
 * at or before timestamp_ms; *out_snapshot_id (may be NULL) gets it. */
int pond_table_rollback_to_time(pond_lake *lake, const pond_table_ident *id, int64_t timestamp_ms,
                                int64_t *out_snapshot_id, pond_error *err);

/* Retention of a ref; -1 leaves a setting unset (table defaults apply).
 * Tags take only max_ref_age_ms. */
typedef struct pond_ref_options {
	int64_t max_ref_age_ms;
	int64_t max_snapshot_age_ms;     /* branches */
	int32_t min_snapshots_to_keep;   /* branches */
} pond_ref_options;

#define POND_REF_OPTIONS_INIT {-1, -1, -1}

/* A new tag or branch at snapshot_id (POND_ICEBERG_NO_SNAPSHOT: the current
 * snapshot). Refused when the name is taken or is "main". opts may be NULL. */
int pond_table_create_tag(pond_lake *lake, const pond_table_ident *id, const char *name, int64_t snapshot_id,
                          const pond_ref_options *opts, pond_error *err);
int pond_table_create_branch(pond_lake *lake, const pond_table_ident *id, const char *name, int64_t snapshot_id,
                             const pond_ref_options *opts, pond_error *err);
/* Drops a tag or a branch (never main); the name must be of that kind. */
int pond_table_drop_tag(pond_lake *lake, const pond_table_ident *id, const char *name, pond_error *err);
int pond_table_drop_branch(pond_lake *lake, const pond_table_ident *id, const char *name, pond_error *err);
/* The table's refs, main first, then branches, then tags, each by name:
 * an array in arena whose names are borrowed from table. */
int pond_table_list_refs(pond_iceberg_ref **out, size_t *nout, const pond_table *table, pond_arena *arena,
                         pond_error *err);

/* ---- table upkeep: expiring snapshots (expire.c) --------------------------------- */

/* Table properties of expiry (Iceberg's keys; pond's defaults where they
 * differ from Java's are said so):
 *   history.expire.max-snapshot-age-ms    default 7 days (Java: 5 days)
 *   history.expire.min-snapshots-to-keep  default 1
 *   history.expire.max-ref-age-ms         default forever
 * and pond's own, for the expiry that commits run (upkeep.c):
 *   pond.expire-on-commit.enabled         default true
 *   pond.history.max-snapshots            default 100: when a commit leaves a
 *       table with more than this plus a quarter, snapshots are expired, by
 *       age and down to this many per branch, in the same process. */
#define POND_EXPIRE_DEFAULT_MAX_AGE_MS (7LL * 24 * 3600 * 1000)

typedef struct pond_expire_options {
	int64_t now_ms;          /* the time ages are measured from; 0: the clock */
	int64_t older_than_ms;   /* expire snapshots older than this age; -1: the table's
	                            history.expire.max-snapshot-age-ms. A ref's own
	                            max-snapshot-age-ms wins for its branch (as Java). */
	int32_t retain_last;     /* keep at least this many ancestors of each branch head;
	                            -1: history.expire.min-snapshots-to-keep (a ref's own wins) */
	int32_t max_snapshots;   /* keep at most this many ancestors of each branch head that
	                            the age would keep (retain_last still kept); -1: no cap */
	bool dry_run;            /* say what would go; change nothing */
} pond_expire_options;

#define POND_EXPIRE_OPTIONS_INIT {0, -1, -1, -1, false}

/* What an expiry removed (or, in a dry run, would remove). */
typedef struct pond_expire_result {
	int64_t snapshots;       /* snapshots removed */
	int64_t refs;            /* tags and branches whose max-ref-age-ms passed */
	int64_t manifest_lists, manifests, content_files, other_files;  /* files deleted:
	                            content = data and delete files; other = statistics */
	int64_t bytes;           /* bytes of the files deleted */
	int64_t snapshots_left;  /* snapshots the table holds after */
} pond_expire_result;

/* Iceberg's expire-snapshots: keeps every tag's snapshot and, for main and
 * each branch, the head's ancestors that are younger than the age or
 * among the retain_last newest; snapshots on no ref's history are kept
 * while younger than the age; tags and branches past their max-ref-age-ms
 * go (main never). One commit (remove-snapshot-ref, remove-snapshots)
 * through pond_table_commit, recomputed on conflict; only after it
 * succeeds are the manifest lists, manifests, data, delete and statistics
 * files deleted that the removed snapshots reached and no kept snapshot
 * does, and only those inside the table's folder or, for data and delete
 * files pond archived, inside the table's archive folder (the one
 * pond_table_archive marked as the table's). A crash in between
 * leaves those files for `pond orphans`. Nothing to expire commits
 * nothing. opts may be NULL. */
int pond_table_expire(pond_lake *lake, const pond_table_ident *id, const pond_expire_options *opts,
                      pond_expire_result *out, pond_error *err);

/* ---- table upkeep: orphan files (orphans.c) ------------------------------------- */

typedef struct pond_orphans_options {
	int64_t now_ms;          /* the time ages are measured from; 0: the clock */
	int64_t older_than_ms;   /* only files last modified before now minus this */
	bool remove;             /* delete them (and data folders left empty); else list */
	/* Called with each orphan (resolved path, bytes); may be NULL. */
	void (*found)(const char *path, int64_t bytes, void *payload);
	void *payload;
} pond_orphans_options;

#define POND_ORPHANS_OPTIONS_INIT {0, 3LL * 24 * 3600 * 1000, false, NULL, NULL}

typedef struct pond_orphans_result {
	int64_t files;           /* orphans found (and, with remove, deleted) */
	int64_t bytes;
	int64_t folders;         /* empty folders under data/ removed */
	int64_t young;           /* unreferenced files left alone: newer than the window */
} pond_orphans_result;

/* Files under the table's folder that its metadata does not reference:
 * not the current metadata file or one its metadata-log names, not a
 * statistics file, not any snapshot's manifest list, manifests, or the
 * data and delete files those name (DELETED entries included). Folders
 * that are another catalog table's location are skipped, as is a table
 * whose folder is outside the warehouse, and files modified within the
 * window (a write in flight) are left alone. Symbolic links are never
 * followed or removed. */
int pond_table_orphans(pond_lake *lake, const pond_table_ident *id, const pond_orphans_options *opts,
                       pond_orphans_result *out, pond_error *err);

/* ---- table upkeep: archiving old partitions (archive.c) --------------------------- */

/* Where an archive is, for a progress line: called once the files are
 * chosen (files_done 0, path NULL), then after each file copied. */
typedef struct pond_archive_progress {
	const char *table;             /* "ns.t" */
	int64_t files, bytes;          /* to move */
	int64_t files_done, bytes_done;
	const char *path;              /* the copy just made (borrowed) */
} pond_archive_progress;

typedef struct pond_archive_options {
	/* The archive folder (a mounted NAS share). It must exist: pond never
	 * creates it, so an unmounted share (an empty mount point) fails
	 * instead of filling the local disk. A table's files go to
	 * DEST/<their path in the warehouse>. */
	const char *dest;
	int64_t older_than_ms;         /* files whose rows all end before now minus this; > 0 */
	int64_t now_ms;                /* 0: the clock */
	/* Tables without a time partition: a date or timestamp column whose
	 * values (the files' upper bounds) date the files; NULL: such tables
	 * are skipped (out->skipped says why). */
	const char *column;
	bool dry_run;                  /* choose and count; copy and commit nothing */
	void (*progress)(const pond_archive_progress *progress, void *payload);
	void *payload;
	const volatile int *cancel;    /* as pond_write_options.cancel */
} pond_archive_options;

#define POND_ARCHIVE_OPTIONS_INIT {NULL, 0, 0, NULL, false, NULL, NULL, NULL}

typedef struct pond_archive_result {
	int64_t snapshot_id;           /* 0: nothing committed */
	const char *skipped;           /* why the table was left alone (static text), or NULL */
	int64_t files, bytes, records; /* data files moved (dry run: that would move) */
	int64_t partitions;            /* ... of this many partitions */
	int64_t files_copied, bytes_copied;  /* copied now; the rest were at the destination
	                                        from a run cut short, and were reused */
	int64_t kept_files;            /* old files left in place: position deletes name them */
	int64_t bytes_freed;           /* originals deleted already (no snapshot kept needs them) */
	int64_t bytes_on_expiry;       /* originals older snapshots still read: freed when they expire */
} pond_archive_result;

/* Moves the data files of the main branch whose rows all lie before the
 * cut-off (now minus older_than_ms) to opts->dest, in one "replace"
 * commit. A file's age comes from its partition: the first field of its
 * spec that is a year, month, day or hour transform, or an identity
 * partition on a date or timestamp column; the file is old when that
 * partition's time range ends at or before the cut-off (values read as
 * UTC; a null partition is never old). Files of a spec without such a
 * field are dated by opts->column's upper bound (old when every value is
 * before the cut-off and none is null), or not at all. Files outside the
 * warehouse (archived already) stay where they are, as do old files that
 * a position delete names (position deletes name files by path).
 *
 * Each file is copied to DEST/<its path in the warehouse> (to NAME.part,
 * synced, renamed; a copy already there with the recorded size, from a
 * run cut short, is reused), its size checked, then one commit removes
 * the old entries and adds the same files at their new paths with their
 * partition, metrics and counts and their data sequence numbers, so
 * delete files apply to them as before. Appends committed meanwhile stay;
 * a commit that removed a chosen file or added a position delete to it is
 * POND_ECONFLICT and nothing changes. On failure the copies this run made
 * are removed, unless some snapshot references them. The originals stay
 * for the snapshots before the archive, and expiry deletes them with
 * those snapshots. The table's folder at the destination is locked while
 * it runs and marked (.pond-archive, holding the table's uuid) as the
 * table's, so that expiry deletes archived files the table no longer
 * needs there too (after a delete or compaction rewrote them). A missing,
 * unwritable or too small destination fails with nothing copied. opts is
 * required. */
int pond_table_archive(pond_lake *lake, const pond_table_ident *id, const pond_archive_options *opts,
                       pond_archive_result *out, pond_error *err);
/* Whether dest can take archived files: an existing, writable folder
 * that neither holds nor lies inside the warehouse (a command checks it
 * once up front; pond_table_archive checks it whenever it has files to
 * move). */
int pond_table_archive_check(pond_lake *lake, const char *dest, pond_error *err);

/* ---- tables as JSON (describe.c) ------------------------------------------------- */

/* For `pond tables --json`, `pond history --json` and the server's API.
 * These read the catalog and metadata files only, never the engine, so a
 * caller without DuckDB open passes a bare catalog (pond_catalog_open) or
 * pond_lake_catalog(lake), and the project. */

/* Loads a table as pond_table_load does, from a catalog. */
int pond_table_load_catalog(pond_table **out, pond_catalog *catalog, const pond_project *project,
                            const pond_table_ident *id, pond_error *err);
/* The tables in parent (NULL: all namespaces) and below, as a new array of
 * {"table", "records", "data_files", "bytes", "snapshots", "last_updated_ms"}
 * (counts at the current snapshot); a table whose metadata cannot be read
 * gets {"table", "error"}. */
int pond_table_list_json(json_t **out, pond_catalog *catalog, const pond_project *project, const pond_ns *parent,
                         pond_error *err);
/* The snapshots, oldest first: {"snapshot_id", "parent_snapshot_id",
 * "sequence_number", "committed_at", "operation", "added_records",
 * "deleted_records", "total_records", "current", "refs"}. NULL when out of
 * memory. */
json_t *pond_table_history_json(const pond_iceberg_metadata *md);
/* A table at a glance: name, locations, format version, uuid, current
 * schema, default partition spec and sort order (Iceberg JSON), properties,
 * refs, the current snapshot with its summary, and totals (records, data
 * and delete files, bytes) from that summary. NULL when out of memory. */
json_t *pond_table_describe_json(const pond_table *table);


/* ---- backup and restore (backup.c, restore.c) -------------------------------------- */

/* A backup is a folder (a NAS share, a USB disk):
 *   backup.json   what it holds: time, tables and their snapshots, files, bytes
 *   catalog.db    the whole catalog database as one transaction saw it (SQLite)
 *   project/      pond.yml and the sources/, models/, exports/ folders
 *   warehouse/    every file the catalog's tables reference, by its path in
 *                 the warehouse; external/ holds those outside it, by
 *                 absolute path
 * Files are copied to NAME.part and renamed; a file already there with the
 * same size is skipped (the files are never rewritten in place), so a second
 * backup copies only new files, and a backup cut short leaves the previous
 * one whole: catalog.db and backup.json are replaced last. The warehouse
 * may be a folder or s3://BUCKET/PREFIX (its objects are downloaded into
 * warehouse/ by their keys below the prefix); the backup is always a local
 * folder. */

typedef struct pond_backup_stats {
	int64_t tables;
	int64_t files, bytes;                  /* what the backup holds */
	int64_t files_copied, bytes_copied;
	int64_t files_skipped, bytes_skipped;  /* already there, same size */
	int64_t files_done;                    /* handled so far, for progress */
} pond_backup_stats;

/* Called before the copying starts and after each file (path borrowed). */
typedef void (*pond_backup_progress_fn)(const pond_backup_stats *stats, const char *path, void *payload);

typedef struct pond_backup_options {
	pond_backup_progress_fn progress;  /* NULL: none */
	void *payload;
	/* Restore: replace a catalog that holds tables, write into a
	 * warehouse that is not empty, and overwrite the project's pond.yml
	 * and model files with the backup's. */
	bool force;
	/* Set (by a signal handler) to stop between files: POND_ECANCELED. */
	const volatile int *cancel;
	/* Restore: the restored project's warehouse (a folder, relative to
	 * the project, or s3://BUCKET/PREFIX), written into its pond.yml.
	 * NULL: what pond.yml says, except that a pond.yml restored from the
	 * backup of an S3 warehouse gets the local folder "warehouse" (a
	 * restore never writes into a bucket it was not pointed at). */
	const char *warehouse;
} pond_backup_options;

#define POND_BACKUP_OPTIONS_INIT {NULL, NULL, false, NULL, NULL}

/* Backs up the project (its catalog opened as catalog) into the folder
 * dest (created if missing). Every table's current metadata file, the
 * metadata files its log names (those still present), and everything its
 * snapshots reach: manifest lists, manifests, data and delete files,
 * statistics files. One backup or restore at a time uses a folder
 * (POND_ECONFLICT). opts may be NULL; *stats (may be NULL) gets counts. */
int pond_backup_run(const pond_project *project, pond_catalog *catalog, const char *dest,
                    const pond_backup_options *opts, pond_backup_stats *stats, pond_error *err);

/* Brings the backup in src back into the project folder dir: the project
 * files missing there (all of them with force), the warehouse files (into
 * a folder, or uploaded onto S3: opts->warehouse), then
 * the catalog (the project's SQLite file), with the tables' metadata
 * locations moved from the backed-up warehouse to dir's. Refuses a catalog
 * that holds tables or a warehouse that is not empty (POND_EEXISTS) unless
 * opts->force. Tables read and write at their new place (their files'
 * recorded paths are remapped: pond_fileio_remap_table). */
int pond_backup_restore(const char *src, const char *dir, const pond_backup_options *opts, pond_backup_stats *stats,
                        pond_error *err);

#endif
