/*
 * pond server layer: `pond serve`. A JSON API over HTTP (libmicrohttpd,
 * a thread per connection) on a project: health, pipelines and their runs,
 * tables and snapshots, and a read-only SQL endpoint; beside it the
 * pipeline scheduler. Safe by default: it listens on 127.0.0.1, refuses
 * any other address without a bearer token, and its SQL endpoint runs on a
 * dedicated DuckDB that cannot touch files outside the warehouse.
 *
 * Requests are handled without a socket too (pond_server_handle), which is
 * what the unit tests and the fuzz target drive.
 */
#ifndef POND_SERVER_H
#define POND_SERVER_H

#include <stdint.h>

#include "pond/table.h"
#include "pond/util.h"

/* The address served when nothing else is said. */
#define POND_SERVER_DEFAULT_LISTEN "127.0.0.1:8765"

typedef struct pond_server_options {
	const char *listen;        /* "HOST:PORT", "[V6]:PORT" or ":PORT"; NULL: default; port 0 picks one */
	const char *token;         /* bearer token; NULL or "": none (loopback only) */
	bool scheduler;            /* run the pipeline scheduler beside the API */
	size_t max_body;           /* request body limit in bytes; 0: 1 MiB */
	int connection_timeout_s;  /* idle connection timeout; 0: 30 */
	int max_connections;       /* 0: 64 */
	int sql_timeout_ms;        /* a SQL request is interrupted after this; 0: 60000 */
	int64_t sql_max_rows;      /* upper bound of a SQL request's "limit"; 0: 100000 */
	const char *sql_memory_limit;  /* DuckDB memory_limit of a SQL request; NULL: "1GB" */
	int shutdown_grace_s;      /* running steps get this long at shutdown; 0: pond.yml defaults: grace (10 s) */
	int sql_max_concurrent;    /* SQL requests at once (each opens a DuckDB); more get 503; 0: 4 */
	int header_timeout_ms;     /* a request's headers must be in this long after it began; 0: 5000 */
	int max_connections_per_address;  /* connections one client address may hold; 0: max_connections / 4 */
	int reserved_connections;  /* slots kept for addresses with no request waiting for headers; 0: 4 */
} pond_server_options;

#define POND_SERVER_OPTIONS_INIT {NULL, NULL, true, 0, 0, 0, 0, 0, NULL, 0, 0, 0, 0, 0}

/* Reads the `server:` section of pond.yml into opts, for what the caller
 * has not set (listen NULL, token NULL):
 *   server:
 *     listen: 127.0.0.1:8765
 *     token_env: POND_TOKEN     # the token is read from this variable
 * Strings live in the project's arena. Unknown keys are an error naming
 * the line. */
int pond_server_options_from_project(pond_server_options *opts, const pond_project *project, pond_error *err);

/* ---- listen addresses ------------------------------------------------------ */

typedef struct pond_listen_addr {
	char host[64];   /* numeric, without brackets */
	uint16_t port;
	bool ipv6;
	bool loopback;   /* 127.0.0.0/8 or ::1 */
} pond_listen_addr;

/* Parses "127.0.0.1:8765", "[::1]:8765", ":8765" (127.0.0.1), "localhost:N"
 * (127.0.0.1) or "0.0.0.0:N". Host names other than localhost are refused:
 * the server binds what the user wrote, never what a resolver says. */
int pond_listen_addr_parse(pond_listen_addr *out, const char *text, pond_error *err);

/* ---- the server -------------------------------------------------------------- */

typedef struct pond_server pond_server;

/* A server for project (borrowed; it must outlive the server), checked
 * but not listening: a non-loopback address without a token is refused
 * here with POND_EUSAGE. Reads pond.yml's pipelines (errors name the line)
 * and creates the run history tables in the catalog database. */
int pond_server_new(pond_server **out, const pond_project *project, const pond_server_options *opts,
                    pond_error *err);
/* Binds and starts answering (and the scheduler, when asked). */
int pond_server_start(pond_server *srv, pond_error *err);
/* The bound port (useful with port 0); 0 before start. */
uint16_t pond_server_port(const pond_server *srv);
/* "http://127.0.0.1:8765", borrowed. */
const char *pond_server_url(const pond_server *srv);
/* Stops accepting, finishes the requests in flight, stops the scheduler
 * (running steps get the grace period). Safe to call twice. */
void pond_server_stop(pond_server *srv);
/* Stops (if needed) and frees. */
void pond_server_free(pond_server **srv);

