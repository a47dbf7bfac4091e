/*
 * The Iceberg REST catalog through pond_server_handle (no socket): routes,
 * the ErrorModel and its status codes, the OAuth2 token request and the
 * token, namespaces, tables (create, stage-create, load, commit, drop,
 * rename, register, metrics), multi-table transactions, and what pond
 * itself sees of REST commits (and REST clients of pond's buffered rows).
 * Table tests run on SQLite and on PostgreSQL.
 */
#include "../test.h"

#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_fixture.h"

#define V1 "/iceberg/v1"
#define TOKEN "rest-test-token-0123456789"

/* The last response's ErrorModel fields. */
static const char *err_type(api *t)
{
	const char *s = json_string_value(json_object_get(json_object_get(t->doc, "error"), "type"));
	return s ? s : "(no error.type)";
}

static const char *err_message(api *t)
{
	const char *s = json_string_value(json_object_get(json_object_get(t->doc, "error"), "message"));
	return s ? s : "(no error.message)";
}

/* The response is an ErrorModel whose code is its status. */
static bool is_error_model(api *t)
{
	json_t *e = json_object_get(t->doc, "error");
	return json_object_size(t->doc) == 1 && json_is_string(json_object_get(e, "message")) &&
	       json_is_string(json_object_get(e, "type")) &&
	       json_integer_value(json_object_get(e, "code")) == t->resp.status;
}

/* JSON text of j, in the test's arena. */
static const char *dump(api *t, const json_t *j)
{
	char *text = pond_json_dumps(j, false);
	const char *copy = text ? pond_arena_strdup(t->fx.a, text) : "(null)";
	pond_free(text);
	return copy;
}

static const char *str_at(json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));
	return s ? s : "(none)";
}

TEST(rest_config_routes_and_errors_use_the_error_model)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "GET", V1 "/config?warehouse=anything", NULL, NULL), 200);
	CHECK(json_is_object(json_object_get(t.doc, "defaults")) && json_is_object(json_object_get(t.doc, "overrides")));
	json_t *endpoints = json_object_get(t.doc, "endpoints");
	bool has_tx = false;
	for (size_t i = 0; i < json_array_size(endpoints); i++)
		has_tx |= !strcmp(json_string_value(json_array_get(endpoints, i)), "POST /v1/{prefix}/transactions/commit");
	CHECK(has_tx);

	CHECK_INT(send_req(&t, "GET", V1 "/nope", NULL, NULL), 404);
	CHECK(is_error_model(&t));
	CHECK_INT(send_req(&t, "DELETE", V1 "/config", NULL, NULL), 405);
	CHECK(is_error_model(&t));
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{not json", NULL), 400);
	CHECK(is_error_model(&t));
	CHECK_STR(err_type(&t), "BadRequestException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"a.b\"]}", NULL), 400);
	CHECK(strstr(err_message(&t), "a.b") != NULL);
	/* The JSON API keeps its own error shape. */
	CHECK_INT(send_req(&t, "GET", "/api/nope", NULL, NULL), 404);
	CHECK(json_is_string(json_object_get(t.doc, "error")));
	api_teardown(&t);
}

TEST(rest_token_and_the_oauth2_client_credentials_request)
{
	api t;
	CHECK(api_setup(&t, TOKEN) == 0);
	CHECK_INT(send_req(&t, "GET", V1 "/config", NULL, NULL), 401);
	CHECK(is_error_model(&t));
	CHECK_STR(err_type(&t), "NotAuthorizedException");
	CHECK(t.resp.auth_challenge);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces", NULL, "Bearer wrong-token-0123456789xx"), 401);
	CHECK(is_error_model(&t));
	CHECK_STR(err_type(&t), "NotAuthorizedException");
	CHECK_STR(err_message(&t), "invalid token");
	/* Spark's and pyiceberg's credential=ID:SECRET: the secret is the token. */
	CHECK_INT(send_req(&t, "POST", V1 "/oauth/tokens",
	                   "grant_type=client_credentials&client_id=spark&client_secret=" TOKEN "&scope=catalog", NULL),
	          200);
	CHECK_STR(str_at(t.doc, "access_token"), TOKEN);
	CHECK_STR(str_at(t.doc, "token_type"), "bearer");
	CHECK_STR(str_at(t.doc, "issued_token_type"), "urn:ietf:params:oauth:token-type:access_token");
	CHECK_INT(send_req(&t, "POST", V1 "/oauth/tokens", "grant_type=client_credentials&client_id=x&client_secret=nope",
	                   NULL),
	          401);
	CHECK_STR(str_at(t.doc, "error"), "invalid_client");
	/* RFC 6749's Basic header: base64("spark:" TOKEN) */
	pond_buf basic = POND_BUF_INIT;
	pond_buf_puts(&basic, "Basic ");
	pond_base64_encode(&basic, "spark:" TOKEN, strlen("spark:" TOKEN));
	CHECK_INT(send_req(&t, "POST", V1 "/oauth/tokens", "grant_type=client_credentials", pond_buf_cstr(&basic)), 200);
	pond_buf_dispose(&basic);
	CHECK_INT(send_req(&t, "POST", V1 "/oauth/tokens",
	                   "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=" TOKEN
	                   "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token",
	                   NULL),
	          200);
	CHECK_INT(send_req(&t, "POST", V1 "/oauth/tokens", "grant_type=password", NULL), 400);
	CHECK_STR(str_at(t.doc, "error"), "unsupported_grant_type");
	CHECK_INT(send_req(&t, "GET", V1 "/config", NULL, "Bearer " TOKEN), 200);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces", NULL, "Bearer " TOKEN), 200);
	api_teardown(&t);
}

