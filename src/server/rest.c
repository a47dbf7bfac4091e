/*
 * The Iceberg REST catalog (apache/iceberg open-api/rest-catalog-open-api.yaml)
 * served by `pond serve` under /iceberg: clients are configured with
 * uri=http://HOST:PORT/iceberg and reach /iceberg/v1/.... This file holds
 * what its handlers share: errors in the spec's ErrorModel, names taken
 * from paths and bodies (a namespace's levels are separated by the unit
 * separator 0x1F in a path), the lake the handlers work through, paging,
 * and the two endpoints that configure a client: GET /v1/config and the
 * OAuth2 token request (POST /v1/oauth/tokens).
 *
 * The catalog is pond's: tables live in the project's SQL catalog and
 * change through the table layer's one commit path, so a REST client and
 * `pond sql` see and conflict with each other's commits. There is no
 * path prefix ({prefix} in the spec): /v1/config returns none.
 */
#include "server_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

bool pond__rest_target(const char *target)
{
	size_t n = strlen(POND_REST_PATH);
	return strncmp(target, POND_REST_PATH, n) == 0 && (target[n] == '/' || target[n] == '\0' || target[n] == '?');
}

bool pond__server_open_target(const char *target)
{
	static const char path[] = POND_REST_PATH "/v1/oauth/tokens";
	size_t n = sizeof(path) - 1;
	return (strncmp(target, path, n) == 0 && (target[n] == '\0' || target[n] == '?')) || pond__server_web_open(target);
}

/* ---- errors ---- */

int pond__rest_fail(srv_ctx *ctx, int status, const char *type, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int code = pond__server_failv(ctx, status, fmt, ap);
	va_end(ap);
	ctx->err_type = type;
	return code;
}

int pond__rest_error(srv_ctx *ctx, int rc, const char *not_found)
{
	switch (rc) {
	case POND_ENOTFOUND:
		ctx->err_status = 404;
		ctx->err_type = not_found;
		break;
	case POND_ECONFLICT:
		ctx->err_status = 409;
		ctx->err_type = "CommitFailedException";
		break;
	case POND_EEXISTS:
		ctx->err_status = 409;
		ctx->err_type = "AlreadyExistsException";
		break;
	case POND_EUNSUPPORTED:
	case POND_EINVAL:
	case POND_EUSAGE:
	case POND_ELIMIT:
		ctx->err_status = 400;
		ctx->err_type = "BadRequestException";
		break;
	default:
		ctx->err_status = pond__server_status_for(rc);
		ctx->err_type = NULL;
		break;
	}
	return rc;
}

int pond__rest_no_content(srv_reply *reply)
{
	reply->status = 204;
	return 0;
}

/* ---- names ---- */

int pond__rest_split_namespace(srv_ctx *ctx, char *text, const char *what, pond_ns *out)
{
	memset(out, 0, sizeof(*out));
	for (char *p = text;;) {
		char *sep = strchr(p, '\x1f');
		if (sep)
			*sep = '\0';
		if (!*p || strchr(p, '.'))
			return pond__rest_fail(ctx, 400, NULL,
			                       "%s: invalid namespace level \"%.100s\": levels are non-empty and hold no '.'", what, p);
		if (out->nlevels == POND_NS_MAX_LEVELS)
			return pond__rest_fail(ctx, 400, NULL, "a namespace has at most %d levels", POND_NS_MAX_LEVELS);
		out->levels[out->nlevels++] = p;
		if (!sep)
			return 0;
		p = sep + 1;
	}
}

/* Path segment i decoded as the REST catalog's clients encode names:
 * Java's client writes a space as '+' (and '+' itself as %2B). */
static int path_segment(srv_ctx *ctx, size_t i, char **out)
{
	if (i >= ctx->url.nsegments)
		return pond__rest_fail(ctx, 400, NULL, "missing path segment");
	const char *raw = ctx->url.raw_segments[i];
	int rc = pond_url_decode(out, raw, strlen(raw), true, ctx->arena, &ctx->err);
	return rc ? pond__rest_error(ctx, rc, NULL) : 0;
}

