/*
 * The catalog against the outside and under stress: SQLite catalogs that
 * pyiceberg wrote (fixtures), several processes racing commits on one table
 * (SQLite and PostgreSQL), and allocation failures while opening.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog_test_util.h"

static int copy_file(const char *from, const char *to, pond_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc = pond_file_read(&data, &len, from, 64u << 20, err);
	if (rc == 0)
		rc = pond_file_write_atomic(to, data, len, err);
	pond_free(data);
	return rc;
}

typedef struct {
	const char *fixture;   /* under iceberg/duckdb-iceberg/data/persistent */
	const char *catalog;   /* catalog_name pyiceberg used */
	const char *table;
	const char *location;
	const char *previous;
} fixture_catalog;

static const fixture_catalog fixtures[] = {
	{"add_columns_with_defaults/pyiceberg_catalog.db", "default", "add_columns_with_defaults",
	 "data/persistent/add_columns_with_defaults/default.db/add_columns_with_defaults/metadata/"
	 "00003-3f1801a5-7dfb-4072-b14a-39cd12f9279b.metadata.json",
	 "data/persistent/add_columns_with_defaults/default.db/add_columns_with_defaults/metadata/"
	 "00002-2d907d9d-0f96-4bf3-9548-edfd9194704c.metadata.json"},
	{"column_mapping/catalog.sqlite", "my_catalog", "my_table",
	 "data/persistent/column_mapping/warehouse/default.db/my_table/metadata/"
	 "00001-75643dae-a7a7-46ae-ab30-ea80d3793f3f.metadata.json",
	 "data/persistent/column_mapping/warehouse/default.db/my_table/metadata/"
	 "00000-5d9111ed-e56c-4ceb-9040-09d3be71926b.metadata.json"},
	{"null_stats/pyiceberg_catalog.db", "local", "test_nulls",
	 "data/persistent/null_stats/default/test_nulls/metadata/"
	 "00003-9d6a621e-8a72-4190-a880-f6ca02e32b86.metadata.json",
	 "data/persistent/null_stats/default/test_nulls/metadata/"
	 "00002-066881b3-e853-4868-9a22-db18cdbc2a68.metadata.json"},
};

TEST(catalog_opens_pyiceberg_sqlite_fixtures)
{
	pond_error err = POND_ERROR_INIT;
	pond_arena *arena = pond_arena_new();
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		const fixture_catalog *fx = &fixtures[i];
		char from[4096], to[4096];
		snprintf(from, sizeof(from), "%s/iceberg/duckdb-iceberg/data/persistent/%s",
		         pond_test_fixtures(), fx->fixture);
		snprintf(to, sizeof(to), "%s/fixture%zu.db", pond_test_tmpdir(), i);
		CHECK_OK(copy_file(from, to, &err), &err);

		pond_catalog_options opts = POND_CATALOG_OPTIONS_INIT;
		opts.name = fx->catalog;
		pond_catalog *cat = NULL;
		CHECK_OK(pond_catalog_open(&cat, to, &opts, &err), &err);
		pond_ns *nss;
		size_t n;
		CHECK_OK(pond_catalog_list_namespaces(cat, NULL, arena, &nss, &n, &err), &err);
		CHECK_INT(n, 1);
		CHECK_INT(nss[0].nlevels, 1);
		CHECK_STR(nss[0].levels[0], "default");
		pond_catalog_prop *props;
		CHECK_OK(pond_catalog_load_namespace_properties(cat, &nss[0], arena, &props, &n, &err), &err);
		CHECK_INT(n, 1);
		CHECK_STR(props[0].key, "exists");
		CHECK_STR(props[0].value, "true");
		const char **names;
		CHECK_OK(pond_catalog_list_tables(cat, &nss[0], arena, &names, &n, &err), &err);
		CHECK_INT(n, 1);
		CHECK_STR(names[0], fx->table);
		pond_catalog_table t;
		CHECK_OK(pond_catalog_load_table(cat, &nss[0], fx->table, arena, &t, &err), &err);
		CHECK_STR(t.metadata_location, fx->location);
		CHECK_STR(t.previous_metadata_location, fx->previous);

		/* writing works on pyiceberg's schema (no iceberg_type column),
		 * and leaves that schema as it was */
		char next[600];
		snprintf(next, sizeof(next), "%s.next", fx->location);
		CHECK_OK(pond_catalog_commit_table(cat, &nss[0], fx->table, fx->location, next, &err), &err);
		CHECK_OK(pond_catalog_create_table(cat, &nss[0], "pond_made", "pond.json", &err), &err);
		CHECK_OK(pond_catalog_load_table(cat, &nss[0], fx->table, arena, &t, &err), &err);
		CHECK_STR(t.metadata_location, next);
		CHECK_STR(t.previous_metadata_location, fx->location);
		/* such a catalog holds no views, and says why */
		CHECK_INT(pond_catalog_create_view(cat, &nss[0], "v", "v.json", &err), POND_EUNSUPPORTED);
		CHECK_MSG(strstr(err.msg, "no iceberg_type column"), "%s", err.msg);
		CHECK_OK(pond_catalog_list_views(cat, &nss[0], arena, &names, &n, &err), &err);
		CHECK_INT(n, 0);
		CHECK_INT(pond_catalog_load_view(cat, &nss[0], fx->table, arena, &t, &err), POND_ENOTFOUND);
		pond_error probe = POND_ERROR_INIT;
		CHECK(pond_catalog_query(cat, "SELECT iceberg_type FROM iceberg_tables", NULL, 0, NULL, NULL,
		                         &probe) == POND_ESQL);
		pond_catalog_close(&cat);

		/* another catalog name in the same file sees none of it */
		opts.name = "someone_else";
		CHECK_OK(pond_catalog_open(&cat, to, &opts, &err), &err);
		CHECK_OK(pond_catalog_list_namespaces(cat, NULL, arena, &nss, &n, &err), &err);
		CHECK_INT(n, 0);
		pond_catalog_close(&cat);
	}
	pond_arena_free(&arena);
}