static void check_page(api *t, const char *target, const char *first, const char *next)
{
	CHECK_INT(send_req(t, "GET", target, NULL, NULL), 200);
	json_t *list = json_object_get(t->doc, "namespaces");
	CHECK_INT(json_array_size(list), 1);
	CHECK_STR(json_string_value(json_array_get(json_array_get(list, 0), 0)), first);
	json_t *tok = json_object_get(t->doc, "next-page-token");
	if (next)
		CHECK_STR(json_string_value(tok), next);
	else
		CHECK(json_is_null(tok));
}

TEST(rest_namespaces_create_list_load_update_and_drop)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\"], \"properties\": {\"owner\": \"ann\"}}",
	                   NULL),
	          200);
	CHECK_STR(str_at(json_object_get(t.doc, "properties"), "owner"), "ann");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\"]}", NULL), 409);
	CHECK_STR(err_type(&t), "AlreadyExistsException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\", \"eu\"]}", NULL), 200);

	CHECK_INT(send_req(&t, "GET", V1 "/namespaces", NULL, NULL), 200);
	CHECK_STR(dump(&t, json_object_get(t.doc, "namespaces")), "[[\"sales\"],[\"web\"]]");
	CHECK(json_object_get(t.doc, "next-page-token") == NULL);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces?parent=web", NULL, NULL), 200);
	CHECK_STR(dump(&t, json_object_get(t.doc, "namespaces")), "[[\"web\",\"eu\"]]");
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces?parent=nope", NULL, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	check_page(&t, V1 "/namespaces?pageToken=&pageSize=1", "sales", "1");
	check_page(&t, V1 "/namespaces?pageToken=1&pageSize=1", "web", NULL);

	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web%1Feu", NULL, NULL), 200);
	CHECK_STR(dump(&t, json_object_get(t.doc, "namespace")), "[\"web\",\"eu\"]");
	CHECK_INT(json_object_size(json_object_get(t.doc, "properties")), 0);  /* no "exists" marker */
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web%1Feu", NULL, NULL), 204);
	CHECK_INT((int)t.resp.body_len, 0);
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web%1Fus", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/nope", NULL, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	CHECK(strstr(err_message(&t), "nope") != NULL);

	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/properties",
	                   "{\"removals\": [\"owner\", \"gone\"], \"updates\": {\"team\": \"data\"}}", NULL),
	          200);
	CHECK_STR(dump(&t, t.doc), "{\"updated\":[\"team\"],\"removed\":[\"owner\"],\"missing\":[\"gone\"]}");
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web", NULL, NULL), 200);
	CHECK_STR(dump(&t, json_object_get(t.doc, "properties")), "{\"team\":\"data\"}");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/properties",
	                   "{\"removals\": [\"team\"], \"updates\": {\"team\": \"x\"}}", NULL),
	          422);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/nope/properties", "{\"updates\": {\"a\": \"b\"}}", NULL), 404);

	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/web", NULL, NULL), 409);
	CHECK_STR(err_type(&t), "NamespaceNotEmptyException");
	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/sales", NULL, NULL), 409);
	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/web%1Feu", NULL, NULL), 204);
	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/web", NULL, NULL), 204);
	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/web", NULL, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	api_teardown(&t);
}

