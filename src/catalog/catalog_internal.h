/*
 * Inside the catalog layer: the backend interface that sqlite.c and
 * postgres.c implement, and the catalog struct the public functions in
 * catalog.c, namespace.c and table.c share. Every public function is written
 * once against this interface.
 */
#ifndef POND_CATALOG_INTERNAL_H
#define POND_CATALOG_INTERNAL_H

#include "pond/catalog.h"

/* One connection's operations. SQL uses '?' placeholders; params are strings
 * or NULL. All return 0 or a negative POND_E* with err set. */
typedef struct pond__catalog_backend {
	const char *name;
	int (*exec)(void *conn, const char *sql, const char *const *params, size_t nparams,
	            long *changes, pond_error *err);
	int (*query)(void *conn, const char *sql, const char *const *params, size_t nparams,
	             pond_catalog_row_fn fn, void *payload, pond_error *err);
	/* Starts a write transaction (SQLite takes the write lock now). */
	int (*begin)(void *conn, pond_error *err);
	int (*commit)(void *conn, pond_error *err);
	void (*rollback)(void *conn);
	/* Run first in the transaction that creates the catalog tables, so
	 * concurrent openers take turns (PostgreSQL's CREATE TABLE IF NOT
	 * EXISTS races with itself); NULL when the backend needs none. */
	const char *ddl_lock_sql;
	/* One row when the table named by the one parameter exists. */
	const char *table_exists_sql;
	void (*close)(void *conn);
	/* Writes a consistent copy of the whole database to a new SQLite
	 * file (pond_catalog_snapshot); NULL: rows are copied (snapshot.c)
	 * inside a transaction that starts with snapshot_tx_sql. */
	int (*snapshot)(void *conn, const char *path, pond_error *err);
	const char *snapshot_tx_sql;
} pond__catalog_backend;

/* An Iceberg REST catalog connection (rest_client.c). */
typedef struct pond__catalog_rest pond__catalog_rest;

/* State schemas one connection remembers as up to date. */
#define POND__CATALOG_MAX_SCHEMAS 16

struct pond_catalog {
	const pond__catalog_backend *backend;
	void *conn;
	char *name;
	/* iceberg_tables has Java's iceberg_type column (schema V1); catalogs
	 * pyiceberg made do not, and are used as they are. */
	bool has_type_column;
	/* A transaction is open: the user's (tx_begin) or an internal one. */
	bool in_tx;
	/* Schemas pond_catalog_migrate brought up to date on this connection. */
	const pond_catalog_schema *migrated[POND__CATALOG_MAX_SCHEMAS];
	size_t nmigrated;
	/* Tables live in this REST catalog; backend and conn are then the
	 * local state database. NULL: a SQL catalog. */
	pond__catalog_rest *rest;
};

extern const pond__catalog_backend pond__catalog_sqlite;
extern const pond__catalog_backend pond__catalog_postgres;

int pond__catalog_sqlite_open(void **out, const char *path, int busy_timeout_ms, pond_error *err);
/* Removes a SQLite database file and its -wal, -shm and -journal files, so
 * that a new database at path never replays a stale log. */
int pond__catalog_sqlite_remove(const char *path, pond_error *err);
int pond__catalog_postgres_open(void **out, const char *url, pond_error *err);

/* '?' outside quotes becomes $1, $2, ... (PostgreSQL). Caller frees. */
char *pond__catalog_pg_placeholders(const char *sql);

/* Runs fn inside a write transaction unless one is open already: commits on
 * 0, rolls back otherwise. */
typedef int (*pond__catalog_tx_fn)(pond_catalog *cat, void *payload, pond_error *err);
int pond__catalog_in_tx(pond_catalog *cat, pond__catalog_tx_fn fn, void *payload, pond_error *err);

/* Runs fn after the backend's DDL lock, so that concurrent openers take
 * turns (PostgreSQL's CREATE TABLE IF NOT EXISTS races with itself), in the
 * open transaction or else in a new one (pond__catalog_in_tx). Creating the
 * catalog tables and migrating pond's state tables both go through here. */
int pond__catalog_ddl_tx(pond_catalog *cat, pond__catalog_tx_fn fn, void *payload, pond_error *err);
/* Runs statements in order (a pond__catalog_tx_fn body). */
typedef struct pond__catalog_statements {
	const char *const *sql;
	size_t n;
} pond__catalog_statements;
int pond__catalog_exec_all(pond_catalog *cat, void *statements, pond_error *err);

/* Checks levels and joins them with '.' into a new string the caller frees;
 * NULL with err set on failure. what names the role ("namespace"). */
char *pond__catalog_ns_join(const pond_ns *ns, pond_error *err);
/* ns exists (see pond_catalog_namespace_exists), ns_str already joined. */
int pond__catalog_ns_exists(pond_catalog *cat, const char *ns_str, bool *out, pond_error *err);

/* qsort order of namespaces: level by level, a parent before its children. */
int pond__catalog_ns_compare(const void *a, const void *b);

/* " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" or "". */
const char *pond__catalog_table_filter(const pond_catalog *cat);

/* Runs a query whose first column is a string and collects it into an
 * arena-owned array (NULL values skipped). */
int pond__catalog_query_strings(pond_catalog *cat, const char *sql, const char *const *params,
                                size_t nparams, pond_arena *arena, const char ***out,
                                size_t *count, pond_error *err);
/* *out = whether the query returns at least one row. */
int pond__catalog_query_any(pond_catalog *cat, const char *sql, const char *const *params,
                            size_t nparams, bool *out, pond_error *err);

/* ---- the REST catalog (rest_client.c, rest_ops.c) ---- */

int pond__catalog_rest_open(pond__catalog_rest **out, const char *uri, const pond_catalog_options *opts,
                            pond_error *err);
void pond__catalog_rest_close(pond__catalog_rest **rest);
const char *pond__catalog_rest_uri(const pond__catalog_rest *rest);
bool pond__catalog_rest_has_transactions(const pond__catalog_rest *rest);
/* One request to URI/v1/PREFIX/path with an optional JSON body; *out (may
 * be NULL) gets the JSON response (NULL for an empty one). A status that
 * is not 2xx is an error with the server's message: 404 POND_ENOTFOUND,
 * 409 POND_EEXISTS (AlreadyExists) or POND_ECONFLICT, 400 POND_EINVAL. */
int pond__catalog_rest_call(pond__catalog_rest *rest, const char *method, const char *path, const json_t *body,
                            json_t **out, pond_error *err);
/* A path segment percent-encoded; a namespace's levels joined by %1F. */
void pond__catalog_rest_segment(pond_buf *out, const char *text);
void pond__catalog_rest_ns_segment(pond_buf *out, const pond_ns *ns);

int pond__catalog_rest_namespace_exists(pond_catalog *cat, const pond_ns *ns, bool *out, pond_error *err);
int pond__catalog_rest_create_namespace(pond_catalog *cat, const pond_ns *ns, const pond_catalog_prop *props,
                                        size_t nprops, pond_error *err);
int pond__catalog_rest_list_namespaces(pond_catalog *cat, const pond_ns *parent, pond_arena *arena, pond_ns **out,
                                       size_t *count, pond_error *err);
int pond__catalog_rest_load_namespace_properties(pond_catalog *cat, const pond_ns *ns, pond_arena *arena,
                                                 pond_catalog_prop **out, size_t *count, pond_error *err);
int pond__catalog_rest_update_namespace_properties(pond_catalog *cat, const pond_ns *ns,
                                                   const char *const *removals, size_t nremovals,
                                                   const pond_catalog_prop *updates, size_t nupdates,
                                                   pond_error *err);
int pond__catalog_rest_drop_namespace(pond_catalog *cat, const pond_ns *ns, pond_error *err);
int pond__catalog_rest_register_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                                      const char *metadata_location, pond_error *err);
int pond__catalog_rest_load_table(pond_catalog *cat, const pond_ns *ns, const char *name, pond_arena *arena,
                                  pond_catalog_table *out, pond_error *err);
int pond__catalog_rest_table_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                                    pond_error *err);
int pond__catalog_rest_list_tables(pond_catalog *cat, const pond_ns *ns, pond_arena *arena, const char ***out,
                                   size_t *count, pond_error *err);
int pond__catalog_rest_drop_table(pond_catalog *cat, const pond_ns *ns, const char *name, bool purge,
                                  pond_error *err);
int pond__catalog_rest_rename_table(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                                    const pond_ns *to_ns, const char *to_name, pond_error *err);
int pond__catalog_rest_create_table_from(pond_catalog *cat, const pond_ns *ns, const char *name,
                                         const pond_iceberg_metadata *md, bool stage, pond_arena *arena,
                                         pond_catalog_table *out, pond_error *err);
int pond__catalog_rest_commit_tables(pond_catalog *cat, const pond_catalog_commit *commits, size_t n,
                                     pond_arena *arena, pond_catalog_table *out, pond_error *err);
int pond__catalog_rest_load_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_arena *arena,
                                 pond_catalog_table *out, pond_error *err);
int pond__catalog_rest_view_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                                   pond_error *err);
int pond__catalog_rest_list_views(pond_catalog *cat, const pond_ns *ns, pond_arena *arena, const char ***out,
                                  size_t *count, pond_error *err);
int pond__catalog_rest_drop_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err);
int pond__catalog_rest_rename_view(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                                   const pond_ns *to_ns, const char *to_name, pond_error *err);
int pond__catalog_rest_create_view_from(pond_catalog *cat, const pond_ns *ns, const char *name, const json_t *updates,
                                        pond_arena *arena, pond_catalog_table *out, pond_error *err);
int pond__catalog_rest_commit_view(pond_catalog *cat, const pond_ns *ns, const char *name, const json_t *requirements,
                                   const json_t *updates, pond_arena *arena, pond_catalog_table *out,
                                   pond_error *err);

#endif
