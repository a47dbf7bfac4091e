/*
 * Internals of the server, shared by the files of src/server: the server object,
 * one request's context, and the handlers the route table names.
 */
#ifndef POND_SERVER_INTERNAL_H
#define POND_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "pond/pipeline.h"
#include "pond/server.h"

/* A web session (session.c): the cookie's id and the CSRF token the page
 * echoes, both random hex. */
#define SRV_SECRET_LEN 48
#define SRV_SESSIONS 64
typedef struct srv_session {
	char id[SRV_SECRET_LEN + 1];
	char csrf[SRV_SECRET_LEN + 1];
	int64_t expires_ms;  /* 0: a free slot */
} srv_session;

/* The live run events the scheduler reports (events.c), kept in a ring
 * for the pages that stream them. */
#define SRV_HUB_SIZE 1024
typedef struct srv_event {
	int64_t seq;
	int64_t run_id;
	char *frame;  /* the event as Server-Sent Events text, pond_malloc'd */
	bool last;    /* the run finished */
} srv_event;
typedef struct srv_hub {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	srv_event ring[SRV_HUB_SIZE];
	int64_t next_seq;
	bool closed;
	int keepalive_ms;
} srv_hub;

/* Connection slots (guard.c): the connections open now, for the accept
 * policy and the header-timeout watchdog. */
typedef struct srv_conn srv_conn;
typedef struct srv_guard {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, stop;
	srv_conn *head;
	size_t count;
} srv_guard;

/* Idle catalog connections kept for the next requests. */
#define SRV_CATALOG_POOL 4

struct pond_server {
	const pond_project *project;    /* borrowed */
	pond_server_options opts;       /* defaults filled in; strings owned below */
	char *token;                    /* NULL: none */
	char *listen;
	pond_listen_addr addr;
	char url[96];
	uint16_t port;
	struct MHD_Daemon *daemon;
	int quiesced_fd;                /* the listen socket after quiesce; closed after stop */
	pond_pipelines *pipelines;      /* pond.yml's, loaded at start */
	pond_scheduler *scheduler;      /* when running */
	pond_clock clock;               /* the scheduler's, when a test moves it */
	int64_t clock_offset_ms;
	pthread_mutex_t lock;           /* start/stop */
	bool stopped;
	int64_t started_ms;
	atomic_long requests;
	atomic_int sql_running;         /* SQL requests in flight */
	srv_guard guard;
	/* Idle catalog connections that requests reuse: opening one costs a
	 * SQLite file its WAL set-up (and the last close its checkpoint), a
	 * PostgreSQL server a connection. */
	pthread_mutex_t pool_lock;
	pond_catalog *pool[SRV_CATALOG_POOL];
	size_t npool;
	pthread_mutex_t session_lock;
	srv_session sessions[SRV_SESSIONS];
	char open_csrf[SRV_SECRET_LEN + 1];  /* the CSRF token the page sends when there is no token */
	srv_hub hub;
};

/* One request: everything in it lives in arena and dies with the request. */
typedef struct srv_ctx {
	pond_server *srv;
	const pond_http_request *req;
	pond_arena *arena;
	pond_url url;
	pond_error err;
	int err_status;       /* set by pond__server_fail: the status to answer with */
	json_t *body;         /* parsed by pond__server_body_object */
	pond_catalog *catalog;/* opened on demand by pond__server_catalog */
	pond_lake *lake;      /* opened on demand by pond__server_sql_lake, with engine */
	pond_engine *engine;
	pond_lake *meta_lake; /* opened on demand by pond__rest_lake: over catalog, engine when needed */
	bool rest;            /* a request to the Iceberg REST catalog: errors in its ErrorModel */
	const char *err_type; /* the REST error's type ("NoSuchTableException"); NULL: from the status */
} srv_ctx;

/* A handler's answer: a JSON document (owned; the server dumps and frees
 * it) or ready JSON text (raw, pond_malloc'd). */
typedef struct srv_reply {
	int status;
	json_t *json;
	char *raw;
	size_t raw_len;
	const char *content_type;      /* raw's type; NULL: JSON */
	const char *content_encoding;  /* "gzip" or NULL */
	const char *cache_control;     /* NULL: no-store */
	char etag[24];
	char *set_cookie;              /* pond_malloc'd */
	pond_http_stream *stream;      /* a streamed body instead */
} srv_reply;

/* A reply with status 204 has no body (json and raw stay NULL). */

/* Handlers return 0 with reply filled, or a negative POND_E* code with
 * ctx->err set (pond__server_fail also picks the status). */
typedef int (*srv_handler)(srv_ctx *ctx, srv_reply *reply);

