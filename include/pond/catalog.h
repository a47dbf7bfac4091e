/*
 * pond catalog layer: where tables are. The Apache Iceberg SQL catalog, the
 * two tables Java's JdbcCatalog and pyiceberg's SqlCatalog use
 * (iceberg_tables, iceberg_namespace_properties), kept in SQLite (one file,
 * the default) or PostgreSQL (several machines). Catalogs those libraries
 * created open here and the other way round.
 *
 * A table's current state is one string, its metadata_location; a commit is
 * a compare-and-swap of that string (pond_catalog_commit_table). Purging
 * files, reading metadata JSON and retrying commits belong to the layers
 * above.
 *
 * pond's own state tables (runs, cursors, buffered rows) live in the same
 * database and are reached through pond_catalog_exec / pond_catalog_query.
 * Each layer declares its tables as a versioned schema (pond_catalog_schema)
 * and brings them up to date with pond_catalog_migrate; the backends'
 * dialect differences stay in this layer.
 *
 * Concurrency: a pond_catalog is one database connection and is NOT
 * thread-safe; open one per thread. Never use a catalog across fork(): the
 * child opens its own. Several processes and threads may use one database at
 * once: SQLite runs in WAL mode with a busy timeout and takes its write lock
 * up front (BEGIN IMMEDIATE); PostgreSQL relies on row locks. Two commits
 * racing on one table: exactly one wins, the other gets POND_ECONFLICT.
 *
 * Ownership: strings and arrays passed in are borrowed for the call. Results
 * (lists, properties, locations) are allocated from a caller-given arena and
 * live until that arena is reset or freed.
 */
#ifndef POND_CATALOG_H
#define POND_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "pond/iceberg.h"
#include "pond/util.h"

typedef struct pond_catalog pond_catalog;

/* ---- namespaces and identifiers --------------------------------------- */

/* Most levels a namespace may have. */
#define POND_NS_MAX_LEVELS 16

/* A namespace: a list of levels (borrowed strings). Stored in the catalog as
 * the levels joined with '.', as Java and pyiceberg do, so a level must be
 * non-empty and cannot contain '.'. An empty namespace (nlevels 0) means
 * "the root" where a function says so. */
typedef struct pond_ns {
	size_t nlevels;
	const char *levels[POND_NS_MAX_LEVELS];
} pond_ns;

/* A namespace literal: POND_NS("sales", "eu"). */
#define POND_NS(...)                                                            \
	((pond_ns){sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *), \
	           {__VA_ARGS__}})

/* Splits "a.b.c" into levels copied into arena. "" gives the root. */
int pond_ns_parse(pond_ns *out, pond_arena *arena, const char *dotted, pond_error *err);
/* "a.b.c" in arena; NULL on allocation failure. */
char *pond_ns_to_string(pond_arena *arena, const pond_ns *ns);

/* A namespace property, both strings borrowed (or arena-owned in results). */
typedef struct pond_catalog_prop {
	const char *key;
	const char *value;
} pond_catalog_prop;

/* What the catalog knows of a table; strings in the caller's arena.
 * previous_metadata_location is NULL for a table never committed to (and
 * always for a REST catalog); metadata_json is the table's metadata as a
 * REST catalog returned it with its location (NULL from a SQL catalog:
 * read the file). */
typedef struct pond_catalog_table {
	const char *metadata_location;
	const char *previous_metadata_location;
	const char *metadata_json;
} pond_catalog_table;

/* ---- opening --------------------------------------------------------- */

typedef struct pond_catalog_options {
	/* catalog_name column value; Java and pyiceberg let several catalogs
	 * share one database under different names. */
	const char *name;
	/* SQLite: how long to wait for another process's lock. */
	int busy_timeout_ms;
	/* Create iceberg_tables / iceberg_namespace_properties if absent. */
	bool create_tables;
	/* An Iceberg REST catalog (an http:// or https:// uri) keeps the
	 * tables; pond's own state goes to this local SQLite file, created if
	 * missing. Required with a REST uri, unused otherwise. */
	const char *state_path;
	/* REST authentication: a bearer token, or "client_id:secret" (or just
	 * the secret) exchanged for one at the catalog's /v1/oauth/tokens
	 * (OAuth2 client credentials); both NULL: none. The values, not the
	 * names of the variables holding them. */
	const char *rest_token;
	const char *rest_credential;
	/* REST: the warehouse asked for in GET /v1/config; NULL: none. */
	const char *rest_warehouse;
} pond_catalog_options;

#define POND_CATALOG_OPTIONS_INIT {"pond", 10000, true, NULL, NULL, NULL, NULL}

