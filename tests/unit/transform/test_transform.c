/*
 * The transform layer: model settings, dependencies from DuckDB's parser,
 * the graph (cycles, unknown tables, ephemeral inlining), selectors and a
 * run with a failing test stopping what is downstream.
 */
#include "../test.h"
#include "../table/fixture.h"

#include "pond/transform.h"
#include "transform/transform_internal.h"

#include <stdio.h>
#include <sys/stat.h>

static int write_model(table_fixture *f, const char *rel, const char *text)
{
	pond_error err = POND_ERROR_INIT;
	const char *path = pond_arena_sprintf(f->a, "%s/%s", f->project->root, rel);
	char *dir = pond_arena_strdup(f->a, path);
	*strrchr(dir, '/') = '\0';
	if (pond_mkdirs(dir, &err) != 0)
		return -1;
	return pond_file_write_atomic(path, text, strlen(text), &err);
}

static pond_transform_graph *load(table_fixture *f, pond_error *err)
{
	pond_transform_graph *g = NULL;
	pond_transform_graph_load(&g, f->lake, err);
	return g;
}

static const tf_node *node(const pond_transform_graph *g, const char *name)
{
	int i = pond__transform_find_node(g, name);
	return i >= 0 ? &g->nodes[i] : NULL;
}

TEST(transform_settings_grammar_is_forgiving)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	CHECK(fx_create_with(&f, "select 1 as id, 2 as day, 'buy' as side", NULL) == 0);
	CHECK(write_model(&f, "models/marts/x.sql",
	                  "-- Materialized: INCREMENTAL\n"
	                  "-- Unique Key: [id, day]\n"
	                  "-- strategy: 'append'\n"
	                  "-- watermark: day\n"
	                  "-- TODO: prose, not a setting\n"
	                  "-- tags: daily, finance\n"
	                  "-- tests: unique(id, day), accepted_values(side, ['buy','sell']) severity: warn,\n"
	                  "--        row_count(>= 1)\n"
	                  "-- columns: id = the key; day = trading day\n"
	                  "select * from raw.t;\n") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_transform_graph *g = load(&f, &err);
	CHECK_MSG(g, "load: %s", err.msg);
	const tf_node *n = node(g, "marts.x");
	CHECK(n);
	CHECK_INT(n->mat, TF_INCREMENTAL);
	CHECK_INT(n->strategy, TF_APPEND);
	CHECK_INT(n->nkeys, 2);
	CHECK_STR(n->keys[1], "day");
	CHECK_STR(n->watermark, "day");
	CHECK_INT(n->ntags, 2);
	CHECK_INT(n->ntests, 3);
	CHECK_STR(n->tests[0].name, "unique(id, day)");
	CHECK(!n->tests[0].warn);
	CHECK(n->tests[1].warn);
	CHECK_INT(n->tests[2].line, 7);
	CHECK_INT(n->ncolumns, 2);
	CHECK_STR(n->column_docs[1], "trading day");
	CHECK_INT(n->ndeps, 1);
	CHECK_STR(g->nodes[n->deps[0]].name, "raw.t");
	pond_transform_graph_free(&g);
	fx_teardown(&f);
}

TEST(transform_setting_errors_name_file_and_line)
{
	static const struct { const char *text, *want; } cases[] = {
		{"-- materialized: tabel\nselect 1", "models/m/x.sql:1: unknown materialization \"tabel\""},
		{"\n-- materialzed: table\nselect 1", "models/m/x.sql:2: unknown setting \"materialzed\" (did you mean"},
		{"-- tests: not_nul(a)\nselect 1 as a", "models/m/x.sql:1: unknown test \"not_nul\""},
		{"-- tests: unique(a) maybe\nselect 1 as a", "models/m/x.sql:1: test severity must be warn or error"},
		{"-- materialized: incremental\nselect 1 as a", "incremental merge needs unique_key"},
		{"-- x: 1\nselect 1 from\nwhere", "models/m/x.sql:3: syntax error"},
		{"select 1; select 2", "models/m/x.sql: a model is one SELECT statement, found 2"},
	};
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(write_model(&f, "models/m/x.sql", cases[i].text) == 0);
		pond_error err = POND_ERROR_INIT;
		pond_transform_graph *g = load(&f, &err);
		CHECK_MSG(!g, "case %zu loaded", i);
		CHECK_MSG(strstr(err.msg, cases[i].want), "case %zu: %s", i, err.msg);
	}
	fx_teardown(&f);
}