/* ---- several processes committing to one table ------------------------------ */

enum { WRITERS = 4, COMMITS_EACH = 50 };

/* One child process: COMMITS_EACH successful increments of "m-N", each a
 * read followed by a compare-and-swap, retried on conflict. Returns the exit
 * status. */
static int cas_writer(const char *uri)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = NULL;
	if (pond_catalog_open(&cat, uri, NULL, &err)) {
		fprintf(stderr, "writer %ld: open: %s\n", (long)getpid(), err.msg);
		return 2;
	}
	pond_arena *arena = pond_arena_new();
	pond_ns ns = POND_NS("race");
	int done = 0, status = 0;
	long attempts = 0;
	while (done < COMMITS_EACH && attempts < 100000) {
		attempts++;
		pond_arena_reset(arena);
		pond_catalog_table t;
		if (pond_catalog_load_table(cat, &ns, "t", arena, &t, &err)) {
			fprintf(stderr, "writer: load: %s\n", err.msg);
			status = 3;
			break;
		}
		long n = strtol(t.metadata_location + 2, NULL, 10);
		char next[32];
		snprintf(next, sizeof(next), "m-%ld", n + 1);
		int rc = pond_catalog_commit_table(cat, &ns, "t", t.metadata_location, next, &err);
		if (rc == 0)
			done++;
		else if (rc != POND_ECONFLICT) {
			fprintf(stderr, "writer: commit: %s\n", err.msg);
			status = 4;
			break;
		}
	}
	if (done < COMMITS_EACH && !status)
		status = 5;
	pond_arena_free(&arena);
	pond_catalog_close(&cat);
	return status;
}

CATALOG_TEST(catalog_commit_races_between_processes)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = NULL;
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	pond_ns ns = POND_NS("race");
	CHECK_OK(pond_catalog_create_namespace(cat, &ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_table(cat, &ns, "t", "m-0", &err), &err);
	fflush(NULL);
	pid_t pids[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0);
		if (pids[i] == 0)
			_exit(cas_writer(uri)); /* the child never returns into the harness */
	}
	int failed = 0;
	for (int i = 0; i < WRITERS; i++) {
		int status = 0;
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	CHECK_INT(failed, 0);
	pond_arena *arena = pond_arena_new();
	pond_catalog_table t;
	CHECK_OK(pond_catalog_load_table(cat, &ns, "t", arena, &t, &err), &err);
	char want[32], prev[32];
	snprintf(want, sizeof(want), "m-%d", WRITERS * COMMITS_EACH);
	snprintf(prev, sizeof(prev), "m-%d", WRITERS * COMMITS_EACH - 1);
	CHECK_STR(t.metadata_location, want);
	CHECK_STR(t.previous_metadata_location, prev);
	pond_arena_free(&arena);
	pond_catalog_close(&cat);
}

/* ---- allocation failures ------------------------------------------------------ */

CATALOG_TEST(catalog_survives_allocation_failures)
{
	/* Make the 1st, 2nd, ... allocation fail in open + create namespace +
	 * create table + load + close, until a run makes fewer allocations
	 * than the failure point. Each run must fail cleanly or succeed; the
	 * sanitizer build checks that nothing leaks. */
	bool finished = false;
	char name[32];
	long n;
	for (n = 1; n < 2000 && !finished; n++) {
		pond_error err = POND_ERROR_INIT;
		pond_catalog *cat = NULL;
		snprintf(name, sizeof(name), "t%ld", n);
		pond_alloc_fail_at(n);
		int rc = pond_catalog_open(&cat, uri, NULL, &err);
		pond_ns ns = POND_NS("alloc");
		pond_arena *arena = NULL;
		if (rc == 0) {
			rc = pond_catalog_create_namespace(cat, &ns, NULL, 0, &err);
			if (rc == POND_EEXISTS) {
				rc = 0;
				pond_error_clear(&err);
			}
		}
		if (rc == 0)
			rc = pond_catalog_create_table(cat, &ns, name, "m0.json", &err);
		if (rc == 0 && !(arena = pond_arena_new()))
			rc = POND_ENOMEM;
		pond_catalog_table t;
		if (rc == 0)
			rc = pond_catalog_load_table(cat, &ns, name, arena, &t, &err);
		pond_arena_free(&arena);
		pond_catalog_close(&cat);
		long used = pond_alloc_count();
		pond_alloc_fail_at(0);
		CHECK_MSG(rc == 0 || rc == POND_ENOMEM, "failing allocation %ld gave %d: %s", n, rc,
		          err.msg);
		CHECK(rc != 0 || err.code == 0);
		finished = rc == 0 && used < n;
	}
	CHECK(finished);
	/* the sweep must have hit real allocations: open alone makes several */
	CHECK_MSG(n > 8, "only %ld allocation points on %s", n - 1, bk == BK_PG ? "postgresql" : "sqlite");
}