int pond__rest_path_namespace(srv_ctx *ctx, size_t i, pond_ns *out)
{
	char *text;
	int rc = path_segment(ctx, i, &text);
	return rc ? rc : pond__rest_split_namespace(ctx, text, "namespace", out);
}

int pond__rest_path_table(srv_ctx *ctx, pond_table_ident *out)
{
	char *name;
	int rc = pond__rest_path_namespace(ctx, 3, &out->ns);
	if (rc == 0 && (rc = path_segment(ctx, 5, &name)) == 0)
		out->name = name;
	return rc;
}

int pond__rest_namespace_from_json(srv_ctx *ctx, const json_t *j, const char *what, pond_ns *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_array(j) || json_array_size(j) == 0)
		return pond__rest_fail(ctx, 400, NULL, "%s: a namespace is a non-empty array of strings", what);
	if (json_array_size(j) > POND_NS_MAX_LEVELS)
		return pond__rest_fail(ctx, 400, NULL, "%s: a namespace has at most %d levels", what, POND_NS_MAX_LEVELS);
	for (size_t i = 0; i < json_array_size(j); i++) {
		const char *level = json_string_value(json_array_get(j, i));
		if (!level || !*level || strchr(level, '.') || strchr(level, '\x1f'))
			return pond__rest_fail(ctx, 400, NULL, "%s: invalid namespace level \"%.100s\": levels are non-empty "
			                       "strings without '.'", what, level ? level : "(not a string)");
		if (!(out->levels[out->nlevels++] = pond_arena_strdup(ctx->arena, level)))
			return pond__rest_fail(ctx, 503, NULL, "out of memory");
	}
	return 0;
}

int pond__rest_ident_from_json(srv_ctx *ctx, const json_t *j, const char *what, pond_table_ident *out)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	if (!json_is_object(j) || !name || !*name)
		return pond__rest_fail(ctx, 400, NULL, "%s: a table identifier is {\"namespace\": [...], \"name\": \"...\"}",
		                       what);
	int rc = pond__rest_namespace_from_json(ctx, json_object_get(j, "namespace"), what, &out->ns);
	if (rc == 0 && !(out->name = pond_arena_strdup(ctx->arena, name)))
		rc = pond__rest_fail(ctx, 503, NULL, "out of memory");
	return rc;
}