static const char create_events[] =
	"{\"name\": \"events\", \"schema\": {\"type\": \"struct\", \"schema-id\": 0, \"fields\": ["
	"{\"id\": 7, \"name\": \"id\", \"type\": \"long\", \"required\": true},"
	"{\"id\": 8, \"name\": \"kind\", \"type\": \"string\", \"required\": false}]},"
	"\"partition-spec\": {\"spec-id\": 0, \"fields\": [{\"source-id\": 8, \"field-id\": 1000, \"name\": \"kind\","
	"\"transform\": \"identity\"}]},"
	"\"properties\": {\"owner\": \"ann\", \"format-version\": \"2\"}}";

/* POSTs a commit of set-properties {key: value} with requirement req
 * (JSON text, "" for none) to table web.NAME. */
static int set_property(api *t, const char *name, const char *req, const char *key, const char *value)
{
	char path[128], body[512];
	snprintf(path, sizeof(path), V1 "/namespaces/web/tables/%s", name);
	snprintf(body, sizeof(body),
	         "{\"requirements\": [%s], \"updates\": [{\"action\": \"set-properties\", \"updates\": {\"%s\": \"%s\"}}]}",
	         req, key, value);
	return send_req(t, "POST", path, body, NULL);
}

static void tables_create_load_commit_drop(const char *catalog_url)
{
	api t;
	CHECK(api_setup_on(&t, catalog_url, NULL, NULL) == 0);
	const char *wh = t.project->warehouse;
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables", create_events, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\"]}", NULL), 200);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables", create_events, NULL), 200);
	const char *loc = pond_arena_strdup(t.fx.a, str_at(t.doc, "metadata-location"));
	CHECK_MSG(pond_file_exists(loc), "%s", loc);
	json_t *md = json_object_get(t.doc, "metadata");
	CHECK_STR(str_at(md, "location"), pond_arena_sprintf(t.fx.a, "%s/web/events", wh));
	CHECK_STR(str_at(json_object_get(md, "properties"), "owner"), "ann");
	CHECK(json_object_get(json_object_get(md, "properties"), "format-version") == NULL);
	/* Fresh ids: the spec follows its column by name. */
	json_t *field = json_array_get(json_object_get(json_array_get(json_object_get(md, "partition-specs"), 0), "fields"), 0);
	CHECK_INT(json_integer_value(json_object_get(field, "source-id")), 2);
	char *uuid = pond_arena_strdup(t.fx.a, str_at(md, "table-uuid"));
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables", create_events, NULL), 409);
	CHECK_STR(err_type(&t), "AlreadyExistsException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables",
	                   "{\"name\": \"x\", \"location\": \"/etc/x\", \"schema\": {\"type\": \"struct\", \"fields\": []}}",
	                   NULL),
	          400);
	CHECK(strstr(err_message(&t), "outside the warehouse") != NULL);

	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/tables/events", NULL, NULL), 200);
	CHECK_STR(str_at(json_object_get(t.doc, "metadata"), "table-uuid"), uuid);
	CHECK(json_is_object(json_object_get(t.doc, "config")));
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web/tables/events", NULL, NULL), 204);
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web/tables/nope", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/tables/nope", NULL, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchTableException");
	CHECK(strstr(err_message(&t), "web.nope") != NULL);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/tables/events?snapshots=some", NULL, NULL), 400);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/tables", NULL, NULL), 200);
	CHECK_STR(dump(&t, t.doc), "{\"identifiers\":[{\"namespace\":[\"web\"],\"name\":\"events\"}]}");

	/* Commits: a requirement that holds, one that fails (409, naming the
	 * table, nothing written), an unknown update (400), a missing table. */
	char *req = pond_arena_sprintf(t.fx.a, "{\"type\": \"assert-table-uuid\", \"uuid\": \"%s\"}", uuid);
	CHECK_INT(set_property(&t, "events", req, "color", "blue"), 200);
	CHECK(strcmp(str_at(t.doc, "metadata-location"), loc) != 0);
	CHECK_STR(str_at(json_object_get(json_object_get(t.doc, "metadata"), "properties"), "color"), "blue");
	char *after = pond_arena_strdup(t.fx.a, str_at(t.doc, "metadata-location"));
	CHECK_INT(set_property(&t, "events", "{\"type\": \"assert-current-schema-id\", \"current-schema-id\": 3}", "c", "d"),
	          409);
	CHECK_STR(err_type(&t), "CommitFailedException");
	CHECK_MSG(strstr(err_message(&t), "web.events") && strstr(err_message(&t), "assert-current-schema-id"), "%s",
	          err_message(&t));
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables/events",
	                   "{\"requirements\": [], \"updates\": [{\"action\": \"fly\"}]}", NULL),
	          400);
	CHECK_INT(set_property(&t, "nope", "", "a", "b"), 404);
	CHECK_STR(err_type(&t), "NoSuchTableException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables/events",
	                   "{\"requirements\": [], \"updates\": [{\"action\": \"set-location\", \"location\": \"/tmp/else\"}]}",
	                   NULL),
	          400);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/tables/events", NULL, NULL), 200);
	CHECK_STR(str_at(t.doc, "metadata-location"), after);

	/* Rename, then drop with purge. */
	CHECK_INT(send_req(&t, "POST", V1 "/tables/rename",
	                   "{\"source\": {\"namespace\": [\"web\"], \"name\": \"events\"},"
	                   " \"destination\": {\"namespace\": [\"web\"], \"name\": \"clicks\"}}", NULL),
	          204);
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web/tables/events", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "POST", V1 "/tables/rename",
	                   "{\"source\": {\"namespace\": [\"web\"], \"name\": \"events\"},"
	                   " \"destination\": {\"namespace\": [\"web\"], \"name\": \"x\"}}", NULL),
	          404);
	CHECK_STR(err_type(&t), "NoSuchTableException");
	CHECK_INT(send_req(&t, "POST", V1 "/tables/rename",
	                   "{\"source\": {\"namespace\": [\"web\"], \"name\": \"clicks\"},"
	                   " \"destination\": {\"namespace\": [\"nope\"], \"name\": \"x\"}}", NULL),
	          404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	CHECK_INT(send_req(&t, "POST", V1 "/tables/rename",
	                   "{\"source\": {\"namespace\": [\"web\"], \"name\": \"clicks\"},"
	                   " \"destination\": {\"namespace\": [\"sales\"], \"name\": \"orders\"}}", NULL),
	          409);
	CHECK_STR(err_type(&t), "AlreadyExistsException");
	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/web/tables/clicks?purgeRequested=true", NULL, NULL), 204);
	CHECK(!pond_file_exists(after));
	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/web/tables/clicks", NULL, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchTableException");
	api_teardown(&t);
}