/* Fails the request with an HTTP status and a one-line message. */
int pond__server_fail(srv_ctx *ctx, int status, const char *fmt, ...) POND_PRINTF(3, 4);
int pond__server_failv(srv_ctx *ctx, int status, const char *fmt, va_list ap);
/* The HTTP status for a pond error code. */
int pond__server_status_for(int code);
/* The request body as a JSON object; an empty body is an empty object
 * when allow_empty. 400 for anything else. Borrowed (the context frees it). */
int pond__server_body_object(srv_ctx *ctx, bool allow_empty, json_t **out);
/* Fails naming the first key of obj not in allowed (NULL-terminated). */
int pond__server_check_keys(srv_ctx *ctx, const json_t *obj, const char *const *allowed);
/* A query parameter as a positive integer within [min, max]; def when absent. */
int pond__server_param_int(srv_ctx *ctx, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out);

/* A catalog connection for this request (metadata and run history need no
 * DuckDB, which keeps an idle server small). Borrowed. */
int pond__server_catalog(srv_ctx *ctx, pond_catalog **out);
/* A lake on a locked-down engine for user SQL: no file access outside the
 * warehouse, no settings changes, the configured memory limit. */
int pond__server_sql_lake(srv_ctx *ctx, pond_lake **out);

/* ---- connection slots (guard.c) ---- */
/* libmicrohttpd's accept policy and connection notifier (cls: the server). */
enum MHD_Result pond__server_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void pond__server_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                      enum MHD_ConnectionNotificationCode code);
int pond__server_guard_start(pond_server *srv, pond_error *err);
void pond__server_guard_stop(pond_server *srv);
/* A request's headers are in / a request was answered (the next one's
 * headers are then due within the header timeout). */
void pond__server_guard_headers_done(pond_server *srv, struct MHD_Connection *conn);
void pond__server_guard_request_done(pond_server *srv, struct MHD_Connection *conn);
/* Appends to setup the SET statements that limit DuckDB's file access to
 * the warehouse's real, link-free files (sql_access.c). */
int pond__server_sql_access(srv_ctx *ctx, pond_buf *setup);

/* Sets reply to a JSON document with status 200 (takes the reference). */
int pond__server_ok(srv_reply *reply, json_t *doc);

/* ---- handlers ---- */

int pond__server_health(srv_ctx *ctx, srv_reply *reply);
int pond__server_tables_list(srv_ctx *ctx, srv_reply *reply);
int pond__server_table_get(srv_ctx *ctx, srv_reply *reply);
int pond__server_table_snapshots(srv_ctx *ctx, srv_reply *reply);
int pond__server_sql(srv_ctx *ctx, srv_reply *reply);
int pond__server_pipelines_list(srv_ctx *ctx, srv_reply *reply);
int pond__server_pipeline_get(srv_ctx *ctx, srv_reply *reply);
int pond__server_pipeline_trigger(srv_ctx *ctx, srv_reply *reply);
int pond__server_runs_list(srv_ctx *ctx, srv_reply *reply);
int pond__server_run_get(srv_ctx *ctx, srv_reply *reply);
int pond__server_run_steps(srv_ctx *ctx, srv_reply *reply);
int pond__server_run_logs(srv_ctx *ctx, srv_reply *reply);

/* ---- the Iceberg REST catalog (rest*.c) ---- */

/* Where the REST catalog is served: clients take uri=http://HOST:PORT/iceberg. */
#define POND_REST_PATH "/iceberg"

/* Whether a request target is under POND_REST_PATH. */
bool pond__rest_target(const char *target);
/* Whether a request to target may come without the token (the OAuth2
 * token request, which is how a client gets it). */
bool pond__server_open_target(const char *target);
/* The JSON text of an error (pond_malloc'd; NULL when out of memory):
 * {"error": "..."} for the JSON API, the REST catalog's ErrorModel
 * {"error": {"message", "type", "code"}} under POND_REST_PATH, with type
 * (NULL: the status's usual one). */
char *pond__server_error_json(const char *target, int status, const char *type, const char *message);

/* Fails a REST request from the pond error in ctx->err with code rc: the
 * status and ErrorModel type for rc, not_found naming a 404's type
 * ("NoSuchTableException"). Returns rc. */
int pond__rest_error(srv_ctx *ctx, int rc, const char *not_found);
/* Fails a REST request with a status and type of its own. */
int pond__rest_fail(srv_ctx *ctx, int status, const char *type, const char *fmt, ...) POND_PRINTF(4, 5);
/* A lake over the request's catalog connection, with no DuckDB until rows
 * are read or written (a flush). Borrowed. */
int pond__rest_lake(srv_ctx *ctx, pond_lake **out);
/* Splits text (changed in place) at 0x1F into namespace levels; what
 * names it in errors. */
