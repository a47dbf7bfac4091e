/*
 * Unit tests for SQL sessions: which names bind as catalog tables, time
 * travel rewriting, WHERE clauses turned into scan filters, and writes.
 */
#include "../test.h"

#include <duckdb.h>
#include <jansson.h>

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

/* ---- WHERE constants as scan filters (issue 11 items 1, 2, 6) ---- */

#include "table/session_internal.h"

/* The literal a json_serialize_sql constant gives for a column of type. */
static bool constant_as(pond_iceberg_literal *out, const char *json, const pond_iceberg_type *type, pond_arena *a)
{
	json_t *node = json_loads(json, 0, NULL);
	bool ok = node && pond__session_constant_literal(out, type, node, a);
	json_decref(node);
	return ok;
}

#define DEC(w, s, v) \
	"{\"class\":\"CONSTANT\",\"value\":{\"type\":{\"id\":\"DECIMAL\",\"type_info\":{\"width\":" #w ",\"scale\":" #s \
	"}},\"is_null\":false,\"value\":" #v "}}"

TEST(session_constants_convert_to_the_column_type_as_duckdb_compares)
{
	pond_arena *a = pond_arena_new();
	pond_iceberg_type dbl = {.id = POND_ICEBERG_DOUBLE}, flt = {.id = POND_ICEBERG_FLOAT},
	                  i32 = {.id = POND_ICEBERG_INT}, dec = {.id = POND_ICEBERG_DECIMAL, .precision = 10, .scale = 2},
	                  wide = {.id = POND_ICEBERG_DECIMAL, .precision = 38, .scale = 10};
	pond_iceberg_literal l;
	/* 2.25 is DECIMAL(3,2) 225: its scale must survive */
	CHECK(constant_as(&l, DEC(3, 2, 225), &dbl, a));
	CHECK(l.type == POND_ICEBERG_DOUBLE && l.v.f64 == 2.25);
	CHECK(constant_as(&l, DEC(3, 2, 225), &flt, a));
	CHECK(l.type == POND_ICEBERG_FLOAT && l.v.f32 == 2.25f);
	CHECK(constant_as(&l, DEC(3, 2, 150), &dec, a));
	CHECK(l.type == POND_ICEBERG_DECIMAL && l.scale == 2 && l.v.dec == 150);
	CHECK(constant_as(&l, DEC(2, 1, -15), &wide, a));
	CHECK(l.v.dec == -(pond_int128)15000000000 && l.scale == 10);
	CHECK(constant_as(&l, DEC(2, 1, 20), &i32, a));
	CHECK(l.type == POND_ICEBERG_INT && l.v.i32 == 2);
	/* a 128-bit unscaled value: {upper, lower} halves, lower as int64 bits */
	CHECK(constant_as(&l, "{\"class\":\"CONSTANT\",\"value\":{\"type\":{\"id\":\"DECIMAL\",\"type_info\":"
	                      "{\"width\":24,\"scale\":1}},\"is_null\":false,\"value\":{\"upper\":6692,"
	                      "\"lower\":-7269072992350064653}}}", &wide, a));
	CHECK(l.v.dec == ((pond_int128)123456789012345678 * 1000000 + 901235) * 1000000000);
	CHECK_INT(l.scale, 10);
	/* no exact literal: no predicate (2.5 is no int, 1.505 no decimal(10,2)) */
	CHECK(!constant_as(&l, DEC(2, 1, 25), &i32, a));
	CHECK(!constant_as(&l, DEC(4, 3, 1505), &dec, a));
	/* a double constant that a float column cannot hold exactly */
	CHECK(!constant_as(&l, "{\"class\":\"CONSTANT\",\"value\":{\"type\":{\"id\":\"DOUBLE\"},\"value\":0.1}}", &flt, a));
	CHECK(constant_as(&l, "{\"class\":\"CONSTANT\",\"value\":{\"type\":{\"id\":\"DOUBLE\"},\"value\":1000.0}}", &i32, a));
	CHECK(l.v.i32 == 1000);
	/* a cast that rounds (2.7::INT is 3) is not taken as 2.7 */
	CHECK(!constant_as(&l, "{\"class\":\"CAST\",\"cast_type\":{\"id\":\"INTEGER\"},\"child\":" DEC(2, 1, 27) "}", &i32, a));
	CHECK(constant_as(&l, "{\"class\":\"CAST\",\"cast_type\":{\"id\":\"FLOAT\"},\"child\":" DEC(2, 1, 15) "}", &flt, a));
	CHECK(l.v.f32 == 1.5f);
	pond_arena_free(&a);
}

