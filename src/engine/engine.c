/*
 * The embedded DuckDB: one database and one connection per pond_engine.
 * Statements run through DuckDB's pending-result API so that long queries
 * report progress and can be interrupted between tasks.
 */
#include "engine_internal.h"

#include <duckdb.h>
#include <stdio.h>
#include <string.h>

int pond_engine_open(pond_engine **out, const pond_engine_options *opts, pond_error *err)
{
	static const pond_engine_options defaults = POND_ENGINE_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	pond_engine *e = pond_calloc(1, sizeof(*e));
	if (!e)
		return pond_error_set(err, POND_ENOMEM, "out of memory opening the SQL engine");
	e->progress = opts->progress;
	e->progress_payload = opts->progress_payload;

	duckdb_config config;
	if (duckdb_create_config(&config) == DuckDBError) {
		pond_free(e);
		return pond_error_set(err, POND_ENOMEM, "could not create the SQL engine's configuration");
	}
	char threads[32];
	if (opts->threads > 0) {
		snprintf(threads, sizeof(threads), "%d", opts->threads);
		duckdb_set_config(config, "threads", threads);
	}
	if (opts->memory_limit)
		duckdb_set_config(config, "memory_limit", opts->memory_limit);
	/* pond runs offline: never try to download extensions. */
	duckdb_set_config(config, "autoinstall_known_extensions", "false");
	duckdb_set_config(config, "enable_progress_bar", "true");
	duckdb_set_config(config, "enable_progress_bar_print", "false");

	char *open_error = NULL;
	if (duckdb_open_ext(opts->database, &e->db, config, &open_error) == DuckDBError) {
		duckdb_destroy_config(&config);
		pond_error_set(err, POND_ESQL, "could not open the SQL engine: %s",
		               open_error ? open_error : "unknown error");
		duckdb_free(open_error);
		pond_free(e);
		return POND_ESQL;
	}
	duckdb_destroy_config(&config);
	if (duckdb_connect(e->db, &e->conn) == DuckDBError) {
		duckdb_close(&e->db);
		pond_free(e);
		return pond_error_set(err, POND_ESQL, "could not connect to the SQL engine");
	}
	/* Iceberg's time transforms and timestamptz values are in UTC; the
	 * session zone must not depend on the machine's. */
	int rc = pond_engine_exec(e, "SET TimeZone = 'UTC'", err);
	if (rc == 0)
		rc = pond__engine_register_functions(e, err);
	if (rc) {
		pond_engine_close(&e);
		return pond_error_prefix(err, "could not set up the SQL engine");
	}
	*out = e;
	return 0;
}

void pond_engine_close(pond_engine **engine)
{
	if (!engine || !*engine)
		return;
	pond_engine *e = *engine;
	if (e->side)
		duckdb_disconnect(&e->side);
	duckdb_disconnect(&e->conn);
	duckdb_close(&e->db);
	pond_free(e);
	*engine = NULL;
}

const char *pond_engine_duckdb_version(void)
{
	return duckdb_library_version();
}

duckdb_connection pond_engine_connection(pond_engine *engine)
{
	return engine->conn;
}

void pond_engine_interrupt(pond_engine *engine)
{
	__atomic_store_n(&engine->interrupted, 1, __ATOMIC_SEQ_CST);
	duckdb_interrupt(engine->conn);
}

/* Finds "LINE n: text\n<spaces>^" in a DuckDB message and returns the
 * column the caret points at (1-based), or 0. */
static int caret_position(const char *msg, int *line)
{
	const char *l = strstr(msg, "LINE ");
	if (!l)
		return 0;
	int n = 0;
	const char *p = l + 5;
	while (*p >= '0' && *p <= '9')
		n = n * 10 + (*p++ - '0');
	if (*p != ':' || n == 0)
		return 0;
	size_t prefix = (size_t)(p + 2 - l);  /* "LINE n: " */
	const char *nl = strchr(l, '\n');
	if (!nl)
		return 0;
	const char *caret = strchr(nl + 1, '^');
	if (!caret)
		return 0;
	size_t offset = (size_t)(caret - (nl + 1));
	if (offset < prefix)
		return 0;
	*line = n;
	return (int)(offset - prefix + 1);
}

int pond_engine_error(pond_error *err, const char *message)
{
	if (!message || !*message)
		return pond_error_set(err, POND_ESQL, "the SQL engine failed without a message");
	int code = POND_ESQL;
	if (strstr(message, "INTERRUPT") || strstr(message, "Interrupted"))
		code = POND_ECANCELED;
	pond_buf b = POND_BUF_INIT;
	/* Keep the text before the LINE marker; fold its lines into one. */
	const char *end = strstr(message, "\n\nLINE ");
	if (!end)
		end = strstr(message, "\nLINE ");
	if (!end)
		end = message + strlen(message);
	/* Internal errors carry DuckDB's C++ stack trace: not for the user. */
	const char *trace = strstr(message, "\nStack Trace:");
	if (!trace)
		trace = strstr(message, " Stack Trace:");
	if (trace && trace < end)
		end = trace;
	bool space = false;
	for (const char *p = message; p < end; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			space = true;
			continue;
		}
		if (space && b.len > 0)
			pond_buf_putc(&b, ' ');
		space = false;
		pond_buf_putc(&b, *p);
	}
	int line = 0, column = caret_position(message, &line);
	if (column > 0)
		pond_buf_printf(&b, " (line %d, column %d)", line, column);
	pond_error_set(err, code, "%s", pond_buf_cstr(&b));
	pond_buf_dispose(&b);
	return code;
}
