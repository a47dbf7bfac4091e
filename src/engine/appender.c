/*
 * Row appends through duckdb_appender, with DuckDB's errors translated.
 */
#include "engine_internal.h"

#include <duckdb.h>

struct pond_appender {
	duckdb_appender app;
};

static int appender_error(pond_appender *a, pond_error *err)
{
	return pond_engine_error(err, duckdb_appender_error(a->app));
}

int pond_appender_open(pond_engine *e, const char *schema, const char *table, pond_appender **out,
                       pond_error *err)
{
	pond_appender *a = pond_calloc(1, sizeof(*a));
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (duckdb_appender_create(e->conn, schema, table, &a->app) == DuckDBError) {
		int rc = appender_error(a, err);
		duckdb_appender_destroy(&a->app);
		pond_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

#define APPEND(call) ((call) == DuckDBError ? appender_error(a, err) : 0)

int pond_appender_text(pond_appender *a, const char *s, pond_error *err)
{
	return s ? APPEND(duckdb_append_varchar(a->app, s)) : pond_appender_null(a, err);
}

int pond_appender_int(pond_appender *a, int64_t v, pond_error *err)
{
	return APPEND(duckdb_append_int64(a->app, v));
}

int pond_appender_double(pond_appender *a, double v, pond_error *err)
{
	return APPEND(duckdb_append_double(a->app, v));
}

int pond_appender_null(pond_appender *a, pond_error *err)
{
	return APPEND(duckdb_append_null(a->app));
}

int pond_appender_end_row(pond_appender *a, pond_error *err)
{
	return APPEND(duckdb_appender_end_row(a->app));
}

int pond_appender_close(pond_appender **app, pond_error *err)
{
	if (!app || !*app)
		return 0;
	pond_appender *a = *app;
	int rc = APPEND(duckdb_appender_close(a->app));
	duckdb_appender_destroy(&a->app);
	pond_free(a);
	*app = NULL;
	return rc;
}

int pond_appender_bool(pond_appender *a, bool v, pond_error *err)
{
	return APPEND(duckdb_append_bool(a->app, v));
}

int pond_appender_date(pond_appender *a, int32_t days, pond_error *err)
{
	duckdb_date d = {days};
	return APPEND(duckdb_append_date(a->app, d));
}

int pond_appender_timestamp(pond_appender *a, int64_t us, pond_error *err)
{
	duckdb_timestamp t = {us};
	return APPEND(duckdb_append_timestamp(a->app, t));
}

int pond_appender_time(pond_appender *a, int64_t us, pond_error *err)
{
	duckdb_time t = {us};
	return APPEND(duckdb_append_time(a->app, t));
}