/* Pruning is sound: every data file the plan for "select ... from ns.name
 * where pred" skips holds no row matching pred (asked of DuckDB over the
 * file itself). Returns the number of files that do, printing them. */
static int skipped_files_with_matches(table_fixture *f, const char *ns, const char *name, const char *pred)
{
	pond_error err = POND_ERROR_INIT;
	pond_table_ident id = {POND_NS(ns), name};
	pond_table *t = NULL;
	pond_fileio *io = NULL;
	pond_scan_plan *all = NULL, *kept = NULL;
	int bad = 0;
	if (pond_table_load(&t, f->lake, &id, &err) || pond_fileio_local_new(&io, &err)) {
		fprintf(stderr, "    %s\n", err.msg);
		bad = 1;
		goto done;
	}
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(t->metadata);
	const char *stmt = pond_arena_sprintf(f->a, "select * from %s.%s where %s", ns, name, pred);
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	if (pond_scan_plan_files(&all, t->metadata, io, &so, &err)) {
		bad = 1;
		goto done;
	}
	so.filter = pond__session_filter(f->session, stmt, ns, name, schema, f->a);
	if (pond_scan_plan_files(&kept, t->metadata, io, &so, &err)) {
		bad = 1;
		goto done;
	}
	for (size_t i = 0; i < all->ntasks; i++) {
		bool planned = false;
		for (size_t k = 0; k < kept->ntasks && !planned; k++)
			planned = strcmp(kept->tasks[k].path, all->tasks[i].path) == 0;
		if (planned)
			continue;
		const char *q = pond_arena_sprintf(f->a, "select count(*) from read_parquet('%s', hive_partitioning = false) "
		                                   "where %s", all->tasks[i].path, pred);
		int64_t n = -1;
		if (pond_engine_query_int(pond_lake_engine(f->lake), q, &n, &err) != 0 || n != 0) {
			fprintf(stderr, "    where %s: skipped %s, which holds %lld matching rows %s\n", pred,
			        all->tasks[i].path, (long long)n, n < 0 ? err.msg : "");
			bad++;
		}
	}
done:
	pond_scan_plan_free(&all);
	pond_scan_plan_free(&kept);
	pond_fileio_free(&io);
	pond_table_free(&t);
	return bad;
}

/* count(*) where p over the catalog table (with pruning) and over a native
 * DuckDB copy of its rows: equal counts also show that no file the plan
 * skipped held a matching row. Returns the number of predicates that
 * differ, printing them. */
static int compare_with_duckdb(table_fixture *f, const char *table, const char *const *preds, size_t n, size_t *pruned)
{
	pond_error err = POND_ERROR_INIT;
	int bad = 0;
	const char *native = pond_arena_sprintf(f->a, "create or replace temp table native as select * from %s", table);
	if (!run(f, native, &err)) {
		fprintf(stderr, "    %s\n", err.msg);
		return 1;
	}
	const char *all_sql = pond_arena_sprintf(f->a, "select count(*) from %s", table);
	const char *text;
	size_t all = 0, kept = 0;
	if (pond_session_prepare(f->session, all_sql, f->a, &text, &all, &err) != 0)
		return 1;
	*pruned = 0;
	for (size_t i = 0; i < n; i++) {
		const char *q = pond_arena_sprintf(f->a, "select count(*) from %s where %s", table, preds[i]);
		const char *qn = pond_arena_sprintf(f->a, "select count(*) from native where %s", preds[i]);
		pond_error e1 = POND_ERROR_INIT, e2 = POND_ERROR_INIT;
		if (pond_session_prepare(f->session, q, f->a, &text, &kept, &e1) == 0 && kept < all)
			(*pruned)++;
		const char *dot = strchr(table, '.');
		bad += skipped_files_with_matches(f, pond_arena_strndup(f->a, table, (size_t)(dot - table)), dot + 1,
		                                  preds[i]);
		const char *got = run(f, q, &e1), *want = run(f, qn, &e2);
		if (!got || !want || strcmp(got, want) != 0) {
			fprintf(stderr, "    where %s: pond %s, duckdb %s\n", preds[i], got ? got : e1.msg, want ? want : e2.msg);
			bad++;
		}
	}
	return bad;
}

