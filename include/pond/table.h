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
} pond_project;

/* Finds pond.yml in dir (NULL: the current folder) or, when search_parents,
 * in its parents, and reads it. POND_ENOTFOUND with a message that says how
 * to create a project when there is none. */
int pond_project_find(pond_project **out, const char *dir, bool search_parents, pond_error *err);
/* Reads DIR/pond.yml. */
int pond_project_load(pond_project **out, const char *dir, pond_error *err);
void pond_project_free(pond_project **project);

/* Writes a new project into dir (created if missing): a commented pond.yml
 * naming a SQLite catalog and a warehouse folder inside the project, and
 * the folders sources/, models/, exports/. Refuses when pond.yml exists. */
int pond_project_init(const char *dir, const char *name, pond_error *err);

/* ---- lakes --------------------------------------------------------------------- */

/* An open project: its catalog connection, its warehouse and an engine.
 * One thread at a time. */
typedef struct pond_lake pond_lake;

/* Opens the project's catalog. engine may be NULL (the lake opens its own)
 * or borrowed (it must outlive the lake). */
int pond_lake_open(pond_lake **out, const pond_project *project, pond_engine *engine, pond_error *err);
void pond_lake_close(pond_lake **lake);
pond_catalog *pond_lake_catalog(pond_lake *lake);
pond_engine *pond_lake_engine(pond_lake *lake);
const pond_project *pond_lake_project(const pond_lake *lake);

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
	const char *metadata_location;
	pond_iceberg_metadata *metadata;
} pond_table;

/* Loads a table's current metadata. POND_ENOTFOUND names the table. */
int pond_table_load(pond_table **out, pond_lake *lake, const pond_table_ident *id, pond_error *err);
void pond_table_free(pond_table **table);

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
	int max_attempts;        /* default 30 */
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

/* Creates a table: fresh field ids are assigned to schema; spec (NULL:
 * unpartitioned) refers to the given schema's field ids. The namespace is
 * created when missing. Location: WAREHOUSE/ns/name. */
int pond_table_create(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_schema *schema,
                      const pond_iceberg_partition_spec *spec, const pond_iceberg_kv *properties,
                      size_t nproperties, pond_table **out, pond_error *err);

/* Removes the table from the catalog; with purge, also its folder. */
int pond_table_drop(pond_lake *lake, const pond_table_ident *id, bool purge, pond_error *err);

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
} pond_write_result;

/* How a write commits. */
typedef struct pond_write_options {
	/* Extra snapshot summary entries, committed atomically with the data
	 * (ingestion keeps its cursor state here). */
	const pond_iceberg_kv *summary;
	size_t nsummary;
	/* The branch to commit to; NULL: main. Created when missing. */
	const char *branch;
} pond_write_options;

#define POND_WRITE_OPTIONS_INIT {NULL, 0, NULL}

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

/* Upserts the query's rows on key columns: rows of the table whose key
 * appears in the query are replaced, the rest appended; when the query
 * holds a key twice, the last row wins. One commit. */
int pond_table_merge_query(pond_lake *lake, const pond_table_ident *id, const char *select_sql,
                           const char *const *keys, size_t nkeys, const pond_write_options *opts,
                           pond_write_result *out, pond_error *err);

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

#endif
