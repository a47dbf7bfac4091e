/*
 * Internals of the server, shared by the files of src/server: the server object,
 * one request's context, and the handlers the route table names.
 */
#ifndef POND_SERVER_INTERNAL_H
#define POND_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "pond/pipeline.h"
#include "pond/server.h"

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
} srv_ctx;

/* A handler's answer: a JSON document (owned; the server dumps and frees
 * it) or ready JSON text (raw, pond_malloc'd). */
typedef struct srv_reply {
	int status;
	json_t *json;
	char *raw;
	size_t raw_len;
} srv_reply;

/* Handlers return 0 with reply filled, or a negative POND_E* code with
 * ctx->err set (pond__server_fail also picks the status). */
typedef int (*srv_handler)(srv_ctx *ctx, srv_reply *reply);

/* Fails the request with an HTTP status and a one-line message. */
int pond__server_fail(srv_ctx *ctx, int status, const char *fmt, ...) POND_PRINTF(3, 4);
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
