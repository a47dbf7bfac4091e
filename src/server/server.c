/*
 * The server object and one request's way through it: the token check,
 * the target parsed, the route found, the handler run with a fresh
 * context (arena, lake opened on demand), and every failure turned into
 * a JSON error with a status. The HTTP transport (http.c) and the unit
 * tests both enter through pond_server_handle.
 */
#include "server_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

#define DEFAULT_MAX_BODY (1u << 20)

static char *dup_or_null(const char *s)
{
	return s && s[0] ? pond_strdup(s) : NULL;
}

int pond_server_new(pond_server **out, const pond_project *project, const pond_server_options *opts,
                    pond_error *err)
{
	pond_server_options o = POND_SERVER_OPTIONS_INIT;
	if (opts)
		o = *opts;
	const char *listen = o.listen && o.listen[0] ? o.listen : POND_SERVER_DEFAULT_LISTEN;
	pond_listen_addr addr;
	int rc = pond_listen_addr_parse(&addr, listen, err);
	if (rc)
		return rc;
	bool has_token = o.token && o.token[0];
	if (!addr.loopback && !has_token)
		return pond_error_set(err, POND_EUSAGE,
		                      "refusing to listen on %s without a token: anyone who can reach it could read "
		                      "every table; give --token TOKEN (or set POND_TOKEN), or listen on 127.0.0.1",
		                      listen);
	if (has_token && strlen(o.token) < 16)
		return pond_error_set(err, POND_EUSAGE, "the token is too short (%zu characters): use at least 16",
		                      strlen(o.token));
	pond_server *s = pond_calloc(1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	s->project = project;
	s->addr = addr;
	s->quiesced_fd = -1;
	s->token = dup_or_null(o.token);
	s->listen = pond_strdup(listen);
	if (!s->listen || (has_token && !s->token)) {
		pond_server_free(&s);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	o.listen = s->listen;
	o.token = s->token;
	if (!o.max_body)
		o.max_body = DEFAULT_MAX_BODY;
	if (o.connection_timeout_s <= 0)
		o.connection_timeout_s = 30;
	if (o.max_connections <= 0)
		o.max_connections = 64;
	if (o.sql_timeout_ms <= 0)
		o.sql_timeout_ms = 60000;
	if (o.sql_max_rows <= 0)
		o.sql_max_rows = 100000;
	if (!o.sql_memory_limit)
		o.sql_memory_limit = "1GB";
	if (o.sql_max_concurrent <= 0)
		o.sql_max_concurrent = 4;
	if (o.header_timeout_ms <= 0)
		o.header_timeout_ms = 5000;
	if (o.reserved_connections <= 0)
		o.reserved_connections = o.max_connections > 8 ? 4 : 1;
	if (o.max_connections_per_address <= 0)
		o.max_connections_per_address = o.max_connections / 4 > 0 ? o.max_connections / 4 : 1;
	s->opts = o;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_mutex_init(&s->guard.mu, NULL);
	pthread_cond_init(&s->guard.cond, NULL);
	pond__server_sessions_init(s);
	pond__server_hub_init(s);
	s->started_ms = pond_time_now_ms();
	if ((rc = pond__server_pipelines_load(s, err)) != 0) {
		pond_server_free(&s);
		return rc;
	}
	*out = s;
	return 0;
}

int pond_server_start(pond_server *srv, pond_error *err)
{
	int rc = pond__server_scheduler_start(srv, err);
	if (rc == 0 && (rc = pond__server_guard_start(srv, err)) != 0)
		pond__server_scheduler_stop(srv);
	if (rc == 0 && (rc = pond__server_http_start(srv, err)) != 0) {
		pond__server_guard_stop(srv);
		pond__server_scheduler_stop(srv);
	}
	return rc;
}

uint16_t pond_server_port(const pond_server *srv)
{
	return srv->port;
}

const char *pond_server_url(const pond_server *srv)
{
	return srv->url;
}

void pond_server_stop(pond_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	bool was_stopped = srv->stopped;
	srv->stopped = true;
	pthread_mutex_unlock(&srv->lock);
	if (was_stopped)
		return;
	/* New connections stop first; the scheduler's running steps then get
	 * their grace period while requests in flight finish. */
	pond__server_http_quiesce(srv);
	pond__server_scheduler_stop(srv);
	pond__server_hub_close(srv);  /* event streams end, so their connections can */
	pond__server_http_stop(srv);
	pond__server_guard_stop(srv);
}

void pond_server_free(pond_server **srv)
{
	if (!srv || !*srv)
		return;
	pond_server_stop(*srv);
	pond__server_scheduler_free(*srv);
	for (size_t i = 0; i < (*srv)->npool; i++)
		pond_catalog_close(&(*srv)->pool[i]);
	pthread_mutex_destroy(&(*srv)->pool_lock);
	pthread_mutex_destroy(&(*srv)->lock);
	pthread_mutex_destroy(&(*srv)->guard.mu);
	pthread_cond_destroy(&(*srv)->guard.cond);
	pthread_mutex_destroy(&(*srv)->session_lock);
	pond__server_hub_free(*srv);
	pond_free((*srv)->token);
	pond_free((*srv)->listen);
	pond_free(*srv);
	*srv = NULL;
}

/* GET /api/health */
int pond__server_health(srv_ctx *ctx, srv_reply *reply)
{
	pond_server *s = ctx->srv;
	return pond__server_ok(reply, json_pack("{s:s,s:s,s:s,s:b,s:b,s:I,s:I}", "status", "ok", "project", s->project->name,
	                               "duckdb", pond_engine_duckdb_version(), "scheduler", s->scheduler != NULL,
	                               "auth", s->token != NULL, "uptime_s",
	                               (json_int_t)((pond_time_now_ms() - s->started_ms) / 1000), "requests",
	                               (json_int_t)atomic_load(&s->requests)));
}

/* ---- helpers for handlers ---- */

int pond__server_failv(srv_ctx *ctx, int status, const char *fmt, va_list ap)
{
	int code = status == 404 ? POND_ENOTFOUND : status == 409 ? POND_ECONFLICT : status == 413 ? POND_ELIMIT
	         : status >= 500 ? POND_ERROR : POND_EINVAL;
	pond_error_setv(&ctx->err, code, fmt, ap);
	ctx->err_status = status;
	return code;
}

int pond__server_fail(srv_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int code = pond__server_failv(ctx, status, fmt, ap);
	va_end(ap);
	return code;
}

int pond__server_status_for(int code)
{
	switch (code) {
	case POND_ENOTFOUND: return 404;
	case POND_EINVAL:
	case POND_EUSAGE:
	case POND_ESQL:
	case POND_EUNSUPPORTED: return 400;
	case POND_ECONFLICT:
	case POND_EEXISTS: return 409;
	case POND_ELIMIT: return 413;
	case POND_ECANCELED: return 504;
	case POND_ENOMEM: return 503;
	default: return 500;
	}
}

int pond__server_ok(srv_reply *reply, json_t *doc)
{
	reply->status = 200;
	reply->json = doc;
	return doc ? 0 : POND_ENOMEM;
}

int pond__server_body_object(srv_ctx *ctx, bool allow_empty, json_t **out)
{
	const pond_http_request *r = ctx->req;
	size_t len = r->body ? r->body_len : 0;
	size_t start = 0;
	while (start < len && strchr(" \t\r\n", r->body[start]))
		start++;
	if (start == len) {
		if (!allow_empty)
			return pond__server_fail(ctx, 400, "request body is empty: expected a JSON object");
		json_decref(ctx->body);
		*out = ctx->body = json_object();
		return *out ? 0 : pond__server_fail(ctx, 503, "out of memory");
	}
	json_t *doc;
	pond_error perr = POND_ERROR_INIT;
	if (pond_json_parse(&doc, r->body, len, "request body", &perr) != 0)
		return pond__server_fail(ctx, 400, "%s", perr.msg);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return pond__server_fail(ctx, 400, "request body must be a JSON object");
	}
	json_decref(ctx->body);
	ctx->body = doc;  /* the context owns it */
	*out = doc;
	return 0;
}

int pond__server_check_keys(srv_ctx *ctx, const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)obj, key, value) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, key) != 0)
			a++;
		if (!*a)
			return pond__server_fail(ctx, 400, "unknown key \"%s\" in request body", key);
	}
	return 0;
}

