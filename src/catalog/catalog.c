/*
 * Opening a catalog from a URI, the generic SQL entry points, transactions,
 * and the small helpers namespace.c and table.c share. Everything here goes
 * through the backend interface in catalog_internal.h.
 */
#include <string.h>

#include "catalog/catalog_internal.h"

static bool is_postgres_uri(const char *uri)
{
	return pond_str_starts_with(uri, "postgresql://") || pond_str_starts_with(uri, "postgres://");
}

static bool is_rest_uri(const char *uri)
{
	return pond_str_starts_with(uri, "http://") || pond_str_starts_with(uri, "https://");
}

static int detect_type_column(pond_catalog *cat, pond_error *err)
{
	/* Catalogs made by pyiceberg lack Java's iceberg_type column; use them
	 * as they are rather than altering someone else's schema. */
	pond_error probe = POND_ERROR_INIT;
	int rc = cat->backend->query(cat->conn, "SELECT iceberg_type FROM iceberg_tables WHERE 1 = 0",
	                             NULL, 0, NULL, NULL, &probe);
	cat->has_type_column = rc == 0;
	if (rc == POND_ENOMEM || rc == POND_EIO)
		return pond_error_set(err, rc, "%s", probe.msg);
	return 0;
}

/* The catalog schema, with the column types pyiceberg (SQLAlchemy) and
 * Java's JdbcCatalog create; iceberg_type is Java's schema V1 column
 * ('TABLE' or 'VIEW'). The same text for SQLite and PostgreSQL. */
static const char *const create_sql[] = {
	"CREATE TABLE IF NOT EXISTS iceberg_tables ("
	"catalog_name VARCHAR(255) NOT NULL, "
	"table_namespace VARCHAR(255) NOT NULL, "
	"table_name VARCHAR(255) NOT NULL, "
	"metadata_location VARCHAR(1000), "
	"previous_metadata_location VARCHAR(1000), "
	"iceberg_type VARCHAR(5), "
	"PRIMARY KEY (catalog_name, table_namespace, table_name))",
	"CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
	"catalog_name VARCHAR(255) NOT NULL, "
	"namespace VARCHAR(255) NOT NULL, "
	"property_key VARCHAR(255) NOT NULL, "
	"property_value VARCHAR(1000) NOT NULL, "
	"PRIMARY KEY (catalog_name, namespace, property_key))",
};

/* Creates the catalog tables if absent, in one transaction, after the
 * backend's lock when it has one. */
static int create_tables(pond_catalog *cat, pond_error *err)
{
	pond__catalog_statements create = {create_sql, sizeof(create_sql) / sizeof(create_sql[0])};
	return pond__catalog_ddl_tx(cat, pond__catalog_exec_all, &create, err);
}

int pond__catalog_exec_all(pond_catalog *cat, void *statements, pond_error *err)
{
	const pond__catalog_statements *list = statements;
	int rc = 0;
	for (size_t i = 0; !rc && i < list->n; i++)
		rc = pond_catalog_exec(cat, list->sql[i], NULL, 0, NULL, err);
	return rc;
}

typedef struct {
	pond__catalog_tx_fn fn;
	void *payload;
} ddl_step;

static int lock_then_run(pond_catalog *cat, void *payload, pond_error *err)
{
	const ddl_step *step = payload;
	const char *lock = cat->backend->ddl_lock_sql;
	int rc = lock ? pond_catalog_exec(cat, lock, NULL, 0, NULL, err) : 0;
	return rc ? rc : step->fn(cat, step->payload, err);
}

int pond__catalog_ddl_tx(pond_catalog *cat, pond__catalog_tx_fn fn, void *payload, pond_error *err)
{
	ddl_step step = {fn, payload};
	return pond__catalog_in_tx(cat, lock_then_run, &step, err);
}

int pond_catalog_open(pond_catalog **out, const char *uri, const pond_catalog_options *opts,
                      pond_error *err)
{
	pond_catalog_options defaults = POND_CATALOG_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	*out = NULL;
	if (!uri || !*uri)
		return pond_error_set(err, POND_EINVAL, "no catalog location given");
	const char *name = opts->name && *opts->name ? opts->name : "pond";
	pond_catalog *cat = pond_calloc(1, sizeof(*cat));
	if (!cat || !(cat->name = pond_strdup(name))) {
		pond_free(cat);
		return pond_error_set(err, POND_ENOMEM, "out of memory opening catalog");
	}
	int rc;
	if (is_rest_uri(uri)) {
		/* Tables over REST; pond's state in a local SQLite file. */
		if (!opts->state_path || !*opts->state_path) {
			pond_catalog_close(&cat);
			return pond_error_set(err, POND_EINVAL, "REST catalog %s needs a local file for pond's state", uri);
		}
		cat->backend = &pond__catalog_sqlite;
		rc = pond__catalog_sqlite_open(&cat->conn, opts->state_path, opts->busy_timeout_ms, err);
		if (rc == 0)
			rc = pond__catalog_rest_open(&cat->rest, uri, opts, err);
		if (rc) {
			pond_catalog_close(&cat);
			return rc;
		}
		*out = cat;
		return 0;
	}
	if (is_postgres_uri(uri)) {
		cat->backend = &pond__catalog_postgres;
		rc = pond__catalog_postgres_open(&cat->conn, uri, err);
	} else {
		const char *path = pond_str_starts_with(uri, "sqlite:") ? uri + strlen("sqlite:") : uri;
		/* sqlite:///abs/path and sqlite://rel are the SQLAlchemy spellings */
		if (pond_str_starts_with(path, "///"))
			path += 2;
		else if (pond_str_starts_with(path, "//"))
			path += 2;
		if (!*path) {
			pond_catalog_close(&cat);
			return pond_error_set(err, POND_EINVAL, "catalog uri %s names no file", uri);
		}
		cat->backend = &pond__catalog_sqlite;
		rc = pond__catalog_sqlite_open(&cat->conn, path, opts->busy_timeout_ms, err);
	}
	if (rc == 0 && opts->create_tables)
		rc = create_tables(cat, err);
	if (rc == 0)
		rc = detect_type_column(cat, err);
	if (rc) {
		pond_catalog_close(&cat);
		return rc;
	}
	*out = cat;
	return 0;
}

