/*
 * Unit tests for the engine layer: statements, streaming results, value
 * rendering, scripts, errors, appends and cancellation.
 */
#include "../test.h"

#include "engine_fixture.h"

#include <duckdb.h>
#include <stdatomic.h>

#include <pthread.h>
#include <unistd.h>

#include "pond/engine.h"

/* Formats the first row's columns of a query, joined with '|'. */
static char *first_row(pond_engine *e, const char *sql, pond_value_style style)
{
	pond_error err = POND_ERROR_INIT;
	pond_result *r;
	if (pond_engine_query(e, sql, &r, &err) != 0)
		return NULL;
	pond_buf b = POND_BUF_INIT;
	duckdb_data_chunk c;
	if (pond_result_next(r, &c, &err) == 1) {
		for (idx_t i = 0; i < pond_result_column_count(r); i++) {
			if (i)
				pond_buf_putc(&b, '|');
			if (!pond_value_format(&b, duckdb_data_chunk_get_vector(c, i), pond_result_column_type(r, i), 0, style) &&
			    style == POND_VALUE_TEXT)
				pond_buf_puts(&b, "<null>");
		}
		duckdb_destroy_data_chunk(&c);
	}
	pond_result_free(&r);
	return pond_buf_detach(&b);
}

TEST(engine_query_int_and_string)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	int64_t v = 0;
	CHECK_OK(pond_engine_query_int(e, "select 6 * 7", &v, &err), &err);
	CHECK_INT(v, 42);
	char *s;
	CHECK_OK(pond_engine_query_string(e, "select 'pond'", &s, &err), &err);
	CHECK_STR(s, "pond");
	pond_free(s);
	CHECK_OK(pond_engine_query_string(e, "select null", &s, &err), &err);
	CHECK(s == NULL);
	CHECK(pond_str_starts_with(pond_engine_duckdb_version(), "v1.4"));
	pond_engine_close(&e);
	CHECK(e == NULL);
}

TEST(engine_error_is_one_line_with_position)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_engine_exec(e, "select * from nope", &err), POND_ESQL);
	CHECK(strchr(err.msg, '\n') == NULL);
	CHECK(strstr(err.msg, "Table with name nope does not exist") != NULL);
	CHECK(strstr(err.msg, "(line 1, column 15)") != NULL);
	CHECK_INT(pond_engine_exec(e, "selec 1", &err), POND_ESQL);
	CHECK(strstr(err.msg, "syntax error") != NULL);
	pond_engine_close(&e);
}

TEST(engine_error_translation_of_multiline_message)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine_error(&err, "Binder Error: Referenced column \"x\" not found\n\nLINE 2: select x from t\n               ^");
	CHECK_STR(err.msg, "Binder Error: Referenced column \"x\" not found (line 2, column 8)");
}

TEST(engine_error_leaves_out_duckdbs_stack_trace)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine_error(&err, "INTERNAL Error: Calling X on a NULL value\n\nStack Trace:\n\nlibduckdb.so(duckdb::A()+0x56) [0x7f]\n");
	CHECK_STR(err.msg, "INTERNAL Error: Calling X on a NULL value");
	pond_engine_error(&err, "INTERNAL Error: y Stack Trace: libduckdb.so(f+0x1) [0x2]");
	CHECK_STR(err.msg, "INTERNAL Error: y");
}

TEST(engine_script_runs_statements_in_order)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_script *s;
	CHECK_OK(pond_script_open(e, "create table t(a int); insert into t values (1),(2),(3); select sum(a) from t;", &s, &err), &err);
	CHECK_INT(pond_script_count(s), 3);
	pond_result *r;
	CHECK_INT(pond_script_next(s, &r, &err), 1);
	CHECK(!pond_result_has_rows(r));
	pond_result_free(&r);
	CHECK_INT(pond_script_next(s, &r, &err), 1);
	CHECK_INT(pond_result_rows_changed(r), 3);
	pond_result_free(&r);
	CHECK_INT(pond_script_next(s, &r, &err), 1);
	CHECK(pond_result_has_rows(r));
	pond_result_free(&r);
	CHECK_INT(pond_script_next(s, &r, &err), 0);
	pond_script_free(&s);
	int64_t v;
	CHECK_OK(pond_engine_query_int(e, "select count(*) from t", &v, &err), &err);
	CHECK_INT(v, 3);
	pond_engine_close(&e);
}