json_t *pond__rest_namespace_json(const pond_ns *ns)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < ns->nlevels; i++)
		if (json_array_append_new(a, json_string(ns->levels[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *pond__rest_ident_json(const pond_table_ident *id)
{
	json_t *ns = pond__rest_namespace_json(&id->ns);
	return ns ? json_pack("{s:o,s:s}", "namespace", ns, "name", id->name) : NULL;
}

int pond__rest_check_location(srv_ctx *ctx, const char *location, const char *what, const char **path_out)
{
	const char *wh = ctx->srv->project->warehouse;
	const char *path = location;
	/* file:///abs and file:/abs are the same local path */
	if (!strncmp(path, "file://", 7))
		path += 7;
	else if (!strncmp(path, "file:", 5))
		path += 5;
	size_t n = strlen(wh);
	while (n > 1 && wh[n - 1] == '/')
		n--;
	bool inside = strncmp(path, wh, n) == 0 && (path[n] == '/' || path[n] == '\0') && !strstr(path, "/../") &&
	              !pond_str_ends_with(path, "/..");
	if (!inside)
		return pond__rest_fail(ctx, 400, NULL, "%s %.300s is outside the warehouse %s", what, location, wh);
	if (path_out)
		*path_out = path;
	return 0;
}

int pond__rest_lake(srv_ctx *ctx, pond_lake **out)
{
	if (!ctx->meta_lake) {
		pond_catalog *cat;
		int rc = pond__server_catalog(ctx, &cat);
		if (rc == 0)
			rc = pond_lake_open_catalog(&ctx->meta_lake, ctx->srv->project, cat, &ctx->err);
		if (rc)
			return rc;
	}
	*out = ctx->meta_lake;
	return 0;
}

/* ---- lists and existence ---- */

int pond__rest_list_reply(srv_ctx *ctx, srv_reply *reply, const char *key, json_t *all)
{
	if (!all)
		return pond__rest_fail(ctx, 503, NULL, "out of memory");
	const char *token = pond_url_param(&ctx->url, "pageToken");
	size_t n = json_array_size(all);
	int64_t size, offset = 0;
	int rc = pond__server_param_int(ctx, "pageSize", (int64_t)n + 1, 1, INT32_MAX, &size);
	/* The token is the offset of the page: cheap, and right for any
	 * order the database sorts names in. */
	if (rc == 0 && token && *token && (!pond_str_to_i64(token, &offset) || offset < 0))
		rc = pond__rest_fail(ctx, 400, NULL, "invalid pageToken \"%.40s\"", token);
	if (rc) {
		json_decref(all);
		return ctx->err_status ? rc : pond__rest_error(ctx, rc, NULL);
	}
	json_t *doc = json_object();
	if (!token) {
		/* spec: without a pageToken, everything and no next-page-token */
		if (doc && json_object_set_new(doc, key, all) == 0)
			return pond__server_ok(reply, doc);
		json_decref(doc);
		return pond__rest_fail(ctx, 503, NULL, "out of memory");
	}
	size_t first = (size_t)offset < n ? (size_t)offset : n;
	size_t count = n - first < (size_t)size ? n - first : (size_t)size;
	json_t *page = json_array();
	for (size_t i = first; page && i < first + count; i++)
		json_array_append(page, json_array_get(all, i));
	json_decref(all);
	char *next = first + count < n ? pond_arena_sprintf(ctx->arena, "%zu", first + count) : NULL;
	if (!doc || !page || json_object_set_new(doc, key, page) != 0 ||
	    json_object_set_new(doc, "next-page-token", next ? json_string(next) : json_null()) != 0) {
		json_decref(doc);
		return pond__rest_fail(ctx, 503, NULL, "out of memory");
	}
	return pond__server_ok(reply, doc);
}

int pond__rest_names_list(srv_ctx *ctx, srv_reply *reply, pond__rest_names_fn list_names)
{
	pond_catalog *cat;
	pond_ns ns;
	int rc;
	if ((rc = pond__rest_path_namespace(ctx, 3, &ns)) || (rc = pond__server_catalog(ctx, &cat)))
		return rc;
	const char **names;
	size_t n;
	if ((rc = list_names(cat, &ns, ctx->arena, &names, &n, &ctx->err)) != 0)
		return pond__rest_error(ctx, rc, "NoSuchNamespaceException");
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++) {
		pond_table_ident id = {ns, names[i]};
		if (json_array_append_new(list, pond__rest_ident_json(&id)) != 0)
			list = (json_decref(list), NULL);
	}
	return pond__rest_list_reply(ctx, reply, "identifiers", list);
}

int pond__rest_rename_request(srv_ctx *ctx, pond_table_ident *from, pond_table_ident *to, pond_lake **lake)
{
	static const char *const keys[] = {"source", "destination", NULL};
	json_t *body;
	int rc;
	if ((rc = pond__server_body_object(ctx, false, &body)) || (rc = pond__server_check_keys(ctx, body, keys)) ||
	    (rc = pond__rest_ident_from_json(ctx, json_object_get(body, "source"), "source", from)) ||
	    (rc = pond__rest_ident_from_json(ctx, json_object_get(body, "destination"), "destination", to)))
		return rc;
	return pond__rest_lake(ctx, lake);
}

int pond__rest_create_request(srv_ctx *ctx, const char *const *keys, const char *what, pond_table_ident *id,
                              json_t **body, pond_lake **lake, const char **location)
{
	int rc;
	*location = NULL;
	if ((rc = pond__rest_path_namespace(ctx, 3, &id->ns)) || (rc = pond__server_body_object(ctx, false, body)) ||
	    (rc = pond__server_check_keys(ctx, *body, keys)))
		return rc;
	id->name = json_string_value(json_object_get(*body, "name"));
	if (!id->name || !*id->name)
		return pond__rest_fail(ctx, 400, NULL, "%s: missing name", what);
	if (pond_json_get_string_opt(*body, "location", location, what, &ctx->err))
		return pond__rest_error(ctx, ctx->err.code, NULL);
	if ((rc = pond__rest_lake(ctx, lake)) ||
	    (rc = pond__rest_namespace_must_exist(ctx, pond_lake_catalog(*lake), &id->ns)))
		return rc;
	if (*location ? (rc = pond__rest_check_location(ctx, *location, "location", NULL)) != 0
	              : (rc = pond_table_default_location(*lake, id, ctx->arena, location, &ctx->err)) != 0)
		return ctx->err_status ? rc : pond__rest_error(ctx, rc, NULL);
	return 0;
}

/* 404 of type not_found naming what when the lookup found nothing. */
static int found_or_404(srv_ctx *ctx, int rc, bool exists, const char *not_found, const char *what)
{
	if (rc)
		return pond__rest_error(ctx, rc, NULL);
	if (!exists)
		return pond__rest_fail(ctx, 404, not_found, "%s does not exist", what);
	return 0;
}

int pond__rest_namespace_must_exist(srv_ctx *ctx, pond_catalog *cat, const pond_ns *ns)
{
	bool exists = false;
	int rc = pond_catalog_namespace_exists(cat, ns, &exists, &ctx->err);
	return found_or_404(ctx, rc, exists, "NoSuchNamespaceException",
	                    pond_arena_sprintf(ctx->arena, "namespace %s", pond_ns_to_string(ctx->arena, ns)));
}

int pond__rest_table_must_exist(srv_ctx *ctx, pond_catalog *cat, const pond_table_ident *id)
{
	bool exists = false;
	int rc = pond_catalog_table_exists(cat, &id->ns, id->name, &exists, &ctx->err);
	return found_or_404(ctx, rc, exists, "NoSuchTableException",
	                    pond_arena_sprintf(ctx->arena, "table %s", pond_table_ident_format(ctx->arena, id)));
}

/* ---- GET /v1/config ---- */

/* What this server answers, in the spec's "METHOD /v1/{prefix}/..." form. */
static const char *const endpoints[] = {
	"GET /v1/{prefix}/namespaces",
	"POST /v1/{prefix}/namespaces",
	"GET /v1/{prefix}/namespaces/{namespace}",
	"HEAD /v1/{prefix}/namespaces/{namespace}",
	"DELETE /v1/{prefix}/namespaces/{namespace}",
	"POST /v1/{prefix}/namespaces/{namespace}/properties",
	"GET /v1/{prefix}/namespaces/{namespace}/tables",
	"POST /v1/{prefix}/namespaces/{namespace}/tables",
	"GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}",
	"POST /v1/{prefix}/namespaces/{namespace}/register",
	"POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics",
	"POST /v1/{prefix}/tables/rename",
	"POST /v1/{prefix}/transactions/commit",
	"GET /v1/{prefix}/namespaces/{namespace}/views",
	"POST /v1/{prefix}/namespaces/{namespace}/views",
	"GET /v1/{prefix}/namespaces/{namespace}/views/{view}",
	"HEAD /v1/{prefix}/namespaces/{namespace}/views/{view}",
	"POST /v1/{prefix}/namespaces/{namespace}/views/{view}",
	"DELETE /v1/{prefix}/namespaces/{namespace}/views/{view}",
	"POST /v1/{prefix}/views/rename",
	NULL,
};

int pond__rest_config(srv_ctx *ctx, srv_reply *reply)
{
	json_t *list = json_array();
	for (size_t i = 0; list && endpoints[i]; i++)
		json_array_append_new(list, json_string(endpoints[i]));
	return pond__server_ok(reply, list ? json_pack("{s:{},s:{},s:o}", "defaults", "overrides", "endpoints", list) : NULL);
}

/* ---- POST /v1/oauth/tokens ---- */

/* The OAuth2 form fields (RFC 6749) this endpoint reads. */
typedef struct token_request {
	const char *grant_type, *client_id, *client_secret, *subject_token;
} token_request;

static int parse_form(srv_ctx *ctx, token_request *tr)
{
	const char *body = ctx->req->body ? ctx->req->body : "";
	size_t len = ctx->req->body ? ctx->req->body_len : 0;
	for (size_t i = 0; i < len;) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - body) : len;
		const char *eq = memchr(body + i, '=', end - i);
		size_t key_end = eq ? (size_t)(eq - body) : end;
		char *key, *value;
		int rc = pond_url_decode(&key, body + i, key_end - i, true, ctx->arena, &ctx->err);
		if (rc == 0)
			rc = pond_url_decode(&value, eq ? eq + 1 : body + end, eq ? end - key_end - 1 : 0, true, ctx->arena,
			                     &ctx->err);
		if (rc)
			return rc;
		if (!strcmp(key, "grant_type"))
			tr->grant_type = value;
		else if (!strcmp(key, "client_id"))
			tr->client_id = value;
		else if (!strcmp(key, "client_secret"))
			tr->client_secret = value;
		else if (!strcmp(key, "subject_token"))
			tr->subject_token = value;
		i = end + 1;
	}
	return 0;
}

/* Client credentials in an Authorization: Basic header (RFC 6749 2.3.1):
 * base64 of id:secret. */
static void parse_basic(srv_ctx *ctx, token_request *tr)
{
	const char *auth = ctx->req->authorization;
	if (!auth || strncasecmp(auth, "Basic ", 6) != 0)
		return;
	unsigned char *raw;
	size_t len;
	pond_error ignored = POND_ERROR_INIT;
	if (pond_base64_decode(&raw, &len, auth + 6, &ignored) != 0)
		return;
	char *text = pond_arena_strndup(ctx->arena, (const char *)raw, len);
	pond_free(raw);
	char *colon = text ? strchr(text, ':') : NULL;
	if (!colon)
		return;
	*colon = '\0';
	tr->client_id = text;
	tr->client_secret = colon + 1;
}

static int oauth_error(srv_ctx *ctx, srv_reply *reply, int status, const char *code, const char *description)
{
	reply->status = status;
	reply->json = json_pack("{s:s,s:s}", "error", code, "error_description", description);
	return reply->json ? 0 : pond__rest_fail(ctx, 503, NULL, "out of memory");
}

/* The secret given must be the server's token: the same token the JSON
 * API takes, compared in constant time. */
static bool secret_ok(srv_ctx *ctx, const char *secret)
{
	const char *token = ctx->srv->token;
	if (!token)
		return true;
	char *bearer = secret ? pond_arena_sprintf(ctx->arena, "Bearer %s", secret) : NULL;
	return bearer && pond_server_token_ok(token, bearer);
}

int pond__rest_oauth_tokens(srv_ctx *ctx, srv_reply *reply)
{
	token_request tr = {0};
	parse_basic(ctx, &tr);
	if (parse_form(ctx, &tr) != 0)
		return oauth_error(ctx, reply, 400, "invalid_request", ctx->err.msg);
	const char *secret;
	if (!tr.grant_type)
		return oauth_error(ctx, reply, 400, "invalid_request", "missing grant_type");
	if (!strcmp(tr.grant_type, "client_credentials"))
		secret = tr.client_secret;
	else if (!strcmp(tr.grant_type, "urn:ietf:params:oauth:grant-type:token-exchange"))
		secret = tr.subject_token;  /* a refresh: the token itself */
	else
		return oauth_error(ctx, reply, 400, "unsupported_grant_type",
		                   "grant_type must be client_credentials or token-exchange");
	if (!secret_ok(ctx, secret))
		return oauth_error(ctx, reply, 401, "invalid_client",
		                   "the client secret (the part of credential after ':') must be the server's token");
	/* No expiry is given: the token lives as long as the server's
	 * setting, so clients never need to refresh it. */
	return pond__server_ok(reply, json_pack("{s:s,s:s,s:s}", "access_token",
	                                        ctx->srv->token ? ctx->srv->token : "no-token-needed", "token_type", "bearer",
	                                        "issued_token_type", "urn:ietf:params:oauth:token-type:access_token"));
}
