/*
 * Unit tests for Parquet writing with Iceberg field ids and statistics,
 * and for Iceberg <-> DuckDB type mapping.
 */
#include "../test.h"

#include "engine_fixture.h"

#include "pond/engine.h"

TEST(query_schema_maps_duckdb_types_with_fresh_ids)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema *s;
	CHECK_OK(pond_engine_query_schema(e,
		"select 1::bigint as id, 'x' as name, 1.5::decimal(10,2) as amount, date '2024-01-01' as d, "
		"now()::timestamptz as ts, {'a': 1, 'b': [true]} as s, map {'k': 1.5} as m, 7::ubigint as u", a, &s, &err), &err);
	const pond_iceberg_type *r = s->root;
	CHECK_INT(r->nfields, 8);
	CHECK_INT(r->fields[0].id, 1);
	CHECK_INT(r->fields[0].type->id, POND_ICEBERG_LONG);
	CHECK_INT(r->fields[1].type->id, POND_ICEBERG_STRING);
	CHECK_INT(r->fields[2].type->id, POND_ICEBERG_DECIMAL);
	CHECK_INT(r->fields[2].type->precision, 10);
	CHECK_INT(r->fields[2].type->scale, 2);
	CHECK_INT(r->fields[3].type->id, POND_ICEBERG_DATE);
	CHECK_INT(r->fields[4].type->id, POND_ICEBERG_TIMESTAMPTZ);
	const pond_iceberg_type *st = r->fields[5].type;
	CHECK_INT(st->id, POND_ICEBERG_STRUCT);
	/* Top level takes 1..8, then nested ids in order: s.a=9, s.b=10, element=11, map key=12, value=13. */
	CHECK_INT(st->fields[0].id, 9);
	CHECK_INT(st->fields[1].id, 10);
	CHECK_INT(st->fields[1].type->element_id, 11);
	CHECK_INT(r->fields[6].type->key_id, 12);
	CHECK_INT(r->fields[6].type->value_id, 13);
	CHECK_INT(r->fields[7].type->id, POND_ICEBERG_DECIMAL);
	CHECK_INT(r->fields[7].type->precision, 20);

	pond_buf b = POND_BUF_INIT;
	pond_engine_iceberg_type_sql(&b, st);
	CHECK_STR(pond_buf_cstr(&b), "STRUCT(\"a\" INTEGER, \"b\" BOOLEAN[])");
	pond_buf_dispose(&b);

	CHECK_INT(pond_engine_query_schema(e, "select interval 1 day as span", a, &s, &err), POND_EUNSUPPORTED);
	CHECK_STR(err.msg, "column \"span\": interval has no Iceberg type");
	CHECK_INT(pond_engine_query_schema(e, "select 1 as a, 2 as a", a, &s, &err), POND_EINVAL);
	pond_arena_free(&a);
	pond_engine_close(&e);
}

TEST(write_parquet_carries_field_ids_and_returns_stats)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	const char *q = "select range as id, 'n' || range as name, case when range % 10 = 0 then null else range end as maybe "
	                "from range(1000)";
	pond_iceberg_schema *s;
	CHECK_OK(pond_engine_query_schema(e, q, a, &s, &err), &err);
	/* Give the columns ids other than their positions, as an evolved table has. */
	s->root->fields[0].id = 7;
	s->root->fields[1].id = 3;
	s->root->fields[2].id = 5;
	pond_parquet_write_options opts = POND_PARQUET_WRITE_OPTIONS_INIT;
	opts.dir = pond_arena_sprintf(a, "%s/data", pond_test_tmpdir());
	pond_written_file *files;
	size_t n;
	CHECK_OK(pond_engine_write_parquet(e, q, s, &opts, a, &files, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_INT(files[0].record_count, 1000);
	CHECK(files[0].file_size > 100);
	CHECK(pond_str_ends_with(files[0].path, ".parquet"));
	CHECK_INT(files[0].ncolumns, 3);
	bool saw_maybe = false;
	for (size_t i = 0; i < files[0].ncolumns; i++) {
		pond_written_column *c = &files[0].columns[i];
		if (c->field_id == 7) {
			CHECK_STR(c->min, "0");
			CHECK_STR(c->max, "999");
			CHECK_INT(c->null_count, 0);
		}
		if (c->field_id == 5) {
			CHECK_INT(c->null_count, 100);
			saw_maybe = true;
		}
		CHECK(c->column_size > 0);
	}
	CHECK(saw_maybe);
	/* The file resolves by field id, not by name. */
	int64_t v;
	char *sql = pond_arena_sprintf(a,
		"select sum(x) from read_parquet('%s', schema = map {7: {name: 'x', type: 'BIGINT', default_value: NULL}})",
		files[0].path);
	CHECK_OK(pond_engine_query_int(e, sql, &v, &err), &err);
	CHECK_INT(v, 499500);
	pond_arena_free(&a);
	pond_engine_close(&e);
}

TEST(write_parquet_splits_partitions_and_reports_their_values)
{
	pond_engine *e = open_engine();
	CHECK(e != NULL);
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	const char *q = "select range as id, case when range % 4 = 0 then null else range % 3 end as k, "
	                "timestamp '2024-01-01' + to_hours(range * 24) as ts from range(60)";
	pond_iceberg_schema *s;
	CHECK_OK(pond_engine_query_schema(e, q, a, &s, &err), &err);
	const char *names[] = {"k", "ts_month"};
	const char *exprs[] = {NULL, "strftime(\"ts\", '%Y-%m')"};
	pond_parquet_write_options opts = POND_PARQUET_WRITE_OPTIONS_INIT;
	opts.dir = pond_arena_sprintf(a, "%s/data", pond_test_tmpdir());
	opts.npartitions = 2;
	opts.partition_names = names;
	opts.partition_exprs = exprs;
	pond_written_file *files;
	size_t n;
	CHECK_OK(pond_engine_write_parquet(e, q, s, &opts, a, &files, &n, &err), &err);
	/* k in {null, 0, 1, 2} x months {2024-01, 2024-02}: 60 days from 2024-01-01. */
	int64_t total = 0;
	bool saw_null = false;
	for (size_t i = 0; i < n; i++) {
		total += files[i].record_count;
		if (!files[i].partition_values[0])
			saw_null = true;
		CHECK(files[i].partition_values[1] != NULL);
		CHECK(pond_str_starts_with(files[i].partition_values[1], "2024-0"));
		CHECK(strstr(files[i].path, "ts_month=") != NULL);
	}
	CHECK_INT(total, 60);
	CHECK(saw_null);
	CHECK_INT(n, 8);
	pond_arena_free(&a);
	pond_engine_close(&e);
}