int pond__rest_split_namespace(srv_ctx *ctx, char *text, const char *what, pond_ns *out);
/* The namespace in path segment i (levels separated by 0x1F). */
int pond__rest_path_namespace(srv_ctx *ctx, size_t i, pond_ns *out);
/* The table named by path segments 3 (namespace) and 5 (table). */
int pond__rest_path_table(srv_ctx *ctx, pond_table_ident *out);
/* A Namespace (a JSON array of strings) as levels in the arena. */
int pond__rest_namespace_from_json(srv_ctx *ctx, const json_t *j, const char *what, pond_ns *out);
/* A TableIdentifier ({"namespace": [..], "name": ".."}). */
int pond__rest_ident_from_json(srv_ctx *ctx, const json_t *j, const char *what, pond_table_ident *out);
json_t *pond__rest_namespace_json(const pond_ns *ns);
json_t *pond__rest_ident_json(const pond_table_ident *id);
/* Fails unless location (a path or file: URI) lies inside the warehouse:
 * the server writes metadata files there and reads what it registers.
 * *path (may be NULL) gets location without its file: scheme. */
int pond__rest_check_location(srv_ctx *ctx, const char *location, const char *what, const char **path);
/* GET /v1/namespaces/NS/tables or /views: the names list_names finds in
 * the path's namespace as a ListTablesResponse (404 for a missing one). */
typedef int (*pond__rest_names_fn)(pond_catalog *cat, const pond_ns *ns, pond_arena *arena, const char ***out,
                                   size_t *count, pond_error *err);
int pond__rest_names_list(srv_ctx *ctx, srv_reply *reply, pond__rest_names_fn list_names);
/* A RenameTableRequest (tables and views alike): source, destination, and
 * the request's lake. */
int pond__rest_rename_request(srv_ctx *ctx, pond_table_ident *from, pond_table_ident *to, pond_lake **lake);
/* The start of a create request (tables and views alike): the path's
 * namespace, which must exist; the body, checked against keys; its name;
 * its location (inside the warehouse) or else the default one for the
 * name. *lake is the request's. what names the operation in messages. */
int pond__rest_create_request(srv_ctx *ctx, const char *const *keys, const char *what, pond_table_ident *id,
                              json_t **body, pond_lake **lake, const char **location);
/* Answers {key: all} (all: a new array of the whole list, whose
 * reference this takes), one page of it when the request has the spec's
 * pageToken (and pageSize), with "next-page-token" (null on the last). */
int pond__rest_list_reply(srv_ctx *ctx, srv_reply *reply, const char *key, json_t *all);
/* 404 NoSuchNamespaceException / NoSuchTableException unless it exists. */
int pond__rest_namespace_must_exist(srv_ctx *ctx, pond_catalog *cat, const pond_ns *ns);
int pond__rest_table_must_exist(srv_ctx *ctx, pond_catalog *cat, const pond_table_ident *id);
/* Sets reply to 204 No Content. */
int pond__rest_no_content(srv_reply *reply);
/* The LoadTableResult of table: metadata-location (NULL: staged, not
 * committed), metadata (only the snapshots refs reach with refs_only)
 * and config (a table on S3: the project's endpoint, region and
 * addressing, never its keys). */
json_t *pond__rest_load_result(const pond_project *project, const pond_iceberg_metadata *md,
                               const char *metadata_location, bool refs_only, pond_error *err);

/* Commits a parsed CommitTableRequest to table id through the one commit
 * path (create: it may create the table, as assert-create asks); *out
 * gets the table as committed. Errors are set as REST errors. */
int pond__rest_commit(srv_ctx *ctx, const pond_table_ident *id, pond_iceberg_commit *commit, bool create,
                      pond_table **out);

int pond__rest_config(srv_ctx *ctx, srv_reply *reply);
int pond__rest_oauth_tokens(srv_ctx *ctx, srv_reply *reply);
int pond__rest_namespaces_list(srv_ctx *ctx, srv_reply *reply);
int pond__rest_namespace_create(srv_ctx *ctx, srv_reply *reply);
int pond__rest_namespace_load(srv_ctx *ctx, srv_reply *reply);
int pond__rest_namespace_drop(srv_ctx *ctx, srv_reply *reply);
int pond__rest_namespace_properties(srv_ctx *ctx, srv_reply *reply);
int pond__rest_tables_list(srv_ctx *ctx, srv_reply *reply);
int pond__rest_table_create(srv_ctx *ctx, srv_reply *reply);
int pond__rest_table_load(srv_ctx *ctx, srv_reply *reply);
int pond__rest_table_commit(srv_ctx *ctx, srv_reply *reply);
int pond__rest_table_drop(srv_ctx *ctx, srv_reply *reply);
int pond__rest_table_register(srv_ctx *ctx, srv_reply *reply);
int pond__rest_table_rename(srv_ctx *ctx, srv_reply *reply);
int pond__rest_table_metrics(srv_ctx *ctx, srv_reply *reply);
int pond__rest_transaction_commit(srv_ctx *ctx, srv_reply *reply);
int pond__rest_views_list(srv_ctx *ctx, srv_reply *reply);
int pond__rest_view_create(srv_ctx *ctx, srv_reply *reply);
int pond__rest_view_load(srv_ctx *ctx, srv_reply *reply);
int pond__rest_view_replace(srv_ctx *ctx, srv_reply *reply);
int pond__rest_view_drop(srv_ctx *ctx, srv_reply *reply);
int pond__rest_view_rename(srv_ctx *ctx, srv_reply *reply);

