/*
 * The REST catalog's tables: list, create (and stage-create), load (and
 * HEAD), drop (with purge), register, rename and the metrics report. A
 * load first flushes the table's row buffer (small appends pond keeps in
 * the catalog database, which other engines cannot see), so a client
 * sees every row pond has acknowledged. Commits are rest_commit.c's.
 */
#include "server_internal.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- results ---- */

/* Keeps only the snapshots a ref points at (the spec's snapshots=refs). */
static void keep_ref_snapshots(json_t *meta, const pond_iceberg_metadata *md)
{
	json_t *snaps = json_object_get(meta, "snapshots");
	for (size_t i = json_array_size(snaps); i-- > 0;) {
		json_int_t id = json_integer_value(json_object_get(json_array_get(snaps, i), "snapshot-id"));
		bool referenced = false;
		for (size_t r = 0; r < md->nrefs && !referenced; r++)
			referenced = md->refs[r].snapshot_id == id;
		if (!referenced)
			json_array_remove(snaps, i);
	}
}

/* A table's config: for a table on S3, the storage settings a client
 * needs (Iceberg's S3FileIO and pyiceberg property names), never the
 * server's keys: clients bring credentials of their own. */
static json_t *storage_config(const pond_project *project, const char *location)
{
	json_t *config = json_object();
	if (!config || !location || !pond_project_is_s3(location))
		return config;
	pond_s3_config cfg;
	pond_error ignored = POND_ERROR_INIT;
	if (pond_s3_config_resolve(&cfg, &project->storage, NULL, NULL, &ignored) == 0) {
		if (cfg.endpoint)
			json_object_set_new(config, "s3.endpoint", json_string(cfg.endpoint));
		json_object_set_new(config, "s3.region", json_string(cfg.region));
		json_object_set_new(config, "client.region", json_string(cfg.region));
		json_object_set_new(config, "s3.path-style-access", json_string(cfg.path_style ? "true" : "false"));
	}
	pond_s3_config_dispose(&cfg);
	return config;
}

json_t *pond__rest_load_result(const pond_project *project, const pond_iceberg_metadata *md,
                               const char *metadata_location, bool refs_only, pond_error *err)
{
	json_t *meta;
	if (pond_iceberg_metadata_to_json(&meta, md, err) != 0)
		return NULL;
	if (refs_only)
		keep_ref_snapshots(meta, md);
	json_t *doc = json_pack("{s:o,s:o,s:o}", "metadata-location",
	                        metadata_location ? json_string(metadata_location) : json_null(), "metadata", meta, "config",
	                        storage_config(project, md->location));
	if (!doc)
		pond_error_set(err, POND_ENOMEM, "out of memory");
	return doc;
}

/* ---- GET /v1/namespaces/NS/tables ---- */

int pond__rest_tables_list(srv_ctx *ctx, srv_reply *reply)
{
	return pond__rest_names_list(ctx, reply, pond_catalog_list_tables);
}

/* Flushes the table's buffered rows, if it has any, into a snapshot. */
static int flush_buffer(srv_ctx *ctx, pond_lake *lake, const pond_table_ident *id)
{
	bool buffered;
	int rc = pond_table_has_buffered_rows(lake, id, &buffered, &ctx->err);
	if (rc == 0 && buffered) {
		pond_write_result r;
		rc = pond_table_flush(lake, id, &r, &ctx->err);
	}
	return rc ? pond__rest_error(ctx, rc, "NoSuchTableException") : 0;
}

/* The LoadTableResult with the metadata file's own text as "metadata":
 * nothing to parse and write again, so a load costs what reading the
 * file does. *done is false when the file is not plain JSON text (gzip),
 * which the caller then parses. */