int pond__server_param_int(srv_ctx *ctx, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out)
{
	const char *v = pond_url_param(&ctx->url, key);
	if (!v) {
		*out = def;
		return 0;
	}
	int64_t n;
	if (!pond_str_to_i64(v, &n) || n < min || n > max)
		return pond__server_fail(ctx, 400, "parameter %s: expected an integer from %lld to %lld, got \"%.40s\"", key,
		                (long long)min, (long long)max, v);
	*out = n;
	return 0;
}

int pond__server_catalog(srv_ctx *ctx, pond_catalog **out)
{
	pond_server *srv = ctx->srv;
	if (!ctx->catalog) {
		pthread_mutex_lock(&srv->pool_lock);
		if (srv->npool)
			ctx->catalog = srv->pool[--srv->npool];
		pthread_mutex_unlock(&srv->pool_lock);
	}
	if (!ctx->catalog) {
		const pond_project *p = ctx->srv->project;
		int rc = pond_project_open_catalog(&ctx->catalog, p, &ctx->err);
		if (rc) {
			ctx->err_status = 500;
			return rc;
		}
	}
	*out = ctx->catalog;
	return 0;
}

/* Keeps a request's catalog connection for the next request, unless the
 * pool is full or the request failed on the server's side (the
 * connection may be what failed). */
static void release_catalog(pond_server *srv, pond_catalog **cat, int status)
{
	if (!*cat)
		return;
	pond_catalog_tx_rollback(*cat);
	pthread_mutex_lock(&srv->pool_lock);
	if (status < 500 && srv->npool < SRV_CATALOG_POOL) {
		srv->pool[srv->npool++] = *cat;
		*cat = NULL;
	}
	pthread_mutex_unlock(&srv->pool_lock);
	pond_catalog_close(cat);
}