/* ---- the web page: sessions (session.c), assets (web.c), events (events.c) ---- */

void pond__server_sessions_init(pond_server *srv);
/* A new session (the oldest dropped when every slot is taken). */
int pond__server_session_new(pond_server *srv, int64_t now_ms, srv_session *out);
/* The live session a Cookie header names. */
bool pond__server_session_find(pond_server *srv, const char *cookie, int64_t now_ms, srv_session *out);
/* 0 when the request may go on; else the status (401, 403) with *message. */
int pond__server_authorize(pond_server *srv, const pond_http_request *req, const char **message);

/* One embedded file of the page (the generated build/web/assets.c). */
typedef struct pond_web_asset {
	const char *path;          /* "index.html", "app.js" */
	const char *content_type;
	const unsigned char *gz;   /* gzip-compressed */
	size_t gz_len, raw_len;
	const char *etag;          /* hex of the content's hash */
} pond_web_asset;
extern const pond_web_asset pond__web_assets[];
extern const size_t pond__web_nassets;
bool pond__server_web_open(const char *target);
const pond_web_asset *pond__server_web_find(const char *path);
int pond__server_web_send(srv_ctx *ctx, const pond_web_asset *a, srv_reply *reply);

/* SSE: appends one event (data split into data: lines; event NULL: a
 * plain message) to out. */
void pond__sse_frame(pond_buf *out, const char *event, const char *data);
int pond__server_hub_init(pond_server *srv);
/* Ends every stream (at stop) and frees the ring. */
void pond__server_hub_close(pond_server *srv);
void pond__server_hub_free(pond_server *srv);
/* Records a scheduler event for the streams (the scheduler's on_event). */
void pond__server_hub_push(pond_server *srv, const pond_run_event *ev);

int pond__server_web_index(srv_ctx *ctx, srv_reply *reply);
int pond__server_web_asset(srv_ctx *ctx, srv_reply *reply);
int pond__server_session_get(srv_ctx *ctx, srv_reply *reply);
int pond__server_login(srv_ctx *ctx, srv_reply *reply);
int pond__server_logout(srv_ctx *ctx, srv_reply *reply);
int pond__server_run_events(srv_ctx *ctx, srv_reply *reply);
int pond__server_lineage(srv_ctx *ctx, srv_reply *reply);
int pond__server_queries_list(srv_ctx *ctx, srv_reply *reply);
int pond__server_query_save(srv_ctx *ctx, srv_reply *reply);
int pond__server_query_delete(srv_ctx *ctx, srv_reply *reply);

/* ---- routing (route.c) ---- */

typedef struct srv_route {
	const char *method;
	const char *pattern;  /* "/api/runs/ID/steps" with ID written as a star: any one segment */
	srv_handler handler;
} srv_route;

/* Finds the route for method and segments. NULL with *allow set to the
 * methods the path takes (405) or NULL (404). */
const srv_route *pond__server_route_find(const char *method, char *const *segments, size_t nsegments,
                                         const char **allow);

/* ---- the scheduler (scheduler.c) ---- */

/* Loads pond.yml's pipelines and creates the run history tables. */
int pond__server_pipelines_load(pond_server *srv, pond_error *err);
/* Starts the scheduler, when the options ask for it. */
int pond__server_scheduler_start(pond_server *srv, pond_error *err);
/* Stops the scheduler (running steps get the grace period). */
void pond__server_scheduler_stop(pond_server *srv);
/* Stops it and frees the pipelines. */
void pond__server_scheduler_free(pond_server *srv);

/* ---- HTTP (http.c) ---- */

int pond__server_http_start(pond_server *srv, pond_error *err);
/* Stops accepting connections at once; requests in flight finish. */
void pond__server_http_quiesce(pond_server *srv);
void pond__server_http_stop(pond_server *srv);

#endif