TEST_ON_CATALOGS(rest_tables_create_load_commit_rename_and_drop, tables_create_load_commit_drop)

/* The updates that create the staged table md describes, as a client
 * sends them in the commit that follows a stage-create. */
static char *staged_commit(api *t, json_t *md)
{
	json_t *schema = json_array_get(json_object_get(md, "schemas"), 0);
	json_t *spec = json_array_get(json_object_get(md, "partition-specs"), 0);
	json_t *order = json_array_get(json_object_get(md, "sort-orders"), 0);
	json_t *doc = json_pack(
		"{s:[{s:s}],s:[{s:s,s:s},{s:s,s:i},{s:s,s:O},{s:s,s:i},{s:s,s:O},{s:s,s:i},{s:s,s:O},{s:s,s:i},{s:s,s:s},"
		"{s:s,s:O}]}",
		"requirements", "type", "assert-create", "updates", "action", "assign-uuid", "uuid", str_at(md, "table-uuid"),
		"action", "upgrade-format-version", "format-version", 2, "action", "add-schema", "schema", schema, "action",
		"set-current-schema", "schema-id", -1, "action", "add-spec", "spec", spec, "action", "set-default-spec",
		"spec-id", -1, "action", "add-sort-order", "sort-order", order, "action", "set-default-sort-order",
		"sort-order-id", -1, "action", "set-location", "location", str_at(md, "location"), "action", "set-properties",
		"updates", json_object_get(md, "properties"));
	char *text = pond_json_dumps(doc, false);
	char *copy = pond_arena_strdup(t->fx.a, text);
	pond_free(text);
	json_decref(doc);
	return copy;
}

