/*
 * The REST catalog's namespaces: list (under a parent), create, load,
 * exists (HEAD), drop (409 while it holds anything) and property updates,
 * over the SQL catalog's iceberg_namespace_properties rows. The "exists"
 * row Java and pyiceberg write for a namespace without properties is how
 * the catalog stores a namespace, not a property, and is not shown.
 */
#include "server_internal.h"

#include <jansson.h>
#include <string.h>

/* The marker row of a namespace without properties (Java's and pyiceberg's). */
#define EXISTS_KEY "exists"

/* {"namespace": [..], "properties": {..}}, the answer of a create and a load. */
static int namespace_reply(srv_reply *reply, const pond_ns *ns, const pond_catalog_prop *props, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++)
		if (strcmp(props[i].key, EXISTS_KEY) != 0 && json_object_set_new(o, props[i].key, json_string(props[i].value)))
			o = (json_decref(o), NULL);
	json_t *levels = pond__rest_namespace_json(ns);
	if (!o || !levels) {
		json_decref(o);
		json_decref(levels);
		return pond__server_ok(reply, NULL);
	}
	return pond__server_ok(reply, json_pack("{s:o,s:o}", "namespace", levels, "properties", o));
}

/* GET /v1/namespaces[?parent=a%1Fb] */
int pond__rest_namespaces_list(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	int rc = pond__server_catalog(ctx, &cat);
	if (rc)
		return rc;
	pond_ns parent = {0};
	const char *given = pond_url_param(&ctx->url, "parent");
	/* spec: an empty parent is treated as absent */
	if (given && *given) {
		char *text = pond_arena_strdup(ctx->arena, given);
		if (!text)
			return pond__rest_fail(ctx, 503, NULL, "out of memory");
		if ((rc = pond__rest_split_namespace(ctx, text, "parameter parent", &parent)) != 0)
			return rc;
	}
	pond_ns *children;
	size_t n;
	if ((rc = pond_catalog_list_namespaces(cat, parent.nlevels ? &parent : NULL, ctx->arena, &children, &n, &ctx->err)))
		return pond__rest_error(ctx, rc, "NoSuchNamespaceException");
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, pond__rest_namespace_json(&children[i])) != 0)
			list = (json_decref(list), NULL);
	return pond__rest_list_reply(ctx, reply, "namespaces", list);
}

/* Reads {"key": "value", ...} (NULL or absent: none) into props. */
static int props_from_json(srv_ctx *ctx, const json_t *j, const char *what, pond_catalog_prop **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return pond__rest_fail(ctx, 400, NULL, "%s must be an object of strings", what);
	pond_catalog_prop *props = pond_arena_calloc(ctx->arena, json_object_size(j) + 1, sizeof(*props));
	if (!props)
		return pond__rest_fail(ctx, 503, NULL, "out of memory");
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)j, key, value) {
		if (!json_is_string(value))
			return pond__rest_fail(ctx, 400, NULL, "%s: property \"%.100s\" must be a string", what, key);
		props[*n].key = key;
		props[(*n)++].value = json_string_value(value);
	}
	*out = props;
	return 0;
}