TEST(transform_dependencies_skip_ctes_and_files)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.a") == 0);
	CHECK(fx_create_with(&f, "select 1 as id", NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	tf_ref *refs;
	size_t n;
	CHECK_OK(pond__transform_sql_refs(pond_lake_engine(f.lake),
	                     "with c as (select * from raw.a)\n"
	                     "select * from c join 'data/x.csv' using (id)\n"
	                     "  join (select id from m.b) s using (id) where id in (select id from t)",
	                     "q.sql", a, &refs, &n, &err),
	         &err);
	CHECK_INT(n, 3);
	CHECK_STR(refs[0].name, "raw.a");
	CHECK_STR(refs[1].name, "m.b");
	CHECK_INT(refs[1].line, 3);
	CHECK_INT(refs[1].len, 3);
	CHECK_STR(refs[2].name, "main.t");
	pond_arena_free(&a);
	fx_teardown(&f);
}

TEST(transform_cycle_and_unknown_table_are_errors)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	CHECK(write_model(&f, "models/m/a.sql", "select * from m.c") == 0);
	CHECK(write_model(&f, "models/m/b.sql", "select * from m.a") == 0);
	CHECK(write_model(&f, "models/m/c.sql", "select * from m.b") == 0);
	pond_error err = POND_ERROR_INIT;
	CHECK(!load(&f, &err));
	CHECK_MSG(strstr(err.msg, "cycle: ") && strstr(err.msg, "models/m/a.sql") && strstr(err.msg, "models/m/b.sql") &&
	              strstr(err.msg, "models/m/c.sql"),
	          "%s", err.msg);
	CHECK(write_model(&f, "models/m/a.sql", "select 1 as x\nfrom raw.missing") == 0);
	CHECK(!load(&f, &err));
	CHECK_STR(err.msg, "models/m/a.sql:2: unknown table raw.missing: not a model, a source's table or a catalog table");
	fx_teardown(&f);
}

TEST(transform_ephemeral_models_are_inlined)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	CHECK(fx_create_with(&f, "select range as id from range(5)", NULL) == 0);
	CHECK(write_model(&f, "models/s/e.sql", "-- materialized: ephemeral\nselect id from raw.t where id > 1;") == 0);
	CHECK(write_model(&f, "models/m/x.sql", "select count(*) as n from s.e join s.e as e2 using (id)") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_transform_graph *g = load(&f, &err);
	CHECK_MSG(g, "%s", err.msg);
	const tf_node *x = node(g, "m.x");
	CHECK(x && strstr(x->expanded, "(-- materialized: ephemeral\nselect id from raw.t where id > 1\n) AS \"e\" join ("));
	CHECK(strstr(x->expanded, "\n) as e2 using"));
	pond_transform_graph_free(&g);

	/* And the run computes through it. */
	pond_transform_result r;
	CHECK_OK(pond_transform_run(f.lake, NULL, &r, &err), &err);
	CHECK_INT(r.ok, 2);
	pond_transform_result_dispose(&r);
	char *v = NULL;
	pond_session *s;
	pond_result *res = NULL;
	const char *msg;
	CHECK_OK(pond_session_open(&s, f.lake, &err), &err);
	CHECK_OK(pond_session_run(s, "select n from m.x", f.a, &res, &msg, &err), &err);
	pond_result_free(&res);
	pond_session_close(&s);
	pond_session_open(&s, f.lake, &err);
	const char *bound;
	size_t files;
	CHECK_OK(pond_session_prepare(s, "select n from m.x", f.a, &bound, &files, &err), &err);
	CHECK_OK(pond_engine_query_string(pond_lake_engine(f.lake), bound, &v, &err), &err);
	CHECK_STR(v, "3");
	pond_free(v);
	pond_session_close(&s);
	fx_teardown(&f);
}

