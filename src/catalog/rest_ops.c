/*
 * Namespaces, tables and views in an Iceberg REST catalog: the catalog
 * layer's public functions (namespace.c, table.c) come here when the
 * catalog is a REST one, and the REST-only creates and commits live here. Requests and
 * errors are rest_client.c's; names go into paths percent-encoded, a
 * namespace's levels joined by the unit separator, as the spec says.
 */
#include "catalog/catalog_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* "namespaces/NS" + tail, in b. */
static void ns_path(pond_buf *b, const pond_ns *ns, const char *tail)
{
	pond_buf_puts(b, "namespaces/");
	pond__catalog_rest_ns_segment(b, ns);
	pond_buf_puts(b, tail);
}

/* "namespaces/NS/KIND/NAME" + tail, in b; kind "tables" or "views". */
static void entry_path(pond_buf *b, const char *kind, const pond_ns *ns, const char *name, const char *tail)
{
	ns_path(b, ns, "/");
	pond_buf_puts(b, kind);
	pond_buf_putc(b, '/');
	pond__catalog_rest_segment(b, name);
	pond_buf_puts(b, tail);
}

static void table_path(pond_buf *b, const pond_ns *ns, const char *name, const char *tail)
{
	entry_path(b, "tables", ns, name, tail);
}

/* Calls with the path in b, then disposes of b. */
static int call(pond_catalog *cat, const char *method, pond_buf *path, const json_t *body, json_t **out,
                pond_error *err)
{
	int rc = pond_buf_ok(path) ? pond__catalog_rest_call(cat->rest, method, pond_buf_cstr(path), body, out, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(path);
	return rc;
}

static json_t *ns_json(const pond_ns *ns)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < ns->nlevels; i++)
		json_array_append_new(a, json_string(ns->levels[i]));
	return a;
}

static int ns_from_json(pond_ns *out, const json_t *levels, pond_arena *arena, pond_error *err)
{
	if (!json_is_array(levels) || json_array_size(levels) > POND_NS_MAX_LEVELS)
		return pond_error_set(err, POND_ECORRUPT, "REST catalog: a namespace is not a list of at most %d levels",
		                      POND_NS_MAX_LEVELS);
	out->nlevels = json_array_size(levels);
	for (size_t i = 0; i < out->nlevels; i++) {
		const char *level = json_string_value(json_array_get(levels, i));
		if (!level || !(out->levels[i] = pond_arena_strdup(arena, level)))
			return pond_error_set(err, level ? POND_ENOMEM : POND_ECORRUPT, "REST catalog: bad namespace level");
	}
	return 0;
}

/* HEAD: whether path exists (404: no). */
static int exists(pond_catalog *cat, pond_buf *path, bool *out, pond_error *err)
{
	int rc = call(cat, "HEAD", path, NULL, NULL, err);
	*out = rc == 0;
	if (rc == POND_ENOTFOUND) {
		pond_error_clear(err);
		rc = 0;
	}
	return rc;
}

int pond__catalog_rest_namespace_exists(pond_catalog *cat, const pond_ns *ns, bool *out, pond_error *err)
{
	if (ns->nlevels == 0) {
		*out = true;
		return 0;
	}
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "");
	return exists(cat, &b, out, err);
}

