/*
 * Table endpoints: the list of tables, one table's description and its
 * snapshots. Metadata only, through a catalog connection of the request's
 * own: no DuckDB is opened for these.
 */
#include "server_internal.h"

#include <jansson.h>

/* GET /api/tables[?namespace=NS] */
int pond__server_tables_list(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	int rc = pond__server_catalog(ctx, &cat);
	if (rc)
		return rc;
	pond_ns parent, *pp = NULL;
	const char *ns = pond_url_param(&ctx->url, "namespace");
	if (ns && ns[0]) {
		if (pond_ns_parse(&parent, ctx->arena, ns, &ctx->err) != 0)
			return pond__server_fail(ctx, 400, "parameter namespace: invalid namespace \"%.100s\"", ns);
		pp = &parent;
	}
	json_t *rows;
	if ((rc = pond_table_list_json(&rows, cat, ctx->srv->project, pp, &ctx->err)) != 0)
		return rc;
	return pond__server_ok(reply, json_pack("{s:o}", "tables", rows));
}

/* Loads the table the path's third segment names. */
static int load_table(srv_ctx *ctx, pond_table **out)
{
	pond_catalog *cat;
	int rc = pond__server_catalog(ctx, &cat);
	if (rc)
		return rc;
	pond_table_ident id;
	const char *name = ctx->url.segments[2];
	if (pond_table_ident_parse(&id, ctx->arena, name, &ctx->err) != 0)
		return pond__server_fail(ctx, 400, "invalid table name \"%.200s\"", name);
	if (id.ns.nlevels == 0)
		return pond__server_fail(ctx, 400, "invalid table name \"%.200s\"", name);
	bool exists = false;
	if ((rc = pond_catalog_table_exists(cat, &id.ns, id.name, &exists, &ctx->err)) != 0)
		return rc;
	if (!exists)
		return pond__server_fail(ctx, 404, "no table %.200s", name);
	return pond_table_load_catalog(out, cat, ctx->srv->project, &id, &ctx->err);
}

/* GET /api/tables/NS.T */
int pond__server_table_get(srv_ctx *ctx, srv_reply *reply)
{
	pond_table *t;
	int rc = load_table(ctx, &t);
	if (rc)
		return rc;
	json_t *doc = pond_table_describe_json(t);
	pond_table_free(&t);
	return pond__server_ok(reply, doc);
}

/* Adds each snapshot's summary (who wrote it: pond.model, pond.ingest.SOURCE.state,
 * an engine's entries) to the history rows. */
static void add_summaries(json_t *rows, const pond_iceberg_metadata *md)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_int_t id = json_integer_value(json_object_get(row, "snapshot_id"));
		for (size_t k = 0; k < md->nsnapshots; k++) {
			const pond_iceberg_snapshot *s = &md->snapshots[k];
			if (s->snapshot_id != id)
				continue;
			json_t *summary = json_object();
			for (size_t j = 0; summary && j < s->nsummary; j++)
				json_object_set_new(summary, s->summary[j].key, json_string(s->summary[j].value));
			json_object_set_new(row, "summary", summary);
			break;
		}
	}
}

/* GET /api/tables/NS.T/snapshots */
int pond__server_table_snapshots(srv_ctx *ctx, srv_reply *reply)
{
	pond_table *t;
	int rc = load_table(ctx, &t);
	if (rc)
		return rc;
	json_t *rows = pond_table_history_json(t->metadata);
	if (rows)
		add_summaries(rows, t->metadata);
	json_t *doc = rows ? json_pack("{s:s,s:o}", "table", ctx->url.segments[2], "snapshots", rows) : NULL;
	pond_table_free(&t);
	return pond__server_ok(reply, doc);
}
