/*
 * POST /api/sql: one read-only query over the project's tables, answered
 * as columns and rows of JSON values. Three locks, each enough alone for
 * its part:
 *   - the statement must start like a query (SELECT, WITH, FROM, ...) and
 *     be the only one, so catalog writes (INSERT, CREATE TABLE AS) that a
 *     session would commit never reach it;
 *   - DuckDB must classify the bound statement as a SELECT (this catches
 *     WITH ... INSERT, COPY, ATTACH, SET, PRAGMA whatever their spelling);
 *   - the query runs on a DuckDB of its own whose file access is limited to
 *     the warehouse (enable_external_access off, allowed_directories the
 *     warehouse by real path, symlinks excluded: sql_access.c) with its
 *     configuration locked, so read_csv('/etc/passwd')
 *     or a COPY TO fail inside the engine even if a check above missed.
 * A watchdog interrupts the query after the server's SQL timeout, and as
 * soon as the client closes its connection (the page's Cancel, a curl
 * stopped with Ctrl-C): nobody is left to read the answer.
 */
#include "server_internal.h"

#include <duckdb.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pond/export.h"

#define DEFAULT_LIMIT 1000
/* Past this much JSON the rows stop and the answer says truncated. */
#define MAX_RESULT_BYTES (64u << 20)

static const char *const query_words[] = {"select", "with", "from", "values", "table", "describe", "summarize",
                                          "show", "pivot", "unpivot", NULL};

/* Checks the statement reads only, by its first word; 0 or a 400. */
static int check_first_word(srv_ctx *ctx, const char *stmt)
{
	const char *cur = stmt;
	pond_sql_token tok;
	if (!pond_sql_next_token(&cur, &tok))
		return pond__server_fail(ctx, 400, "sql: no statement");
	if (tok.kind == POND_TOK_SYMBOL && tok.len == 1 && tok.start[0] == '(')
		return 0;
	for (const char *const *w = query_words; tok.kind == POND_TOK_WORD && *w; w++)
		if (pond_sql_token_is(&tok, *w))
			return 0;
	return pond__server_fail(ctx, 400,
	                "sql: only read-only queries are allowed (SELECT, WITH, FROM, VALUES, DESCRIBE, SUMMARIZE, "
	                "SHOW), not %.*s",
	                (int)(tok.len > 40 ? 40 : tok.len), tok.start);
}

/* Asks DuckDB what kind of statement the bound text is. */
static int check_statement_type(srv_ctx *ctx, pond_engine *engine, const char *sql)
{
	duckdb_prepared_statement stmt = NULL;
	if (duckdb_prepare(pond_engine_connection(engine), sql, &stmt) == DuckDBError) {
		pond_engine_error(&ctx->err, duckdb_prepare_error(stmt));
		duckdb_destroy_prepare(&stmt);
		ctx->err_status = 400;
		return POND_ESQL;
	}
	duckdb_statement_type type = duckdb_prepared_statement_type(stmt);
	duckdb_destroy_prepare(&stmt);
	if (type != DUCKDB_STATEMENT_TYPE_SELECT)
		return pond__server_fail(ctx, 400, "sql: only read-only queries are allowed (this statement would change something)");
	return 0;
}

int pond__server_sql_lake(srv_ctx *ctx, pond_lake **out)
{
	const pond_server_options *o = &ctx->srv->opts;
	const pond_project *p = ctx->srv->project;
	pond_engine_options eo = POND_ENGINE_OPTIONS_INIT;
	eo.memory_limit = o->sql_memory_limit;
	int rc = pond_engine_open(&ctx->engine, &eo, &ctx->err);
	if (rc)
		return rc;
	pond_buf setup = POND_BUF_INIT;
	if ((rc = pond__server_sql_access(ctx, &setup)) != 0) {
		pond_buf_dispose(&setup);
		ctx->err_status = 500;
		return rc;
	}
	pond_buf_puts(&setup, "SET enable_external_access = false; SET autoinstall_known_extensions = false; "
	                      "SET autoload_known_extensions = false; SET lock_configuration = true;");
	rc = pond_buf_ok(&setup) ? pond_engine_exec(ctx->engine, pond_buf_cstr(&setup), &ctx->err)
	                         : pond_error_set(&ctx->err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&setup);
	if (rc) {
		ctx->err_status = 500;
		return rc;
	}
	if ((rc = pond_lake_open(&ctx->lake, p, ctx->engine, &ctx->err)) != 0) {
		ctx->err_status = 500;
		return rc;
	}
	*out = ctx->lake;
	return 0;
}

/* ---- the watchdog ---- */

typedef struct watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pond_engine *engine;
	int timeout_ms;
	int client_fd;      /* polled for the client closing; 0: none */
	bool done;
	bool fired;         /* the timeout passed */
	bool client_gone;   /* the client closed its connection */
} watchdog;

/* How often the watchdog looks at the client's socket. */
#define CLIENT_POLL_MS 100

/* Whether the peer closed (or reset) the connection: a poll that does not
 * wait and reads nothing. */
