/*
 * Running a case: each step on pond's SQL session over a fresh project and
 * on a native DuckDB table, with results compared as sorted multisets of
 * canonical text rows (column names and types first). Relies on pond's
 * own value renderer for both sides, so only the values can differ.
 */
#include "difftest.h"
#include "table/table_internal.h"

#include <duckdb.h>
#include <stdlib.h>
#include <string.h>

int dt_runner_open(dt_runner *r, const char *dir, pond_error *err)
{
	memset(r, 0, sizeof(*r));
	pond_engine_options eo = POND_ENGINE_OPTIONS_INIT;
	eo.threads = 1;
	int rc;
	if ((rc = pond_project_init(dir, "difftest", err)) || (rc = pond_project_load(&r->project, dir, err)) ||
	    (rc = pond_lake_open(&r->lake, r->project, NULL, err)) ||
	    (rc = pond_session_open(&r->session, r->lake, err)) || (rc = pond_engine_open(&r->native, &eo, err)))
		return rc;
	/* Both sides render TIMESTAMPTZ in one zone, and use one thread so
	 * that nothing depends on scheduling. */
	pond_error ignored = POND_ERROR_INIT;
	pond_engine_exec(pond_lake_engine(r->lake), "SET threads = 1; SET TimeZone = 'UTC'", &ignored);
	pond_engine_exec(r->native, "SET TimeZone = 'UTC'", &ignored);
	return 0;
}

void dt_runner_close(dt_runner *r)
{
	pond_session_close(&r->session);
	pond_lake_close(&r->lake);
	pond_project_free(&r->project);
	pond_engine_close(&r->native);
}

/* ---- results as text ---------------------------------------------------------- */

typedef struct rows {
	char *header;  /* "name type|name type|..." */
	char **row;
	size_t n, cap;
} rows;

static void rows_free(rows *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->row[i]);
	free(x->row);
	free(x->header);
	memset(x, 0, sizeof(*x));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads a whole result as sorted text rows. -0.0 renders as 0.0: DuckDB
 * treats them as equal, so which one a query returns is not defined. */