/* Opens the catalog at uri: "postgresql://..." or "postgres://..." (a libpq
 * URL) is PostgreSQL; "sqlite:PATH" or a plain PATH is a SQLite file,
 * created if missing. opts may be NULL for the defaults. The caller closes
 * *out with pond_catalog_close. */
int pond_catalog_open(pond_catalog **out, const char *uri, const pond_catalog_options *opts,
                      pond_error *err);
/* Closes the connection (rolling back an open transaction); sets *cat NULL. */
void pond_catalog_close(pond_catalog **cat);

/* Borrowed: the catalog name, and "sqlite" or "postgresql" (the database
 * of pond's state: "sqlite" for a REST catalog). */
const char *pond_catalog_name(const pond_catalog *cat);
const char *pond_catalog_backend(const pond_catalog *cat);
/* Whether tables live in an Iceberg REST catalog (the uri was http(s)://):
 * namespaces and tables are then the REST server's, reached through the
 * functions below as with a SQL catalog, except pond_catalog_commit_table
 * and pond_catalog_create_table (POND_EUNSUPPORTED: use
 * pond_catalog_commit_tables and pond_catalog_create_table_from), and
 * transactions, exec, query and migrations act on the state file only. */
bool pond_catalog_is_rest(const pond_catalog *cat);
/* Borrowed: the REST catalog's base uri; NULL for a SQL catalog. */
const char *pond_catalog_rest_uri(const pond_catalog *cat);

/* ---- namespaces ------------------------------------------------------- */

/* Creates ns with properties (none: the row exists=true, as Java and
 * pyiceberg write). POND_EEXISTS if it exists (also implicitly). */
int pond_catalog_create_namespace(pond_catalog *cat, const pond_ns *ns,
                                  const pond_catalog_prop *props, size_t nprops, pond_error *err);
/* A namespace exists if it has properties or holds a table, directly or
 * through a child namespace (pyiceberg's rule). */
int pond_catalog_namespace_exists(pond_catalog *cat, const pond_ns *ns, bool *out, pond_error *err);
/* The direct children of parent (NULL or root: top-level namespaces), sorted,
 * each with parent's levels plus one. POND_ENOTFOUND if parent is missing. */
int pond_catalog_list_namespaces(pond_catalog *cat, const pond_ns *parent, pond_arena *arena,
                                 pond_ns **out, size_t *count, pond_error *err);
/* All properties of ns, sorted by key. */
int pond_catalog_load_namespace_properties(pond_catalog *cat, const pond_ns *ns, pond_arena *arena,
                                           pond_catalog_prop **out, size_t *count, pond_error *err);
/* Removes keys, then sets (inserts or replaces) updates, in one transaction.
 * Removing a missing key is not an error. */
int pond_catalog_update_namespace_properties(pond_catalog *cat, const pond_ns *ns,
                                             const char *const *removals, size_t nremovals,
                                             const pond_catalog_prop *updates, size_t nupdates,
                                             pond_error *err);
/* Drops an empty namespace: POND_EINVAL "namespace X is not empty" when it
 * holds tables or child namespaces, POND_ENOTFOUND when missing. */
int pond_catalog_drop_namespace(pond_catalog *cat, const pond_ns *ns, pond_error *err);

/* ---- tables ------------------------------------------------------------ */

/* Records a new table with its first metadata file. The namespace must exist
 * (POND_ENOTFOUND); POND_EEXISTS if the name is taken. */
int pond_catalog_create_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                              const char *metadata_location, pond_error *err);
/* Adopts a table from an existing metadata file: the same as create here. */
int pond_catalog_register_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                                const char *metadata_location, pond_error *err);
/* Current and previous metadata location; POND_ENOTFOUND naming ns.name. */
int pond_catalog_load_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                            pond_arena *arena, pond_catalog_table *out, pond_error *err);
int pond_catalog_table_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                              pond_error *err);
/* Table names in ns (not in its children), sorted; arena-owned array of
 * arena-owned strings. POND_ENOTFOUND if ns does not exist. */
int pond_catalog_list_tables(pond_catalog *cat, const pond_ns *ns, pond_arena *arena,
                             const char ***out, size_t *count, pond_error *err);
/* Deletes the catalog row only; files are the table layer's business. */
int pond_catalog_drop_table(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err);
/* A REST catalog drops with purgeRequested=true: its server deletes the
 * table's files, which are its own. POND_EUNSUPPORTED from a SQL catalog
 * (pond_catalog_drop_table, then the table layer deletes them). */
int pond_catalog_purge_table(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err);
/* Renames, also into another namespace, which must exist. POND_ENOTFOUND
 * for a missing source or target namespace, POND_EEXISTS for a taken name. */
