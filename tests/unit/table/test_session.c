/*
 * Unit tests for SQL sessions: which names bind as catalog tables, time
 * travel rewriting, WHERE clauses turned into scan filters, and writes.
 */
#include "../test.h"

#include "fixture.h"
#include "pond/table.h"

/* Runs statements through the session, returning the first value of the
 * last one's result as text (or the message of a write). */
static const char *run(table_fixture *f, const char *sql, pond_error *err)
{
	pond_result *r = NULL;
	const char *message = NULL;
	if (pond_session_run(f->session, sql, f->a, &r, &message, err) != 0)
		return NULL;
	if (!r)
		return message ? message : "";
	pond_buf b = POND_BUF_INIT;
	duckdb_data_chunk c;
	if (pond_result_next(r, &c, err) == 1) {
		pond_value_format(&b, duckdb_data_chunk_get_vector(c, 0), pond_result_column_type(r, 0), 0, POND_VALUE_TEXT);
		duckdb_destroy_data_chunk(&c);
	}
	pond_result_free(&r);
	const char *out = pond_arena_strdup(f->a, pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	return out;
}

TEST(session_create_insert_select_round_trip)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	const char *m = run(&f, "create table s.t as select range as id, range % 3 as k from range(30)", &err);
	CHECK_MSG(m != NULL, "%s", err.msg);
	CHECK_STR(m, "created s.t with 30 rows");
	CHECK_STR(run(&f, "insert into s.t values (100, 1), (101, 2)", &err), "inserted 2 rows into s.t");
	CHECK_STR(run(&f, "select count(*) from s.t", &err), "32");
	CHECK_STR(run(&f, "select sum(id) from s.t where k = 1", &err), "245");
	/* A DuckDB temp table of the same shape is not a catalog table. */
	CHECK_STR(run(&f, "create temp table scratch as select 1 as x", &err), "1");  /* DuckDB's row count */
	CHECK_STR(run(&f, "select count(*) from scratch", &err), "1");
	fx_teardown(&f);
}

TEST(session_binds_only_catalog_tables_and_prunes_by_where)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table s.t as select range as id from range(100)", &err) != NULL);
	CHECK(run(&f, "insert into s.t select range + 1000 from range(100)", &err) != NULL);
	const char *text;
	size_t kept;
	/* Both files without a filter; one with a selective one. */
	CHECK_OK(pond_session_prepare(f.session, "select count(*) from s.t", f.a, &text, &kept, &err), &err);
	CHECK_INT(kept, 2);
	/* The same view again, reused from the session: still two files. */
	CHECK_OK(pond_session_prepare(f.session, "select count(*) from s.t", f.a, &text, &kept, &err), &err);
	CHECK_INT(kept, 2);
	CHECK_OK(pond_session_prepare(f.session, "select count(*) from s.t as x where x.id >= 1000", f.a, &text, &kept, &err), &err);
	CHECK_INT(kept, 1);
	CHECK_OK(pond_session_prepare(f.session, "select * from s.t where id in (5, 7)", f.a, &text, &kept, &err), &err);
	CHECK_INT(kept, 1);
	/* A filter that pond cannot read keeps every file, and stays correct. */
	CHECK_OK(pond_session_prepare(f.session, "select * from s.t where id % 2 = 0", f.a, &text, &kept, &err), &err);
	CHECK_INT(kept, 2);
	CHECK_STR(run(&f, "select count(*) from s.t where id >= 1000", &err), "100");
	/* After the pruned view, a query without a filter sees everything. */
	CHECK_STR(run(&f, "select count(*) from s.t", &err), "200");
	/* Names that are not catalog tables are left alone. */
	CHECK_OK(pond_session_prepare(f.session, "select x.id from (select 1 as id) as x", f.a, &text, &kept, &err), &err);
	CHECK_INT(kept, 0);
	CHECK_STR(text, "select x.id from (select 1 as id) as x");
	fx_teardown(&f);
}

TEST(session_rewrites_time_travel_to_views_of_their_own)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table t as select 1 as v", &err) != NULL);
	pond_table_ident id;
	pond_table *t;
	CHECK_OK(pond_table_ident_parse(&id, f.a, "t", &err), &err);
	CHECK_OK(pond_table_load(&t, f.lake, &id, &err), &err);
	int64_t first = t->metadata->current_snapshot_id;
	pond_table_free(&t);
	CHECK(run(&f, "insert into t values (2)", &err) != NULL);
	const char *sql = pond_arena_sprintf(f.a, "select sum(v) from t at (version => %lld) where v > 0", (long long)first);
	const char *text;
	size_t kept;
	CHECK_OK(pond_session_prepare(f.session, sql, f.a, &text, &kept, &err), &err);
	CHECK_STR(text, pond_arena_sprintf(f.a, "select sum(v) from \"main\".\"t@v%lld\" where v > 0", (long long)first));
	CHECK_STR(run(&f, sql, &err), "1");
	CHECK_STR(run(&f, "select sum(v) from t", &err), "3");
	CHECK(run(&f, "select * from t at (version => 99)", &err) == NULL);
	/* One line naming the table once. */
	CHECK_STR(err.msg, "main.t: snapshot 99 not found in table metadata");
	CHECK(run(&f, "select * from t at (version => 'nope')", &err) == NULL);
	CHECK(strstr(err.msg, "nope") != NULL);
	fx_teardown(&f);
}

TEST(session_write_errors_name_the_table_and_change_nothing)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table t as select 1 as a, 'x' as b", &err) != NULL);
	CHECK(run(&f, "create table t as select 2 as a", &err) == NULL);
	CHECK_STR(err.msg, "table main.t already exists");
	CHECK(run(&f, "insert into t (a, nope) values (1, 2)", &err) == NULL);
	CHECK_STR(err.msg, "table main.t has no column \"nope\"");
	CHECK(run(&f, "create table bad as select interval 1 day as span", &err) == NULL);
	CHECK(strstr(err.msg, "span") != NULL);
	bool exists = true;
	pond_table_ident id;
	CHECK_OK(pond_table_ident_parse(&id, f.a, "bad", &err), &err);
	CHECK_OK(pond_catalog_table_exists(pond_lake_catalog(f.lake), &id.ns, id.name, &exists, &err), &err);
	CHECK(!exists);
	CHECK_STR(run(&f, "select count(*) from t", &err), "1");
	CHECK_STR(run(&f, "create table if not exists t as select 5 as a", &err), "table main.t already exists");
	CHECK_STR(run(&f, "drop table t", &err), "dropped main.t");
	CHECK(run(&f, "select * from t", &err) == NULL);
	fx_teardown(&f);
}
