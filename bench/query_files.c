/*
 * Benchmark: a selective query on a table of 10,000 data files (one per
 * day) hands DuckDB only the files that can match. Creates the table,
 * then prepares "SELECT ... WHERE day = X" through a SQL session and
 * reports the files kept and the time to bind, and runs the query.
 *
 *   query_files DIR RUNS -> "files_total files_kept bind_ms_median rows"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pond/table.h"

static int fail(const pond_error *err)
{
	fprintf(stderr, "bench: %s\n", err->msg);
	return 1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *dir = argv[1];
	int runs = atoi(argv[2]);
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = pond_arena_new();
	pond_project *p;
	pond_lake *lake;
	pond_session *s;
	pond_table_ident id;
	if (pond_project_init(dir, "bench", &err) || pond_project_load(&p, dir, &err) ||
	    pond_lake_open(&lake, p, NULL, &err) || pond_session_open(&s, lake, &err) ||
	    pond_table_ident_parse(&id, a, "bench.daily", &err))
		return fail(&err);
	const char *q = "select range as id, date '1990-01-01' + (range // 10)::int as day, random() as v "
	                "from range(100000)";
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec;
	json_t *spec_json = json_pack("{s:i,s:[{s:i,s:i,s:s,s:s}]}", "spec-id", 0, "fields", "source-id", 2, "field-id",
	                              1000, "name", "day_day", "transform", "day");
	int32_t next = 1000;
	if (pond_engine_query_schema(pond_lake_engine(lake), q, a, &schema, &err) ||
	    pond_iceberg_partition_spec_from_json(&spec, spec_json, &next, a, "spec", &err) ||
	    pond_table_create(lake, &id, schema, spec, NULL, 0, NULL, &err))
		return fail(&err);
	json_decref(spec_json);
	pond_write_result wr;
	if (pond_table_append_query(lake, &id, q, NULL, &wr, &err))
		return fail(&err);
	const char *select = "select count(*), sum(id) from bench.daily where day = date '2010-06-15'";
	double *ms = calloc((size_t)runs, sizeof(double));
	size_t kept = 0;
	for (int i = 0; i < runs; i++) {
		const char *text;
		int64_t t0 = pond_time_mono_ns();
		/* A fresh session each time: nothing cached from the last run. */
		pond_session *fresh;
		if (pond_session_open(&fresh, lake, &err) || pond_session_prepare(fresh, select, a, &text, &kept, &err))
			return fail(&err);
		ms[i] = (double)(pond_time_mono_ns() - t0) / 1e6;
		pond_session_close(&fresh);
	}
	qsort(ms, (size_t)runs, sizeof(double), cmp);
	pond_result *r;
	const char *msg, *text;
	size_t ignored;
	int64_t rows = -1;
	if (pond_session_prepare(s, select, a, &text, &ignored, &err) ||
	    pond_engine_query_int(pond_lake_engine(lake), select, &rows, &err))
		return fail(&err);
	(void)r; (void)msg;
	printf("%lld %zu %.3f %lld\n", (long long)wr.added_files, kept, ms[runs / 2], (long long)rows);
	free(ms);
	pond_session_close(&s);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
	return 0;
}