int pond_catalog_rename_table(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                              const pond_ns *to_ns, const char *to_name, pond_error *err);
/* The commit: sets metadata_location to new_location and
 * previous_metadata_location to expected, only if metadata_location is still
 * expected, in one statement. POND_ECONFLICT ("commit conflict on ns.t:
 * metadata changed since it was read") when it is not, and nothing changes;
 * POND_ENOTFOUND if the table is gone. Safe across processes. */
int pond_catalog_commit_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                              const char *expected, const char *new_location, pond_error *err);

/* ---- tables in a REST catalog --------------------------------------------------- */

/* Creates ns.name in a REST catalog from md's current schema, default
 * spec and sort order and properties (CreateTableRequest); the server
 * chooses the location. With stage, the table is only staged
 * (stage-create): nothing exists until a commit with assert-create.
 * *out gets the new metadata (location NULL when staged). POND_EEXISTS
 * if the name is taken; POND_EUNSUPPORTED from a SQL catalog. */
int pond_catalog_create_table_from(pond_catalog *cat, const pond_ns *ns, const char *name,
                                   const pond_iceberg_metadata *md, bool stage, pond_arena *arena,
                                   pond_catalog_table *out, pond_error *err);

/* One table's commit: requirements and updates (pond_iceberg_metadata_diff). */
typedef struct pond_catalog_commit {
	const pond_ns *ns;
	const char *name;
	const pond_iceberg_commit *commit;
} pond_catalog_commit;

/* Commits to a REST catalog: one table through its endpoint, several as
 * one transaction (POST /v1/transactions/commit; POND_EUNSUPPORTED when
 * the server does not offer it). A failed requirement (409
 * CommitFailedException) is POND_ECONFLICT and nothing changed; a missing
 * table POND_ENOTFOUND. out (n entries, may be NULL) gets each table's new
 * metadata when the server returns it (one table), else zeroed entries.
 * POND_EUNSUPPORTED from a SQL catalog. */
int pond_catalog_commit_tables(pond_catalog *cat, const pond_catalog_commit *commits, size_t n, pond_arena *arena,
                               pond_catalog_table *out, pond_error *err);

/* ---- views -------------------------------------------------------------- */

/* Iceberg views: rows of iceberg_tables with iceberg_type 'VIEW', as Java's
 * JdbcCatalog keeps them; the metadata location names a view metadata
 * file. Tables and views share one name space: creating or renaming onto a
 * name a table holds is POND_EEXISTS naming the table (and the other way
 * round). The table functions never see views, nor these tables. A catalog
 * without the iceberg_type column (pyiceberg made it) holds no views:
 * creating one is POND_EUNSUPPORTED, lists are empty. Otherwise each call
 * behaves as its table namesake. */
int pond_catalog_create_view(pond_catalog *cat, const pond_ns *ns, const char *name,
                             const char *metadata_location, pond_error *err);
int pond_catalog_load_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_arena *arena,
                           pond_catalog_table *out, pond_error *err);
int pond_catalog_view_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                             pond_error *err);
int pond_catalog_list_views(pond_catalog *cat, const pond_ns *ns, pond_arena *arena, const char ***out,
                            size_t *count, pond_error *err);
int pond_catalog_drop_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err);
int pond_catalog_rename_view(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                             const pond_ns *to_ns, const char *to_name, pond_error *err);
int pond_catalog_commit_view(pond_catalog *cat, const pond_ns *ns, const char *name, const char *expected,
                             const char *new_location, pond_error *err);
/* A REST catalog keeps views too (the views endpoints), but writes their
 * metadata itself: pond_catalog_create_view and pond_catalog_commit_view
 * are POND_EUNSUPPORTED there, and these two take their place
 * (POND_EUNSUPPORTED from a SQL catalog). Create sends a CreateViewRequest
 * made of a new view's updates (the schema of add-schema, the version of
 * add-view-version, set-properties; pond_iceberg_view_define_updates gives
 * such a list; any set-location is left out: the server chooses); commit a CommitViewRequest of requirements (may
 * be NULL) and updates, which the server applies to its current metadata.
 * *out gets the server's LoadViewResult (location and metadata_json, as
 * pond_catalog_load_view gives for a REST catalog). A taken name is
 * POND_EEXISTS, a failed requirement POND_ECONFLICT. */
int pond_catalog_create_view_from(pond_catalog *cat, const pond_ns *ns, const char *name, const json_t *updates,
                                  pond_arena *arena, pond_catalog_table *out, pond_error *err);
int pond_catalog_commit_view_changes(pond_catalog *cat, const pond_ns *ns, const char *name,
                                     const json_t *requirements, const json_t *updates, pond_arena *arena,
                                     pond_catalog_table *out, pond_error *err);

