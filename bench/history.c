/*
 * Benchmark: does a commit's cost grow with the table's history? N small
 * appends (one row each, one snapshot each) to one table under pond's
 * default upkeep (metadata files deleted past previous-versions-max,
 * manifests merged, snapshots expired past pond.history.max-snapshots),
 * timing every commit. A second table of the same project is grown to 89
 * commits, then the last 21 commits of the first and commits 90 to 110 of
 * the second alternate, so both medians see the same machine load (other
 * work on a 2-core box moves single timings by 2x). Prints both medians,
 * their ratio, and what the big table's folder holds at the end. With
 * "off" as the 3rd argument the upkeep is turned off (table properties),
 * which is how pond committed before it.
 *
 *   history DIR N [off]  -> "c100_ms cN_ms ratio files bytes snapshots"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pond/maintain.h"
#include "pond/table.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *ms, int from, int to)
{
	int n = to - from;
	double *s = malloc(sizeof(double) * (size_t)n);
	memcpy(s, ms + from, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp);
	double m = s[n / 2];
	free(s);
	return m;
}

static int fail(const pond_error *err)
{
	fprintf(stderr, "bench: %s\n", err->msg);
	return 1;
}

static int create(pond_lake *lake, pond_table_ident *id, const char *name, bool off, pond_arena *a,
                  const char **location, pond_error *err)
{
	pond_iceberg_type *root = pond_arena_calloc(a, 1, sizeof(*root)), *lt;
	pond_iceberg_schema *schema = pond_arena_calloc(a, 1, sizeof(*schema));
	int rc = pond_iceberg_type_parse_primitive(&lt, "long", a, err);
	if (rc || (rc = pond_table_ident_parse(id, a, name, err)))
		return rc;
	root->id = POND_ICEBERG_STRUCT;
	root->nfields = 1;
	root->fields = pond_arena_calloc(a, 1, sizeof(pond_iceberg_field));
	root->fields[0] = (pond_iceberg_field){1, "x", false, lt, NULL, NULL, NULL};
	schema->root = root;
	pond_iceberg_kv props[] = {
		{"write.metadata.delete-after-commit.enabled", "false"},
		{"commit.manifest-merge.enabled", "false"},
		{"pond.expire-on-commit.enabled", "false"},
	};
	pond_table *t;
	if ((rc = pond_table_create(lake, id, schema, NULL, props, off ? 3 : 0, &t, err)))
		return rc;
	*location = pond_arena_strdup(a, t->metadata->location);
	pond_table_free(&t);
	return 0;
}

/* One timed one-row append, in ms (negative on failure). */
static double commit(pond_lake *lake, const pond_table_ident *id, int i, pond_error *err)
{
	char sql[64];
	snprintf(sql, sizeof sql, "select %d::bigint", i);
	pond_write_result r;
	int64_t t0 = pond_time_mono_ns();
	if (pond_table_append_query(lake, id, sql, NULL, &r, err))
		return -1;
	return (double)(pond_time_mono_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *dir = argv[1];
	int n = atoi(argv[2]);
	bool off = argc > 3 && strcmp(argv[3], "off") == 0;
	if (n < 121)
		return 2;
	pond_error err = POND_ERROR_INIT;
	const char *yml = "name: bench\nwarehouse: warehouse\ncatalog: catalog.db\n";
	pond_project *p;
	pond_lake *lake;
	pond_table_ident big, small;
	const char *location, *small_location;
	pond_arena *a = pond_arena_new();
	if (pond_mkdirs(dir, &err) ||
	    pond_file_write_atomic(pond_arena_sprintf(a, "%s/pond.yml", dir), yml, strlen(yml), &err) ||
	    pond_project_load(&p, dir, &err) || pond_lake_open(&lake, p, NULL, &err) ||
	    create(lake, &big, "bench.big", off, a, &location, &err) ||
	    create(lake, &small, "bench.small", off, a, &small_location, &err))
		return fail(&err);
	double at_n[21], at_100[21];
	for (int i = 0; i < n - 21; i++) {
		if (commit(lake, &big, i, &err) < 0)
			return fail(&err);
		if ((i + 1) % 1000 == 0)
			fprintf(stderr, "bench: %d commits\n", i + 1);
	}
	for (int i = 0; i < 89; i++)
		if (commit(lake, &small, i, &err) < 0)
			return fail(&err);
	for (int i = 0; i < 21; i++) {
		if ((at_n[i] = commit(lake, &big, n - 21 + i, &err)) < 0 ||
		    (at_100[i] = commit(lake, &small, i, &err)) < 0)
			return fail(&err);
	}
	double c100 = median(at_100, 0, 21), cn = median(at_n, 0, 21);
	pond_maintain_usage u = {0, 0};
	pond_maintain_measure(&u, location);
	pond_table *t;
	if (pond_table_load(&t, lake, &big, &err))
		return fail(&err);
	printf("%.2f %.2f %.3f %lld %lld %zu\n", c100, cn, cn / c100, (long long)u.files, (long long)u.bytes,
	       t->metadata->nsnapshots);
	pond_table_free(&t);
	pond_lake_close(&lake);
	pond_project_free(&p);
	pond_arena_free(&a);
	return 0;
}
