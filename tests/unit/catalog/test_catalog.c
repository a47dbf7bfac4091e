/*
 * The SQL catalog's namespaces, tables, commit compare-and-swap and generic
 * SQL, each test run on SQLite and on PostgreSQL (catalog_test_util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_test_util.h"

static pond_catalog *open_catalog(const char *uri, pond_error *err)
{
	pond_catalog *cat = NULL;
	if (pond_catalog_open(&cat, uri, NULL, err) != 0)
		return NULL;
	return cat;
}

static int count_rows(int ncols, const char *const *names, const char *const *values, void *payload)
{
	int *n = payload;
	(*n)++;
	return 0;
}

static int first_value(int ncols, const char *const *names, const char *const *values,
                       void *payload)
{
	snprintf(payload, 32, "%s", values[0] ? values[0] : "");
	return 0;
}

static bool ns_list_is(const pond_ns *list, size_t n, const char *const *want, size_t nwant)
{
	if (n != nwant)
		return false;
	pond_arena *arena = pond_arena_new();
	bool same = arena != NULL;
	for (size_t i = 0; same && i < n; i++) {
		char *s = pond_ns_to_string(arena, &list[i]);
		same = s && strcmp(s, want[i]) == 0;
	}
	pond_arena_free(&arena);
	return same;
}

static const char *prop(const pond_catalog_prop *props, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(props[i].key, key) == 0)
			return props[i].value;
	return NULL;
}

CATALOG_TEST(catalog_namespaces_nested_properties_and_drop)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open %s: %s", uri, err.msg);
	CHECK_STR(pond_catalog_backend(cat), bk == BK_PG ? "postgresql" : "sqlite");
	pond_arena *arena = pond_arena_new();
	pond_ns sales = POND_NS("sales"), eu = POND_NS("sales", "eu"), ops = POND_NS("ops");
	pond_catalog_prop props[] = {{"owner", "ann"}, {"comment", "money"}};
	CHECK_OK(pond_catalog_create_namespace(cat, &sales, props, 2, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &eu, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &ops, NULL, 0, &err), &err);
	CHECK_CODE(pond_catalog_create_namespace(cat, &sales, NULL, 0, &err), POND_EEXISTS, &err);
	CHECK_CONTAINS(err.msg, "namespace sales already exists");

	pond_ns *list;
	size_t n;
	CHECK_OK(pond_catalog_list_namespaces(cat, NULL, arena, &list, &n, &err), &err);
	CHECK(ns_list_is(list, n, (const char *[]){"ops", "sales"}, 2));
	CHECK_OK(pond_catalog_list_namespaces(cat, &sales, arena, &list, &n, &err), &err);
	CHECK(ns_list_is(list, n, (const char *[]){"sales.eu"}, 1));
	CHECK_OK(pond_catalog_list_namespaces(cat, &eu, arena, &list, &n, &err), &err);
	CHECK_INT(n, 0);
	pond_ns nowhere = POND_NS("nowhere");
	CHECK_CODE(pond_catalog_list_namespaces(cat, &nowhere, arena, &list, &n, &err), POND_ENOTFOUND,
	           &err);

	/* the stored form is the dotted string, as Java and pyiceberg write it */
	const char *params[] = {"pond", "sales.eu"};
	bool any;
	int rows = 0;
	CHECK_OK(pond_catalog_query(cat, "SELECT 1 FROM iceberg_namespace_properties WHERE "
	                            "catalog_name = ? AND namespace = ? AND property_key = 'exists' "
	                            "AND property_value = 'true'", params, 2, count_rows, &rows, &err),
	         &err);
	CHECK_INT(rows, 1);
	CHECK_OK(pond_catalog_namespace_exists(cat, &eu, &any, &err), &err);
	CHECK(any);

	pond_catalog_prop *got;
	CHECK_OK(pond_catalog_load_namespace_properties(cat, &sales, arena, &got, &n, &err), &err);
	CHECK_INT(n, 2);
	CHECK_STR(got[0].key, "comment"); /* sorted by key */
	CHECK_STR(prop(got, n, "owner"), "ann");
	CHECK_OK(pond_catalog_load_namespace_properties(cat, &eu, arena, &got, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_STR(prop(got, n, "exists"), "true");

	const char *removals[] = {"owner", "never-there"};
	pond_catalog_prop updates[] = {{"region", "eu-west"}, {"comment", "revenue"}};
	CHECK_OK(pond_catalog_update_namespace_properties(cat, &sales, removals, 2, updates, 2, &err),
	         &err);
	CHECK_OK(pond_catalog_load_namespace_properties(cat, &sales, arena, &got, &n, &err), &err);
	CHECK_INT(n, 2);
	CHECK(prop(got, n, "owner") == NULL);
	CHECK_STR(prop(got, n, "region"), "eu-west");
	CHECK_STR(prop(got, n, "comment"), "revenue");
	CHECK_CODE(pond_catalog_update_namespace_properties(cat, &nowhere, NULL, 0, updates, 1, &err),
	           POND_ENOTFOUND, &err);

	/* a namespace with a child, then with a table, cannot be dropped */
	CHECK_CODE(pond_catalog_drop_namespace(cat, &sales, &err), POND_EINVAL, &err);
	CHECK_CONTAINS(err.msg, "namespace sales is not empty");
	CHECK_OK(pond_catalog_create_table(cat, &eu, "orders", "s3://w/orders/m0.json", &err), &err);
	CHECK_CODE(pond_catalog_drop_namespace(cat, &eu, &err), POND_EINVAL, &err);
	CHECK_CONTAINS(err.msg, "namespace sales.eu is not empty");
	CHECK_OK(pond_catalog_drop_table(cat, &eu, "orders", &err), &err);
	CHECK_OK(pond_catalog_drop_namespace(cat, &eu, &err), &err);
	CHECK_OK(pond_catalog_drop_namespace(cat, &sales, &err), &err);
	CHECK_OK(pond_catalog_namespace_exists(cat, &sales, &any, &err), &err);
	CHECK(!any);
	CHECK_CODE(pond_catalog_drop_namespace(cat, &sales, &err), POND_ENOTFOUND, &err);
	CHECK_CONTAINS(err.msg, "sales");

	/* bad levels */
	pond_ns dotted = POND_NS("a.b");
	CHECK_CODE(pond_catalog_create_namespace(cat, &dotted, NULL, 0, &err), POND_EINVAL, &err);
	pond_ns root = {0};
	CHECK_CODE(pond_catalog_create_namespace(cat, &root, NULL, 0, &err), POND_EINVAL, &err);

	pond_arena_free(&arena);
	pond_catalog_close(&cat);
	CHECK(cat == NULL);
}

CATALOG_TEST(catalog_namespaces_implicit_from_tables_and_like_escapes)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	pond_arena *arena = pond_arena_new();
	/* pyiceberg and Java (non-strict) may leave a table whose namespace has
	 * no property row; it still lists, with its parents */
	const char *params[] = {"pond", "lake.raw", "events", "file:///w/m0.json"};
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO iceberg_tables (catalog_name, table_namespace, "
	                           "table_name, metadata_location) VALUES (?, ?, ?, ?)",
	                           params, 4, NULL, &err), &err);
	pond_ns a_b = POND_NS("a_b"), axb = POND_NS("axb"), axb_c = POND_NS("axb", "c");
	CHECK_OK(pond_catalog_create_namespace(cat, &a_b, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &axb, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &axb_c, NULL, 0, &err), &err);

	pond_ns *list;
	size_t n;
	CHECK_OK(pond_catalog_list_namespaces(cat, NULL, arena, &list, &n, &err), &err);
	CHECK(ns_list_is(list, n, (const char *[]){"a_b", "axb", "lake"}, 3));
	pond_ns lake = POND_NS("lake"), raw = POND_NS("lake", "raw");
	bool exists;
	CHECK_OK(pond_catalog_namespace_exists(cat, &lake, &exists, &err), &err);
	CHECK(exists);
	CHECK_OK(pond_catalog_list_namespaces(cat, &lake, arena, &list, &n, &err), &err);
	CHECK(ns_list_is(list, n, (const char *[]){"lake.raw"}, 1));
	const char **tables;
	CHECK_OK(pond_catalog_list_tables(cat, &raw, arena, &tables, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_STR(tables[0], "events");
	/* '_' is a LIKE wildcard: a_b's children must not include axb.c */
	CHECK_OK(pond_catalog_list_namespaces(cat, &a_b, arena, &list, &n, &err), &err);
	CHECK_INT(n, 0);
	CHECK_OK(pond_catalog_drop_namespace(cat, &a_b, &err), &err);
	pond_arena_free(&arena);
	pond_catalog_close(&cat);
}

CATALOG_TEST(catalog_tables_create_load_list_drop_rename_register)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	pond_arena *arena = pond_arena_new();
	pond_ns db = POND_NS("db"), other = POND_NS("other"), missing = POND_NS("missing");
	CHECK_OK(pond_catalog_create_namespace(cat, &db, NULL, 0, &err), &err);

	CHECK_CODE(pond_catalog_create_table(cat, &missing, "t", "/w/m0.json", &err), POND_ENOTFOUND,
	           &err);
	CHECK_CONTAINS(err.msg, "namespace missing does not exist");
	CHECK_OK(pond_catalog_create_table(cat, &db, "t1", "/w/t1/metadata/00000-a.metadata.json", &err),
	         &err);
	CHECK_OK(pond_catalog_create_table(cat, &db, "t2", "/w/t2/metadata/00000-b.metadata.json", &err),
	         &err);
	CHECK_CODE(pond_catalog_create_table(cat, &db, "t1", "/w/elsewhere.json", &err), POND_EEXISTS,
	           &err);
	CHECK_CONTAINS(err.msg, "table db.t1 already exists");
	CHECK_OK(pond_catalog_register_table(cat, &db, "t0", "/w/t0/metadata/00007-c.metadata.json",
	                                     &err), &err);
	CHECK_CODE(pond_catalog_register_table(cat, &db, "t0", "/w/x.json", &err), POND_EEXISTS, &err);

	pond_catalog_table t;
	CHECK_OK(pond_catalog_load_table(cat, &db, "t1", arena, &t, &err), &err);
	CHECK_STR(t.metadata_location, "/w/t1/metadata/00000-a.metadata.json");
	CHECK(t.previous_metadata_location == NULL);
	CHECK_OK(pond_catalog_load_table(cat, &db, "t0", arena, &t, &err), &err);
	CHECK_STR(t.metadata_location, "/w/t0/metadata/00007-c.metadata.json");

	bool exists;
	CHECK_OK(pond_catalog_table_exists(cat, &db, "t2", &exists, &err), &err);
	CHECK(exists);
	CHECK_OK(pond_catalog_table_exists(cat, &db, "nope", &exists, &err), &err);
	CHECK(!exists);

	const char **names;
	size_t n;
	CHECK_OK(pond_catalog_list_tables(cat, &db, arena, &names, &n, &err), &err);
	CHECK_INT(n, 3);
	CHECK_STR(names[0], "t0");
	CHECK_STR(names[1], "t1");
	CHECK_STR(names[2], "t2");
	CHECK_CODE(pond_catalog_list_tables(cat, &missing, arena, &names, &n, &err), POND_ENOTFOUND,
	           &err);

	CHECK_OK(pond_catalog_drop_table(cat, &db, "t2", &err), &err);
	CHECK_CODE(pond_catalog_load_table(cat, &db, "t2", arena, &t, &err), POND_ENOTFOUND, &err);
	CHECK_CONTAINS(err.msg, "table db.t2 does not exist");
	CHECK_CODE(pond_catalog_drop_table(cat, &db, "t2", &err), POND_ENOTFOUND, &err);
	CHECK_CONTAINS(err.msg, "db.t2");

	/* rename across namespaces: the target namespace must exist */
	CHECK_CODE(pond_catalog_rename_table(cat, &db, "t1", &other, "t9", &err), POND_ENOTFOUND, &err);
	CHECK_CONTAINS(err.msg, "namespace other does not exist");
	CHECK_OK(pond_catalog_create_namespace(cat, &other, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_rename_table(cat, &db, "t1", &other, "t9", &err), &err);
	CHECK_OK(pond_catalog_load_table(cat, &other, "t9", arena, &t, &err), &err);
	CHECK_STR(t.metadata_location, "/w/t1/metadata/00000-a.metadata.json");
	CHECK_CODE(pond_catalog_load_table(cat, &db, "t1", arena, &t, &err), POND_ENOTFOUND, &err);
	CHECK_OK(pond_catalog_rename_table(cat, &db, "t0", &db, "t0b", &err), &err);
	CHECK_CODE(pond_catalog_rename_table(cat, &db, "t0b", &other, "t9", &err), POND_EEXISTS, &err);
	CHECK_CONTAINS(err.msg, "other.t9 already exists");
	CHECK_CODE(pond_catalog_rename_table(cat, &db, "ghost", &other, "g", &err), POND_ENOTFOUND, &err);
	CHECK_CONTAINS(err.msg, "db.ghost");

	pond_arena_free(&arena);
	pond_catalog_close(&cat);
}

CATALOG_TEST(catalog_commit_is_compare_and_swap)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	pond_arena *arena = pond_arena_new();
	pond_ns ns = POND_NS("ns");
	CHECK_OK(pond_catalog_create_namespace(cat, &ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_table(cat, &ns, "t", "m0", &err), &err);
	CHECK_OK(pond_catalog_commit_table(cat, &ns, "t", "m0", "m1", &err), &err);
	pond_catalog_table t;
	CHECK_OK(pond_catalog_load_table(cat, &ns, "t", arena, &t, &err), &err);
	CHECK_STR(t.metadata_location, "m1");
	CHECK_STR(t.previous_metadata_location, "m0");

	/* a writer that read m0 lost: conflict, and the row is as it was */
	CHECK_CODE(pond_catalog_commit_table(cat, &ns, "t", "m0", "m2", &err), POND_ECONFLICT, &err);
	CHECK_STR(err.msg, "commit conflict on ns.t: metadata changed since it was read");
	CHECK_OK(pond_catalog_load_table(cat, &ns, "t", arena, &t, &err), &err);
	CHECK_STR(t.metadata_location, "m1");
	CHECK_STR(t.previous_metadata_location, "m0");

	CHECK_OK(pond_catalog_commit_table(cat, &ns, "t", "m1", "m2", &err), &err);
	CHECK_OK(pond_catalog_load_table(cat, &ns, "t", arena, &t, &err), &err);
	CHECK_STR(t.metadata_location, "m2");
	CHECK_STR(t.previous_metadata_location, "m1");

	CHECK_CODE(pond_catalog_commit_table(cat, &ns, "gone", "m0", "m1", &err), POND_ENOTFOUND, &err);
	CHECK_CONTAINS(err.msg, "ns.gone");
	/* a second connection sees the committed state */
	pond_catalog *cat2 = open_catalog(uri, &err);
	CHECK_MSG(cat2, "open: %s", err.msg);
	CHECK_OK(pond_catalog_load_table(cat2, &ns, "t", arena, &t, &err), &err);
	CHECK_STR(t.metadata_location, "m2");
	pond_catalog_close(&cat2);
	pond_arena_free(&arena);
	pond_catalog_close(&cat);
}

typedef struct {
	char name[64];
	char note[64];
	bool note_null;
	long rows;
} run_row;

static int read_run(int ncols, const char *const *names, const char *const *values, void *payload)
{
	run_row *r = payload;
	if (ncols != 3 || strcmp(names[1], "name") != 0)
		return POND_ECORRUPT;
	snprintf(r->name, sizeof(r->name), "%s", values[1]);
	r->note_null = values[2] == NULL;
	snprintf(r->note, sizeof(r->note), "%s", values[2] ? values[2] : "");
	r->rows++;
	return 0;
}

CATALOG_TEST(catalog_generic_sql_and_transactions)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	CHECK_OK(pond_catalog_exec(cat, "CREATE TABLE IF NOT EXISTS pond_runs (id BIGINT PRIMARY KEY, "
	                           "name TEXT NOT NULL, note TEXT)", NULL, 0, NULL, &err), &err);
	const char *p1[] = {"1", "daily?", NULL};
	const char *p2[] = {"2", "it's", "x"};
	long changes = -1;
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_runs (id, name, note) VALUES (?, ?, ?)", p1, 3,
	                           &changes, &err), &err);
	CHECK_INT(changes, 1);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO pond_runs (id, name, note) VALUES (?, ?, ?)", p2, 3,
	                           NULL, &err), &err);
	CHECK_CODE(pond_catalog_exec(cat, "INSERT INTO pond_runs (id, name) VALUES (?, ?)", p1, 2, NULL,
	                             &err), POND_EEXISTS, &err);
	/* a '?' inside a literal is not a parameter */
	run_row r = {0};
	const char *q[] = {"1"};
	CHECK_OK(pond_catalog_query(cat, "SELECT id, name, note FROM pond_runs WHERE id = ? AND "
	                            "name <> 'what?'", q, 1, read_run, &r, &err), &err);
	CHECK_INT(r.rows, 1);
	CHECK_STR(r.name, "daily?");
	CHECK(r.note_null);
	CHECK_OK(pond_catalog_exec(cat, "UPDATE pond_runs SET note = ? WHERE id >= ?",
	                           (const char *[]){"done", "1"}, 2, &changes, &err), &err);
	CHECK_INT(changes, 2);
	CHECK_CODE(pond_catalog_exec(cat, "SELECT nonsense FROM", NULL, 0, NULL, &err), POND_ESQL, &err);

	/* rollback undoes, commit keeps; catalog calls inside join the tx */
	int n = 0;
	CHECK_OK(pond_catalog_tx_begin(cat, &err), &err);
	CHECK_CODE(pond_catalog_tx_begin(cat, &err), POND_EINVAL, &err);
	CHECK_OK(pond_catalog_exec(cat, "DELETE FROM pond_runs", NULL, 0, NULL, &err), &err);
	pond_ns ns = POND_NS("txns");
	CHECK_OK(pond_catalog_create_namespace(cat, &ns, NULL, 0, &err), &err);
	pond_catalog_tx_rollback(cat);
	CHECK_OK(pond_catalog_query(cat, "SELECT * FROM pond_runs", NULL, 0, count_rows, &n, &err), &err);
	CHECK_INT(n, 2);
	bool exists;
	CHECK_OK(pond_catalog_namespace_exists(cat, &ns, &exists, &err), &err);
	CHECK(!exists);
	CHECK_OK(pond_catalog_tx_begin(cat, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(cat, &ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_exec(cat, "DELETE FROM pond_runs WHERE id = ?", q, 1, NULL, &err), &err);
	CHECK_OK(pond_catalog_tx_commit(cat, &err), &err);
	n = 0;
	CHECK_OK(pond_catalog_query(cat, "SELECT * FROM pond_runs", NULL, 0, count_rows, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_OK(pond_catalog_namespace_exists(cat, &ns, &exists, &err), &err);
	CHECK(exists);
	pond_catalog_close(&cat);
}

CATALOG_TEST(catalog_names_separate_catalogs_in_one_database)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog_options opts = POND_CATALOG_OPTIONS_INIT;
	opts.name = "one";
	pond_catalog *one = NULL, *two = NULL;
	CHECK_OK(pond_catalog_open(&one, uri, &opts, &err), &err);
	opts.name = "two";
	CHECK_OK(pond_catalog_open(&two, uri, &opts, &err), &err);
	CHECK_STR(pond_catalog_name(two), "two");
	pond_ns ns = POND_NS("shared");
	CHECK_OK(pond_catalog_create_namespace(one, &ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_namespace(two, &ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_table(one, &ns, "t", "one.json", &err), &err);
	bool exists;
	CHECK_OK(pond_catalog_table_exists(two, &ns, "t", &exists, &err), &err);
	CHECK(!exists);
	pond_catalog_close(&one);
	pond_catalog_close(&two);
}

/* Java's schema V1 writes iceberg_type; views are not tables. */
CATALOG_TEST(catalog_views_rows_are_not_tables)
{
	pond_error err = POND_ERROR_INIT;
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	pond_arena *arena = pond_arena_new();
	pond_ns ns = POND_NS("v");
	CHECK_OK(pond_catalog_create_namespace(cat, &ns, NULL, 0, &err), &err);
	CHECK_OK(pond_catalog_create_table(cat, &ns, "t", "t.json", &err), &err);
	const char *params[] = {"pond", "v", "a_view", "view.json"};
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO iceberg_tables (catalog_name, table_namespace, "
	                           "table_name, metadata_location, iceberg_type) VALUES (?, ?, ?, ?, 'VIEW')",
	                           params, 4, NULL, &err), &err);
	int n = 0;
	CHECK_OK(pond_catalog_query(cat, "SELECT 1 FROM iceberg_tables WHERE iceberg_type = 'TABLE'",
	                            NULL, 0, count_rows, &n, &err), &err);
	CHECK_INT(n, 1);
	const char **names;
	size_t count;
	CHECK_OK(pond_catalog_list_tables(cat, &ns, arena, &names, &count, &err), &err);
	CHECK_INT(count, 1);
	CHECK_STR(names[0], "t");
	pond_catalog_table t;
	CHECK_CODE(pond_catalog_load_table(cat, &ns, "a_view", arena, &t, &err), POND_ENOTFOUND, &err);
	CHECK_CODE(pond_catalog_drop_table(cat, &ns, "a_view", &err), POND_ENOTFOUND, &err);
	pond_arena_free(&arena);
	pond_catalog_close(&cat);
}

TEST(catalog_open_uri_forms_and_errors)
{
	pond_error err = POND_ERROR_INIT;
	char path[4096], uri[4200];
	snprintf(path, sizeof(path), "%s/forms.db", pond_test_tmpdir());
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	pond_catalog *cat = NULL;
	CHECK_OK(pond_catalog_open(&cat, uri, NULL, &err), &err);
	CHECK_STR(pond_catalog_name(cat), "pond");
	pond_ns ns = POND_NS("x");
	CHECK_OK(pond_catalog_create_namespace(cat, &ns, NULL, 0, &err), &err);
	pond_catalog_close(&cat);
	CHECK_OK(pond_catalog_open(&cat, path, NULL, &err), &err);
	bool exists;
	CHECK_OK(pond_catalog_namespace_exists(cat, &ns, &exists, &err), &err);
	CHECK(exists);
	/* WAL mode, as concurrent writers need */
	char mode[32] = "";
	CHECK_OK(pond_catalog_query(cat, "PRAGMA journal_mode", NULL, 0, first_value, mode, &err), &err);
	CHECK_STR(mode, "wal");
	pond_catalog_close(&cat);
	snprintf(uri, sizeof(uri), "%s/no/such/dir/c.db", pond_test_tmpdir());
	CHECK_CODE(pond_catalog_open(&cat, uri, NULL, &err), POND_EIO, &err);
	CHECK_CONTAINS(err.msg, "could not open catalog");
	CHECK(cat == NULL);
	CHECK_CODE(pond_catalog_open(&cat, "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
	                             NULL, &err), POND_EIO, &err);
	CHECK_CONTAINS(err.msg, "could not connect to postgresql catalog");
	CHECK_CODE(pond_catalog_open(&cat, "", NULL, &err), POND_EINVAL, &err);

	pond_arena *arena = pond_arena_new();
	pond_ns parsed;
	CHECK_OK(pond_ns_parse(&parsed, arena, "a.b.c", &err), &err);
	CHECK_INT(parsed.nlevels, 3);
	CHECK_STR(parsed.levels[2], "c");
	CHECK_STR(pond_ns_to_string(arena, &parsed), "a.b.c");
	CHECK_CODE(pond_ns_parse(&parsed, arena, "a..b", &err), POND_EINVAL, &err);
	pond_arena_free(&arena);
}

typedef struct nested_query {
	pond_catalog *cat;
	int outer_rows, inner_rows, distinct;
	pond_error *err;
} nested_query;

/* For each outer row: the same statement again (its prepared copy is in
 * use) and more distinct statements than the cache holds. */
static int query_again(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols, (void)names, (void)values;
	nested_query *q = payload;
	q->outer_rows++;
	if (pond_catalog_query(q->cat, "SELECT id FROM cache_t ORDER BY id", NULL, 0, count_rows, &q->inner_rows,
	                       q->err) != 0)
		return -1;
	for (int i = 0; i < 40; i++) {
		char sql[64], got[32] = "";
		snprintf(sql, sizeof(sql), "SELECT %d + id FROM cache_t WHERE id = 1", i);
		if (pond_catalog_query(q->cat, sql, NULL, 0, first_value, got, q->err) != 0)
			return -1;
		q->distinct += atoi(got) == i + 1;
	}
	return 0;
}

/* SQLite statements are prepared once and kept: the same text used again
 * while its statement is still being read, more texts than are kept, and a
 * table changed under a kept statement all give the right rows. */
TEST(catalog_sqlite_keeps_prepared_statements_without_mixing_them_up)
{
	pond_error err = POND_ERROR_INIT;
	char uri[4200];
	snprintf(uri, sizeof(uri), "sqlite:%s/stmts.db", pond_test_tmpdir());
	pond_catalog *cat = open_catalog(uri, &err);
	CHECK_MSG(cat, "open: %s", err.msg);
	CHECK_OK(pond_catalog_exec(cat, "CREATE TABLE cache_t (id INTEGER)", NULL, 0, NULL, &err), &err);
	for (int i = 1; i <= 3; i++) {
		char v[8];
		snprintf(v, sizeof(v), "%d", i);
		CHECK_OK(pond_catalog_exec(cat, "INSERT INTO cache_t VALUES (CAST(? AS INTEGER))", (const char *[]){v}, 1,
		                           NULL, &err), &err);
	}
	nested_query q = {cat, 0, 0, 0, &err};
	CHECK_OK(pond_catalog_query(cat, "SELECT id FROM cache_t ORDER BY id", NULL, 0, query_again, &q, &err), &err);
	CHECK_INT(q.outer_rows, 3);
	CHECK_INT(q.inner_rows, 9);
	CHECK_INT(q.distinct, 120);
	/* A kept statement over a table whose columns changed. */
	char got[32] = "";
	CHECK_OK(pond_catalog_exec(cat, "ALTER TABLE cache_t ADD COLUMN extra INTEGER DEFAULT 7", NULL, 0, NULL, &err),
	         &err);
	CHECK_OK(pond_catalog_query(cat, "SELECT * FROM cache_t ORDER BY id DESC", NULL, 0, first_value, got, &err),
	         &err);
	CHECK_STR(got, "1");
	int ncols = 0;
	CHECK_OK(pond_catalog_query(cat, "SELECT id FROM cache_t ORDER BY id", NULL, 0, count_rows, &ncols, &err), &err);
	CHECK_INT(ncols, 3);
	/* A failed statement leaves no kept statement half-bound. */
	CHECK_CODE(pond_catalog_exec(cat, "INSERT INTO cache_t VALUES (?, 1)", NULL, 0, NULL, &err), POND_EINVAL, &err);
	CHECK_OK(pond_catalog_exec(cat, "INSERT INTO cache_t VALUES (?, 1)", (const char *[]){"4"}, 1, NULL, &err),
	         &err);
	ncols = 0;
	CHECK_OK(pond_catalog_query(cat, "SELECT id FROM cache_t ORDER BY id", NULL, 0, count_rows, &ncols, &err), &err);
	CHECK_INT(ncols, 4);
	pond_catalog_close(&cat);
}