TEST(engine_streams_large_results_in_chunks)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_result *r;
	CHECK_OK(pond_engine_query(e, "select range as i from range(100000)", &r, &err), &err);
	int64_t rows = 0, sum = 0, chunks = 0;
	duckdb_data_chunk c;
	int rc;
	while ((rc = pond_result_next(r, &c, &err)) == 1) {
		idx_t n = duckdb_data_chunk_get_size(c);
		int64_t *data = duckdb_vector_get_data(duckdb_data_chunk_get_vector(c, 0));
		for (idx_t i = 0; i < n; i++)
			sum += data[i];
		rows += (int64_t)n;
		chunks++;
		duckdb_destroy_data_chunk(&c);
	}
	CHECK_INT(rc, 0);
	CHECK_INT(rows, 100000);
	CHECK_INT(sum, 4999950000LL);
	CHECK(chunks > 1);
	pond_result_free(&r);
	pond_engine_close(&e);
}

TEST(value_text_rendering_matches_duckdb_spelling)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	char *row = first_row(e,
		"select 42, -7::tinyint, 'x', null::int, true, 1.50::decimal(10,2), -0.05::decimal(4,2), "
		"123456789012.345678::decimal(38,6), date '2024-02-29', timestamp '2024-01-02 03:04:05.25', "
		"time '12:00:01', uuid 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 2.5::double, 100::double, "
		"[1, null, 3], {'a': 1, 'b': 'q'}, interval 1 year + interval 2 days, "
		"-170141183460469231731687303715884105727::hugeint, 'a\\x5Cb'::blob", POND_VALUE_TEXT);
	CHECK(row != NULL);
	CHECK_STR(row, "42|-7|x|<null>|true|1.50|-0.05|123456789012.345678|2024-02-29|2024-01-02 03:04:05.25|"
	               "12:00:01|f79c3e09-677c-4bbd-a479-3f349cb785e7|2.5|100.0|[1, NULL, 3]|{'a': 1, 'b': 'q'}|"
	               "1 year 2 days|-170141183460469231731687303715884105727|a\\x5Cb");
	pond_free(row);
	pond_engine_close(&e);
}

TEST(value_json_rendering_is_valid_json)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	char *row = first_row(e,
		"select 42, 'q\"uote', null::varchar, [1,2], {'a': [true]}, map {'k': 1.5}, date '2024-01-02', 'nan'::double",
		POND_VALUE_JSON);
	CHECK(row != NULL);
	CHECK_STR(row, "42|\"q\\\"uote\"|null|[1,2]|{\"a\":[true]}|{\"k\":1.5}|\"2024-01-02\"|\"nan\"");
	pond_free(row);
	pond_engine_close(&e);
}

TEST(type_names)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pond_result *r;
	CHECK_OK(pond_engine_query(e, "select 1::decimal(18,3), [1], {'a': 'x'}, map {1: 2}", &r, &err), &err);
	const char *want[] = {"decimal(18,3)", "integer[]", "struct(a varchar)", "map(integer, integer)"};
	for (idx_t i = 0; i < 4; i++) {
		pond_buf b = POND_BUF_INIT;
		pond_type_name(&b, pond_result_column_type(r, i));
		CHECK_STR(pond_buf_cstr(&b), want[i]);
		pond_buf_dispose(&b);
	}
	CHECK(pond_type_is_numeric(pond_result_column_type(r, 0)));
	CHECK(!pond_type_is_numeric(pond_result_column_type(r, 1)));
	pond_result_free(&r);
	pond_engine_close(&e);
}

TEST(appender_appends_rows_with_casts)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_engine_exec(e, "create table t(a bigint, b varchar, c double, d date)", &err), &err);
	pond_appender *a;
	CHECK_OK(pond_appender_open(e, NULL, "t", &a, &err), &err);
	for (int i = 0; i < 1000; i++) {
		CHECK_OK(pond_appender_int(a, i, &err), &err);
		CHECK_OK(pond_appender_text(a, i % 2 ? "odd" : NULL, &err), &err);
		CHECK_OK(pond_appender_double(a, i / 2.0, &err), &err);
		CHECK_OK(pond_appender_text(a, "2024-01-31", &err), &err);
		CHECK_OK(pond_appender_end_row(a, &err), &err);
	}
	CHECK_OK(pond_appender_close(&a, &err), &err);
	int64_t v;
	CHECK_OK(pond_engine_query_int(e, "select count(b) + sum(a) from t where d = date '2024-01-31'", &v, &err), &err);
	CHECK_INT(v, 500 + 499500);
	CHECK_INT(pond_appender_open(e, NULL, "missing", &a, &err), POND_ESQL);
	pond_engine_close(&e);
}

