/*
 * The HTTP transport: libmicrohttpd with a thread per connection (a
 * handler may run a query for seconds; others keep being answered), a
 * connection limit, an idle timeout, and guard.c's per-address limit,
 * header deadline and reserved slots. It collects the request (method,
 * raw target, Authorization, body up to the limit) and hands it to
 * pond_server_handle. Bodies over the limit are refused with 413 as soon
 * as Content-Length says so, and requests without a valid token get 401
 * before their body is read.
 *
 * libmicrohttpd percent-decodes paths and query values by default; an
 * identity unescape callback keeps them raw so that pond_url_parse is the
 * only decoder (an encoded '/' inside a table name stays in its segment).
 */
#include "server_internal.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

/* What one connection's current request has collected so far. */
typedef struct conn_state {
	pond_buf body;
	bool too_large;
	int64_t start_ns;
} conn_state;

static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!pond_log_enabled(POND_LOG_DEBUG))
		return;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	pond_debug("http: %s", line);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	long n = pond_http_stream_read(cls, buf, max);
	return n > 0 ? (ssize_t)n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void free_stream(void *cls)
{
	pond_http_stream *s = cls;
	pond_http_stream_free(&s);
}

static struct MHD_Response *make_response(pond_http_response *resp)
{
	if (resp->stream) {
		struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 8192, read_stream, resp->stream,
		                                                           free_stream);
		if (r)
			resp->stream = NULL;
		return r;
	}
	char *body = resp->body;
	size_t len = resp->body_len;
	resp->body = NULL;
	struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, pond_free);
	if (!r)
		pond_free(body);
	return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, pond_http_response *resp)
{
	struct MHD_Response *r = make_response(resp);
	if (!r)
		return MHD_NO;
	const char *type = resp->content_type ? resp->content_type : "application/json";
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, resp->cache_control ? resp->cache_control : "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (resp->content_encoding)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, resp->content_encoding);
	if (resp->etag[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, resp->etag);
	if (resp->content_encoding || resp->etag[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (resp->set_cookie)
		MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, resp->set_cookie);
	if (strncmp(type, "text/html", 9) == 0) {
		/* The page loads nothing but its own files; CodeMirror sets styles inline. */
		MHD_add_response_header(r, "Content-Security-Policy",
		                        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
		                        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
		MHD_add_response_header(r, "X-Frame-Options", "DENY");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	}
	if (resp->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->auth_challenge)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"pond\"");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The request's headers the server reads (values borrowed from the connection). */
static void read_headers(struct MHD_Connection *conn, pond_http_request *req)
{
	req->authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	req->cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	req->csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Pond-CSRF");
	req->origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	req->host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	req->accept_encoding = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	req->if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
}

static enum MHD_Result queue_error(struct MHD_Connection *conn, const char *url, int status, const char *message)
{
	pond_http_response resp = {0};
	resp.status = status;
	resp.body = pond__server_error_json(url, status, NULL, message);
	if (!resp.body)
		return MHD_NO;
	resp.body_len = strlen(resp.body);
	resp.auth_challenge = status == 401;
	return queue(conn, &resp);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	pond_buf *target = cls;
	pond_buf_putc(target, target->len && strchr(target->ptr, '?') ? '&' : '?');
	pond_buf_puts(target, key);
	if (value) {
		pond_buf_putc(target, '=');
		pond_buf_puts(target, value);
	}
	return MHD_YES;
}

static enum MHD_Result answer(pond_server *srv, struct MHD_Connection *conn, const char *url, const char *method,
                              conn_state *st)
{
	pond_buf target = POND_BUF_INIT;
	pond_buf_puts(&target, url);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &target);
	if (!pond_buf_ok(&target)) {
		pond_buf_dispose(&target);
		return queue_error(conn, url, 503, "out of memory");
	}
	pond_http_request req = {
		.method = method,
		.target = pond_buf_cstr(&target),
		.body = st->body.ptr,
		.body_len = st->body.len,
	};
	read_headers(conn, &req);
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	req.client_fd = info && info->connect_fd > 0 ? info->connect_fd : 0;
	pond_http_response resp;
	pond_server_handle(srv, &req, &resp);
	pond_info("%s %s %d %.1f ms", method, url, resp.status, (double)(pond_time_mono_ns() - st->start_ns) / 1e6);
	pond_buf_dispose(&target);
	enum MHD_Result ret = queue(conn, &resp);
	pond_http_response_dispose(&resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)version;
	pond_server *srv = cls;
	conn_state *st = *con_cls;
	if (!st) {
		/* Headers are in, the body is not: refuse early what will be refused. */
		if (!(st = pond_calloc(1, sizeof(*st))))
			return MHD_NO;
		pond__server_guard_headers_done(srv, conn);
		st->start_ns = pond_time_mono_ns();
		*con_cls = st;
		pond_http_request req = {.method = method, .target = url};
		read_headers(conn, &req);
		const char *refusal = NULL;
		int status = pond__server_authorize(srv, &req, &refusal);
		if (status)
			return queue_error(conn, url, status, refusal);
		const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		int64_t n;
		if (length && pond_str_to_i64(length, &n) && (uint64_t)n > srv->opts.max_body) {
			st->too_large = true;
			char msg[96];
			snprintf(msg, sizeof(msg), "request body over the limit of %zu bytes", srv->opts.max_body);
			return queue_error(conn, url, 413, msg);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!st->too_large && st->body.len + *upload_data_size > srv->opts.max_body) {
			st->too_large = true;
			pond_buf_dispose(&st->body);
		}
		if (!st->too_large)
			pond_buf_put(&st->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->too_large) {
		char msg[96];
		snprintf(msg, sizeof(msg), "request body over the limit of %zu bytes", srv->opts.max_body);
		return queue_error(conn, url, 413, msg);
	}
	if (!pond_buf_ok(&st->body))
		return queue_error(conn, url, 503, "out of memory");
	return answer(srv, conn, url, method, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	conn_state *st = *con_cls;
	pond__server_guard_request_done(cls, conn);
	if (st) {
		pond_buf_dispose(&st->body);
		pond_free(st);
		*con_cls = NULL;
	}
}

int pond__server_http_start(pond_server *srv, pond_error *err)
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	struct sockaddr *sa;
	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	if (srv->addr.ipv6) {
		v6.sin6_family = AF_INET6;
		v6.sin6_port = htons(srv->addr.port);
		inet_pton(AF_INET6, srv->addr.host, &v6.sin6_addr);
		sa = (struct sockaddr *)&v6;
	} else {
		v4.sin_family = AF_INET;
		v4.sin_port = htons(srv->addr.port);
		inet_pton(AF_INET, srv->addr.host, &v4.sin_addr);
		sa = (struct sockaddr *)&v4;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC |
	                 MHD_USE_ERROR_LOG | (srv->addr.ipv6 ? MHD_USE_IPv6 : 0);
	srv->daemon = MHD_start_daemon(
		flags, 0, pond__server_guard_accept, srv, on_request, srv, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)srv->opts.connection_timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned)srv->opts.max_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, pond__server_guard_notify, srv, MHD_OPTION_END);
	if (!srv->daemon)
		return pond_error_set(err, POND_EIO, "could not listen on %s (address in use, or not an address of this machine)",
		                      srv->listen);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : srv->addr.port;
	snprintf(srv->url, sizeof(srv->url), srv->addr.ipv6 ? "http://[%s]:%u" : "http://%s:%u", srv->addr.host,
	         (unsigned)srv->port);
	return 0;
}

void pond__server_http_quiesce(pond_server *srv)
{
	if (!srv->daemon)
		return;
	/* The socket may be closed only after MHD_stop_daemon (threads poll it). */
	MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		srv->quiesced_fd = fd;
}

void pond__server_http_stop(pond_server *srv)
{
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
	if (srv->quiesced_fd >= 0)
		close(srv->quiesced_fd);
	srv->quiesced_fd = -1;
}