TEST(session_filters_on_decimal_float_and_null_agree_with_duckdb)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK_MSG(run(&f, "create table t.a (k varchar, v int, d double, m decimal(10,2), f float, w decimal(38,10))", &err),
	          "%s", err.msg);
	CHECK_MSG(run(&f, "alter table t.a add partition field k", &err), "%s", err.msg);
	CHECK_MSG(run(&f, "insert into t.a values ('x',1,2.25,1.50,2.25,1.25),('y',null,225.0,150.00,'nan'::float,-2),"
	                  "('z',3,'-0.0'::double,-1.5,'-0.0'::float,null)", &err), "%s", err.msg);
	static const char *const preds[] = {
		"d = 2.25", "m = 1.50", "d > 2.0 and d < 3.0", "v is not null", "v is null", "m = 150",
		"d = 0", "f = 0", "f > 3", "f >= 2.25", "f = 2.25", "w = 1.25", "w < -1.9", "w is null",
		"m between 1.4 and 1.6", "d in (2.25, 7)", "v = 1.0", "v < 2.5", "d = '2.25'", "f < 1",
	};
	size_t pruned;
	int bad = compare_with_duckdb(&f, "t.a", preds, sizeof preds / sizeof preds[0], &pruned);
	CHECK_INT(bad, 0);
	CHECK(pruned > 5);  /* the filters still prune */
	fx_teardown(&f);
}

TEST(session_filters_on_partition_columns_of_every_width_agree_with_duckdb)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK_MSG(run(&f, "create table t.p (f float, g double, d1 decimal(4,2), d2 decimal(18,3), d3 decimal(30,4), "
	                  "d4 decimal(38,10), x int)", &err), "%s", err.msg);
	static const char *const cols[] = {"f", "g", "d1", "d2", "d3", "d4"};
	for (size_t i = 0; i < 6; i++)
		CHECK_MSG(run(&f, pond_arena_sprintf(f.a, "alter table t.p add partition field %s", cols[i]), &err), "%s",
		          err.msg);
	CHECK_MSG(run(&f, "insert into t.p values (2.25, 2.25, 1.50, 123456.125, 12345678901234567.5, 1.25, 1),"
	                  "('nan'::float, 'nan'::double, -1.5, -0.001, -1.0, -2, 2),"
	                  "(null, null, null, null, null, null, 3), ('-0.0'::float, '-0.0'::double, 0, 0, 0, 0, 4),"
	                  "('inf'::float, '-inf'::double, 1, 1, 1, 1, 5)", &err), "%s", err.msg);
	static const char *const preds[] = {
		"f = 2.25", "f > 3", "f = 'nan'", "f = 0", "g = 0", "g < 0", "g >= 2.25", "d1 = 1.5", "d1 = -1.50",
		"d2 = 123456.125", "d2 < 0", "d3 = 12345678901234567.5", "d3 = -1", "d4 = 1.25", "d4 < -1.9",
		"d4 is null", "f is not null", "d3 is not null", "typeof(d3) = 'DECIMAL(30,4)'",
	};
	size_t pruned;
	int bad = compare_with_duckdb(&f, "t.p", preds, sizeof preds / sizeof preds[0], &pruned);
	CHECK_INT(bad, 0);
	CHECK(pruned > 5);
	/* a constant wider than 64 bits still prunes (DuckDB writes it in two
	 * halves, one above INT64_MAX) */
	const char *text;
	size_t kept = 99;
	CHECK_OK(pond_session_prepare(f.session, "select count(*) from t.p where d4 > 12345678901234567890.5", f.a, &text,
	                              &kept, &err), &err);
	CHECK_INT(kept, 0);
	fx_teardown(&f);
}