TEST(rest_stage_create_then_the_commit_that_creates_it)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\"]}", NULL), 200);
	char *body = pond_arena_sprintf(t.fx.a, "%.*s, \"stage-create\": true}", (int)strlen(create_events) - 1,
	                                create_events);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables", body, NULL), 200);
	CHECK(json_is_null(json_object_get(t.doc, "metadata-location")));
	char *commit = staged_commit(&t, json_object_get(t.doc, "metadata"));
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web/tables/events", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables/events", commit, NULL), 200);
	CHECK(pond_file_exists(str_at(t.doc, "metadata-location")));
	CHECK_STR(str_at(json_object_get(json_object_get(t.doc, "metadata"), "properties"), "owner"), "ann");
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web/tables/events", NULL, NULL), 204);
	/* A second create of the same name: assert-create fails. */
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables/events", commit, NULL), 409);
	CHECK_STR(err_type(&t), "CommitFailedException");
	CHECK(strstr(err_message(&t), "assert-create") != NULL);
	/* In a namespace that does not exist: 404. */
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/nope/tables/events", commit, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	api_teardown(&t);
}

/* sales.orders' current snapshot as an add-snapshot and set-snapshot-ref
 * main commit for another table of the same schema, asserting main is
 * absent: a REST client's append that reuses its manifest list. */
static char *borrowed_snapshot_commit(api *t)
{
	pond_table *src = fx_load(&t->fx);
	const pond_iceberg_snapshot *s = pond_iceberg_metadata_current_snapshot(src->metadata);
	char *body = pond_arena_sprintf(
		t->fx.a,
		"{\"requirements\": [{\"type\": \"assert-ref-snapshot-id\", \"ref\": \"main\", \"snapshot-id\": null}],"
		" \"updates\": [{\"action\": \"add-snapshot\", \"snapshot\": {\"snapshot-id\": %lld, \"sequence-number\": 1,"
		" \"timestamp-ms\": %lld, \"manifest-list\": \"%s\", \"summary\": {\"operation\": \"append\","
		" \"total-records\": \"25\"}, \"schema-id\": 0}},"
		" {\"action\": \"set-snapshot-ref\", \"ref-name\": \"main\", \"type\": \"branch\", \"snapshot-id\": %lld}]}",
		(long long)s->snapshot_id, (long long)s->timestamp_ms, s->manifest_list, (long long)s->snapshot_id);
	pond_table_free(&src);
	return body;
}

TEST(rest_add_snapshot_is_read_by_pond_sql)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\"]}", NULL), 200);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables",
	                   "{\"name\": \"copy\", \"schema\": {\"type\": \"struct\", \"fields\": ["
	                   "{\"id\": 1, \"name\": \"id\", \"type\": \"long\", \"required\": false},"
	                   "{\"id\": 2, \"name\": \"item\", \"type\": \"string\", \"required\": false}]}}",
	                   NULL),
	          200);
	char *commit = borrowed_snapshot_commit(&t);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables/copy", commit, NULL), 200);
	/* Again: main exists now, so the requirement fails. */
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables/copy", commit, NULL), 409);
	t.fx.id = (pond_table_ident){POND_NS("web"), "copy"};
	CHECK_STR(fx_query(&t.fx, "count(*) || ' ' || sum(id) || ' ' || max(item)", 0), "25 300 item 9");
	api_teardown(&t);
}

TEST(rest_load_flushes_buffered_rows_first)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	/* A lake of its own that buffers small appends, as pond sql does. */
	pond_error err = POND_ERROR_INIT;
	pond_lake *lake;
	CHECK_OK(pond_lake_open(&lake, t.project, NULL, &err), &err);
	pond_write_result r;
	CHECK_OK(pond_table_append_query(lake, &t.fx.id, "select 100 as id, 'late' as item", NULL, &r, &err), &err);
	CHECK(r.buffered);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/sales/tables/orders", NULL, NULL), 200);
	json_t *md = json_object_get(t.doc, "metadata");
	json_t *snaps = json_object_get(md, "snapshots");
	CHECK_INT(json_array_size(snaps), 2);
	json_t *last = json_array_get(snaps, 1);
	CHECK_INT(json_integer_value(json_object_get(md, "current-snapshot-id")),
	          json_integer_value(json_object_get(last, "snapshot-id")));
	CHECK_STR(str_at(json_object_get(last, "summary"), "total-records"), "26");
	pond_table *tb = fx_load(&t.fx);
	pond_buffer_stats st;
	CHECK_OK(pond_table_buffer_stats(lake, tb, &st, &err), &err);
	CHECK_INT(st.batches, 0);
	pond_table_free(&tb);
	/* snapshots=refs: only main's snapshot. */
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/sales/tables/orders?snapshots=refs", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(json_object_get(t.doc, "metadata"), "snapshots")), 1);
	pond_lake_close(&lake);
	api_teardown(&t);
}