int pond__catalog_rest_create_namespace(pond_catalog *cat, const pond_ns *ns, const pond_catalog_prop *props,
                                        size_t nprops, pond_error *err)
{
	json_t *p = json_object();
	for (size_t i = 0; p && i < nprops; i++)
		json_object_set_new(p, props[i].key, json_string(props[i].value));
	json_t *body = json_pack("{s:o,s:o}", "namespace", ns_json(ns), "properties", p);
	pond_buf b = POND_BUF_INIT;
	pond_buf_puts(&b, "namespaces");
	int rc = body ? call(cat, "POST", &b, body, NULL, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	json_decref(body);
	return rc;
}

/* Appends a page's items (key) to all, and says whether another page
 * follows (its token in *token, arena-owned). */
static int next_page(json_t *all, json_t *page, const char *key, pond_arena *arena, const char **token,
                     pond_error *err)
{
	json_t *items = json_object_get(page, key);
	if (!json_is_array(items))
		return pond_error_set(err, POND_ECORRUPT, "REST catalog: the response has no \"%s\" list", key);
	if (json_array_extend(all, items) != 0)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *next = json_string_value(json_object_get(page, "next-page-token"));
	*token = next && *next ? pond_arena_strdup(arena, next) : NULL;
	return 0;
}

/* Every item of a paged list at path (a query string may follow). */
static int list_all(pond_catalog *cat, const char *path, const char *key, pond_arena *arena, json_t **out,
                    pond_error *err)
{
	json_t *all = json_array();
	const char *token = NULL;
	int rc = all ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	do {
		pond_buf b = POND_BUF_INIT;
		pond_buf_puts(&b, path);
		if (token) {
			pond_buf_puts(&b, strchr(path, '?') ? "&pageToken=" : "?pageToken=");
			pond__catalog_rest_segment(&b, token);
		}
		json_t *page = NULL;
		if (rc == 0 && (rc = call(cat, "GET", &b, NULL, &page, err)) == 0)
			rc = next_page(all, page, key, arena, &token, err);
		pond_buf_dispose(&b);
		json_decref(page);
	} while (rc == 0 && token);
	if (rc)
		json_decref(all);
	else
		*out = all;
	return rc;
}

int pond__catalog_rest_list_namespaces(pond_catalog *cat, const pond_ns *parent, pond_arena *arena, pond_ns **out,
                                       size_t *count, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	pond_buf_puts(&b, "namespaces");
	if (parent && parent->nlevels) {
		pond_buf_puts(&b, "?parent=");
		pond__catalog_rest_ns_segment(&b, parent);
	}
	json_t *all = NULL;
	int rc = pond_buf_ok(&b) ? list_all(cat, pond_buf_cstr(&b), "namespaces", arena, &all, err)
	                         : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	size_t n = rc == 0 ? json_array_size(all) : 0;
	pond_ns *list = rc == 0 ? pond_arena_calloc(arena, n + 1, sizeof(*list)) : NULL;
	if (rc == 0 && !list)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = ns_from_json(&list[i], json_array_get(all, i), arena, err);
	json_decref(all);
	if (rc)
		return rc;
	qsort(list, n, sizeof(*list), pond__catalog_ns_compare);
	*out = list;
	*count = n;
	return 0;
}

static int compare_prop(const void *a, const void *b)
{
	return strcmp(((const pond_catalog_prop *)a)->key, ((const pond_catalog_prop *)b)->key);
}

int pond__catalog_rest_load_namespace_properties(pond_catalog *cat, const pond_ns *ns, pond_arena *arena,
                                                 pond_catalog_prop **out, size_t *count, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "");
	json_t *doc = NULL;
	int rc = call(cat, "GET", &b, NULL, &doc, err);
	json_t *props = json_object_get(doc, "properties");
	size_t n = json_object_size(props), i = 0;
	pond_catalog_prop *list = rc == 0 ? pond_arena_calloc(arena, n + 1, sizeof(*list)) : NULL;
	if (rc == 0 && !list)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *key;
	json_t *value;
	json_object_foreach(props, key, value) {
		if (rc || !json_is_string(value))
			continue;
		list[i].key = pond_arena_strdup(arena, key);
		list[i].value = pond_arena_strdup(arena, json_string_value(value));
		if (!list[i].key || !list[i].value)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		i++;
	}
	json_decref(doc);
	if (rc)
		return rc;
	qsort(list, i, sizeof(*list), compare_prop);
	*out = list;
	*count = i;
	return 0;
}

int pond__catalog_rest_update_namespace_properties(pond_catalog *cat, const pond_ns *ns,
                                                   const char *const *removals, size_t nremovals,
                                                   const pond_catalog_prop *updates, size_t nupdates,
                                                   pond_error *err)
{
	json_t *rm = json_array(), *up = json_object();
	for (size_t i = 0; rm && i < nremovals; i++)
		json_array_append_new(rm, json_string(removals[i]));
	for (size_t i = 0; up && i < nupdates; i++)
		json_object_set_new(up, updates[i].key, json_string(updates[i].value));
	json_t *body = json_pack("{s:o,s:o}", "removals", rm, "updates", up);
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "/properties");
	int rc = body ? call(cat, "POST", &b, body, NULL, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	json_decref(body);
	return rc;
}