static bool client_closed(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static void *watchdog_main(void *arg)
{
	watchdog *w = arg;
	struct timespec deadline, next;
	pond_time_deadline_in(&deadline, w->timeout_ms);
	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		bool stopping = w->fired || w->client_gone;
		pond_time_deadline_in(&next, stopping ? 50 : CLIENT_POLL_MS);
		bool deadline_first = !stopping && (deadline.tv_sec < next.tv_sec ||
		                                    (deadline.tv_sec == next.tv_sec && deadline.tv_nsec < next.tv_nsec));
		if (pthread_cond_timedwait(&w->cond, &w->lock, deadline_first ? &deadline : &next) != ETIMEDOUT || w->done)
			continue;
		if (deadline_first)
			w->fired = true;
		else if (!stopping && w->client_fd > 0 && client_closed(w->client_fd))
			w->client_gone = true;
		/* Again every 50 ms once stopping: an interrupt between
		 * statements is reset by the next one. */
		if (w->fired || w->client_gone)
			pond_engine_interrupt(w->engine);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static bool watchdog_start(watchdog *w, pond_engine *engine, int timeout_ms, int client_fd)
{
	memset(w, 0, sizeof(*w));
	w->engine = engine;
	w->timeout_ms = timeout_ms;
	w->client_fd = client_fd;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, watchdog_main, w) != 0) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		return false;
	}
	return true;
}

/* Stops the watchdog; a failed query's error is then the watchdog's when
 * it stopped the query (504 for the timeout, 499 for a client that went
 * away), else rc as it was. */
static int watchdog_stop(watchdog *w, srv_ctx *ctx, int rc)
{
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	if (rc && w->fired)
		return pond__server_fail(ctx, 504, "sql: the query ran longer than %d ms and was stopped",
		                         ctx->srv->opts.sql_timeout_ms);
	if (rc && w->client_gone)
		return pond__server_fail(ctx, 499, "sql: the client closed the connection; the query was stopped");
	return rc;
}

/* ---- rendering ---- */

/* Writes {"columns":[...],"rows":[[...],...],"row_count":N,"truncated":B}
 * into out, at most limit rows. */
static int render(pond_buf *out, pond_result *result, int64_t limit, pond_error *err)
{
	idx_t ncols = pond_result_column_count(result);
	pond_buf_puts(out, "{\"columns\":[");
	pond_buf type_name = POND_BUF_INIT;
	for (idx_t c = 0; c < ncols; c++) {
		const char *name = pond_result_column_name(result, c);
		pond_buf_puts(out, c ? ",{\"name\":" : "{\"name\":");
		pond_json_quote(out, name, strlen(name));
		pond_buf_clear(&type_name);
		pond_type_name(&type_name, pond_result_column_type(result, c));
		pond_buf_puts(out, ",\"type\":");
		pond_json_quote(out, pond_buf_cstr(&type_name), type_name.len);
		pond_buf_putc(out, '}');
	}
	pond_buf_dispose(&type_name);
	pond_buf_puts(out, "],\"rows\":[");
	int64_t rows = 0;
	bool truncated = false;
	int rc = 0;
	while (!truncated) {
		duckdb_data_chunk chunk;
		int got = pond_result_next(result, &chunk, err);
		if (got < 0) {
			rc = got;
			break;
		}
		if (got == 0)
			break;
		idx_t n = duckdb_data_chunk_get_size(chunk);
		for (idx_t r = 0; r < n; r++) {
			if (rows == limit || out->len > MAX_RESULT_BYTES) {
				truncated = true;
				break;
			}
			pond_buf_puts(out, rows ? ",[" : "[");
			for (idx_t c = 0; c < ncols; c++) {
				if (c)
					pond_buf_putc(out, ',');
				pond_value_format(out, duckdb_data_chunk_get_vector(chunk, c), pond_result_column_type(result, c), r,
				                  POND_VALUE_JSON);
			}
			pond_buf_putc(out, ']');
			rows++;
		}
		duckdb_destroy_data_chunk(&chunk);
	}
	pond_buf_printf(out, "],\"row_count\":%lld,\"truncated\":%s}", (long long)rows, truncated ? "true" : "false");
	if (rc == 0 && !pond_buf_ok(out))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory rendering the result");
	return rc;
}

static int run_query(srv_ctx *ctx, const char *statement, int64_t limit, bool xlsx, srv_reply *reply);