static void transactions(const char *catalog_url)
{
	api t;
	CHECK(api_setup_on(&t, catalog_url, NULL, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\"]}", NULL), 200);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables", create_events, NULL), 200);
	const char *both =
		"{\"table-changes\": ["
		"{\"identifier\": {\"namespace\": [\"web\"], \"name\": \"events\"}, \"requirements\": [],"
		" \"updates\": [{\"action\": \"set-properties\", \"updates\": {\"k\": \"1\"}}]},"
		"{\"identifier\": {\"namespace\": [\"sales\"], \"name\": \"orders\"}, \"requirements\": [],"
		" \"updates\": [{\"action\": \"set-properties\", \"updates\": {\"k\": \"1\"}}]}]}";
	CHECK_INT(send_req(&t, "POST", V1 "/transactions/commit", both, NULL), 204);
	CHECK_STR(fx_summary(&t.fx, "operation"), "append");
	pond_table *o = fx_load(&t.fx);
	CHECK_STR(pond_iceberg_metadata_property(o->metadata, "k"), "1");
	const char *orders_at = pond_arena_strdup(t.fx.a, o->metadata_location);
	pond_table_free(&o);
	/* The second change's requirement fails: the first does not land. */
	const char *half =
		"{\"table-changes\": ["
		"{\"identifier\": {\"namespace\": [\"sales\"], \"name\": \"orders\"}, \"requirements\": [],"
		" \"updates\": [{\"action\": \"set-properties\", \"updates\": {\"k\": \"2\"}}]},"
		"{\"identifier\": {\"namespace\": [\"web\"], \"name\": \"events\"},"
		" \"requirements\": [{\"type\": \"assert-default-spec-id\", \"default-spec-id\": 9}],"
		" \"updates\": [{\"action\": \"set-properties\", \"updates\": {\"k\": \"2\"}}]}]}";
	CHECK_INT(send_req(&t, "POST", V1 "/transactions/commit", half, NULL), 409);
	CHECK_STR(err_type(&t), "CommitFailedException");
	CHECK(strstr(err_message(&t), "web.events") != NULL);
	o = fx_load(&t.fx);
	CHECK_STR(o->metadata_location, orders_at);
	pond_table_free(&o);
	CHECK_INT(send_req(&t, "POST", V1 "/transactions/commit",
	                   "{\"table-changes\": [{\"requirements\": [], \"updates\": []}]}", NULL),
	          400);
	CHECK_INT(send_req(&t, "POST", V1 "/transactions/commit",
	                   "{\"table-changes\": [{\"identifier\": {\"namespace\": [\"web\"], \"name\": \"gone\"},"
	                   " \"requirements\": [], \"updates\": []}]}",
	                   NULL),
	          404);
	CHECK_STR(err_type(&t), "NoSuchTableException");
	api_teardown(&t);
}

TEST_ON_CATALOGS(rest_transactions_commit_every_table_or_none, transactions)

TEST(rest_register_and_metrics)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	pond_table *src = fx_load(&t.fx);
	char *body = pond_arena_sprintf(t.fx.a, "{\"name\": \"again\", \"metadata-location\": \"file://%s\"}",
	                                src->metadata_location);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/register", body, NULL), 200);
	CHECK_STR(str_at(t.doc, "metadata-location"), src->metadata_location);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/register", body, NULL), 409);
	CHECK_STR(err_type(&t), "AlreadyExistsException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/nope/register", body, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/register",
	                   "{\"name\": \"x\", \"metadata-location\": \"/etc/passwd\"}", NULL),
	          400);
	CHECK(strstr(err_message(&t), "outside the warehouse") != NULL);
	pond_table_free(&src);
	t.fx.id = (pond_table_ident){POND_NS("sales"), "again"};
	CHECK_STR(fx_query(&t.fx, "count(*)", 0), "25");

	const char *report = "{\"report-type\": \"commit-report\", \"table-name\": \"sales.orders\", \"snapshot-id\": 1,"
	                     " \"sequence-number\": 1, \"operation\": \"append\", \"metrics\": {}}";
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/tables/orders/metrics", report, NULL), 204);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/tables/nope/metrics", report, NULL), 404);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/tables/orders/metrics", "{}", NULL), 400);
	api_teardown(&t);
}

/* Requests the spec answers with 400 BadRequestException: bodies that
 * are not JSON objects or lack what the operation needs, and parameters
 * out of their range. */