static int load_raw(srv_ctx *ctx, srv_reply *reply, pond_lake *lake, const char *location, bool *done)
{
	char *text;
	size_t len;
	*done = false;
	pond_fileio *io;
	int rc = pond_lake_fileio(lake, location, &io, &ctx->err);
	if (rc == 0)
		rc = pond_fileio_read(io, location, &text, &len, (size_t)1 << 30, &ctx->err);
	pond_fileio_free(&io);
	if (rc)
		return pond__rest_error(ctx, ctx->err.code, NULL);
	size_t start = 0;
	while (start < len && strchr(" \t\r\n", text[start]))
		start++;
	if (start == len || text[start] != '{') {
		pond_free(text);
		return 0;
	}
	pond_buf b = POND_BUF_INIT;
	pond_buf_reserve(&b, len + strlen(location) + 64);
	pond_buf_puts(&b, "{\"metadata-location\":");
	pond_json_quote(&b, location, strlen(location));
	pond_buf_puts(&b, ",\"metadata\":");
	pond_buf_put(&b, text + start, len - start);
	/* the config of a table on S3 comes from the metadata's location,
	 * which is where the metadata file is */
	json_t *config = storage_config(ctx->srv->project, location);
	char *config_text = config ? json_dumps(config, JSON_COMPACT) : NULL;
	json_decref(config);
	pond_buf_printf(&b, ",\"config\":%s}", config_text ? config_text : "{}");
	free(config_text);
	pond_free(text);
	if (!pond_buf_ok(&b)) {
		pond_buf_dispose(&b);
		return pond__rest_fail(ctx, 503, NULL, "out of memory");
	}
	reply->status = 200;
	reply->raw_len = b.len;
	reply->raw = pond_buf_detach(&b);
	*done = true;
	return 0;
}

/* The table the path names, which must exist, and the request's lake. */
static int path_table(srv_ctx *ctx, pond_table_ident *id, pond_lake **lake)
{
	int rc;
	if ((rc = pond__rest_path_table(ctx, id)) || (rc = pond__rest_lake(ctx, lake)))
		return rc;
	return pond__rest_table_must_exist(ctx, pond_lake_catalog(*lake), id);
}

/* ---- GET /v1/namespaces/NS/tables/T[?snapshots=all|refs], and HEAD ---- */

int pond__rest_table_load(srv_ctx *ctx, srv_reply *reply)
{
	pond_table_ident id;
	pond_lake *lake;
	int rc;
	if ((rc = path_table(ctx, &id, &lake)) != 0)
		return rc;
	if (!strcmp(ctx->req->method, "HEAD"))
		return pond__rest_no_content(reply);
	const char *snapshots = pond_url_param(&ctx->url, "snapshots");
	if (snapshots && strcmp(snapshots, "all") && strcmp(snapshots, "refs"))
		return pond__rest_fail(ctx, 400, NULL, "parameter snapshots must be all or refs, not \"%.40s\"", snapshots);
	bool refs_only = snapshots && !strcmp(snapshots, "refs");
	if ((rc = flush_buffer(ctx, lake, &id)) != 0)
		return rc;
	if (!refs_only) {
		const char *location;
		bool done;
		if ((rc = pond_table_metadata_location(lake, &id, ctx->arena, &location, NULL, &ctx->err)) != 0)
			return pond__rest_error(ctx, rc, "NoSuchTableException");
		if ((rc = load_raw(ctx, reply, lake, location, &done)) != 0 || done)
			return rc;
	}
	/* A filtered copy (or a gzipped file): parsed and written again. */
	pond_table *t = NULL;
	if ((rc = pond_table_load(&t, lake, &id, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, "NoSuchTableException");
	json_t *doc = pond__rest_load_result(ctx->srv->project, t->metadata, t->metadata_location, refs_only, &ctx->err);
	pond_table_free(&t);
	return doc ? pond__server_ok(reply, doc) : pond__rest_error(ctx, ctx->err.code, NULL);
}

/* ---- POST /v1/namespaces/NS/tables ---- */

/* The CreateTableRequest's properties; format-version is a request for a
 * format, not a property (as Java's catalogs treat it), and pond writes 2. */
static int create_properties(srv_ctx *ctx, const json_t *j, pond_iceberg_kv **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_object(j))
		return pond__rest_fail(ctx, 400, NULL, "properties must be an object of strings");
	pond_iceberg_kv *kv = pond_arena_calloc(ctx->arena, json_object_size(j) + 1, sizeof(*kv));
	if (!kv)
		return pond__rest_fail(ctx, 503, NULL, "out of memory");
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)j, key, value) {
		const char *v = json_string_value(value);
		if (!v)
			return pond__rest_fail(ctx, 400, NULL, "properties: \"%.100s\" must be a string", key);
		if (!strcmp(key, "format-version")) {
			if (strcmp(v, "2"))
				return pond__rest_fail(ctx, 400, NULL, "format-version %.20s: pond writes format version 2", v);
			continue;
		}
		kv[*n].key = key;
		kv[(*n)++].value = v;
	}
	*out = kv;
	return 0;
}

/* The schema, spec and sort order of a CreateTableRequest, with fresh ids,
 * as the commit that creates the table at location. */