int pond__catalog_rest_drop_namespace(pond_catalog *cat, const pond_ns *ns, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "");
	int rc = call(cat, "DELETE", &b, NULL, NULL, err);
	/* 409 NamespaceNotEmptyException: the SQL catalog's "not empty" */
	if (rc == POND_ECONFLICT)
		rc = err->code = POND_EINVAL;
	return rc;
}

int pond__catalog_rest_register_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                                      const char *metadata_location, pond_error *err)
{
	json_t *body = json_pack("{s:s,s:s}", "name", name, "metadata-location", metadata_location);
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "/register");
	int rc = body ? call(cat, "POST", &b, body, NULL, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	json_decref(body);
	return rc;
}

/* A LoadTableResult or LoadViewResult into out: the location and the
 * metadata as text. */
static int load_result(const json_t *doc, pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	memset(out, 0, sizeof *out);
	const char *location = json_string_value(json_object_get(doc, "metadata-location"));
	json_t *md = json_object_get(doc, "metadata");
	if (!json_is_object(md))
		return pond_error_set(err, POND_ECORRUPT, "REST catalog: the response has no metadata");
	char *text = json_dumps(md, JSON_COMPACT);
	out->metadata_json = text ? pond_arena_strdup(arena, text) : NULL;
	free(text);
	out->metadata_location = location ? pond_arena_strdup(arena, location) : NULL;
	if (!out->metadata_json || (location && !out->metadata_location))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return 0;
}

/* Calls (as call does) a request answered by a LoadTableResult or a
 * LoadViewResult, read into out. */
static int call_for_result(pond_catalog *cat, const char *method, pond_buf *path, const json_t *body,
                           pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	json_t *doc = NULL;
	int rc = call(cat, method, path, body, &doc, err);
	if (rc == 0)
		rc = load_result(doc, arena, out, err);
	json_decref(doc);
	return rc;
}

/* HEAD namespaces/NS/KIND/NAME. */
static int entry_exists(pond_catalog *cat, const char *kind, const pond_ns *ns, const char *name, bool *out,
                        pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	entry_path(&b, kind, ns, name, "");
	return exists(cat, &b, out, err);
}

int pond__catalog_rest_load_table(pond_catalog *cat, const pond_ns *ns, const char *name, pond_arena *arena,
                                  pond_catalog_table *out, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	table_path(&b, ns, name, "?snapshots=all");
	return call_for_result(cat, "GET", &b, NULL, arena, out, err);
}

int pond__catalog_rest_table_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                                    pond_error *err)
{
	return entry_exists(cat, "tables", ns, name, out, err);
}

static int compare_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted names of a namespace's tables or views (kind). */
static int list_names(pond_catalog *cat, const pond_ns *ns, const char *kind, pond_arena *arena, const char ***out,
                      size_t *count, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "/");
	pond_buf_puts(&b, kind);
	json_t *all = NULL;
	int rc = pond_buf_ok(&b) ? list_all(cat, pond_buf_cstr(&b), "identifiers", arena, &all, err)
	                         : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	size_t n = rc == 0 ? json_array_size(all) : 0;
	const char **names = rc == 0 ? pond_arena_calloc(arena, n + 1, sizeof(*names)) : NULL;
	if (rc == 0 && !names)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *name = json_string_value(json_object_get(json_array_get(all, i), "name"));
		if (!name || !(names[i] = pond_arena_strdup(arena, name)))
			rc = pond_error_set(err, name ? POND_ENOMEM : POND_ECORRUPT, "REST catalog: an identifier has no name");
	}
	json_decref(all);
	if (rc)
		return rc;
	qsort(names, n, sizeof(*names), compare_str);
	*out = names;
	*count = n;
	return 0;
}

