/*
 * The REST catalog's views (ListTablesResponse, CreateViewRequest,
 * LoadViewResult, CommitViewRequest): list, create, load (and HEAD),
 * replace, drop and rename. A view is a view metadata file and a catalog
 * row of iceberg_type 'VIEW' (the table layer's iceberg_views.c), the same
 * views `pond transform` publishes for `materialized: view` models, so a
 * REST client lists those and pond lists what a client creates. Tables and
 * views share one name space: a name a table holds is 409 here.
 */
#include "server_internal.h"

#include <jansson.h>
#include <string.h>

#define NO_SUCH_VIEW "NoSuchViewException"

static int view_result(srv_ctx *ctx, srv_reply *reply, const pond_iceberg_view *view, const char *location)
{
	json_t *meta = json_deep_copy(pond_iceberg_view_json(view));
	json_t *doc = meta ? json_pack("{s:s,s:o,s:{}}", "metadata-location", location, "metadata", meta, "config") : NULL;
	return doc ? pond__server_ok(reply, doc) : pond__rest_fail(ctx, 503, NULL, "out of memory");
}

static int view_must_exist(srv_ctx *ctx, pond_catalog *cat, const pond_table_ident *id)
{
	bool exists = false;
	int rc = pond_catalog_view_exists(cat, &id->ns, id->name, &exists, &ctx->err);
	if (rc)
		return pond__rest_error(ctx, rc, NULL);
	if (!exists)
		return pond__rest_fail(ctx, 404, NO_SUCH_VIEW, "view %s does not exist", pond_table_ident_format(ctx->arena, id));
	return 0;
}

/* GET /v1/namespaces/NS/views */
int pond__rest_views_list(srv_ctx *ctx, srv_reply *reply)
{
	return pond__rest_names_list(ctx, reply, pond_catalog_list_views);
}