static int create_commit(srv_ctx *ctx, const json_t *body, const char *location, pond_iceberg_commit **out)
{
	pond_iceberg_schema *schema;
	pond_iceberg_partition_spec *spec = NULL;
	pond_iceberg_sort_order *order = NULL;
	pond_iceberg_kv *props;
	size_t nprops;
	const json_t *js = json_object_get(body, "partition-spec"), *jo = json_object_get(body, "write-order");
	int rc;
	if (!json_is_object(json_object_get(body, "schema")))
		return pond__rest_fail(ctx, 400, NULL, "create table: missing schema");
	if ((rc = pond_iceberg_schema_from_json(&schema, json_object_get(body, "schema"), ctx->arena, "schema", &ctx->err)) ||
	    (js && !json_is_null(js) &&
	     (rc = pond_iceberg_partition_spec_from_json(&spec, js, NULL, ctx->arena, "partition-spec", &ctx->err))) ||
	    (jo && !json_is_null(jo) &&
	     (rc = pond_iceberg_sort_order_from_json(&order, jo, ctx->arena, "write-order", &ctx->err))) ||
	    (rc = create_properties(ctx, json_object_get(body, "properties"), &props, &nprops)) ||
	    (rc = pond_iceberg_create_commit(out, schema, spec, order, location, props, nprops, &ctx->err)))
		return ctx->err_status ? rc : pond__rest_error(ctx, rc, NULL);
	return 0;
}

int pond__rest_table_create(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"name", "location", "schema", "partition-spec", "write-order", "stage-create",
	                                   "properties", NULL};
	json_t *body;
	pond_table_ident id;
	pond_lake *lake;
	bool stage = false;
	const char *location;
	int rc = pond__rest_create_request(ctx, keys, "create table", &id, &body, &lake, &location);
	if (rc)
		return rc;
	if (pond_json_get_bool_opt(body, "stage-create", &stage, "create table", &ctx->err))
		return pond__rest_error(ctx, ctx->err.code, NULL);
	bool exists;
	if ((rc = pond_catalog_table_exists(pond_lake_catalog(lake), &id.ns, id.name, &exists, &ctx->err)))
		return pond__rest_error(ctx, rc, NULL);
	if (exists)
		return pond__rest_fail(ctx, 409, "AlreadyExistsException", "table %s already exists",
		                       pond_table_ident_format(ctx->arena, &id));
	pond_iceberg_commit *commit;
	if ((rc = create_commit(ctx, body, location, &commit)) != 0)
		return rc;
	json_t *doc = NULL;
	if (stage) {
		/* Nothing is written: the client commits the creation later
		 * (assert-create and these updates) through the table's commit. */
		pond_iceberg_metadata *md;
		if ((rc = pond_iceberg_metadata_apply(&md, NULL, commit->requirements, commit->nrequirements, commit->updates,
		                                      commit->nupdates, NULL, &ctx->err)) == 0)
			doc = pond__rest_load_result(ctx->srv->project, md, NULL, false, &ctx->err);
		pond_iceberg_metadata_free(&md);
	} else {
		pond_table *t;
		if ((rc = pond__rest_commit(ctx, &id, commit, true, &t)) == 0)
			doc = pond__rest_load_result(ctx->srv->project, t->metadata, t->metadata_location, false, &ctx->err);
		pond_table_free(&t);
	}
	pond_iceberg_commit_free(&commit);
	if (rc)
		return ctx->err_status ? rc : pond__rest_error(ctx, rc, NULL);
	return doc ? pond__server_ok(reply, doc) : pond__rest_error(ctx, ctx->err.code, NULL);
}

/* ---- DELETE /v1/namespaces/NS/tables/T[?purgeRequested=true] ---- */