TEST(rest_malformed_requests_are_400)
{
	static const char *const bad[][3] = {
		{"POST", V1 "/namespaces/sales/tables/orders", "{not json"},
		{"POST", V1 "/namespaces/sales/tables/orders", "[1]"},
		{"POST", V1 "/namespaces/sales/tables/orders", "{\"updates\": [{\"action\": \"set-properties\"}]}"},
		{"POST", V1 "/transactions/commit", "{}"},
		{"POST", V1 "/transactions/commit", "{\"table-changes\": []}"},
		{"POST", V1 "/namespaces", "{\"namespace\": [\"x\"], \"owner\": \"ann\"}"},
		{"POST", V1 "/namespaces", "{\"namespace\": [\"x\"], \"properties\": {\"a\": 1}}"},
		{"POST", V1 "/namespaces", "{\"namespace\": \"x\"}"},
		{"POST", V1 "/namespaces/sales/properties", "{\"removals\": [1]}"},
		{"POST", V1 "/namespaces/sales/tables", "{\"name\": \"x\"}"},
		{"POST", V1 "/namespaces/sales/register", "{\"name\": \"x\"}"},
		{"POST", V1 "/tables/rename", "{\"source\": {\"namespace\": [\"sales\"], \"name\": \"orders\"}}"},
		{"GET", V1 "/namespaces?pageToken=abc", NULL},
		{"GET", V1 "/namespaces?pageToken=-1", NULL},
		{"GET", V1 "/namespaces?pageToken=&pageSize=0", NULL},
		{"GET", V1 "/namespaces/sales/tables?pageToken=&pageSize=x", NULL},
		{"GET", V1 "/namespaces/a%1F%1Fb", NULL},
		{"DELETE", V1 "/namespaces/sales/tables/orders?purgeRequested=maybe", NULL},
	};
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int status = send_req(&t, bad[i][0], bad[i][1], bad[i][2], NULL);
		CHECK_MSG(status == 400 && is_error_model(&t) && !strcmp(err_type(&t), "BadRequestException"),
		          "%s %s %s: %d %s", bad[i][0], bad[i][1], bad[i][2] ? bad[i][2] : "", status,
		          t.resp.body ? t.resp.body : "");
	}
	/* None of them changed anything. */
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces", NULL, NULL), 200);
	CHECK_STR(dump(&t, json_object_get(t.doc, "namespaces")), "[[\"sales\"]]");
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/sales/tables/orders", NULL, NULL), 204);
	api_teardown(&t);
}

/* Keeps the greatest *.metadata.json name of a folder (the newest: the
 * names are numbered). */
static int newest_metadata(const char *path, const char *name, const struct stat *st, void *payload)
{
	(void)st;
	pond_buf *best = payload;
	if (pond_str_ends_with(name, ".metadata.json") && (best->len == 0 || strcmp(path, pond_buf_cstr(best)) > 0)) {
		pond_buf_clear(best);
		pond_buf_puts(best, path);
	}
	return 0;
}

/* A drop without purge flushes the buffered rows into the table's files
 * and leaves them: registering the newest metadata file brings every row
 * back, also over an existing table (overwrite). */
TEST(rest_drop_without_purge_keeps_every_row_for_register)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	pond_error err = POND_ERROR_INIT;
	pond_table *src = fx_load(&t.fx);
	char *before = pond_arena_sprintf(t.fx.a, "{\"name\": \"copy\", \"metadata-location\": \"%s\"}",
	                                  src->metadata_location);
	pond_table_free(&src);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/register", before, NULL), 200);
	pond_lake *lake;
	CHECK_OK(pond_lake_open(&lake, t.project, NULL, &err), &err);
	pond_write_result r;
	CHECK_OK(pond_table_append_query(lake, &t.fx.id, "select 100 as id, 'late' as item", NULL, &r, &err), &err);
	CHECK(r.buffered);
	pond_lake_close(&lake);

	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/sales/tables/orders", NULL, NULL), 204);
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/sales/tables/orders", NULL, NULL), 404);
	pond_buf newest = POND_BUF_INIT;
	pond_dir_each(pond_arena_sprintf(t.fx.a, "%s/sales/orders/metadata", t.project->warehouse), newest_metadata,
	              &newest);
	CHECK(newest.len > 0);
	char *after = pond_arena_sprintf(t.fx.a, "{\"name\": \"orders\", \"metadata-location\": \"%s\"}",
	                                 pond_buf_cstr(&newest));
	char *over = pond_arena_sprintf(t.fx.a, "{\"name\": \"copy\", \"metadata-location\": \"%s\", \"overwrite\": true}",
	                                pond_buf_cstr(&newest));
	pond_buf_dispose(&newest);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/register", after, NULL), 200);
	CHECK_STR(fx_query(&t.fx, "count(*) || ' ' || max(id)", 0), "26 100");

	t.fx.id = (pond_table_ident){POND_NS("sales"), "copy"};
	CHECK_STR(fx_query(&t.fx, "count(*)", 0), "25");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/register", over, NULL), 200);
	CHECK_STR(fx_query(&t.fx, "count(*) || ' ' || max(id)", 0), "26 100");

	/* A file in the warehouse that is not table metadata is refused. */
	char *junk = pond_arena_sprintf(t.fx.a, "%s/junk.json", t.project->warehouse);
	CHECK_OK(pond_file_write_atomic(junk, "{}", 2, &err), &err);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/sales/register",
	                   pond_arena_sprintf(t.fx.a, "{\"name\": \"junk\", \"metadata-location\": \"%s\"}", junk), NULL),
	          400);
	CHECK_MSG(strstr(err_message(&t), "register table sales.junk") != NULL, "%s", err_message(&t));
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/sales/tables/junk", NULL, NULL), 404);
	api_teardown(&t);
}