/* ---- one request ---- */

/* The ErrorModel type a REST error of this status has unless the handler
 * named one. */
static const char *rest_type_for(int status)
{
	switch (status) {
	case 400:
	case 413:
	case 414: return "BadRequestException";
	case 401: return "NotAuthorizedException";
	case 403: return "ForbiddenException";
	case 404: return "NotFoundException";
	case 405: return "MethodNotAllowedException";
	case 406: return "UnsupportedOperationException";
	case 409: return "AlreadyExistsException";
	case 422: return "UnprocessableEntityException";
	case 503: return "ServiceUnavailableException";
	default: return status >= 500 ? "InternalServerError" : "BadRequestException";
	}
}

char *pond__server_error_json(const char *target, int status, const char *type, const char *message)
{
	json_t *doc = pond__rest_target(target ? target : "")
		? json_pack("{s:{s:s,s:s,s:i}}", "error", "message", message, "type", type ? type : rest_type_for(status),
		            "code", status)
		: json_pack("{s:s}", "error", message);
	char *text = doc ? pond_json_dumps(doc, false) : NULL;
	json_decref(doc);
	return text;
}

static void set_error_body(pond_http_response *out, const char *target, int status, const char *type,
                           const char *message)
{
	out->status = status;
	out->body = pond__server_error_json(target, status, type, message);
	if (!out->body)
		out->body = pond_strdup("{\"error\":\"out of memory\"}");
	out->body_len = out->body ? strlen(out->body) : 0;
}

void pond_http_response_dispose(pond_http_response *resp)
{
	pond_free(resp->body);
	pond_free(resp->set_cookie);
	pond_http_stream_free(&resp->stream);
	memset(resp, 0, sizeof(*resp));
}

static void finish_reply(pond_http_response *out, const char *target, srv_reply *reply)
{
	out->status = reply->status ? reply->status : 200;
	out->content_type = reply->content_type;
	out->content_encoding = reply->content_encoding;
	out->cache_control = reply->cache_control;
	memcpy(out->etag, reply->etag, sizeof(out->etag));
	out->set_cookie = reply->set_cookie;
	reply->set_cookie = NULL;
	out->stream = reply->stream;
	reply->stream = NULL;
	if (out->status == 204 || out->status == 304 || out->stream)
		return;
	if (reply->raw) {
		out->body = reply->raw;
		out->body_len = reply->raw_len;
		reply->raw = NULL;
	} else {
		out->body = reply->json ? pond_json_dumps(reply->json, false) : NULL;
		if (!out->body) {
			set_error_body(out, target, 503, NULL, "out of memory");
			return;
		}
		out->body_len = strlen(out->body);
	}
}

void pond_server_handle(pond_server *srv, const pond_http_request *req, pond_http_response *out)
{
	memset(out, 0, sizeof(*out));
	atomic_fetch_add(&srv->requests, 1);
	const char *target = req->target ? req->target : "";
	const char *refusal = NULL;
	int status = pond__server_authorize(srv, req, &refusal);
	if (status) {
		out->auth_challenge = status == 401;
		set_error_body(out, target, status, NULL, refusal);
		return;
	}
	srv_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.srv = srv;
	ctx.req = req;
	ctx.rest = pond__rest_target(target);
	if (!(ctx.arena = pond_arena_new())) {
		set_error_body(out, target, 503, NULL, "out of memory");
		return;
	}
	srv_reply reply = {0};
	int rc = pond_url_parse(&ctx.url, target, ctx.arena, &ctx.err);
	if (rc) {
		ctx.err_status = rc == POND_ELIMIT ? 414 : 400;
	} else {
		const char *allow;
		const srv_route *route = pond__server_route_find(req->method, ctx.url.segments, ctx.url.nsegments, &allow);
		if (route) {
			rc = route->handler(&ctx, &reply);
		} else if (allow) {
			out->allow = allow;
			rc = pond__server_fail(&ctx, 405, "method %s is not allowed here (allowed: %s)", req->method, allow);
		} else {
			rc = pond__server_fail(&ctx, 404, "no such endpoint: %s %s", req->method, req->target);
		}
	}
	if (rc)
		set_error_body(out, target, ctx.err_status ? ctx.err_status : pond__server_status_for(rc), ctx.err_type,
		               ctx.err.msg[0] ? ctx.err.msg : pond_error_code_name(rc));
	else
		finish_reply(out, target, &reply);
	json_decref(reply.json);
	json_decref(ctx.body);
	pond_free(reply.raw);
	pond_free(reply.set_cookie);
	pond_http_stream_free(&reply.stream);
	pond_lake_close(&ctx.meta_lake);
	pond_lake_close(&ctx.lake);
	pond_engine_close(&ctx.engine);
	release_catalog(srv, &ctx.catalog, out->status);
	pond_arena_free(&ctx.arena);
}
