/*
 * Internals shared by the table layer's files.
 */
#ifndef POND_TABLE_INTERNAL_H
#define POND_TABLE_INTERNAL_H

#include "pond/table.h"

struct pond_lake {
	const pond_project *project;
	pond_catalog *catalog;
	pond_engine *engine;
	pond_engine *owned_engine;  /* set when the lake opened its own */
};

/* Writes metadata as the table's next metadata file (NNNNN-uuid.metadata.json
 * under LOCATION/metadata, numbered after `previous`); returns its path in
 * arena. */
int pond__table_write_metadata(const pond_iceberg_metadata *md, const char *previous, pond_arena *arena,
                               const char **out_path, pond_error *err);

/* A new table's metadata, not yet in the catalog (create.c): location
 * WAREHOUSE/ns/name, fresh field ids; the namespace is created when
 * missing. *out has no metadata location. */
int pond__table_stage(pond_table **out, pond_lake *lake, const pond_table_ident *id,
                      const pond_iceberg_schema *schema, pond_error *err);
/* Creates a staged table in one catalog change: build's updates (may be
 * NULL: none) applied to md, written as its first metadata file and
 * registered. Another writer creating it first is POND_ECONFLICT. */
int pond__table_commit_create(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_metadata *md,
                              pond_table_commit_fn build, void *payload, pond_error *err);
/* Where a new table id lives (drop.c): WAREHOUSE/ns/.../name with each
 * part escaped, or a fresh folder of its own in the warehouse when that
 * one lies inside another table's folder or is already in use. */
int pond__table_location(const pond_lake *lake, const pond_table_ident *id, pond_arena *a, const char **out,
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

/* The read SQL of md at the snapshot opts select, without a catalog: the
 * metadata file's location drives the moved-table remap. *nfiles (may be
 * NULL) gets the number of data files the scan kept. Errors carry no
 * table name (pond_table_scan_sql adds it). */
int pond__scan_sql(pond_buf *out, pond_engine *engine, const pond_iceberg_metadata *md, const char *metadata_location,
                   const pond_scan_options *opts, size_t *nfiles, pond_error *err);
/* The read SQL of some planned tasks (borrowed) with schema's columns and,
 * with with_file, POND_SCAN_FILE_COLUMN last. io carries the remap. */
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
bool pond__path_map_get(const pond__path_map *m, const char *key, int64_t *value);
void pond__path_map_dispose(pond__path_map *m);

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
	int64_t target_file_size;                 /* bytes per written file; 0: write.target-file-size-bytes */
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
	/* Files to remove by path (as scan tasks give them: resolved), data
	 * and delete files alike, planned at read_snapshot_id (a rewrite:
	 * rows_sql holds their rows). Commits since then may add files, which
	 * stay; one that removed a listed file, or added a position delete
	 * for a listed data file, is a conflict. */
	const char *const *remove_files;
	size_t nremove_files;
	int64_t read_snapshot_id;
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

/* ---- the files a write adds (write_files.c) ---- */

/* Writes rows_sql as Parquet into a new folder under the table's data/,
 * split by the default partition spec; files with no rows are dropped,
 * and a null in a required column fails the write. *dir is the folder (to
 * remove on failure); *files, in w's arena, have the bounds the engine's
 * statistics leave out filled in. */
int pond__write_rows(pond__write *w, const char *rows_sql, const char **dir, pond_written_file **files,
                     size_t *nfiles, pond_error *err);
/* Writes the manifest of the new files (ADDED by snapshot_id; the data
 * sequence number change's when it keeps one, else inherited) at *path and
 * describes it in *out (both in w's arena); each file's partition is put
 * into partitions. */
int pond__write_manifest(pond__write *w, const pond__change *change, int64_t snapshot_id,
                         const pond_written_file *files, size_t nfiles, pond__path_map *partitions,
                         pond_manifest_file *out, const char **path, pond_error *err);
/* Puts a partition, its spec and values, into set as a key. */
int pond__write_partition_key(pond__path_map *set, int32_t spec_id, const pond_iceberg_literal *tuple, size_t n);

/* pond_view_sql for a caller that remembers whether pond_views exists:
 * *table_seen true skips the probe, and is set when the table is found
 * (views.c; SQL sessions keep it for their lifetime). */
int pond__view_sql(pond_catalog *catalog, const pond_table_ident *id, bool *table_seen, pond_arena *arena,
                   const char **select_sql, pond_error *err);

#endif