/* GET and HEAD /v1/namespaces/NS/views/V */
int pond__rest_view_load(srv_ctx *ctx, srv_reply *reply)
{
	pond_table_ident id;
	pond_lake *lake;
	int rc;
	if ((rc = pond__rest_path_table(ctx, &id)) || (rc = pond__rest_lake(ctx, &lake)) ||
	    (rc = view_must_exist(ctx, pond_lake_catalog(lake), &id)))
		return rc;
	if (!strcmp(ctx->req->method, "HEAD"))
		return pond__rest_no_content(reply);
	pond_iceberg_view *view = NULL;
	const char *location;
	if ((rc = pond_view_iceberg_load(lake, &id, ctx->arena, &view, &location, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, NO_SUCH_VIEW);
	rc = view_result(ctx, reply, view, location);
	pond_iceberg_view_free(&view);
	return rc;
}

/* The updates that make a CreateViewRequest's view: Java's server takes
 * the request's schema as the version's, whatever schema-id it names. */
static int create_updates(srv_ctx *ctx, const json_t *body, const char *location, json_t **out)
{
	const json_t *schema = json_object_get(body, "schema"), *version = json_object_get(body, "view-version");
	const json_t *props = json_object_get(body, "properties");
	if (!json_is_object(schema) || !json_is_object(version))
		return pond__rest_fail(ctx, 400, NULL, "create view: schema and view-version are required objects");
	if (props && !json_is_null(props) && !json_is_object(props))
		return pond__rest_fail(ctx, 400, NULL, "create view: properties must be an object of strings");
	json_t *v = json_deep_copy(version);
	if (v)
		json_object_set_new(v, "schema-id", json_integer(-1));
	*out = v ? json_pack("[{s:s,s:s},{s:s,s:O},{s:s,s:o},{s:s,s:i}]", "action", "set-location", "location", location,
	                     "action", "add-schema", "schema", schema, "action", "add-view-version", "view-version", v,
	                     "action", "set-current-view-version", "view-version-id", -1)
	         : NULL;
	if (*out && json_is_object(props) &&
	    json_array_append_new(*out, json_pack("{s:s,s:O}", "action", "set-properties", "updates", props)) != 0)
		json_decref(*out), *out = NULL;
	return *out ? 0 : pond__rest_fail(ctx, 503, NULL, "out of memory");
}

/* Commits updates to the view id (create: a new one) and answers with
 * the LoadViewResult. */
static int commit_and_reply(srv_ctx *ctx, srv_reply *reply, pond_lake *lake, const pond_table_ident *id, bool create,
                            const json_t *requirements, const json_t *updates)
{
	pond_iceberg_view *view = NULL;
	const char *location;
	int rc = pond_view_iceberg_commit(lake, id, create, requirements, updates, ctx->arena, &view, &location, &ctx->err);
	if (rc)
		return pond__rest_error(ctx, rc, NO_SUCH_VIEW);
	rc = view_result(ctx, reply, view, location);
	pond_iceberg_view_free(&view);
	return rc;
}

/* POST /v1/namespaces/NS/views */
int pond__rest_view_create(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"name", "location", "schema", "view-version", "properties", NULL};
	json_t *body, *updates = NULL;
	pond_table_ident id;
	pond_lake *lake;
	const char *location;
	int rc = pond__rest_create_request(ctx, keys, "create view", &id, &body, &lake, &location);
	if (rc)
		return rc;
	if ((rc = create_updates(ctx, body, location, &updates)) != 0)
		return rc;
	rc = commit_and_reply(ctx, reply, lake, &id, true, NULL, updates);
	json_decref(updates);
	return rc;
}

/* POST /v1/namespaces/NS/views/V: a CommitViewRequest */
int pond__rest_view_replace(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"identifier", "requirements", "updates", NULL};
	json_t *body;
	pond_table_ident id;
	pond_lake *lake;
	int rc;
	if ((rc = pond__rest_path_table(ctx, &id)) || (rc = pond__server_body_object(ctx, false, &body)) ||
	    (rc = pond__server_check_keys(ctx, body, keys)) || (rc = pond__rest_lake(ctx, &lake)) ||
	    (rc = view_must_exist(ctx, pond_lake_catalog(lake), &id)))
		return rc;
	const json_t *updates = json_object_get(body, "updates");
	if (!json_is_array(updates))
		return pond__rest_fail(ctx, 400, NULL, "replace view: updates must be an array");
	for (size_t i = 0; i < json_array_size(updates); i++) {
		const json_t *u = json_array_get(updates, i);
		const char *action = json_string_value(json_object_get(u, "action"));
		const char *where = json_string_value(json_object_get(u, "location"));
		if (action && !strcmp(action, "set-location") && where &&
		    (rc = pond__rest_check_location(ctx, where, "location", NULL)) != 0)
			return rc;
	}
	return commit_and_reply(ctx, reply, lake, &id, false, json_object_get(body, "requirements"), updates);
}

/* DELETE /v1/namespaces/NS/views/V: the row goes, the files stay (as
 * Java's catalogs drop a view) */
int pond__rest_view_drop(srv_ctx *ctx, srv_reply *reply)
{
	pond_table_ident id;
	pond_lake *lake;
	int rc;
	if ((rc = pond__rest_path_table(ctx, &id)) || (rc = pond__rest_lake(ctx, &lake)))
		return rc;
	if ((rc = pond_view_iceberg_drop(lake, &id, false, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, NO_SUCH_VIEW);
	return pond__rest_no_content(reply);
}

/* POST /v1/views/rename */
int pond__rest_view_rename(srv_ctx *ctx, srv_reply *reply)
{
	pond_table_ident from, to;
	pond_lake *lake;
	int rc;
	if ((rc = pond__rest_rename_request(ctx, &from, &to, &lake)) || (rc = view_must_exist(ctx, pond_lake_catalog(lake), &from)) ||
	    (rc = pond__rest_namespace_must_exist(ctx, pond_lake_catalog(lake), &to.ns)))
		return rc;
	if ((rc = pond_view_iceberg_rename(lake, &from, &to, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, NO_SUCH_VIEW);
	return pond__rest_no_content(reply);
}