int pond__catalog_rest_list_tables(pond_catalog *cat, const pond_ns *ns, pond_arena *arena, const char ***out,
                                   size_t *count, pond_error *err)
{
	return list_names(cat, ns, "tables", arena, out, count, err);
}

int pond__catalog_rest_drop_table(pond_catalog *cat, const pond_ns *ns, const char *name, bool purge,
                                  pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	table_path(&b, ns, name, purge ? "?purgeRequested=true" : "?purgeRequested=false");
	return call(cat, "DELETE", &b, NULL, NULL, err);
}

static json_t *identifier(const pond_ns *ns, const char *name)
{
	return json_pack("{s:o,s:s}", "namespace", ns_json(ns), "name", name);
}

/* POST KIND/rename ("tables" or "views"). */
static int rename_entry(pond_catalog *cat, const char *kind, const pond_ns *from_ns, const char *from_name,
                        const pond_ns *to_ns, const char *to_name, pond_error *err)
{
	json_t *body = json_pack("{s:o,s:o}", "source", identifier(from_ns, from_name), "destination",
	                         identifier(to_ns, to_name));
	pond_buf b = POND_BUF_INIT;
	pond_buf_puts(&b, kind);
	pond_buf_puts(&b, "/rename");
	int rc = body ? call(cat, "POST", &b, body, NULL, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	json_decref(body);
	return rc;
}

int pond__catalog_rest_rename_table(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                                    const pond_ns *to_ns, const char *to_name, pond_error *err)
{
	return rename_entry(cat, "tables", from_ns, from_name, to_ns, to_name, err);
}

/* A CreateTableRequest from md's current schema, default spec and order. */
static json_t *create_request(const char *name, const pond_iceberg_metadata *md, bool stage)
{
	json_t *props = json_object();
	for (size_t i = 0; props && i < md->nproperties; i++)
		json_object_set_new(props, md->properties[i].key, json_string(md->properties[i].value));
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_default_spec(md);
	const pond_iceberg_sort_order *order = pond_iceberg_metadata_sort_order(md, md->default_sort_order_id);
	json_t *body = json_pack("{s:s,s:o,s:o,s:b}", "name", name, "schema",
	                         pond_iceberg_schema_to_json(pond_iceberg_metadata_current_schema(md)), "properties", props,
	                         "stage-create", stage);
	if (body && spec)
		json_object_set_new(body, "partition-spec", pond_iceberg_partition_spec_to_json(spec));
	if (body && order)
		json_object_set_new(body, "write-order", pond_iceberg_sort_order_to_json(order));
	return body;
}

int pond__catalog_rest_create_table_from(pond_catalog *cat, const pond_ns *ns, const char *name,
                                         const pond_iceberg_metadata *md, bool stage, pond_arena *arena,
                                         pond_catalog_table *out, pond_error *err)
{
	json_t *body = create_request(name, md, stage);
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "/tables");
	int rc = body ? call_for_result(cat, "POST", &b, body, arena, out, err)
	              : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	json_decref(body);
	return rc;
}