/* POST /api/sql {"sql": "...", "limit": 1000, "format": "json"|"xlsx"} */
int pond__server_sql(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"sql", "limit", "format", NULL};
	json_t *body;
	int rc = pond__server_body_object(ctx, false, &body);
	if (rc || (rc = pond__server_check_keys(ctx, body, keys)) != 0)
		return rc;
	json_t *sql_json = json_object_get(body, "sql"), *limit_json = json_object_get(body, "limit");
	if (!json_is_string(sql_json))
		return pond__server_fail(ctx, 400, "request body needs \"sql\": a string");
	int64_t limit = DEFAULT_LIMIT;
	if (limit_json) {
		if (!json_is_integer(limit_json) || json_integer_value(limit_json) < 0 ||
		    json_integer_value(limit_json) > ctx->srv->opts.sql_max_rows)
			return pond__server_fail(ctx, 400, "\"limit\" must be an integer from 0 to %lld",
			                (long long)ctx->srv->opts.sql_max_rows);
		limit = json_integer_value(limit_json);
	}
	const char *format = json_string_value(json_object_get(body, "format"));
	if (json_object_get(body, "format") && (!format || (strcmp(format, "json") != 0 && strcmp(format, "xlsx") != 0)))
		return pond__server_fail(ctx, 400, "\"format\" must be \"json\" or \"xlsx\"");
	bool xlsx = format && strcmp(format, "xlsx") == 0;
	char **stmts;
	size_t n;
	if ((rc = pond_sql_split(json_string_value(sql_json), ctx->arena, &stmts, &n, &ctx->err)) != 0) {
		ctx->err_status = 400;
		return rc;
	}
	if (n == 0)
		return pond__server_fail(ctx, 400, "sql: no statement");
	if (n > 1)
		return pond__server_fail(ctx, 400, "sql: one statement per request, got %zu", n);
	if ((rc = check_first_word(ctx, stmts[0])) != 0)
		return rc;

	int running = atomic_fetch_add(&ctx->srv->sql_running, 1);
	if (running >= ctx->srv->opts.sql_max_concurrent) {
		atomic_fetch_sub(&ctx->srv->sql_running, 1);
		return pond__server_fail(ctx, 503, "sql: %d queries are running already; retry later", running);
	}
	rc = run_query(ctx, stmts[0], limit, xlsx, reply);
	atomic_fetch_sub(&ctx->srv->sql_running, 1);
	return rc;
}

/* The checked statement's whole result as an Excel workbook (the export
 * layer's xlsx writer, through the same session), in reply. */
static int render_xlsx(srv_ctx *ctx, pond_session *session, const char *statement, srv_reply *reply)
{
	char path[] = "/tmp/pond-sql-XXXXXX.xlsx";
	int fd = mkstemps(path, 5);
	if (fd < 0)
		return pond__server_fail(ctx, 500, "sql: could not make a temporary file for the workbook");
	close(fd);
	pond_export *def = NULL;
	pond_export_result res = {0};
	int rc = pond_export_from_query(&def, POND_EXPORT_XLSX, statement, path, "result", ctx->arena, &ctx->err);
	if (rc == 0)
		rc = pond_export_write(ctx->engine, session, def, NULL, &res, &ctx->err);
	pond_export_result_dispose(&res);
	char *data = NULL;
	size_t len = 0;
	if (rc == 0 && (rc = pond_file_read(&data, &len, path, MAX_RESULT_BYTES, &ctx->err)) == 0) {
		reply->raw = data;
		reply->raw_len = len;
		reply->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
		reply->status = 200;
	}
	unlink(path);
	return rc;
}

/* Runs one checked statement on a locked-down engine and renders it. */
static int run_query(srv_ctx *ctx, const char *statement, int64_t limit, bool xlsx, srv_reply *reply)
{
	int64_t start = pond_time_mono_ns();
	pond_lake *lake;
	int rc = pond__server_sql_lake(ctx, &lake);
	if (rc)
		return rc;
	watchdog wd;
	if (!watchdog_start(&wd, ctx->engine, ctx->srv->opts.sql_timeout_ms, ctx->req->client_fd))
		return pond__server_fail(ctx, 503, "could not start a thread");
	pond_session *session = NULL;
	pond_result *result = NULL;
	pond_buf out = POND_BUF_INIT;
	const char *bound;
	size_t files;
	rc = pond_session_open(&session, lake, &ctx->err);
	if (rc == 0 && (rc = pond_session_prepare(session, statement, ctx->arena, &bound, &files, &ctx->err)) != 0)
		ctx->err_status = rc == POND_ENOTFOUND ? 404 : 0;
	if (rc == 0)
		rc = check_statement_type(ctx, ctx->engine, bound);
	if (rc == 0 && xlsx) {
		rc = render_xlsx(ctx, session, statement, reply);
		pond_session_close(&session);
		return watchdog_stop(&wd, ctx, rc);
	}
	if (rc == 0)
		rc = pond_engine_query(ctx->engine, bound, &result, &ctx->err);
	if (rc == 0)
		rc = render(&out, result, limit, &ctx->err);
	pond_result_free(&result);
	pond_session_close(&session);
	rc = watchdog_stop(&wd, ctx, rc);
	if (rc) {
		pond_buf_dispose(&out);
		return rc;
	}
	/* The elapsed time goes in last, replacing the closing brace. */
	out.len--;
	pond_buf_printf(&out, ",\"elapsed_ms\":%.3f}", (double)(pond_time_mono_ns() - start) / 1e6);
	if (!pond_buf_ok(&out)) {
		pond_buf_dispose(&out);
		return pond__server_fail(ctx, 503, "out of memory");
	}
	reply->status = 200;
	reply->raw_len = out.len;
	reply->raw = pond_buf_detach(&out);
	return 0;
}