/* ---- one request, without a socket --------------------------------------------- */

typedef struct pond_http_request {
	const char *method;         /* "GET", "POST", ... */
	const char *target;         /* as sent: "/api/runs?pipeline=daily%20prices&limit=5" */
	const char *authorization;  /* the Authorization header; NULL when absent */
	const char *body;           /* NULL when none */
	size_t body_len;
	/* Headers the web page's requests need (NULL when absent): */
	const char *cookie;         /* Cookie: the page's session */
	const char *csrf;           /* X-Pond-CSRF: the session's token, on state-changing requests */
	const char *origin;         /* Origin: refused when it is not this server */
	const char *host;           /* Host: what Origin must name */
	const char *accept_encoding;/* Accept-Encoding: gzip is sent as it is stored */
	const char *if_none_match;  /* If-None-Match: an asset's ETag */
	/* The client's socket, to notice it closing while a long request runs
	 * (a query whose page was cancelled); 0 when unknown (stdin is never
	 * a client's socket). Only polled, never read or written. */
	int client_fd;
} pond_http_request;

/* A body produced while it is sent (Server-Sent Events): read in pieces
 * until the end; see pond_http_stream_read. */
typedef struct pond_http_stream pond_http_stream;

typedef struct pond_http_response {
	int status;
	char *body;          /* JSON text (or an asset), pond_malloc'd */
	size_t body_len;
	const char *allow;   /* for 405: the methods the path takes; static */
	bool auth_challenge; /* 401: send WWW-Authenticate: Bearer */
	const char *content_type;     /* NULL: application/json; static */
	const char *content_encoding; /* "gzip" or NULL; static */
	const char *cache_control;    /* NULL: no-store; static */
	char etag[24];                /* "" or a quoted ETag */
	char *set_cookie;             /* Set-Cookie value, pond_malloc'd, or NULL */
	pond_http_stream *stream;     /* instead of body: streamed (text/event-stream) */
} pond_http_response;

/* Reads the next piece of a streamed body into buf (up to cap bytes),
 * waiting for it: > 0 bytes written, 0 at the end, -1 on an error. */
long pond_http_stream_read(pond_http_stream *s, char *buf, size_t cap);
/* Stops a stream (the client went away); the reader ends at once. */
void pond_http_stream_free(pond_http_stream **s);

/* Answers one request: authorization, routing, the handler. Always fills
 * out (errors are {"error": "..."} with a 4xx/5xx status); thread-safe.
 * Free the body with pond_http_response_dispose. */
void pond_server_handle(pond_server *srv, const pond_http_request *req, pond_http_response *out);
void pond_http_response_dispose(pond_http_response *resp);

/* ---- request parsing (pure; exposed for tests and the fuzz target) ------------- */

/* True when the presented Authorization header value is "Bearer TOKEN"
 * for this token; the comparison takes the same time wherever the first
 * difference is. A NULL or empty token accepts everything. */
bool pond_server_token_ok(const char *token, const char *authorization);

/* Decodes %XX escapes (and '+' as space when plus_is_space) of
 * text[0..len) into a new arena string. Refuses a malformed escape and an
 * encoded NUL or control character other than 0x1F (the unit separator
 * between the levels of an Iceberg REST namespace). */
int pond_url_decode(char **out, const char *text, size_t len, bool plus_is_space, pond_arena *arena,
                    pond_error *err);

/* A request target taken apart: decoded path segments and query pairs. */
typedef struct pond_url {
	size_t nsegments;
	char **segments;      /* "/api/runs/12" -> "api", "runs", "12" */
	char **raw_segments;  /* the same, as sent (still percent-encoded) */
	size_t nparams;
	char **keys;
	char **values;        /* "" for "?flag" */
} pond_url;

/* Limits on what a target may hold. */
#define POND_URL_MAX_LEN 8192
#define POND_URL_MAX_SEGMENTS 32
#define POND_URL_MAX_PARAMS 64

/* Parses "/a/b?x=1&y=%20". Empty segments ("//", a trailing "/") are
 * dropped. POND_EINVAL for a target that is not an absolute path or holds
 * a bad escape, POND_ELIMIT past the limits above. Everything lives in arena. */
int pond_url_parse(pond_url *out, const char *target, pond_arena *arena, pond_error *err);
/* The value of the last parameter named key; NULL when absent. */
const char *pond_url_param(const pond_url *url, const char *key);

#endif
