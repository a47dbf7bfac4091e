/*
 * What the web page needs beside the API's other endpoints: the lineage
 * graph with each model's last build status and failing tests, and the
 * saved queries (with their chart settings) the SQL page stores and the
 * home page shows pinned. Saved queries live in the catalog database
 * (pond_web_queries, the "web" schema of pond's state).
 */
#include "server_internal.h"

#include <jansson.h>
#include <string.h>

#include "pond/transform.h"

/* ---- lineage ---- */

typedef struct model_state {
	json_t *by_model;  /* name -> {"status", "finished_ms", "failed_tests"} */
} model_state;

static int model_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	model_state *st = payload;
	json_t *m = json_pack("{s:s,s:s?,s:s?}", "status", v[1] ? v[1] : "unknown", "message", v[2], "run_id", v[4]);
	if (m && v[3])
		json_object_set_new(m, "finished_ms", json_integer(strtoll(v[3], NULL, 10)));
	if (m)
		json_object_set_new(st->by_model, v[0], m);
	return 0;
}

static int test_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	model_state *st = payload;
	json_t *m = json_object_get(st->by_model, v[0]);
	if (m)
		json_object_set_new(m, "failed_tests", json_integer(strtoll(v[1], NULL, 10)));
	return 0;
}

/* Each model's newest build and the error-level tests that failed in it.
 * A project that never ran a transform has no state tables: nothing. */
static int load_model_state(srv_ctx *ctx, pond_catalog *cat, model_state *st)
{
	bool has = false;
	int rc = pond_catalog_has_table(cat, "pond_model_runs", &has, &ctx->err);
	if (rc || !has)
		return rc;
	const char *params[] = {pond_catalog_name(cat)};
	rc = pond_catalog_query(cat,
	                        "SELECT r.model, r.status, r.message, r.finished_at, r.run_id FROM pond_model_runs r "
	                        "WHERE r.catalog_name = ? AND r.started_at = (SELECT MAX(x.started_at) FROM "
	                        "pond_model_runs x WHERE x.catalog_name = r.catalog_name AND x.model = r.model)",
	                        params, 1, model_row, st, &ctx->err);
	if (rc || (rc = pond_catalog_has_table(cat, "pond_test_results", &has, &ctx->err)) != 0 || !has)
		return rc;
	return pond_catalog_query(cat,
	                          "SELECT t.model, COUNT(*) FROM pond_test_results t JOIN pond_model_runs r "
	                          "ON r.run_id = t.run_id AND r.catalog_name = t.catalog_name AND r.model = t.model "
	                          "WHERE t.catalog_name = ? AND t.severity = 'error' AND t.status <> 'pass' AND "
	                          "r.started_at = (SELECT MAX(x.started_at) FROM pond_model_runs x WHERE "
	                          "x.catalog_name = r.catalog_name AND x.model = r.model) GROUP BY t.model",
	                          params, 1, test_row, st, &ctx->err);
}

/* GET /api/lineage: {"nodes": [...], "edges": [...]} as pond lineage
 * --format json, each model with "state" (its newest build). */
int pond__server_lineage(srv_ctx *ctx, srv_reply *reply)
{
	pond_lake *lake;
	pond_catalog *cat;
	pond_transform_graph *g = NULL;
	int rc;
	if ((rc = pond__server_sql_lake(ctx, &lake)) != 0 || (rc = pond__server_catalog(ctx, &cat)) != 0 ||
	    (rc = pond_transform_graph_load(&g, lake, &ctx->err)) != 0)
		return rc;
	pond_buf text = POND_BUF_INIT;
	rc = pond_transform_lineage(&text, g, NULL, POND_LINEAGE_JSON, &ctx->err);
	pond_transform_graph_free(&g);
	json_t *doc = NULL;
	if (rc == 0)
		rc = pond_json_parse(&doc, text.ptr, text.len, "lineage", &ctx->err);
	pond_buf_dispose(&text);
	model_state st = {json_object()};
	if (rc == 0 && (rc = load_model_state(ctx, cat, &st)) == 0) {
		size_t i;
		json_t *node;
		json_array_foreach(json_object_get(doc, "nodes"), i, node) {
			json_t *s = json_object_get(st.by_model, json_string_value(json_object_get(node, "name")));
			if (s)
				json_object_set(node, "state", s);
		}
	}
	json_decref(st.by_model);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	return pond__server_ok(reply, doc);
}

/* ---- saved queries ---- */

static const char *const web_create_sql[] = {
	"CREATE TABLE IF NOT EXISTS pond_web_queries ("
	"id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, sql_text TEXT NOT NULL, chart TEXT, "
	"pinned INTEGER NOT NULL, created_ms BIGINT NOT NULL)",
};

static const pond_catalog_migration web_migrations[] = {
	{web_create_sql, sizeof(web_create_sql) / sizeof(web_create_sql[0])},
};

static const pond_catalog_schema web_schema = {"web", web_migrations,
                                               sizeof(web_migrations) / sizeof(web_migrations[0])};

static int web_catalog(srv_ctx *ctx, pond_catalog **cat)
{
	int rc = pond__server_catalog(ctx, cat);
	return rc ? rc : pond_catalog_migrate(*cat, &web_schema, &ctx->err);
}