/* A CommitTableRequest, with its identifier when with_id. */
static json_t *commit_request(const pond_catalog_commit *c, bool with_id)
{
	json_t *doc = pond_iceberg_commit_to_json(c->commit);
	if (doc && with_id && json_object_set_new(doc, "identifier", identifier(c->ns, c->name)) != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int pond__catalog_rest_commit_tables(pond_catalog *cat, const pond_catalog_commit *commits, size_t n,
                                     pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	if (out)
		memset(out, 0, n * sizeof(*out));
	if (n > 1 && !pond__catalog_rest_has_transactions(cat->rest))
		return pond_error_set(err, POND_EUNSUPPORTED, "the REST catalog %s does not offer multi-table commits "
		                      "(POST /v1/transactions/commit)", pond__catalog_rest_uri(cat->rest));
	json_t *body = NULL, *doc = NULL;
	pond_buf b = POND_BUF_INIT;
	if (n == 1) {
		body = commit_request(&commits[0], true);
		table_path(&b, commits[0].ns, commits[0].name, "");
	} else {
		json_t *changes = json_array();
		for (size_t i = 0; changes && i < n; i++)
			if (json_array_append_new(changes, commit_request(&commits[i], true)) != 0) {
				json_decref(changes);
				changes = NULL;
			}
		body = changes ? json_pack("{s:o}", "table-changes", changes) : NULL;
		pond_buf_puts(&b, "transactions/commit");
	}
	int rc = body ? call(cat, "POST", &b, body, &doc, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	if (rc == 0 && n == 1 && out && doc)
		rc = load_result(doc, arena, &out[0], err);
	json_decref(body);
	json_decref(doc);
	return rc;
}

/* ---- views ---- */

static void view_path(pond_buf *b, const pond_ns *ns, const char *name, const char *tail)
{
	entry_path(b, "views", ns, name, tail);
}

int pond__catalog_rest_load_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_arena *arena,
                                 pond_catalog_table *out, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	view_path(&b, ns, name, "");
	return call_for_result(cat, "GET", &b, NULL, arena, out, err);
}

int pond__catalog_rest_view_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                                   pond_error *err)
{
	return entry_exists(cat, "views", ns, name, out, err);
}

int pond__catalog_rest_list_views(pond_catalog *cat, const pond_ns *ns, pond_arena *arena, const char ***out,
                                  size_t *count, pond_error *err)
{
	return list_names(cat, ns, "views", arena, out, count, err);
}

int pond__catalog_rest_drop_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err)
{
	pond_buf b = POND_BUF_INIT;
	view_path(&b, ns, name, "");
	return call(cat, "DELETE", &b, NULL, NULL, err);
}

int pond__catalog_rest_rename_view(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                                   const pond_ns *to_ns, const char *to_name, pond_error *err)
{
	return rename_entry(cat, "views", from_ns, from_name, to_ns, to_name, err);
}

/* A CreateViewRequest from a new view's updates: the schema of its
 * add-schema, the version of its add-view-version and the properties of
 * its set-properties. The location is the server's to choose. */
static json_t *create_view_request(const char *name, const json_t *updates)
{
	const json_t *schema = NULL, *version = NULL, *u;
	json_t *props = json_object();
	size_t i;
	json_array_foreach(updates, i, u) {
		const char *action = json_string_value(json_object_get(u, "action"));
		if (!action)
			continue;
		if (!strcmp(action, "add-schema"))
			schema = json_object_get(u, "schema");
		else if (!strcmp(action, "add-view-version"))
			version = json_object_get(u, "view-version");
		else if (!strcmp(action, "set-properties") && props)
			json_object_update(props, json_object_get(u, "updates"));
	}
	if (!props || !schema || !version) {
		json_decref(props);
		return NULL;
	}
	return json_pack("{s:s,s:O,s:O,s:o}", "name", name, "schema", schema, "view-version", version, "properties", props);
}

int pond__catalog_rest_create_view_from(pond_catalog *cat, const pond_ns *ns, const char *name, const json_t *updates,
                                        pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	json_t *body = create_view_request(name, updates);
	pond_buf b = POND_BUF_INIT;
	ns_path(&b, ns, "/views");
	int rc = body ? call_for_result(cat, "POST", &b, body, arena, out, err)
	              : pond_error_set(err, POND_EINVAL, "view %s: a new view's updates need add-schema and "
	                               "add-view-version (or memory ran out)", name);
	pond_buf_dispose(&b);
	json_decref(body);
	return rc;
}

int pond__catalog_rest_commit_view(pond_catalog *cat, const pond_ns *ns, const char *name, const json_t *requirements,
                                   const json_t *updates, pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	json_t *body = json_pack("{s:o,s:o,s:O}", "identifier", identifier(ns, name), "requirements",
	                         requirements ? json_deep_copy(requirements) : json_array(), "updates", updates);
	pond_buf b = POND_BUF_INIT;
	view_path(&b, ns, name, "");
	int rc = body ? call_for_result(cat, "POST", &b, body, arena, out, err)
	              : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&b);
	json_decref(body);
	return rc;
}