static const char create_view[] =
	"{\"name\": \"v\", \"schema\": {\"type\": \"struct\", \"schema-id\": 7, \"fields\": "
	"[{\"id\": 1, \"name\": \"n\", \"type\": \"long\", \"required\": false}]}, "
	"\"view-version\": {\"version-id\": 1, \"timestamp-ms\": 5, \"schema-id\": 7, \"summary\": {}, "
	"\"default-namespace\": [\"web\"], \"representations\": [{\"type\": \"sql\", \"sql\": \"select 1 as n\", "
	"\"dialect\": \"spark\"}]}}";

/* The views endpoints against the catalog: rows of iceberg_type VIEW. */
static void views_endpoints(const char *catalog_url)
{
	api t;
	CHECK(api_setup_on(&t, catalog_url, NULL, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/views", create_view, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchNamespaceException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces", "{\"namespace\": [\"web\"]}", NULL), 200);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/tables", create_events, NULL), 200);
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/views", create_view, NULL), 200);
	json_t *md = json_object_get(t.doc, "metadata");
	/* the request's schema is the version's, whatever id it named */
	CHECK_INT(json_integer_value(json_object_get(json_array_get(json_object_get(md, "versions"), 0), "schema-id")),
	          json_integer_value(json_object_get(json_array_get(json_object_get(md, "schemas"), 0), "schema-id")));
	const char *loc = pond_arena_strdup(t.fx.a, str_at(t.doc, "metadata-location"));
	CHECK_MSG(pond_file_exists(loc), "%s", loc);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/views", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "identifiers")), 1);
	CHECK_STR(str_at(json_array_get(json_object_get(t.doc, "identifiers"), 0), "name"), "v");
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/tables", NULL, NULL), 200);
	CHECK_INT(json_array_size(json_object_get(t.doc, "identifiers")), 1);
	CHECK_STR(str_at(json_array_get(json_object_get(t.doc, "identifiers"), 0), "name"), "events");
	bool exists = false;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_catalog_view_exists(pond_lake_catalog(t.fx.lake), &POND_NS("web"), "v", &exists, &err), &err);
	CHECK(exists);
	CHECK_INT(send_req(&t, "GET", V1 "/namespaces/web/views/events", NULL, NULL), 404);
	CHECK_STR(err_type(&t), "NoSuchViewException");
	CHECK_INT(send_req(&t, "POST", V1 "/namespaces/web/views/v",
	                   "{\"requirements\": [{\"type\": \"assert-view-uuid\", \"uuid\": \"00000000-0000-4000-8000-000000000000\"}], "
	                   "\"updates\": []}", NULL),
	          409);
	CHECK_STR(err_type(&t), "CommitFailedException");
	CHECK_INT(send_req(&t, "DELETE", V1 "/namespaces/web/views/v", NULL, NULL), 204);
	CHECK_INT(send_req(&t, "HEAD", V1 "/namespaces/web/views/v", NULL, NULL), 404);
	api_teardown(&t);
}

TEST(rest_views_endpoints_sqlite)
{
	views_endpoints(NULL);
}

TEST(rest_views_endpoints_pg)
{
	const char *url = getenv("POND_TEST_PG_URL");
	CHECK_MSG(url != NULL, "POND_TEST_PG_URL is not set: run the suite through tests/run.sh");
	views_endpoints(url);
}
