/*
 * Benchmark: latency of a metadata-only commit (a table property change:
 * load metadata, apply, write a new metadata file, compare-and-swap in the
 * catalog). Reference in the same run: the floor of any commit, one
 * atomic metadata-sized file write plus one catalog row update.
 *
 *   commit CATALOG_URI DIR N   -> "pond_ms_median pond_ms_p90 floor_ms_median"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pond/table.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int build(const pond_iceberg_metadata *base, pond_arena *a, pond_iceberg_requirement **r, size_t *nr,
                 pond_iceberg_update **u, size_t *nu, void *payload, pond_error *err)
{
	(void)base; (void)r; (void)nr; (void)err;
	pond_iceberg_kv *kv = pond_arena_calloc(a, 1, sizeof(*kv));
	kv->key = "bench.counter";
	kv->value = pond_arena_sprintf(a, "%d", *(int *)payload);
	pond_iceberg_update *up = pond_arena_calloc(a, 1, sizeof(*up));
	up->action = POND_ICEBERG_SET_PROPERTIES;
	up->properties = kv;
	up->nproperties = 1;
	*u = up;
	*nu = 1;
	return 0;
}

static int fail(const pond_error *err)
{
	fprintf(stderr, "bench: %s\n", err->msg);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	const char *uri = argv[1], *dir = argv[2];
	int n = atoi(argv[3]);
	pond_error err = POND_ERROR_INIT;
	char yml[4096];
	snprintf(yml, sizeof(yml), "name: bench\nwarehouse: warehouse\ncatalog: %s\ncatalog_name: bench%lld\n", uri,
	         (long long)(pond_random_i63() % 1000000));
	pond_project *p;
	pond_lake *lake;
	pond_table_ident id;
	pond_arena *a = pond_arena_new();
	if (pond_mkdirs(dir, &err) || pond_file_write_atomic(pond_arena_sprintf(a, "%s/pond.yml", dir), yml, strlen(yml), &err) ||
	    pond_project_load(&p, dir, &err) || pond_lake_open(&lake, p, NULL, &err) ||
	    pond_table_ident_parse(&id, a, "bench.t", &err))
		return fail(&err);
	pond_iceberg_schema *schema;
	if (pond_engine_query_schema(pond_lake_engine(lake), "select 1::bigint as id, 'x' as name", a, &schema, &err) ||
	    pond_table_create(lake, &id, schema, NULL, NULL, 0, NULL, &err))
		return fail(&err);
	double *pond_ms = calloc((size_t)n, sizeof(double)), *floor_ms = calloc((size_t)n, sizeof(double));
	for (int i = 0; i < n; i++) {
		int64_t t0 = pond_time_mono_ns();
		if (pond_table_commit(lake, &id, build, &i, NULL, NULL, &err))
			return fail(&err);
		pond_ms[i] = (double)(pond_time_mono_ns() - t0) / 1e6;
	}
	/* The floor: write a metadata-sized file atomically, swap a row. */
	pond_table *t;
	if (pond_table_load(&t, lake, &id, &err))
		return fail(&err);
	char *text;
	if (pond_iceberg_metadata_serialize(&text, t->metadata, false, &err))
		return fail(&err);
	const char *loc = t->metadata_location;
	for (int i = 0; i < n; i++) {
		char *path = pond_arena_sprintf(a, "%s/floor-%d.json", dir, i);
		int64_t t0 = pond_time_mono_ns();
		if (pond_file_write_atomic(path, text, strlen(text), &err) ||
		    pond_catalog_commit_table(pond_lake_catalog(lake), &id.ns, id.name, loc, path, &err))
			return fail(&err);
		floor_ms[i] = (double)(pond_time_mono_ns() - t0) / 1e6;
		loc = path;
	}
	qsort(pond_ms, (size_t)n, sizeof(double), cmp);
	qsort(floor_ms, (size_t)n, sizeof(double), cmp);
	printf("%.3f %.3f %.3f\n", pond_ms[n / 2], pond_ms[n * 9 / 10], floor_ms[n / 2]);
	pond_free(text);
	pond_table_free(&t);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
	free(pond_ms);
	free(floor_ms);
	return 0;
}