int pond__rest_table_drop(srv_ctx *ctx, srv_reply *reply)
{
	pond_table_ident id;
	pond_lake *lake;
	int rc;
	if ((rc = path_table(ctx, &id, &lake)) != 0)
		return rc;
	const char *purge = pond_url_param(&ctx->url, "purgeRequested");
	if (purge && strcmp(purge, "true") && strcmp(purge, "false"))
		return pond__rest_fail(ctx, 400, NULL, "parameter purgeRequested must be true or false");
	bool purging = purge && !strcmp(purge, "true");
	if (!purging) {
		/* The files stay (another catalog may register them): buffered
		 * rows, which live only in this catalog, go into them first. */
		if ((rc = flush_buffer(ctx, lake, &id)) != 0)
			return rc;
	}
	if ((rc = pond_table_drop(lake, &id, purging, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, "NoSuchTableException");
	return pond__rest_no_content(reply);
}

/* ---- POST /v1/namespaces/NS/register ---- */

/* Points an existing table at location (register with overwrite). */
static int reregister(srv_ctx *ctx, pond_catalog *cat, const pond_table_ident *id, const char *location)
{
	pond_catalog_table row;
	int rc = pond_catalog_load_table(cat, &id->ns, id->name, ctx->arena, &row, &ctx->err);
	if (rc == 0)
		rc = pond_catalog_commit_table(cat, &id->ns, id->name, row.metadata_location, location, &ctx->err);
	return rc;
}

int pond__rest_table_register(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"name", "metadata-location", "overwrite", NULL};
	json_t *body;
	pond_table_ident id;
	pond_lake *lake;
	const char *location = NULL;
	bool overwrite = false;
	int rc;
	if ((rc = pond__rest_path_namespace(ctx, 3, &id.ns)) || (rc = pond__server_body_object(ctx, false, &body)) ||
	    (rc = pond__server_check_keys(ctx, body, keys)))
		return rc;
	if (pond_json_get_string(body, "name", &id.name, "register table", &ctx->err) ||
	    pond_json_get_string(body, "metadata-location", &location, "register table", &ctx->err) ||
	    pond_json_get_bool_opt(body, "overwrite", &overwrite, "register table", &ctx->err))
		return pond__rest_error(ctx, POND_EINVAL, NULL); /* a missing field is a bad request, not a 404 */
	const char *path;
	if ((rc = pond__rest_check_location(ctx, location, "metadata-location", &path)) ||
	    (rc = pond__rest_lake(ctx, &lake)) || (rc = pond__rest_namespace_must_exist(ctx, pond_lake_catalog(lake), &id.ns)))
		return rc;
	/* A file that is not table metadata is refused before the catalog
	 * names it. */
	pond_iceberg_metadata *md = NULL;
	pond_fileio *io = NULL;
	if ((rc = pond_lake_fileio(lake, path, &io, &ctx->err)) == 0)
		rc = pond_fileio_load_metadata(&md, io, path, &ctx->err);
	pond_fileio_free(&io);
	if (rc != 0)
		return pond__rest_fail(ctx, 400, NULL, "register table %s: %s", pond_table_ident_format(ctx->arena, &id),
		                       ctx->err.msg);
	pond_catalog *cat = pond_lake_catalog(lake);
	bool exists = false;
	rc = overwrite ? pond_catalog_table_exists(cat, &id.ns, id.name, &exists, &ctx->err) : 0;
	if (rc == 0)
		rc = exists ? reregister(ctx, cat, &id, path) : pond_catalog_register_table(cat, &id.ns, id.name, path, &ctx->err);
	json_t *doc = rc == 0 ? pond__rest_load_result(ctx->srv->project, md, path, false, &ctx->err) : NULL;
	pond_iceberg_metadata_free(&md);
	if (rc)
		return pond__rest_error(ctx, rc, "NoSuchNamespaceException");
	return doc ? pond__server_ok(reply, doc) : pond__rest_error(ctx, ctx->err.code, NULL);
}

/* ---- POST /v1/tables/rename ---- */

int pond__rest_table_rename(srv_ctx *ctx, srv_reply *reply)
{
	pond_table_ident from, to;
	pond_lake *lake;
	int rc;
	if ((rc = pond__rest_rename_request(ctx, &from, &to, &lake)) || (rc = pond__rest_table_must_exist(ctx, pond_lake_catalog(lake), &from)) ||
	    (rc = pond__rest_namespace_must_exist(ctx, pond_lake_catalog(lake), &to.ns)))
		return rc;
	if ((rc = pond_table_rename(lake, &from, &to, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, "NoSuchTableException");
	return pond__rest_no_content(reply);
}

/* ---- POST /v1/namespaces/NS/tables/T/metrics ---- */

/* Reports are accepted and not kept: pond has its own numbers. */
int pond__rest_table_metrics(srv_ctx *ctx, srv_reply *reply)
{
	json_t *body;
	pond_table_ident id;
	pond_catalog *cat;
	int rc;
	if ((rc = pond__rest_path_table(ctx, &id)) || (rc = pond__server_body_object(ctx, false, &body)) ||
	    (rc = pond__server_catalog(ctx, &cat)) || (rc = pond__rest_table_must_exist(ctx, cat, &id)))
		return rc;
	if (!json_is_string(json_object_get(body, "report-type")))
		return pond__rest_fail(ctx, 400, NULL, "metrics report: missing report-type");
	pond_debug("metrics report for %s: %s", pond_table_ident_format(ctx->arena, &id),
	           json_string_value(json_object_get(body, "report-type")));
	return pond__rest_no_content(reply);
}