static int collect(rows *out, pond_result *res, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	pond_buf h = POND_BUF_INIT;
	idx_t ncols = pond_result_column_count(res);
	for (idx_t c = 0; c < ncols; c++) {
		pond_buf_printf(&h, "%s%s ", c ? "|" : "", pond_result_column_name(res, c));
		pond_type_name(&h, pond_result_column_type(res, c));
	}
	out->header = pond_buf_detach(&h);
	duckdb_data_chunk chunk;
	int rc;
	pond_buf cell = POND_BUF_INIT, line = POND_BUF_INIT;
	while ((rc = pond_result_next(res, &chunk, err)) == 1) {
		idx_t n = duckdb_data_chunk_get_size(chunk);
		for (idx_t row = 0; row < n; row++) {
			pond_buf_clear(&line);
			for (idx_t c = 0; c < ncols; c++) {
				pond_buf_clear(&cell);
				duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
				if (!pond_value_format(&cell, v, pond_result_column_type(res, c), row, POND_VALUE_TEXT))
					pond_buf_puts(&cell, "NULL");
				const char *text = pond_buf_cstr(&cell);
				if (strcmp(text, "-0.0") == 0)
					text = "0.0";
				pond_buf_printf(&line, "%s%s", c ? "|" : "", text);
			}
			if (out->n == out->cap) {
				out->cap = out->cap ? 2 * out->cap : 16;
				out->row = realloc(out->row, out->cap * sizeof(char *));
			}
			out->row[out->n++] = strdup(pond_buf_cstr(&line));
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	pond_buf_dispose(&cell);
	pond_buf_dispose(&line);
	if (out->n)
		qsort(out->row, out->n, sizeof(char *), cmp_str);
	return rc < 0 ? rc : 0;
}

/* "" when equal, else what differs: the first row only pond has and the
 * first only native has. */
static void compare(const rows *p, const rows *n, char *why, size_t len)
{
	why[0] = 0;
	if (strcmp(p->header, n->header) != 0) {
		snprintf(why, len, "columns differ: pond [%s], native [%s]", p->header, n->header);
		return;
	}
	size_t i = 0, j = 0;
	const char *only_p = NULL, *only_n = NULL;
	while ((i < p->n || j < n->n) && !(only_p && only_n)) {
		int c = i == p->n ? 1 : j == n->n ? -1 : strcmp(p->row[i], n->row[j]);
		if (c == 0) {
			i++, j++;
		} else if (c < 0) {
			if (!only_p)
				only_p = p->row[i];
			i++;
		} else {
			if (!only_n)
				only_n = n->row[j];
			j++;
		}
	}
	if (only_p || only_n)
		snprintf(why, len, "pond %zu rows, native %zu (columns %s); only native has [%s], only pond has [%s]", p->n,
		         n->n, p->header, only_n ? only_n : "-", only_p ? only_p : "-");
}

static int pond_query(dt_runner *r, const char *sql, rows *out, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	pond_result *res = NULL;
	const char *msg = NULL;
	int rc = pond_session_run(r->session, sql, a, &res, &msg, err);
	memset(out, 0, sizeof(*out));
	if (rc == 0 && res)
		rc = collect(out, res, err);
	else if (rc == 0)
		out->header = strdup("(no result)");
	pond_result_free(&res);
	pond_arena_free(&a);
	return rc;
}

static int native_query(dt_runner *r, const char *sql, rows *out, pond_error *err)
{
	pond_result *res = NULL;
	int rc = pond_engine_query(r->native, sql, &res, err);
	memset(out, 0, sizeof(*out));
	if (rc == 0)
		rc = collect(out, res, err);
	pond_result_free(&res);
	return rc;
}

/* Runs a query on both sides; fills why on a difference. Returns the
 * pond side's rows in *keep when asked (caller frees). */
static void both_query(dt_runner *r, const char *psql, const char *nsql, char *why, size_t len, rows *keep)
{
	pond_error pe = POND_ERROR_INIT, ne = POND_ERROR_INIT;
	rows p, n;
	int prc = pond_query(r, psql, &p, &pe);
	int nrc = native_query(r, nsql, &n, &ne);
	why[0] = 0;
	if (prc && !nrc)
		snprintf(why, len, "pond failed, native did not: %s", pe.msg);
	else if (!prc && nrc)
		snprintf(why, len, "native failed, pond did not: %s", ne.msg);
	else if (!prc)
		compare(&p, &n, why, len);
	if (keep && !prc)
		*keep = p;
	else
		rows_free(&p);
	rows_free(&n);
}

static long count_of(const rows *x)
{
	return x->n == 1 ? atol(x->row[0]) : -1;
}

/* count(*) = count(p) + count(not p) + count(p is null), on pond, and each
 * count equal to the native one. */
static void tlp(dt_runner *r, const char *p, char *why, size_t len)
{
	char *q[4];
	q[0] = strdup("SELECT count(*) FROM d.t");
	if (asprintf(&q[1], "SELECT count(*) FROM d.t WHERE %s", p) < 0 ||
	    asprintf(&q[2], "SELECT count(*) FROM d.t WHERE NOT (%s)", p) < 0 ||
	    asprintf(&q[3], "SELECT count(*) FROM d.t WHERE (%s) IS NULL", p) < 0)
		abort();
	long c[4] = {-1, -1, -1, -1};
	why[0] = 0;
	for (int i = 0; i < 4 && !why[0]; i++) {
		rows x = {0};
		both_query(r, q[i], q[i], why, len, &x);
		if (why[0]) {
			char *inner = strdup(why);
			snprintf(why, len, "%s: %s", q[i], inner);
			free(inner);
		}
		c[i] = count_of(&x);
		rows_free(&x);
	}
	if (!why[0] && c[0] >= 0 && c[1] >= 0 && c[0] != c[1] + c[2] + c[3])
		snprintf(why, len, "ternary logic: count(*) %ld != %ld + %ld + %ld", c[0], c[1], c[2], c[3]);
	for (int i = 0; i < 4; i++)
		free(q[i]);
}

/* ---- pruning -------------------------------------------------------------------- */

static const pond_table_ident table_t = {{1, {"d"}}, "t"};

/* The data files the session's view of d.t reads: the quoted paths ending
 * in .parquet in the view's SQL, as bound for the last statement. */
static int view_files(dt_runner *r, char ***out, size_t *n, pond_error *err)
{
	char *sql = NULL;
	int rc = pond_engine_query_string(pond_lake_engine(r->lake),
	                                  "SELECT sql FROM duckdb_views() WHERE schema_name = 'd' AND view_name = 't'",
	                                  &sql, err);
	*out = NULL;
	*n = 0;
	for (const char *p = sql ? strchr(sql, '\'') : NULL; rc == 0 && p; p = strchr(p + 1, '\'')) {
		const char *q = strchr(p + 1, '\'');
		if (!q)
			break;
		size_t len = (size_t)(q - p - 1);
		if (len > 8 && strncmp(q - 8, ".parquet", 8) == 0) {
			*out = realloc(*out, (*n + 1) * sizeof(char *));
			(*out)[(*n)++] = strndup(p + 1, len);
		}
		p = q;
	}
	pond_free(sql);
	return rc;
}

/* Every data file that pruning skipped for "SELECT ... FROM d.t WHERE p"
 * holds no row matching p: each skipped file is read on its own with the
 * table's field-id schema (pond's read SQL for that one task) and counted. */
static void prune(dt_runner *r, const char *p, char *why, size_t len, long *skipped)
{
	why[0] = 0;
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	char *sql;
	if (asprintf(&sql, "SELECT * FROM d.t WHERE %s", p) < 0)
		abort();
	const char *rewritten;
	size_t kept = 0, nfiles = 0;
	char **files = NULL;
	pond_table *t = NULL;
	pond_fileio *io = NULL;
	pond_scan_plan *plan = NULL;
	if (pond_session_prepare(r->session, sql, a, &rewritten, &kept, &err) != 0 ||
	    view_files(r, &files, &nfiles, &err) != 0)
		goto out;  /* a failing filter is the query checks' business */
	if (pond_table_load(&t, r->lake, &table_t, &err) != 0 || pond_fileio_local_new(&io, &err) != 0 ||
	    pond_fileio_remap_table(io, t->metadata, t->metadata_location, &err) != 0 ||
	    pond_scan_plan_files(&plan, t->metadata, io, NULL, &err) != 0) {
		snprintf(why, len, "planning all files failed: %s", err.msg);
		goto out;
	}
	if (nfiles != kept && plan->ntasks) {
		snprintf(why, len, "the view reads %zu files, the session says it kept %zu", nfiles, kept);
		goto out;
	}
	const pond_iceberg_schema *schema = pond_iceberg_metadata_schema(t->metadata, plan->schema_id);
	for (size_t i = 0; i < plan->ntasks && !why[0]; i++) {
		bool was_kept = false;
		for (size_t k = 0; k < nfiles && !was_kept; k++)
			was_kept = strcmp(files[k], plan->tasks[i].path) == 0;
		if (was_kept)
			continue;
		(*skipped)++;
		const pond_scan_task *task = &plan->tasks[i];
		pond_buf one = POND_BUF_INIT, q = POND_BUF_INIT;
		int64_t matching = -1;
		if (pond__scan_sql_tasks(&one, pond_lake_engine(r->lake), t->metadata, io, schema, &task, 1, false, &err) ==
		    0) {
			pond_buf_printf(&q, "SELECT count(*) FROM (%s) t WHERE %s", pond_buf_cstr(&one), p);
			if (pond_engine_query_int(pond_lake_engine(r->lake), pond_buf_cstr(&q), &matching, &err) != 0)
				snprintf(why, len, "reading skipped file %s failed: %s", task->path, err.msg);
			else if (matching != 0)
				snprintf(why, len, "pruning skipped %s, which holds %lld matching rows", task->path,
				         (long long)matching);
		} else {
			snprintf(why, len, "read SQL of skipped file %s failed: %s", task->path, err.msg);
		}
		pond_buf_dispose(&one);
		pond_buf_dispose(&q);
	}
out:
	for (size_t k = 0; k < nfiles; k++)
		free(files[k]);
	free(files);
	pond_scan_plan_free(&plan);
	pond_fileio_free(&io);
	pond_table_free(&t);
	pond_arena_free(&a);
	free(sql);
}

/* ---- writes --------------------------------------------------------------------- */

static int pond_write(dt_runner *r, const dt_step *s, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	int rc = 0;
	if (s->kind == DT_WRITE) {
		pond_result *res = NULL;
		const char *msg = NULL;
		rc = pond_session_run(r->session, s->pond, a, &res, &msg, err);
		pond_result_free(&res);
	} else if (s->kind == DT_MERGE) {
		static const char *const keys[] = {"id"};
		pond_write_result wr;
		rc = pond_table_merge_query(r->lake, &table_t, s->aux, keys, 1, NULL, &wr, err);
	} else {
		pond_table *t = NULL;
		pond_iceberg_ref *refs;
		size_t n;
		int64_t snap = -1;
		if ((rc = pond_table_load(&t, r->lake, &table_t, err)) == 0 &&
		    (rc = pond_table_list_refs(&refs, &n, t, a, err)) == 0) {
			for (size_t i = 0; i < n; i++)
				if (strcmp(refs[i].name, s->aux) == 0)
					snap = refs[i].snapshot_id;
			rc = snap < 0 ? pond_error_set(err, POND_ENOTFOUND, "no tag %s", s->aux)
			              : pond_table_rollback(r->lake, &table_t, snap, false, err);
		}
		pond_table_free(&t);
	}
	pond_arena_free(&a);
	return rc;
}

long dt_run_case(dt_runner *r, const dt_case *c, const bool *keep, char *why, size_t whylen, long *checks)
{
	pond_error err = POND_ERROR_INIT;
	/* Every run starts from no tables, so that shrinking compares like with
	 * like. The views pond bound in its engine go too: a dropped table's
	 * view otherwise stays queryable (found/015-dropped-table-stale-view.sql). */
	pond_engine_exec(r->native, "DROP SCHEMA IF EXISTS d CASCADE; CREATE SCHEMA d", &err);
	for (int i = 0; i < 2; i++) {
		pond_arena *a = pond_arena_new();
		pond_result *res = NULL;
		const char *msg;
		pond_session_run(r->session, i ? "DROP TABLE IF EXISTS d.u" : "DROP TABLE IF EXISTS d.t", a, &res, &msg,
		                 &err);
		pond_result_free(&res);
		pond_arena_free(&a);
	}
	pond_engine_exec(pond_lake_engine(r->lake), "DROP SCHEMA IF EXISTS d CASCADE", &err);
	for (size_t i = 0; i < c->n; i++) {
		const dt_step *s = &c->steps[i];
		if (keep && !keep[i])
			continue;
		why[0] = 0;
		switch (s->kind) {
		case DT_QUERY:
			both_query(r, s->pond, s->native, why, whylen, NULL);
			break;
		case DT_TLP:
			tlp(r, s->aux, why, whylen);
			break;
		case DT_PRUNE:
			prune(r, s->aux, why, whylen, &r->files_skipped);
			break;
		default: {
			pond_error pe = POND_ERROR_INIT, ne = POND_ERROR_INIT;
			int prc = pond_write(r, s, &pe);
			int nrc = s->native ? pond_engine_exec(r->native, s->native, &ne) : 0;
			if (nrc) {
				/* A failed statement inside BEGIN ... COMMIT (a merge) leaves
				 * the transaction open: undo it, as pond's one commit does. */
				pond_error ignored = POND_ERROR_INIT;
				pond_engine_exec(r->native, "ROLLBACK", &ignored);
			}
			if (prc && !nrc)
				snprintf(why, whylen, "pond failed, native did not: %s", pe.msg);
			else if (!prc && nrc)
				snprintf(why, whylen, "native failed, pond did not: %s", ne.msg);
			if (r->verbose && (prc || nrc))
				fprintf(stderr, "  (both failed) %s: %s | %s\n", s->pond ? s->pond : s->aux, pe.msg, ne.msg);
		}
		}
		if (checks)
			(*checks)++;
		if (why[0])
			return (long)i;
	}
	return -1;
}