TEST(transform_selectors)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	CHECK(fx_create_with(&f, "select 1 as id", NULL) == 0);
	CHECK(write_model(&f, "models/m/a.sql", "-- tags: x\nselect * from raw.t") == 0);
	CHECK(write_model(&f, "models/m/b.sql", "select * from m.a") == 0);
	CHECK(write_model(&f, "models/n/c.sql", "select * from m.b") == 0);
	static const struct { const char *sel, *want; } cases[] = {
		{"m.b", "m.b"}, {"+b", "m.a m.b"}, {"a+", "m.a m.b n.c"}, {"+m.b+", "m.a m.b n.c"},
		{"tag:x", "m.a"}, {"path:n/", "n.c"}, {"models/m/b.sql", "m.b"}, {"a+,path:m", "m.a m.b"},
		{"m.a n.c", "m.a n.c"}, {"state:modified", "m.a m.b n.c"},
	};
	pond_error err = POND_ERROR_INIT;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pond_transform_options o = POND_TRANSFORM_OPTIONS_INIT;
		const char *sel[] = {cases[i].sel};
		o.select = sel;
		o.nselect = 1;
		const char **order;
		size_t n;
		CHECK_OK(pond_transform_plan(f.lake, &o, f.a, &order, &n, &err), &err);
		pond_buf got = POND_BUF_INIT;
		for (size_t k = 0; k < n; k++)
			pond_buf_printf(&got, "%s%s", k ? " " : "", order[k]);
		int same = strcmp(pond_buf_cstr(&got), cases[i].want) == 0;
		CHECK_MSG(same, "%s: got \"%s\", want \"%s\"", cases[i].sel, pond_buf_cstr(&got), cases[i].want);
		pond_buf_dispose(&got);
	}
	pond_transform_options o = POND_TRANSFORM_OPTIONS_INIT;
	const char *sel[] = {"zzz"};
	o.select = sel;
	o.nselect = 1;
	const char **order;
	size_t n;
	CHECK(pond_transform_plan(f.lake, &o, f.a, &order, &n, &err) == POND_EUSAGE);
	fx_teardown(&f);
}

TEST(transform_failing_test_stops_downstream_and_is_recorded)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	CHECK(fx_create_with(&f, "select range as id, nullif(range % 4, 0) as v from range(8)", NULL) == 0);
	CHECK(write_model(&f, "models/m/a.sql", "-- tests: not_null(v), unique(id)\nselect * from raw.t") == 0);
	CHECK(write_model(&f, "models/m/b.sql", "select * from m.a") == 0);
	CHECK(write_model(&f, "models/m/c.sql", "select 1 as one") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_transform_result r;
	pond_transform_options o = POND_TRANSFORM_OPTIONS_INIT;
	o.threads = 2;
	CHECK(pond_transform_run(f.lake, &o, &r, &err) == POND_ERROR);
	CHECK_INT(r.nmodels, 3);
	CHECK_INT(r.failed, 1);
	CHECK_INT(r.blocked, 1);
	CHECK_INT(r.ok, 1);
	CHECK_INT(r.tests_failed, 1);
	CHECK_INT(r.tests_passed, 1);
	const pond_model_outcome *a = NULL, *b = NULL;
	for (size_t i = 0; i < r.nmodels; i++) {
		if (strcmp(r.models[i].name, "m.a") == 0)
			a = &r.models[i];
		if (strcmp(r.models[i].name, "m.b") == 0)
			b = &r.models[i];
	}
	CHECK(a && b);
	CHECK_INT(a->status, POND_MODEL_FAILED);
	CHECK_INT(a->tests[0].failures, 2);
	CHECK_STR(a->tests[0].sample, "id=0, v=NULL\nid=4, v=NULL");
	CHECK_INT(b->status, POND_MODEL_BLOCKED);
	CHECK_STR(b->message, "upstream m.a failed");
	pond_transform_result_dispose(&r);
	bool exists = true;
	CHECK_OK(pond_catalog_table_exists(pond_lake_catalog(f.lake), &POND_NS("m"), "b", &exists, &err), &err);
	CHECK(!exists);
	fx_teardown(&f);
}

TEST(transform_incremental_merge_upserts_and_skips_when_unchanged)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	CHECK(fx_create_with(&f, "select range as id, range * 10 as v from range(4)", NULL) == 0);
	CHECK(write_model(&f, "models/m/inc.sql",
	                  "-- materialized: incremental\n-- unique_key: id\n-- watermark: id\nselect id, v from raw.t") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_transform_result r;
	CHECK_OK(pond_transform_run(f.lake, NULL, &r, &err), &err);
	CHECK_INT(r.models[0].rows, 4);
	pond_transform_result_dispose(&r);
	CHECK_OK(pond_transform_run(f.lake, NULL, &r, &err), &err);
	CHECK_INT(r.up_to_date, 1);
	pond_transform_result_dispose(&r);
	pond_write_result w;
	CHECK_OK(pond_table_append_query(f.lake, &f.id, "select 4 as id, 40 as v union all select 5, 50", NULL, &w, &err),
	         &err);
	CHECK_OK(pond_transform_run(f.lake, NULL, &r, &err), &err);
	CHECK_INT(r.models[0].status, POND_MODEL_OK);
	CHECK_INT(r.models[0].rows, 2);
	pond_transform_result_dispose(&r);
	pond_table_ident inc;
	CHECK_OK(pond_table_ident_parse(&inc, f.a, "m.inc", &err), &err);
	f.id = inc;
	CHECK_STR(fx_query(&f, "count(*) || '/' || sum(v)", 0), "6/150");
	CHECK_STR(fx_summary(&f, "pond.model.watermark"), "5");
	fx_teardown(&f);
}