TEST(session_table_names_resolve_ignoring_case_as_duckdb_does)
{
	table_fixture f;
	CHECK(fx_setup(&f, NULL) == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK_MSG(run(&f, "create table n.Mixed as select 1 as x", &err), "%s", err.msg);
	CHECK_STR(run(&f, "select count(*) from n.mixed", &err), "1");
	CHECK_STR(run(&f, "select sum(x) from N.MIXED where x = 1", &err), "1");
	CHECK_STR(run(&f, "insert into n.mixed values (2)", &err), "inserted 1 row into n.Mixed");
	CHECK_STR(run(&f, "select count(*) from n.Mixed", &err), "2");
	/* a name that is no table: the error names it and what there is */
	CHECK(run(&f, "select * from n.nope", &err) == NULL);
	CHECK_STR(err.msg, "table n.nope does not exist; n has Mixed");
	/* a name DuckDB knows (a temporary table, in schema main) is DuckDB's */
	CHECK_MSG(run(&f, "create table main.t1 as select 1 as x", &err), "%s", err.msg);
	CHECK_MSG(run(&f, "create temp table scratch as select 5 as y", &err), "%s", err.msg);
	CHECK_STR(run(&f, "select y from main.scratch", &err), "5");
	fx_teardown(&f);
}

/* Names that differ only in case: DuckDB binds "uSeR_Id" to the first such
 * column (the table's view renames the second uSeR_Id_1), and the filter
 * must be on the column DuckDB filters. */
TEST(session_filter_binds_names_as_duckdb_does)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	json_t *sj = json_loads("{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	                        "{\"id\":1,\"name\":\"user_id\",\"required\":false,\"type\":\"int\"},"
	                        "{\"id\":2,\"name\":\"uSeR_Id\",\"required\":false,\"type\":\"int\"}]}", 0, NULL);
	pond_iceberg_schema *schema = NULL;
	CHECK_OK(pond_iceberg_schema_from_json(&schema, sj, a, "schema", &err), &err);
	json_decref(sj);
	json_t *where = json_loads("{\"class\":\"COMPARISON\",\"type\":\"COMPARE_EQUAL\","
	                           "\"left\":{\"class\":\"COLUMN_REF\",\"column_names\":[\"uSeR_Id\"]},"
	                           "\"right\":{\"class\":\"CONSTANT\",\"value\":{\"type\":{\"id\":\"INTEGER\"},"
	                           "\"is_null\":false,\"value\":2}}}", 0, NULL);
	pond_expr *e = pond__session_where_filter(where, schema, "t", a);
	json_decref(where);
	CHECK(e != NULL);
	CHECK_STR(e->column, "user_id");
	pond_arena_free(&a);
}

/* A table made by a query has no constraints, as in DuckDB: replacing a
 * NOT NULL table from itself leaves its columns optional, in one commit,
 * even when the query keeps no row (found by tests/difftest). */
TEST(session_replace_from_itself_drops_not_null)
{
	table_fixture f;
	CHECK(fx_setup(&f, "s.t") == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table s.t (id bigint not null, v varchar not null)", &err) != NULL);
	CHECK(run(&f, "insert into s.t values (1, null)", &err) == NULL);
	CHECK(strstr(err.msg, "NOT NULL") != NULL);
	pond_error_clear(&err);
	CHECK_STR(run(&f, "create or replace table s.t as select * from s.t where id > 5", &err),
	          "replaced s.t with 0 rows");
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");
	CHECK_STR(run(&f, "insert into s.t values (1, null), (null, 'x')", &err), "inserted 2 rows into s.t");
	CHECK_STR(run(&f, "select count(*) from s.t where v is null or id is null", &err), "2");
	pond_table *t = fx_load(&f);
	CHECK(t != NULL && pond_iceberg_metadata_current_schema(t->metadata)->root->fields[0].required == false);
	pond_table_free(&t);
	fx_teardown(&f);
}

/* UPDATE's SET list splits at commas outside brackets: struct and list
 * literals hold commas (found/012-update-struct-literal.sql). */
TEST(session_update_set_values_may_hold_commas)
{
	table_fixture f;
	CHECK(fx_setup(&f, "s.t") == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table s.t (id int, s struct(a int, b varchar), l int[], v varchar)", &err) != NULL);
	CHECK(run(&f, "insert into s.t values (1, {'a': 1, 'b': 'x'}, [1], 'v')", &err) != NULL);
	const char *m = run(&f,
	                    "update s.t set s = {'a': 7, 'b': 'y,z'}, l = [4, 5, 6], v = concat('a', ',', 'b') "
	                    "where id = 1",
	                    &err);
	CHECK_MSG(m != NULL, "%s", err.msg);
	CHECK_STR(run(&f, "select s.b || '|' || len(l)::varchar || '|' || v from s.t", &err), "y,z|3|a,b");
	fx_teardown(&f);
}

/* After an identity partition's source is widened (int -> bigint, float
 * -> double), a rewrite carries the older files' partition values into a
 * new manifest in the wider type: -2 stays -2, and filters keep its file
 * (found/019-widened-partition-source-pruning.sql). */
TEST(session_widened_partition_values_survive_a_rewrite)
{
	table_fixture f;
	CHECK(fx_setup(&f, "s.t") == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	const char *steps[] = {
		"create table s.t (id bigint, c1 int, c2 float)",
		"alter table s.t add partition field c1",
		"alter table s.t add partition field c2",
		"insert into s.t values (11, -2, -2.5), (12, 1, 1.5)",
		"alter table s.t alter column c1 type bigint",
		"alter table s.t alter column c2 type double",
		"delete from s.t where id = 12",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		CHECK_MSG(run(&f, steps[i], &err) != NULL, "%s: %s", steps[i], err.msg);
	CHECK_STR(run(&f, "select count(*) from s.t where c1 < 0", &err), "1");
	CHECK_STR(run(&f, "select count(*) from s.t where c2 < 0", &err), "1");
	CHECK_STR(run(&f, "select count(*) from s.t where c1 = -2 and c2 = -2.5", &err), "1");
	fx_teardown(&f);
}

/* Identity partitions on BLOB hold any bytes: not UTF-8, empty, NULL
 * (found/013-binary-identity-partition.sql), and filters find them. */
TEST(session_binary_identity_partitions_hold_any_bytes)
{
	table_fixture f;
	CHECK(fx_setup(&f, "s.t") == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table s.t (id int, c blob)", &err) != NULL);
	CHECK(run(&f, "alter table s.t add partition field c", &err) != NULL);
	const char *m =
		run(&f, "insert into s.t values (1, 'abc'::blob), (2, '\\x80\\x00'::blob), (3, ''::blob), (4, null)", &err);
	CHECK_MSG(m != NULL, "%s", err.msg);
	CHECK_STR(run(&f, "select id from s.t where c = '\\x80\\x00'::blob", &err), "2");
	CHECK_STR(run(&f, "select id from s.t where c = 'abc'::blob", &err), "1");
	CHECK_STR(run(&f, "select id from s.t where c = ''::blob", &err), "3");
	CHECK_STR(run(&f, "select count(*) from s.t where c is null", &err), "1");
	CHECK_STR(fx_summary(&f, "changed-partition-count"), "4");
	fx_teardown(&f);
}

/* truncate[W] on decimals (by the unscaled value: spec example 10.65 by
 * 50 is 10.50) and on binary (the first W bytes); a decimal whose
 * truncation leaves its range is refused (found/011). */
TEST(session_truncate_partitions_on_decimal_and_binary)
{
	table_fixture f;
	CHECK(fx_setup(&f, "s.t") == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table s.t (id int, m decimal(9,2), b blob)", &err) != NULL);
	CHECK(run(&f, "alter table s.t add partition field truncate(50, m)", &err) != NULL);
	CHECK(run(&f, "alter table s.t add partition field truncate(2, b)", &err) != NULL);
	const char *m = run(&f,
	                    "insert into s.t values (1, 10.65, 'abc'::blob), (2, -0.01, '\\x80'::blob), (3, null, null), "
	                    "(4, -9999999.49, 'a'::blob)",
	                    &err);
	CHECK_MSG(m != NULL, "%s", err.msg);
	CHECK_STR(run(&f, "select string_agg(id::varchar, ',' order by id) from s.t where m < 0", &err), "2,4");
	CHECK_STR(run(&f, "select id from s.t where m = 10.65", &err), "1");
	CHECK_STR(run(&f, "select id from s.t where b = '\\x80'::blob", &err), "2");
	CHECK_STR(fx_summary(&f, "changed-partition-count"), "4");
	CHECK(run(&f, "insert into s.t values (5, -9999999.99, null)", &err) == NULL);
	CHECK(strstr(err.msg, "below the decimal range") != NULL);
	CHECK_STR(run(&f, "select count(*) from s.t", &err), "4");
	fx_teardown(&f);
}

/* CREATE OR REPLACE from itself with other columns is one overwrite commit
 * too: the query's schema becomes the table's (new field ids, the table
 * unpartitioned), the history stays, and time travel reads the old rows
 * with their old schema. No moment exists without the table. */
TEST(session_replace_from_itself_with_new_columns_is_one_commit)
{
	table_fixture f;
	CHECK(fx_setup(&f, "s.t") == 0 && fx_session(&f) != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK(run(&f, "create table s.t (id int not null, k varchar, v double)", &err) != NULL);
	CHECK(run(&f, "alter table s.t add partition field k", &err) != NULL);
	CHECK(run(&f, "insert into s.t values (1, 'a', 1.5), (2, 'b', 2.5), (3, 'a', 3.5)", &err) != NULL);
	int64_t before = fx_snapshot(&f);
	const char *m = run(&f, "create or replace table s.t as select id, v * 2 as w, 'x' as extra from s.t where id < 3",
	                    &err);
	CHECK_MSG(m != NULL, "%s", err.msg);
	CHECK_STR(m, "replaced s.t with 2 rows");
	CHECK_STR(fx_summary(&f, "operation"), "overwrite");
	CHECK_STR(run(&f, "select sum(w)::varchar || extra from s.t group by extra", &err), "8.0x");
	pond_table *t = fx_load(&f);
	CHECK(t != NULL);
	if (t) {
		const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(t->metadata);
		CHECK(s != NULL && s->parent_snapshot_id == before);
		CHECK_INT(pond_iceberg_metadata_default_spec(t->metadata)->nfields, 0);
		const pond_iceberg_schema *cur = pond_iceberg_metadata_current_schema(t->metadata);
		CHECK(cur->root->nfields == 3 && cur->root->fields[0].id > 3 && !cur->root->fields[0].required);
	}
	pond_table_free(&t);
	const char *q = pond_arena_sprintf(f.a, "select count(*)::varchar || min(k) from s.t at (version => %lld)",
	                                   (long long)before);
	CHECK_STR(run(&f, q, &err), "3a");
	CHECK_STR(run(&f, "insert into s.t values (9, null, 'y')", &err), "inserted 1 row into s.t");
	/* CREATE OR REPLACE TABLE t (columns) empties it the same way, with
	 * its constraints. */
	int64_t filled = fx_snapshot(&f);
	CHECK_STR(run(&f, "create or replace table s.t (a int not null, b varchar)", &err), "created s.t");
	CHECK_STR(run(&f, "select count(*) from s.t", &err), "0");
	t = fx_load(&f);
	CHECK(t != NULL && pond_iceberg_metadata_current_snapshot(t->metadata)->parent_snapshot_id == filled);
	pond_table_free(&t);
	CHECK(run(&f, "insert into s.t values (null, 'x')", &err) == NULL);
	CHECK(strstr(err.msg, "NOT NULL") != NULL);
	fx_teardown(&f);
}