/* ---- generic SQL for pond's own state tables ------------------------------ */

/* SQL is written for both backends: '?' placeholders (rewritten to $1.. for
 * PostgreSQL), portable types (TEXT, BIGINT, DOUBLE PRECISION). Parameters
 * are strings or NULL for SQL NULL; the database converts them by column or
 * context (in PostgreSQL write CAST(? AS BIGINT) where no context exists). */

/* Runs one statement; *changes (may be NULL) gets the rows it changed.
 * A unique-key violation is POND_EEXISTS, a lost serialization POND_ECONFLICT,
 * other database errors POND_ESQL with the database's message. */
int pond_catalog_exec(pond_catalog *cat, const char *sql, const char *const *params, size_t nparams,
                      long *changes, pond_error *err);

/* Called once per row: column names and values (NULL for SQL NULL), borrowed
 * for the call. Return 0 to go on; anything else stops the query and is
 * returned by pond_catalog_query. */
typedef int (*pond_catalog_row_fn)(int ncols, const char *const *names, const char *const *values,
                                   void *payload);

int pond_catalog_query(pond_catalog *cat, const char *sql, const char *const *params, size_t nparams,
                       pond_catalog_row_fn fn, void *payload, pond_error *err);

/* An explicit write transaction around several calls (SQLite: BEGIN
 * IMMEDIATE, so it holds the database's write lock until commit). Catalog
 * functions called inside join it. Not nestable: a second begin is
 * POND_EINVAL. After any failed call inside it, roll back: PostgreSQL
 * refuses further statements in a transaction that saw an error. */
int pond_catalog_tx_begin(pond_catalog *cat, pond_error *err);
int pond_catalog_tx_commit(pond_catalog *cat, pond_error *err);
void pond_catalog_tx_rollback(pond_catalog *cat);


/* ---- backups ------------------------------------------------------------------ */

/* Writes a consistent copy of the whole database (the catalog's tables and
 * every pond_* state table, as one transaction sees them) to a new SQLite
 * file at path, replacing any file there. SQLite: the online backup API.
 * PostgreSQL: every table of the connection's schema named iceberg_* or
 * pond_*, read in one REPEATABLE READ transaction, recreated with its
 * primary key and its columns as BIGINT, DOUBLE PRECISION or TEXT (other
 * types as their text form). Not inside pond_catalog_tx_begin
 * (POND_EINVAL). */
int pond_catalog_snapshot(pond_catalog *cat, const char *path, pond_error *err);

/* Removes a SQLite database's side files (-wal, -shm, -journal) and, with
 * database, the file itself, so that no stale log is replayed into a file
 * put in its place. Missing files are no error. */
int pond_catalog_sqlite_remove_files(const char *path, bool database, pond_error *err);

/* ---- pond's state schema: versioned migrations ---------------------------- */

/* One step of a component's schema: statements run in order, written in the
 * portable SQL above. */
typedef struct pond_catalog_migration {
	const char *const *statements;
	size_t nstatements;
} pond_catalog_migration;

/* The state tables of one component ("runs", "transform", "views"): its
 * migrations in order, version N being the state after the first N. A
 * released migration never changes; a change to the tables is a new one
 * appended (ALTER TABLE ... ADD COLUMN ...). Version 1 creates the tables
 * with CREATE TABLE IF NOT EXISTS, so a database an older pond made, before
 * versions were recorded, is adopted as it is. */
typedef struct pond_catalog_schema {
	const char *component;
	const pond_catalog_migration *migrations;
	size_t nmigrations;
} pond_catalog_schema;

/* Brings schema's tables to its last version: in one write transaction,
 * under the backend's DDL lock (concurrent openers take turns), runs the
 * migrations after the version recorded in table pond_schema_version (none
 * recorded: 0) and records the new version. When the recorded version is
 * already the last, or newer (a newer pond migrated this database), nothing
 * changes. Inside a transaction of the caller's (pond_catalog_tx_begin) the
 * migration joins it and is undone by its rollback. A connection remembers
 * the components it brought up to date, so a second call is free. */
int pond_catalog_migrate(pond_catalog *cat, const pond_catalog_schema *schema, pond_error *err);

/* The version recorded for component; 0 when none is. */
int pond_catalog_schema_version(pond_catalog *cat, const char *component, int *out, pond_error *err);

/* Whether the database has a table of this name (in PostgreSQL: in the
 * connection's current schema). Asked of the system tables, so a missing
 * table is never an error (an error would abort an open PostgreSQL
 * transaction). */
int pond_catalog_has_table(pond_catalog *cat, const char *table, bool *out, pond_error *err);

#endif