typedef struct interrupter {
	pond_engine *engine;
	atomic_int done;
} interrupter;

/* Interrupts until the query has ended: an interrupt that comes before
 * the query started would be lost, and the query would run for hours. */
static void *interrupt_later(void *payload)
{
	interrupter *in = payload;
	while (!atomic_load(&in->done)) {
		usleep(50000);
		pond_engine_interrupt(in->engine);
	}
	return NULL;
}

TEST(engine_interrupt_cancels_a_running_query)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	pthread_t th;
	interrupter in = {e, 0};
	pthread_create(&th, NULL, interrupt_later, &in);
	int rc = pond_engine_exec(e, "select count(*) from range(100000000000) a where a.range % 7 = 3", &err);
	atomic_store(&in.done, 1);
	pthread_join(th, NULL);
	CHECK_INT(rc, POND_ECANCELED);
	/* The engine stays usable. */
	int64_t v;
	CHECK_OK(pond_engine_query_int(e, "select 1", &v, &err), &err);
	CHECK_INT(v, 1);
	pond_engine_close(&e);
}

static int progress_calls;
static void count_progress(double pct, int64_t ns, void *payload)
{
	(void)pct; (void)ns; (void)payload;
	progress_calls++;
}

TEST(engine_reports_progress_during_execution)
{
	pond_engine_options opts = POND_ENGINE_OPTIONS_INIT;
	opts.progress = count_progress;
	pond_engine *e;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_engine_open(&e, &opts, &err), &err);
	progress_calls = 0;
	int64_t v;
	CHECK_OK(pond_engine_query_int(e, "select count(*) from range(50000000) where range % 3 = 0", &v, &err), &err);
	CHECK_INT(v, 16666667);
	CHECK(progress_calls > 0);
	pond_engine_close(&e);
}

TEST(pond_bucket_sql_function_matches_spec_vectors)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	/* Iceberg spec, Appendix B: the hash, masked to 31 bits (N = 2^31 - 1). */
	char *row = first_row(e,
		"select pond_bucket(34, 2147483647), pond_bucket(34::bigint, 2147483647), "
		"pond_bucket('iceberg', 2147483647), pond_bucket(date '2017-11-16', 2147483647), "
		"pond_bucket(timestamp '2017-11-16 22:31:08', 2147483647), "
		"pond_bucket(uuid 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 2147483647), "
		"pond_bucket(1420::hugeint, 2147483647), pond_bucket('\\x00\\x01\\x02\\x03'::blob, 2147483647), "
		"pond_bucket(null::int, 4)", POND_VALUE_TEXT);
	CHECK(row != NULL);
	CHECK_STR(row, "2017239379|2017239379|1210000089|1494153226|99539207|1488055340|1646729059|1958800441|<null>");
	pond_free(row);
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_engine_exec(e, "select pond_bucket(1, 0)", &err), POND_ESQL);
	CHECK(strstr(err.msg, "bucket count must be positive") != NULL);
	pond_engine_close(&e);
}

/* A PIVOT without an IN list is several statements to DuckDB (an enum of
 * the pivoted values first): it cannot be prepared, but it must run, and
 * have a schema, as in DuckDB. */
TEST(engine_runs_statements_duckdb_expands_into_several)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_error err = POND_ERROR_INIT;
	const char *src = "(select * from (values ('A', 1, 1), ('B', 2, 1), ('A', 3, 2)) v(symbol, price, day))";
	char sql[512];
	snprintf(sql, sizeof sql, "pivot %s on symbol using first(price) group by day order by day", src);
	char *row = first_row(e, sql, POND_VALUE_TEXT);
	CHECK_STR(row, "1|1|2");
	pond_free(row);
	pond_arena *a = pond_arena_new();
	pond_iceberg_schema *schema = NULL;
	CHECK_OK(pond_engine_query_schema(e, sql, a, &schema, &err), &err);
	CHECK_INT(schema->root->nfields, 3);
	CHECK_STR(schema->root->fields[2].name, "B");
	CHECK(schema->root->fields[2].type->id == POND_ICEBERG_INT);
	pond_arena_free(&a);
	pond_engine_close(&e);
}