static int query_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	json_t *chart = NULL;
	if (v[3])
		chart = json_loads(v[3], 0, NULL);
	json_t *q = json_pack("{s:I,s:s,s:s,s:o,s:b,s:I}", "id", (json_int_t)strtoll(v[0], NULL, 10), "name", v[1], "sql",
	                      v[2], "chart", chart ? chart : json_null(), "pinned", v[4] && strcmp(v[4], "0") != 0,
	                      "created_ms", (json_int_t)strtoll(v[5], NULL, 10));
	return json_array_append_new(payload, q) == 0 ? 0 : POND_ENOMEM;
}

/* GET /api/queries */
int pond__server_queries_list(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	int rc = web_catalog(ctx, &cat);
	json_t *items = json_array();
	if (rc == 0 && (rc = pond_catalog_query(cat,
	                                        "SELECT id, name, sql_text, chart, pinned, created_ms FROM "
	                                        "pond_web_queries ORDER BY id",
	                                        NULL, 0, query_row, items, &ctx->err)) == 0)
		return pond__server_ok(reply, json_pack("{s:o}", "queries", items));
	json_decref(items);
	return rc;
}

static int max_id_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	*(int64_t *)payload = v[0] ? strtoll(v[0], NULL, 10) : 0;
	return 0;
}

/* Checks a saved query's body: {"name", "sql", "chart"?, "pinned"?}. */
static int query_body(srv_ctx *ctx, const char **name, const char **sql, char **chart, bool *pinned)
{
	static const char *const keys[] = {"name", "sql", "chart", "pinned", NULL};
	json_t *body;
	int rc;
	if ((rc = pond__server_body_object(ctx, false, &body)) != 0 || (rc = pond__server_check_keys(ctx, body, keys)) != 0)
		return rc;
	*name = json_string_value(json_object_get(body, "name"));
	*sql = json_string_value(json_object_get(body, "sql"));
	if (!*name || !(*name)[0] || strlen(*name) > 255)
		return pond__server_fail(ctx, 400, "\"name\" must be a string of 1 to 255 characters");
	if (!*sql || !(*sql)[0])
		return pond__server_fail(ctx, 400, "\"sql\" must be a non-empty string");
	json_t *c = json_object_get(body, "chart");
	if (c && !json_is_null(c) && !json_is_object(c))
		return pond__server_fail(ctx, 400, "\"chart\" must be an object or null");
	*chart = c && json_is_object(c) ? pond_json_dumps(c, false) : NULL;
	json_t *p = json_object_get(body, "pinned");
	if (p && !json_is_boolean(p)) {
		pond_free(*chart);
		return pond__server_fail(ctx, 400, "\"pinned\" must be true or false");
	}
	*pinned = p && json_is_true(p);
	return 0;
}

/* POST /api/queries {"name", "sql", "chart", "pinned"}: saves a query. */
int pond__server_query_save(srv_ctx *ctx, srv_reply *reply)
{
	const char *name, *sql;
	char *chart = NULL;
	bool pinned = false;
	pond_catalog *cat;
	int64_t id = 0;
	int rc = query_body(ctx, &name, &sql, &chart, &pinned);
	if (rc)
		return rc;
	if ((rc = web_catalog(ctx, &cat)) == 0 && (rc = pond_catalog_tx_begin(cat, &ctx->err)) == 0) {
		rc = pond_catalog_query(cat, "SELECT MAX(id) FROM pond_web_queries", NULL, 0, max_id_row, &id, &ctx->err);
		char idtext[24], created[24];
		snprintf(idtext, sizeof(idtext), "%lld", (long long)(id + 1));
		snprintf(created, sizeof(created), "%lld", (long long)pond_time_now_ms());
		const char *params[] = {idtext, name, sql, chart, pinned ? "1" : "0", created};
		if (rc == 0)
			rc = pond_catalog_exec(cat,
			                       "INSERT INTO pond_web_queries (id, name, sql_text, chart, pinned, created_ms) "
			                       "VALUES (CAST(? AS BIGINT), ?, ?, ?, CAST(? AS INTEGER), CAST(? AS BIGINT))",
			                       params, 6, NULL, &ctx->err);
		rc = rc ? rc : pond_catalog_tx_commit(cat, &ctx->err);
	}
	pond_free(chart);
	if (rc)
		return rc;
	rc = pond__server_ok(reply, json_pack("{s:I}", "id", (json_int_t)(id + 1)));
	reply->status = 201;
	return rc;
}

/* DELETE /api/queries/ID */
int pond__server_query_delete(srv_ctx *ctx, srv_reply *reply)
{
	int64_t id;
	pond_catalog *cat;
	long changes = 0;
	if (!pond_str_to_i64(ctx->url.segments[2], &id) || id <= 0)
		return pond__server_fail(ctx, 400, "invalid query id \"%.40s\"", ctx->url.segments[2]);
	const char *params[] = {ctx->url.segments[2]};
	int rc = web_catalog(ctx, &cat);
	if (rc || (rc = pond_catalog_exec(cat, "DELETE FROM pond_web_queries WHERE id = CAST(? AS BIGINT)", params, 1,
	                                  &changes, &ctx->err)) != 0)
		return rc;
	if (changes == 0)
		return pond__server_fail(ctx, 404, "no saved query %lld", (long long)id);
	reply->status = 204;
	return 0;
}