void pond_catalog_close(pond_catalog **cat)
{
	if (!cat || !*cat)
		return;
	pond_catalog *c = *cat;
	if (c->conn) {
		if (c->in_tx)
			c->backend->rollback(c->conn);
		c->backend->close(c->conn);
	}
	pond__catalog_rest_close(&c->rest);
	pond_free(c->name);
	pond_free(c);
	*cat = NULL;
}

const char *pond_catalog_name(const pond_catalog *cat)
{
	return cat->name;
}

const char *pond_catalog_backend(const pond_catalog *cat)
{
	return cat->backend->name;
}

bool pond_catalog_is_rest(const pond_catalog *cat)
{
	return cat->rest != NULL;
}

const char *pond_catalog_rest_uri(const pond_catalog *cat)
{
	return cat->rest ? pond__catalog_rest_uri(cat->rest) : NULL;
}

int pond_catalog_exec(pond_catalog *cat, const char *sql, const char *const *params, size_t nparams,
                      long *changes, pond_error *err)
{
	return cat->backend->exec(cat->conn, sql, params, nparams, changes, err);
}

int pond_catalog_query(pond_catalog *cat, const char *sql, const char *const *params, size_t nparams,
                       pond_catalog_row_fn fn, void *payload, pond_error *err)
{
	return cat->backend->query(cat->conn, sql, params, nparams, fn, payload, err);
}

int pond_catalog_tx_begin(pond_catalog *cat, pond_error *err)
{
	if (cat->in_tx)
		return pond_error_set(err, POND_EINVAL, "a catalog transaction is already open");
	int rc = cat->backend->begin(cat->conn, err);
	if (rc == 0)
		cat->in_tx = true;
	return rc;
}

int pond_catalog_tx_commit(pond_catalog *cat, pond_error *err)
{
	if (!cat->in_tx)
		return pond_error_set(err, POND_EINVAL, "no catalog transaction is open");
	int rc = cat->backend->commit(cat->conn, err);
	if (rc)
		cat->backend->rollback(cat->conn);
	cat->in_tx = false;
	return rc;
}

void pond_catalog_tx_rollback(pond_catalog *cat)
{
	if (!cat->in_tx)
		return;
	cat->backend->rollback(cat->conn);
	cat->in_tx = false;
}

int pond__catalog_in_tx(pond_catalog *cat, pond__catalog_tx_fn fn, void *payload, pond_error *err)
{
	if (cat->in_tx)
		return fn(cat, payload, err);
	int rc = pond_catalog_tx_begin(cat, err);
	if (rc)
		return rc;
	rc = fn(cat, payload, err);
	if (rc) {
		pond_catalog_tx_rollback(cat);
		return rc;
	}
	return pond_catalog_tx_commit(cat, err);
}

const char *pond__catalog_table_filter(const pond_catalog *cat)
{
	return cat->has_type_column ? " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" : "";
}

/* ---- result helpers ------------------------------------------------------ */

typedef struct {
	pond_arena *arena;
	const char **items;
	size_t count, cap;
} string_list;

static int collect_string(int ncols, const char *const *names, const char *const *values,
                          void *payload)
{
	string_list *list = payload;
	if (ncols < 1 || !values[0])
		return 0;
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		const char **items = pond_arena_alloc(list->arena, cap * sizeof(*items));
		if (!items)
			return POND_ENOMEM;
		if (list->count)
			memcpy(items, list->items, list->count * sizeof(*items));
		list->items = items;
		list->cap = cap;
	}
	if (!(list->items[list->count] = pond_arena_strdup(list->arena, values[0])))
		return POND_ENOMEM;
	list->count++;
	return 0;
}

int pond__catalog_query_strings(pond_catalog *cat, const char *sql, const char *const *params,
                                size_t nparams, pond_arena *arena, const char ***out,
                                size_t *count, pond_error *err)
{
	string_list list = {arena, NULL, 0, 0};
	int rc = pond_catalog_query(cat, sql, params, nparams, collect_string, &list, err);
	if (rc == POND_ENOMEM)
		return pond_error_set(err, rc, "out of memory reading the catalog");
	if (rc)
		return rc;
	*out = list.items;
	*count = list.count;
	return 0;
}

static int note_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	*(bool *)payload = true;
	return 1; /* one row is enough */
}

int pond__catalog_query_any(pond_catalog *cat, const char *sql, const char *const *params,
                            size_t nparams, bool *out, pond_error *err)
{
	*out = false;
	int rc = pond_catalog_query(cat, sql, params, nparams, note_row, out, err);
	return rc == 1 ? 0 : rc;
}
