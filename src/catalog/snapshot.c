/*
 * pond_catalog_snapshot: the whole catalog database, as one transaction
 * sees it, in a new SQLite file (for pond backup). SQLite copies itself
 * page by page (sqlite.c, the online backup API). Other backends copy rows:
 * every table of the schema named iceberg_* or pond_*, read inside one
 * transaction at the backend's snapshot isolation (PostgreSQL: REPEATABLE
 * READ, so every table is read as of the same moment), recreated in the
 * file with its columns' types mapped to the portable ones pond's state
 * tables use (BIGINT, DOUBLE PRECISION, TEXT) and its primary key.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog_internal.h"

typedef struct copy_job {
	pond_catalog *src, *dst;
	pond_arena *a;
	const char **names;  /* a list being collected */
	size_t n, cap;
	pond_buf sql;        /* the INSERT of the table being copied */
	int ncols;
	pond_error *err;
} copy_job;

static int collect(int ncols, const char *const *names, const char *const *values, void *payload)
{
	copy_job *j = payload;
	(void)ncols; (void)names;
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 16;
		const char **grown = pond_arena_calloc(j->a, cap, sizeof(*grown));
		if (!grown)
			return POND_ENOMEM;
		if (j->n)
			memcpy(grown, j->names, j->n * sizeof(*grown));
		j->names = grown;
		j->cap = cap;
	}
	if (!(j->names[j->n] = pond_arena_strdup(j->a, values[0] ? values[0] : "")))
		return POND_ENOMEM;
	j->n++;
	return 0;
}

/* Runs a one-column query into j->names (from index 0). */
static int list(copy_job *j, const char *sql, const char *param, pond_error *err)
{
	j->names = NULL;
	j->n = j->cap = 0;
	const char *params[] = {param};
	int rc = pond_catalog_query(j->src, sql, param ? params : NULL, param ? 1 : 0, collect, j, err);
	if (rc == POND_ENOMEM)
		pond_error_set(err, rc, "out of memory");
	return rc;
}

/* The portable type for a column of the given information_schema type. */
static const char *portable_type(const char *type)
{
	if (strstr(type, "int"))
		return "BIGINT";
	if (strstr(type, "double") || strstr(type, "real") || strstr(type, "numeric"))
		return "DOUBLE PRECISION";
	return "TEXT";
}

static int copy_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	copy_job *j = payload;
	(void)names;
	return pond_catalog_exec(j->dst, pond_buf_cstr(&j->sql), values, (size_t)ncols, NULL, j->err);
}

/* Creates table in the copy as it is in the source, and copies its rows. */
static int copy_table(copy_job *j, const char *table, pond_error *err)
{
	int rc = list(j, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
	                 "AND table_name = ? ORDER BY ordinal_position", table, err);
	const char **columns = j->names;
	size_t ncolumns = j->n;
	if (rc == 0)
		rc = list(j, "SELECT data_type FROM information_schema.columns WHERE table_schema = current_schema() "
		             "AND table_name = ? ORDER BY ordinal_position", table, err);
	const char **types = j->names;
	if (rc == 0 && j->n != ncolumns)
		rc = pond_error_set(err, POND_ECONFLICT, "table %s changed while it was copied", table);
	if (rc == 0)
		rc = list(j, "SELECT k.column_name FROM information_schema.table_constraints c "
		             "JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name "
		             "AND k.table_schema = c.table_schema AND k.table_name = c.table_name "
		             "WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() "
		             "AND c.table_name = ? ORDER BY k.ordinal_position", table, err);
	if (rc)
		return rc;
	pond_buf ddl = POND_BUF_INIT, select = POND_BUF_INIT;
	pond_buf_puts(&ddl, "CREATE TABLE ");
	pond_sql_quote_ident(&ddl, table);
	pond_buf_puts(&ddl, " (");
	pond_buf_dispose(&j->sql);
	pond_buf_puts(&j->sql, "INSERT INTO ");
	pond_sql_quote_ident(&j->sql, table);
	pond_buf_puts(&j->sql, " VALUES (");
	for (size_t i = 0; i < ncolumns; i++) {
		pond_buf_puts(&ddl, i ? ", " : "");
		pond_sql_quote_ident(&ddl, columns[i]);
		pond_buf_printf(&ddl, " %s", portable_type(types[i]));
		pond_buf_puts(&j->sql, i ? ", ?" : "?");
	}
	for (size_t i = 0; i < j->n; i++) {
		pond_buf_puts(&ddl, i ? ", " : ", PRIMARY KEY (");
		pond_sql_quote_ident(&ddl, j->names[i]);
	}
	pond_buf_puts(&ddl, j->n ? "))" : ")");
	pond_buf_putc(&j->sql, ')');
	pond_buf_puts(&select, "SELECT * FROM ");
	pond_sql_quote_ident(&select, table);
	if (!pond_buf_ok(&ddl) || !pond_buf_ok(&select) || !pond_buf_ok(&j->sql))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_catalog_exec(j->dst, pond_buf_cstr(&ddl), NULL, 0, NULL, err);
	j->err = err;
	if (rc == 0)
		rc = pond_catalog_query(j->src, pond_buf_cstr(&select), NULL, 0, copy_row, j, err);
	pond_buf_dispose(&ddl);
	pond_buf_dispose(&select);
	return rc;
}

static int copy_rows(copy_job *j, pond_error *err)
{
	int rc = pond_catalog_exec(j->src, j->src->backend->snapshot_tx_sql, NULL, 0, NULL, err);
	if (rc == 0)
		rc = list(j, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
		             "AND table_type = 'BASE TABLE' AND (left(table_name, 8) = 'iceberg_' "
		             "OR left(table_name, 5) = 'pond_') ORDER BY table_name", NULL, err);
	const char **tables = j->names;
	size_t ntables = j->n;
	if (rc == 0)
		rc = pond_catalog_tx_begin(j->dst, err);
	for (size_t i = 0; i < ntables && rc == 0; i++)
		rc = copy_table(j, tables[i], err);
	if (rc == 0)
		rc = pond_catalog_tx_commit(j->dst, err);
	return rc;
}

int pond_catalog_snapshot(pond_catalog *cat, const char *path, pond_error *err)
{
	if (cat->in_tx)
		return pond_error_set(err, POND_EINVAL, "cannot copy catalog inside a transaction");
	if (cat->backend->snapshot)
		return cat->backend->snapshot(cat->conn, path, err);
	int rc = pond__catalog_sqlite_remove(path, err);
	if (rc)
		return rc;
	copy_job j = {.src = cat, .sql = POND_BUF_INIT};
	pond_catalog_options o = POND_CATALOG_OPTIONS_INIT;
	o.create_tables = false;
	if (!(j.a = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	rc = pond_catalog_open(&j.dst, path, &o, err);
	if (rc == 0)
		rc = pond_catalog_tx_begin(cat, err);
	if (rc == 0) {
		rc = copy_rows(&j, err);
		/* Read only: nothing to commit. */
		pond_catalog_tx_rollback(cat);
	}
	if (rc && j.dst && j.dst->in_tx)
		pond_catalog_tx_rollback(j.dst);
	pond_catalog_close(&j.dst);
	pond_buf_dispose(&j.sql);
	pond_arena_free(&j.a);
	if (rc)
		unlink(path);
	else
		pond_error_clear(err);
	return rc;
}