/* POST /v1/namespaces {"namespace": [..], "properties": {..}} */
int pond__rest_namespace_create(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"namespace", "properties", NULL};
	json_t *body;
	pond_catalog *cat;
	pond_ns ns;
	pond_catalog_prop *props;
	size_t nprops;
	int rc;
	if ((rc = pond__server_body_object(ctx, false, &body)) || (rc = pond__server_check_keys(ctx, body, keys)) ||
	    (rc = pond__rest_namespace_from_json(ctx, json_object_get(body, "namespace"), "namespace", &ns)) ||
	    (rc = props_from_json(ctx, json_object_get(body, "properties"), "properties", &props, &nprops)))
		return ctx->err_status ? rc : pond__rest_error(ctx, rc, NULL);
	if ((rc = pond__server_catalog(ctx, &cat)) != 0)
		return rc;
	if ((rc = pond_catalog_create_namespace(cat, &ns, props, nprops, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, "NoSuchNamespaceException");
	return namespace_reply(reply, &ns, props, nprops);
}

/* GET /v1/namespaces/NS, and HEAD: 204 when it exists. */
int pond__rest_namespace_load(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	pond_ns ns;
	int rc;
	if ((rc = pond__rest_path_namespace(ctx, 3, &ns)) || (rc = pond__server_catalog(ctx, &cat)))
		return rc;
	pond_catalog_prop *props;
	size_t n;
	if ((rc = pond_catalog_load_namespace_properties(cat, &ns, ctx->arena, &props, &n, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, "NoSuchNamespaceException");
	if (!strcmp(ctx->req->method, "HEAD"))
		return pond__rest_no_content(reply);
	return namespace_reply(reply, &ns, props, n);
}

/* DELETE /v1/namespaces/NS */
int pond__rest_namespace_drop(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	pond_ns ns;
	int rc;
	if ((rc = pond__rest_path_namespace(ctx, 3, &ns)) || (rc = pond__server_catalog(ctx, &cat)))
		return rc;
	rc = pond_catalog_drop_namespace(cat, &ns, &ctx->err);
	/* The name was checked above: the catalog's only other refusal is a
	 * namespace that still holds tables or namespaces. */
	if (rc == POND_EINVAL)
		return pond__rest_fail(ctx, 409, "NamespaceNotEmptyException", "%s", ctx->err.msg);
	if (rc)
		return pond__rest_error(ctx, rc, "NoSuchNamespaceException");
	return pond__rest_no_content(reply);
}

/* Reads "removals" (an array of strings) into keys. */
static int removals_from_json(srv_ctx *ctx, const json_t *j, const char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_array(j))
		return pond__rest_fail(ctx, 400, NULL, "removals must be an array of strings");
	const char **keys = pond_arena_calloc(ctx->arena, json_array_size(j) + 1, sizeof(*keys));
	if (!keys)
		return pond__rest_fail(ctx, 503, NULL, "out of memory");
	for (size_t i = 0; i < json_array_size(j); i++)
		if (!(keys[(*n)++] = json_string_value(json_array_get(j, i))))
			return pond__rest_fail(ctx, 400, NULL, "removals must be an array of strings");
	*out = keys;
	return 0;
}

static bool has_prop(const pond_catalog_prop *props, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(props[i].key, key))
			return true;
	return false;
}

/* POST /v1/namespaces/NS/properties {"removals": [..], "updates": {..}} */
int pond__rest_namespace_properties(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"removals", "updates", NULL};
	json_t *body;
	pond_catalog *cat;
	pond_ns ns;
	pond_catalog_prop *updates, *before;
	const char **removals;
	size_t nupdates, nremovals, nbefore;
	int rc;
	if ((rc = pond__rest_path_namespace(ctx, 3, &ns)))
		return rc;
	if ((rc = pond__server_body_object(ctx, false, &body)) || (rc = pond__server_check_keys(ctx, body, keys)) ||
	    (rc = props_from_json(ctx, json_object_get(body, "updates"), "updates", &updates, &nupdates)) ||
	    (rc = removals_from_json(ctx, json_object_get(body, "removals"), &removals, &nremovals)))
		return ctx->err_status ? rc : pond__rest_error(ctx, rc, NULL);
	for (size_t i = 0; i < nremovals; i++)
		if (has_prop(updates, nupdates, removals[i]))
			return pond__rest_fail(ctx, 422, "UnprocessableEntityException",
			                       "property \"%.100s\" is both removed and updated", removals[i]);
	if ((rc = pond__server_catalog(ctx, &cat)) ||
	    (rc = pond_catalog_load_namespace_properties(cat, &ns, ctx->arena, &before, &nbefore, &ctx->err)) ||
	    (rc = pond_catalog_update_namespace_properties(cat, &ns, removals, nremovals, updates, nupdates, &ctx->err)))
		return ctx->err_status ? rc : pond__rest_error(ctx, rc, "NoSuchNamespaceException");
	json_t *updated = json_array(), *removed = json_array(), *missing = json_array();
	for (size_t i = 0; i < nupdates; i++)
		json_array_append_new(updated, json_string(updates[i].key));
	for (size_t i = 0; i < nremovals; i++)
		json_array_append_new(has_prop(before, nbefore, removals[i]) ? removed : missing, json_string(removals[i]));
	return pond__server_ok(reply, updated && removed && missing
		? json_pack("{s:o,s:o,s:o}", "updated", updated, "removed", removed, "missing", missing)
		: (json_decref(updated), json_decref(removed), json_decref(missing), NULL));
}
