/*
 * Commits from REST clients: POST /v1/namespaces/NS/tables/T (one table's
 * requirements and updates, also the commit of a staged create) and POST
 * /v1/transactions/commit (several tables, all or nothing). Both go
 * through the table layer's one commit path (pond_table_commit_all): the
 * requirements are checked against the table's current metadata at every
 * attempt, a lost catalog swap is retried against fresh metadata, and a
 * failed requirement is 409 CommitFailedException, so a REST client and a
 * `pond sql` write conflict as two pond writers do.
 */
#include "server_internal.h"

#include <jansson.h>
#include <string.h>

/* The commit's requirements and updates, the same at every attempt. */
static int build_request(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                         size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)base;
	(void)arena;
	(void)err;
	const pond_iceberg_commit *c = payload;
	*reqs = c->requirements;
	*nreqs = c->nrequirements;
	*ups = c->updates;
	*nups = c->nupdates;
	return 0;
}

static bool asserts_create(const pond_iceberg_commit *c)
{
	for (size_t i = 0; i < c->nrequirements; i++)
		if (c->requirements[i].type == POND_ICEBERG_ASSERT_CREATE)
			return true;
	return false;
}

/* Checks what a commit to id may not do: move the table out of the
 * warehouse, or create it in a namespace that does not exist. */
static int check_commit(srv_ctx *ctx, pond_lake *lake, const pond_table_ident *id, const pond_iceberg_commit *c)
{
	for (size_t i = 0; i < c->nupdates; i++)
		if (c->updates[i].action == POND_ICEBERG_SET_LOCATION && c->updates[i].location) {
			int rc = pond__rest_check_location(ctx, c->updates[i].location, "location", NULL);
			if (rc)
				return rc;
		}
	return asserts_create(c) ? pond__rest_namespace_must_exist(ctx, pond_lake_catalog(lake), &id->ns) : 0;
}

/* Maps a failed commit to the REST error, naming the table when the
 * message does not. */
static int commit_error(srv_ctx *ctx, int rc, const char *name)
{
	if (name && !strstr(ctx->err.msg, name) && rc != POND_ENOMEM)
		pond_error_prefix(&ctx->err, "table %s", name);
	return pond__rest_error(ctx, rc, "NoSuchTableException");
}

int pond__rest_commit(srv_ctx *ctx, const pond_table_ident *id, pond_iceberg_commit *commit, bool create,
                      pond_table **out)
{
	pond_lake *lake;
	int rc = pond__rest_lake(ctx, &lake);
	if (rc)
		return rc;
	pond_table_change change = {*id, build_request, commit, create};
	if ((rc = pond_table_commit_all(lake, &change, 1, NULL, out, &ctx->err)) != 0)
		return commit_error(ctx, rc, pond_table_ident_format(ctx->arena, id));
	return 0;
}

/* A CommitTableRequest (or one table-change of a transaction), parsed. */
static int parse_commit(srv_ctx *ctx, const json_t *j, pond_iceberg_commit **out)
{
	int rc = pond_iceberg_commit_from_json(out, j, &ctx->err);
	/* spec: unknown updates and requirements are a 400 */
	return rc ? pond__rest_error(ctx, rc == POND_ENOMEM ? rc : POND_EINVAL, NULL) : 0;
}

/* POST /v1/namespaces/NS/tables/T */
int pond__rest_table_commit(srv_ctx *ctx, srv_reply *reply)
{
	json_t *body;
	pond_table_ident id;
	pond_lake *lake;
	pond_iceberg_commit *commit = NULL;
	int rc;
	if ((rc = pond__rest_path_table(ctx, &id)) || (rc = pond__server_body_object(ctx, false, &body)) ||
	    (rc = parse_commit(ctx, body, &commit)))
		return rc;
	pond_table *t = NULL;
	bool create = asserts_create(commit);
	if ((rc = pond__rest_lake(ctx, &lake)) == 0 && (rc = check_commit(ctx, lake, &id, commit)) == 0)
		rc = pond__rest_commit(ctx, &id, commit, create, &t);
	pond_iceberg_commit_free(&commit);
	if (rc)
		return rc;
	json_t *meta = NULL;
	rc = pond_iceberg_metadata_to_json(&meta, t->metadata, &ctx->err);
	json_t *doc = rc == 0 ? json_pack("{s:s,s:o}", "metadata-location", t->metadata_location, "metadata", meta) : NULL;
	pond_table_free(&t);
	return doc ? pond__server_ok(reply, doc) : pond__rest_error(ctx, rc ? rc : POND_ENOMEM, NULL);
}

/* The table-changes of a transaction, parsed; commits[i] are the caller's
 * to free (also on failure). */
static int parse_changes(srv_ctx *ctx, pond_lake *lake, const json_t *list, pond_iceberg_commit **commits,
                         pond_table_change *changes)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		const json_t *j = json_array_get(list, i);
		char what[48];
		snprintf(what, sizeof(what), "table-changes[%zu].identifier", i);
		int rc = pond__rest_ident_from_json(ctx, json_object_get(j, "identifier"), what, &changes[i].id);
		if (rc == 0)
			rc = parse_commit(ctx, j, &commits[i]);
		if (rc == 0)
			rc = check_commit(ctx, lake, &changes[i].id, commits[i]);
		if (rc)
			return rc;
		changes[i].build = build_request;
		changes[i].payload = commits[i];
		changes[i].create = asserts_create(commits[i]);
	}
	return 0;
}

/* POST /v1/transactions/commit {"table-changes": [CommitTableRequest with identifier, ...]} */
int pond__rest_transaction_commit(srv_ctx *ctx, srv_reply *reply)
{
	json_t *body;
	pond_lake *lake;
	int rc;
	if ((rc = pond__server_body_object(ctx, false, &body)) || (rc = pond__rest_lake(ctx, &lake)))
		return rc;
	const json_t *list = json_object_get(body, "table-changes");
	size_t n = json_array_size(list);
	if (!json_is_array(list) || n == 0)
		return pond__rest_fail(ctx, 400, NULL, "a transaction needs table-changes: a non-empty array");
	pond_iceberg_commit **commits = pond_calloc(n, sizeof(*commits));
	pond_table_change *changes = pond_arena_calloc(ctx->arena, n, sizeof(*changes));
	if (!commits || !changes)
		rc = pond__rest_fail(ctx, 503, NULL, "out of memory");
	if (rc == 0)
		rc = parse_changes(ctx, lake, list, commits, changes);
	if (rc == 0 && (rc = pond_table_commit_all(lake, changes, n, NULL, NULL, &ctx->err)) != 0)
		pond__rest_error(ctx, rc, "NoSuchTableException");
	for (size_t i = 0; commits && i < n; i++)
		pond_iceberg_commit_free(&commits[i]);
	pond_free(commits);
	return rc ? rc : pond__rest_no_content(reply);
}
