/*
 * Who may make a request, for the API and the web page alike:
 *   - with a token set, a request carries it (Authorization: Bearer), or
 *     the cookie of a session the page got by sending the token once
 *     (POST /api/login); the cookie is HttpOnly and SameSite=Strict;
 *   - a state-changing request (not GET/HEAD) made with a session cookie
 *     must echo the session's CSRF token in X-Pond-CSRF: a page of another
 *     site can make the browser send the cookie, never read the token;
 *   - any state-changing request whose Origin is not this server is
 *     refused (a cross-site form or fetch), token or not;
 *   - without a token (loopback only), a Host header that is not a
 *     loopback name is refused: a DNS-rebinding page would otherwise be
 *     "same-origin" with the server.
 * Sessions live in memory (a restart logs the page out) and expire after
 * SRV_SESSION_TTL_MS; the oldest is dropped when all slots are taken.
 */
#include "server_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define SRV_SESSION_TTL_MS (12 * 3600 * 1000LL)
#define COOKIE_NAME "pond_session"

static void random_hex(char out[SRV_SECRET_LEN + 1])
{
	unsigned char raw[SRV_SECRET_LEN / 2];
	pond_random_bytes(raw, sizeof(raw));
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* Equal strings, in time independent of where they differ. */
static bool secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

void pond__server_sessions_init(pond_server *srv)
{
	pthread_mutex_init(&srv->session_lock, NULL);
	random_hex(srv->open_csrf);
}

int pond__server_session_new(pond_server *srv, int64_t now_ms, srv_session *out)
{
	pthread_mutex_lock(&srv->session_lock);
	size_t slot = 0;
	for (size_t i = 0; i < SRV_SESSIONS; i++) {
		if (srv->sessions[i].expires_ms <= now_ms) {
			slot = i;
			break;
		}
		if (srv->sessions[i].expires_ms < srv->sessions[slot].expires_ms)
			slot = i;
	}
	srv_session *s = &srv->sessions[slot];
	random_hex(s->id);
	random_hex(s->csrf);
	s->expires_ms = now_ms + SRV_SESSION_TTL_MS;
	*out = *s;
	pthread_mutex_unlock(&srv->session_lock);
	return 0;
}

/* The value of cookie name in a Cookie header, copied into out; false when absent. */
static bool cookie_value(const char *header, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			if (vlen >= cap)
				return false;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

bool pond__server_session_find(pond_server *srv, const char *cookie, int64_t now_ms, srv_session *out)
{
	char id[SRV_SECRET_LEN + 1];
	if (!cookie || !cookie_value(cookie, COOKIE_NAME, id, sizeof(id)))
		return false;
	bool found = false;
	pthread_mutex_lock(&srv->session_lock);
	for (size_t i = 0; i < SRV_SESSIONS && !found; i++) {
		srv_session *s = &srv->sessions[i];
		if (s->expires_ms > now_ms && secret_eq(s->id, id)) {
			*out = *s;
			found = true;
		}
	}
	pthread_mutex_unlock(&srv->session_lock);
	return found;
}

static void session_drop(pond_server *srv, const char *id)
{
	pthread_mutex_lock(&srv->session_lock);
	for (size_t i = 0; i < SRV_SESSIONS; i++)
		if (secret_eq(srv->sessions[i].id, id))
			memset(&srv->sessions[i], 0, sizeof(srv->sessions[i]));
	pthread_mutex_unlock(&srv->session_lock);
}

/* Whether a Host header names a loopback address (any port): localhost,
 * [::1] or a dotted 127.x.y.z (not a DNS name that starts with "127."). */
static bool host_is_loopback(const char *host)
{
	static const char *const names[] = {"localhost", "[::1]", NULL};
	size_t len = strcspn(host, ":");
	if (host[0] == '[')
		len = strcspn(host, "]") + 1;
	for (const char *const *n = names; *n; n++)
		if (strlen(*n) == len && strncmp(host, *n, len) == 0)
			return true;
	if (strncmp(host, "127.", 4) != 0)
		return false;
	for (size_t i = 4; i < len; i++)
		if (!((host[i] >= '0' && host[i] <= '9') || host[i] == '.'))
			return false;
	return true;
}

/* Whether Origin ("http://HOST:PORT") names the host the request was sent to. */
static bool origin_is_host(const char *origin, const char *host)
{
	const char *p = strstr(origin, "://");
	return host && p && strcmp(p + 3, host) == 0;
}

static bool safe_method(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "OPTIONS") == 0;
}

int pond__server_authorize(pond_server *srv, const pond_http_request *req, const char **message)
{
	const char *target = req->target ? req->target : "";
	bool unsafe = !safe_method(req->method ? req->method : "GET");
	if (!srv->token && req->host && !host_is_loopback(req->host)) {
		*message = "this server answers only to a loopback Host without a token (a DNS-rebinding page?)";
		return 403;
	}
	if (unsafe && req->origin && !origin_is_host(req->origin, req->host)) {
		*message = "cross-site request refused: Origin is not this server";
		return 403;
	}
	if (!srv->token || pond__server_open_target(target) || pond_server_token_ok(srv->token, req->authorization))
		return 0;
	srv_session s;
	if (req->authorization || !pond__server_session_find(srv, req->cookie, pond_time_now_ms(), &s)) {
		*message = req->authorization ? "invalid token"
		         : req->cookie ? "not logged in (the session expired?): log in again"
		                       : "this server needs a token: Authorization: Bearer TOKEN";
		return 401;
	}
	if (unsafe && (!req->csrf || !secret_eq(req->csrf, s.csrf))) {
		*message = "missing or wrong X-Pond-CSRF header: a state-changing request needs the session's token";
		return 403;
	}
	return 0;
}

/* ---- the endpoints ---- */

static char *session_cookie(const char *id, bool clear)
{
	pond_buf b = POND_BUF_INIT;
	pond_buf_printf(&b, COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", clear ? "" : id,
	                clear ? 0LL : (long long)(SRV_SESSION_TTL_MS / 1000));
	if (!pond_buf_ok(&b)) {
		pond_buf_dispose(&b);
		return NULL;
	}
	return pond_buf_detach(&b);
}

/* GET /api/session: whether the page must log in, and the CSRF token to send. */
int pond__server_session_get(srv_ctx *ctx, srv_reply *reply)
{
	pond_server *srv = ctx->srv;
	srv_session s;
	bool in = !srv->token || pond_server_token_ok(srv->token, ctx->req->authorization);
	const char *csrf = srv->open_csrf;
	if (srv->token && pond__server_session_find(srv, ctx->req->cookie, pond_time_now_ms(), &s)) {
		in = true;
		csrf = s.csrf;
	}
	return pond__server_ok(reply, json_pack("{s:b,s:b,s:s?,s:s}", "auth", srv->token != NULL, "logged_in", in, "csrf",
	                                        in ? csrf : NULL, "project", srv->project->name));
}

/* POST /api/login {"token": "..."}: a session cookie for the token. */
int pond__server_login(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"token", NULL};
	json_t *body;
	int rc;
	if ((rc = pond__server_body_object(ctx, false, &body)) != 0 || (rc = pond__server_check_keys(ctx, body, keys)) != 0)
		return rc;
	const char *token = json_string_value(json_object_get(body, "token"));
	if (!token)
		return pond__server_fail(ctx, 400, "\"token\" must be a string");
	if (!ctx->srv->token)
		return pond__server_fail(ctx, 400, "this server has no token: there is nothing to log in to");
	pond_buf bearer = POND_BUF_INIT;
	pond_buf_printf(&bearer, "Bearer %s", token);
	bool ok = pond_buf_ok(&bearer) && pond_server_token_ok(ctx->srv->token, pond_buf_cstr(&bearer));
	pond_buf_dispose(&bearer);
	if (!ok)
		return pond__server_fail(ctx, 401, "wrong token");
	srv_session s;
	pond__server_session_new(ctx->srv, pond_time_now_ms(), &s);
	if (!(reply->set_cookie = session_cookie(s.id, false)))
		return pond__server_fail(ctx, 503, "out of memory");
	return pond__server_ok(reply, json_pack("{s:b,s:s}", "logged_in", true, "csrf", s.csrf));
}

/* POST /api/logout: ends the session of the cookie. */
int pond__server_logout(srv_ctx *ctx, srv_reply *reply)
{
	char id[SRV_SECRET_LEN + 1];
	if (ctx->req->cookie && cookie_value(ctx->req->cookie, COOKIE_NAME, id, sizeof(id)))
		session_drop(ctx->srv, id);
	if (!(reply->set_cookie = session_cookie("", true)))
		return pond__server_fail(ctx, 503, "out of memory");
	return pond__server_ok(reply, json_pack("{s:b}", "logged_in", false));
}