/* One integer from sql run through a pond SQL session (catalog tables and
 * pond views bound). */
static int session_int(table_fixture *f, const char *sql, int64_t *out, pond_error *err)
{
	pond_session *s = NULL;
	const char *bound;
	size_t files;
	int rc = pond_session_open(&s, f->lake, err);
	if (rc == 0)
		rc = pond_session_prepare(s, sql, f->a, &bound, &files, err);
	if (rc == 0)
		rc = pond_engine_query_int(pond_lake_engine(f->lake), bound, out, err);
	pond_session_close(&s);
	return rc;
}

TEST(transform_view_model_is_an_iceberg_view_with_duckdb_sql)
{
	table_fixture f;
	CHECK(fx_setup(&f, "raw.t") == 0);
	CHECK(fx_create_with(&f, "select range as id, 'x' || range as name from range(4)", NULL) == 0);
	CHECK(write_model(&f, "models/m/v.sql",
	                  "-- materialized: view\nselect t.id * 2 as twice, name from raw.t as t where id > 0\n"
	                  "  and id not in (select n from seen)") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_session *s = NULL;
	pond_result *res = NULL;
	const char *msg;
	CHECK_OK(pond_session_open(&s, f.lake, &err), &err);
	CHECK_OK(pond_session_run(s, "create table main.seen as select 99 as n", f.a, &res, &msg, &err), &err);
	pond_result_free(&res);
	pond_session_close(&s);
	pond_transform_result r;
	pond_transform_options o = POND_TRANSFORM_OPTIONS_INIT;
	int rc = pond_transform_run(f.lake, &o, &r, &err);
	CHECK_MSG(rc == 0, "%s", r.nmodels && r.models[0].message ? r.models[0].message : err.msg);
	pond_transform_result_dispose(&r);

	pond_table_ident id = {POND_NS("m"), "v"};
	pond_iceberg_view *view = NULL;
	const char *location;
	CHECK_OK(pond_view_iceberg_load(f.lake, &id, f.a, &view, &location, &err), &err);
	CHECK(strstr(location, "/m/v/metadata/00000-") != NULL);
	/* the bare name gets pond's default namespace; written names stay */
	CHECK_STR(pond_iceberg_view_sql(view, "duckdb"),
	          "select t.id * 2 as twice, name from raw.t as t where id > 0\n  and id not in (select n from main.seen)");
	pond_iceberg_schema *schema;
	CHECK_OK(pond_iceberg_view_schema(&schema, view, f.a, &err), &err);
	CHECK_INT(schema->root->nfields, 2);
	CHECK_STR(schema->root->fields[0].name, "twice");
	CHECK_INT(schema->root->fields[0].type->id, POND_ICEBERG_LONG);
	CHECK_STR(schema->root->fields[1].type->id == POND_ICEBERG_STRING ? "string" : "other", "string");
	/* DuckDB runs the stored SQL and gets what pond's view gives */
	int64_t via_iceberg = 0, via_pond = 0;
	const char *sql = pond_arena_sprintf(f.a, "select sum(twice) from (%s)", pond_iceberg_view_sql(view, "duckdb"));
	CHECK_OK(session_int(&f, sql, &via_iceberg, &err), &err);
	CHECK_OK(session_int(&f, "select sum(twice) from m.v", &via_pond, &err), &err);
	CHECK_INT(via_iceberg, 12);
	CHECK_INT(via_pond, 12);
	pond_iceberg_view_free(&view);
	/* a rerun with the same SQL writes no new metadata file */
	CHECK_OK(pond_transform_run(f.lake, &o, &r, &err), &err);
	pond_transform_result_dispose(&r);
	const char *again;
	CHECK_OK(pond_view_iceberg_load(f.lake, &id, f.a, &view, &again, &err), &err);
	CHECK_STR(again, location);
	pond_iceberg_view_free(&view);

	/* the model becomes a table: the Iceberg view goes */
	CHECK(write_model(&f, "models/m/v.sql", "select 1 as one") == 0);
	CHECK_OK(pond_transform_run(f.lake, &o, &r, &err), &err);
	pond_transform_result_dispose(&r);
	bool exists = true;
	CHECK_OK(pond_catalog_view_exists(pond_lake_catalog(f.lake), &id.ns, "v", &exists, &err), &err);
	CHECK(!exists);
	CHECK_OK(pond_catalog_table_exists(pond_lake_catalog(f.lake), &id.ns, "v", &exists, &err), &err);
	CHECK(exists);
	fx_teardown(&f);
}
