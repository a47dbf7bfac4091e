/*
 * pond as an Iceberg REST catalog client, against a real `pond serve`
 * started in this process on a free port: a second project whose catalog
 * is the server's URL reads, appends to and creates tables the server's
 * own lake then sees; a commit whose base went stale between its read and
 * its POST gets the server's 409 and lands on retry; several tables
 * commit as one transaction; a purge is the server's to do, as views
 * are the server's to write; errors read as one line.
 */
#include "../test.h"
#include "api_fixture.h"

#include <stdlib.h>

#define TOKEN "rest-client-test-token-0123456789"

typedef struct rest_env {
	api server;
	table_fixture client;  /* the second project, over REST */
} rest_env;

/* A second project at pond_test_tmpdir()/client whose pond.yml names the
 * server's REST catalog with the token read from the environment. */
static int client_open(table_fixture *c, const char *url, const char *token_var, pond_error *err)
{
	memset(c, 0, sizeof(*c));
	c->a = pond_arena_new();
	const char *dir = pond_arena_sprintf(c->a, "%s/client", pond_test_tmpdir());
	const char *yml = pond_arena_sprintf(c->a, "name: client\ncatalog:\n  uri: %s/iceberg\n  token: ${%s}\n", url,
	                                     token_var);
	const char *path = pond_arena_sprintf(c->a, "%s/pond.yml", dir);
	if (pond_mkdirs(dir, err) || pond_file_write_atomic(path, yml, strlen(yml), err) ||
	    pond_project_load(&c->project, dir, err) || pond_lake_open(&c->lake, c->project, NULL, err) ||
	    pond_table_ident_parse(&c->id, c->a, "sales.orders", err))
		return -1;
	return 0;
}

static int env_setup(rest_env *e)
{
	memset(e, 0, sizeof(*e));
	pond_server_options o = POND_SERVER_OPTIONS_INIT;
	o.listen = "127.0.0.1:0";
	pond_error err = POND_ERROR_INIT;
	setenv("POND_TEST_REST_TOKEN", TOKEN, 1);
	if (api_setup_with(&e->server, TOKEN, &o) != 0 || pond_server_start(e->server.srv, &err) != 0 ||
	    client_open(&e->client, pond_server_url(e->server.srv), "POND_TEST_REST_TOKEN", &err) != 0) {
		fprintf(stderr, "    setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void env_teardown(rest_env *e)
{
	fx_teardown(&e->client);
	pond_server_stop(e->server.srv);
	api_teardown(&e->server);
}

TEST(rest_client_reads_appends_and_creates_through_a_pond_server)
{
	rest_env e;
	CHECK(env_setup(&e) == 0);
	pond_error err = POND_ERROR_INIT;
	CHECK(pond_catalog_is_rest(pond_lake_catalog(e.client.lake)));
	/* what the server holds, listed and read over REST */
	pond_ns *nss;
	size_t nns;
	const char **names;
	size_t nnames;
	CHECK_OK(pond_catalog_list_namespaces(pond_lake_catalog(e.client.lake), NULL, e.client.a, &nss, &nns, &err), &err);
	CHECK_INT(nns, 1);
	CHECK_STR(nss[0].levels[0], "sales");
	CHECK_OK(pond_catalog_list_tables(pond_lake_catalog(e.client.lake), &nss[0], e.client.a, &names, &nnames, &err),
	         &err);
	CHECK_INT(nnames, 1);
	CHECK_STR(names[0], "orders");
	CHECK_STR(fx_query(&e.client, "count(*)", 0), "25");
	CHECK_STR(fx_query(&e.client, "sum(id)", 0), fx_query(&e.server.fx, "sum(id)", 0));
	/* an append over REST: the server's own lake sees it */
	CHECK(fx_append(&e.client, "select range + 100 as id, 'rest' as item from range(5)") > 0);
	CHECK_STR(fx_query(&e.server.fx, "count(*)", 0), "30");
	CHECK_STR(fx_query(&e.server.fx, "count(*) filter (where item = 'rest')", 0), "5");
	/* and one on the server's side shows through REST */
	CHECK(fx_append(&e.server.fx, "select 999 as id, 'local' as item") > 0);
	CHECK_STR(fx_query(&e.client, "count(*)", 0), "31");
	/* a table created over REST: the server chose its place, in its warehouse */
	table_fixture *c = &e.client;
	CHECK_OK(pond_table_ident_parse(&c->id, c->a, "sales.made_by_client", &err), &err);
	CHECK(fx_create_with(c, "select 1 as a, 'x' as b union all select 2, 'y'", NULL) == 0);
	bool exists = false;
	CHECK_OK(pond_catalog_table_exists(pond_lake_catalog(e.server.fx.lake), &c->id.ns, c->id.name, &exists, &err), &err);
	CHECK(exists);
	pond_table *t = fx_load(c);
	CHECK(t && pond_str_starts_with(t->metadata->location, e.server.project->warehouse));
	pond_table_free(&t);
	e.server.fx.id = c->id;
	CHECK_STR(fx_query(&e.server.fx, "string_agg(b, ',' order by a)", 0), "x,y");
	/* dropped with purge: the server deletes the files, which are its own */
	t = fx_load(c);
	CHECK(t != NULL);
	const char *dir = pond_arena_strdup(c->a, t->metadata->location);
	pond_table_free(&t);
	CHECK(fx_count_files(dir, ".parquet") > 0);
	CHECK_OK(pond_table_drop(c->lake, &c->id, true, &err), &err);
	CHECK_OK(pond_catalog_table_exists(pond_lake_catalog(e.server.fx.lake), &c->id.ns, c->id.name, &exists, &err), &err);
	CHECK(!exists);
	CHECK_MSG(!pond_file_exists(dir) || fx_count_files(dir, NULL) == 0, "files left in %s", dir);
	env_teardown(&e);
}

/* A build that, on its first call, has the server's side commit to the
 * same table, so the base this attempt read is stale by the time it is
 * posted. */
typedef struct racing_build {
	table_fixture *other;   /* the server's side */
	int calls;
	const char *key;
} racing_build;

static int build_racing(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                        size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)base; (void)reqs; (void)nreqs;
	racing_build *b = payload;
	if (b->calls++ == 0 && fx_append(b->other, "select 500 as id, 'raced' as item") <= 0)
		return pond_error_set(err, POND_EIO, "the racing append failed");
	pond_iceberg_kv *kv = pond_arena_calloc(arena, 1, sizeof(*kv));
	pond_iceberg_update *u = pond_arena_calloc(arena, 1, sizeof(*u));
	if (!kv || !u)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	kv->key = b->key;
	kv->value = "yes";
	u->action = POND_ICEBERG_SET_PROPERTIES;
	u->properties = kv;
	u->nproperties = 1;
	*ups = u;
	*nups = 1;
	return 0;
}

TEST(rest_client_commit_on_a_stale_base_gets_409_and_lands_on_retry)
{
	rest_env e;
	CHECK(env_setup(&e) == 0);
	pond_error err = POND_ERROR_INIT;
	racing_build b = {&e.server.fx, 0, "client.mark"};
	pond_table *after = NULL;
	CHECK_OK(pond_table_commit(e.client.lake, &e.client.id, build_racing, &b, NULL, &after, &err), &err);
	CHECK_INT(b.calls, 2);  /* the first attempt lost to the racing append */
	CHECK_STR(pond_iceberg_metadata_property(after->metadata, "client.mark"), "yes");
	pond_table_free(&after);
	/* both changes are there, once */
	pond_table *t = fx_load(&e.server.fx);
	CHECK(t && pond_iceberg_metadata_property(t->metadata, "client.mark"));
	pond_table_free(&t);
	CHECK_STR(fx_query(&e.server.fx, "count(*) filter (where item = 'raced')", 0), "1");
	CHECK_STR(fx_query(&e.client, "count(*)", 0), "26");
	env_teardown(&e);
}

TEST(rest_client_commits_several_tables_as_one_transaction)
{
	rest_env e;
	CHECK(env_setup(&e) == 0);
	pond_error err = POND_ERROR_INIT;
	table_fixture *c = &e.client;
	pond_table_ident other;
	CHECK_OK(pond_table_ident_parse(&other, c->a, "sales.other", &err), &err);
	pond_table_ident orders = c->id;
	c->id = other;
	CHECK(fx_create(c, "select 1 as n", NULL) == 0);
	/* the second table's base goes stale during the first attempt */
	racing_build first = {NULL, 1, "tx.first"}, second = {&e.server.fx, 0, "tx.second"};
	pond_table_change changes[2] = {{other, build_racing, &first, false}, {orders, build_racing, &second, false}};
	pond_table *out[2] = {NULL, NULL};
	CHECK_OK(pond_table_commit_all(c->lake, changes, 2, NULL, out, &err), &err);
	CHECK_INT(second.calls, 2);
	CHECK(out[0] && pond_iceberg_metadata_property(out[0]->metadata, "tx.first"));
	CHECK(out[1] && pond_iceberg_metadata_property(out[1]->metadata, "tx.second"));
	pond_table_free(&out[0]);
	pond_table_free(&out[1]);
	CHECK_STR(fx_query(&e.server.fx, "count(*) filter (where item = 'raced')", 0), "1");
	env_teardown(&e);
}

TEST(rest_client_errors_name_the_catalog_and_the_cause)
{
	rest_env e;
	CHECK(env_setup(&e) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_table *t = NULL;
	pond_table_ident missing;
	CHECK_OK(pond_table_ident_parse(&missing, e.client.a, "sales.nope", &err), &err);
	CHECK_INT(pond_table_load(&t, e.client.lake, &missing, &err), POND_ENOTFOUND);
	CHECK_MSG(strstr(err.msg, "nope") && strstr(err.msg, "404") && !strchr(err.msg, '\n'), "%s", err.msg);
	/* a wrong token: refused when the project opens */
	table_fixture bad;
	setenv("POND_TEST_REST_BAD", "not-the-token-0123456789", 1);
	pond_error_clear(&err);
	CHECK(client_open(&bad, pond_server_url(e.server.srv), "POND_TEST_REST_BAD", &err) != 0);
	CHECK_MSG(strstr(err.msg, "401") && strstr(err.msg, "/v1/config"), "%s", err.msg);
	fx_teardown(&bad);
	/* an unset variable is named */
	unsetenv("POND_TEST_REST_UNSET");
	pond_error_clear(&err);
	CHECK(client_open(&bad, pond_server_url(e.server.srv), "POND_TEST_REST_UNSET", &err) != 0);
	CHECK_MSG(strstr(err.msg, "POND_TEST_REST_UNSET") && strstr(err.msg, "not set"), "%s", err.msg);
	fx_teardown(&bad);
	env_teardown(&e);
}

/* A one-column view definition of sql, for publishing. */
static pond_iceberg_view_definition view_def(pond_arena *a, const char *sql)
{
	static const char *const ns[] = {"main"};
	static const pond_iceberg_kv summary[] = {{"engine-name", "duckdb"}};
	json_t *j = json_pack("{s:s,s:i,s:[{s:i,s:s,s:b,s:s}]}", "type", "struct", "schema-id", 0, "fields", "id", 1,
	                      "name", "n", "required", 0, "type", "long");
	pond_iceberg_schema *schema = NULL;
	pond_error err = POND_ERROR_INIT;
	pond_iceberg_schema_from_json(&schema, j, a, "schema", &err);
	json_decref(j);
	return (pond_iceberg_view_definition){schema, "duckdb", sql, ns, 1, summary, 1, 1000};
}

/* Views of a REST project are the server's: published, replaced, listed,
 * renamed and dropped through the views endpoints, the server writing the
 * metadata files in its own warehouse; its own lake reads each state. */
TEST(rest_client_views_are_written_by_the_server)
{
	rest_env e;
	CHECK(env_setup(&e) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_arena *a = e.client.a;
	pond_table_ident id, renamed;
	CHECK_OK(pond_table_ident_parse(&id, a, "sales.big", &err), &err);
	CHECK_OK(pond_table_ident_parse(&renamed, a, "sales.bigger", &err), &err);
	pond_iceberg_view_definition def = view_def(a, "select id as n from sales.orders");
	CHECK_OK(pond_view_iceberg_publish(e.client.lake, &id, &def, &err), &err);
	/* the server's own lake has it, in its warehouse */
	pond_iceberg_view *v = NULL;
	const char *where = NULL;
	CHECK_OK(pond_view_iceberg_load(e.server.fx.lake, &id, a, &v, &where, &err), &err);
	CHECK_STR(pond_iceberg_view_sql(v, "duckdb"), "select id as n from sales.orders");
	CHECK_MSG(strncmp(where, e.server.fx.project->warehouse, strlen(e.server.fx.project->warehouse)) == 0, "%s",
	          where);
	pond_iceberg_view_free(&v);
	/* a second version: a commit the server applies */
	def = view_def(a, "select id + 1 as n from sales.orders");
	CHECK_OK(pond_view_iceberg_publish(e.client.lake, &id, &def, &err), &err);
	CHECK_OK(pond_view_iceberg_load(e.client.lake, &id, a, &v, &where, &err), &err);
	CHECK_STR(pond_iceberg_view_sql(v, "duckdb"), "select id + 1 as n from sales.orders");
	CHECK_INT(pond_iceberg_view_current_version_id(v), 2);
	pond_iceberg_view_free(&v);
	/* listed, renamed, dropped */
	pond_table_ident *views;
	size_t n;
	CHECK_OK(pond_view_iceberg_list(pond_lake_catalog(e.client.lake), NULL, a, &views, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_STR(views[0].name, "big");
	CHECK_OK(pond_view_iceberg_rename(e.client.lake, &id, &renamed, &err), &err);
	bool exists = true;
	CHECK_OK(pond_catalog_view_exists(pond_lake_catalog(e.server.fx.lake), &id.ns, "big", &exists, &err), &err);
	CHECK(!exists);
	CHECK_OK(pond_view_iceberg_drop(e.client.lake, &renamed, true, &err), &err);
	CHECK_OK(pond_catalog_view_exists(pond_lake_catalog(e.server.fx.lake), &id.ns, "bigger", &exists, &err), &err);
	CHECK(!exists);
	/* a create without the view's schema and version: refused before any request */
	json_t *none = json_array();
	pond_catalog_table row;
	CHECK_INT(pond_catalog_create_view_from(pond_lake_catalog(e.client.lake), &id.ns, "y", none, a, &row, &err),
	          POND_EINVAL);
	CHECK_MSG(strstr(err.msg, "add-schema") && !strchr(err.msg, '\n'), "%s", err.msg);
	/* the REST-only calls on a SQL catalog */
	CHECK_INT(pond_catalog_create_view_from(pond_lake_catalog(e.server.fx.lake), &id.ns, "y", none, a, &row, &err),
	          POND_EUNSUPPORTED);
	CHECK_INT(pond_catalog_commit_view_changes(pond_lake_catalog(e.server.fx.lake), &id.ns, "y", NULL, none, a, &row,
	                                           &err),
	          POND_EUNSUPPORTED);
	CHECK_INT(pond_catalog_purge_table(pond_lake_catalog(e.server.fx.lake), &id.ns, "y", &err), POND_EUNSUPPORTED);
	json_decref(none);
	/* by metadata location, as a SQL catalog takes them: refused in one line */
	CHECK_INT(pond_catalog_create_view(pond_lake_catalog(e.client.lake), &id.ns, "x", "/tmp/x.json", &err),
	          POND_EUNSUPPORTED);
	CHECK_MSG(strstr(err.msg, "view x") && !strchr(err.msg, '\n'), "%s", err.msg);
	env_teardown(&e);
}
