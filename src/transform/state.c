/*
 * pond's transform state in the catalog database, beside the Iceberg
 * catalog tables: pond_model_runs (one row per model per run: status,
 * snapshot, rows, time, the model's hash and its inputs' snapshots) and
 * pond_test_results (one row per test per run), the "transform" schema of
 * pond's state (pond_catalog_migrate). View models are stored through the
 * table layer (pond_view_put). The SQL is the same for SQLite and
 * PostgreSQL.
 */
#include "transform_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const create_sql[] = {
	"CREATE TABLE IF NOT EXISTS pond_model_runs ("
	"run_id VARCHAR(64) NOT NULL, "
	"catalog_name VARCHAR(255) NOT NULL, "
	"model VARCHAR(255) NOT NULL, "
	"path VARCHAR(1000), "
	"materialized VARCHAR(16), "
	"status VARCHAR(16) NOT NULL, "
	"snapshot_id BIGINT, "
	"rows_written BIGINT, "
	"duration_ms DOUBLE PRECISION, "
	"model_hash VARCHAR(32), "
	"inputs TEXT, "
	"message TEXT, "
	"started_at BIGINT, "
	"finished_at BIGINT, "
	"PRIMARY KEY (run_id, catalog_name, model))",
	"CREATE TABLE IF NOT EXISTS pond_test_results ("
	"run_id VARCHAR(64) NOT NULL, "
	"catalog_name VARCHAR(255) NOT NULL, "
	"model VARCHAR(255) NOT NULL, "
	"test_name VARCHAR(1000) NOT NULL, "
	"severity VARCHAR(8) NOT NULL, "
	"status VARCHAR(8) NOT NULL, "
	"failures BIGINT, "
	"sample TEXT, "
	"message TEXT, "
	"duration_ms DOUBLE PRECISION, "
	"finished_at BIGINT, "
	"PRIMARY KEY (run_id, catalog_name, model, test_name))",
};

/* Version 1 is the text pond used before versions were recorded (pond_views,
 * then created here too, is the table layer's now: src/table/views.c).
 * Append migrations; never edit a released one. */
static const pond_catalog_migration transform_migrations[] = {
	{create_sql, sizeof(create_sql) / sizeof(create_sql[0])},
};

static const pond_catalog_schema transform_schema = {
	"transform", transform_migrations, sizeof(transform_migrations) / sizeof(transform_migrations[0]),
};

int pond__transform_state_init(pond_catalog *cat, pond_error *err)
{
	return pond_catalog_migrate(cat, &transform_schema, err);
}

typedef struct {
	const pond_transform_graph *g;
	pond_arena *a;
	tf_prev_run *out;
} last_runs;

static int take_run(int ncols, const char *const *names, const char *const *values, void *payload)
{
	last_runs *l = payload;
	(void)names;
	if (ncols < 4 || !values[0])
		return 0;
	int i = pond__transform_find_node(l->g, values[0]);
	if (i < 0)
		return 0;
	/* Rows come oldest first: the last one wins. */
	l->out[i].hash = values[1] ? pond_arena_strdup(l->a, values[1]) : NULL;
	l->out[i].inputs = values[2] ? pond_arena_strdup(l->a, values[2]) : NULL;
	int64_t snap = 0;
	l->out[i].snapshot_id = values[3] && pond_str_to_i64(values[3], &snap) ? snap : 0;
	return 0;
}

int pond__transform_state_last_runs(pond_catalog *cat, const pond_transform_graph *g, pond_arena *a, tf_prev_run *out,
                       pond_error *err)
{
	last_runs l = {g, a, out};
	const char *params[] = {pond_catalog_name(cat)};
	return pond_catalog_query(cat,
	                          "SELECT model, model_hash, inputs, snapshot_id FROM pond_model_runs "
	                          "WHERE catalog_name = ? AND status = 'ok' ORDER BY finished_at, started_at",
	                          params, 1, take_run, &l, err);
}

static int take_any(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)ncols;
	(void)names;
	(void)values;
	*(bool *)payload = true;
	return 0;
}

bool pond__transform_state_has_runs(pond_catalog *cat, const char *model)
{
	bool found = false;
	pond_error ignored = POND_ERROR_INIT;
	const char *params[] = {pond_catalog_name(cat), model};
	pond_catalog_query(cat, "SELECT 1 FROM pond_model_runs WHERE catalog_name = ? AND model = ? AND status = 'ok'",
	                   params, 2, take_any, &found, &ignored);
	return found;
}

int pond__transform_state_record_model(pond_catalog *cat, const char *run_id, const tf_node *node,
                                       const pond_model_outcome *m, int64_t started_ms, const char *inputs,
                                       pond_error *err)
{
	char snap[24], rows[24], ms[32], start[24], end[24];
	snprintf(snap, sizeof(snap), "%lld", (long long)m->snapshot_id);
	snprintf(rows, sizeof(rows), "%lld", (long long)m->rows);
	snprintf(ms, sizeof(ms), "%.3f", (double)m->duration_ns / 1e6);
	snprintf(start, sizeof(start), "%lld", (long long)started_ms);
	snprintf(end, sizeof(end), "%lld", (long long)pond_time_now_ms());
	const char *status = m->status == POND_MODEL_OK ? "ok" : pond_model_status_name(m->status);
	const char *params[] = {run_id, pond_catalog_name(cat), m->name, m->path, m->materialized, status,
	                        m->snapshot_id ? snap : NULL, rows, ms, node->hash_hex, inputs, m->message, start, end};
	return pond_catalog_exec(cat,
	                         "INSERT INTO pond_model_runs (run_id, catalog_name, model, path, materialized, status, "
	                         "snapshot_id, rows_written, duration_ms, model_hash, inputs, message, started_at, "
	                         "finished_at) VALUES (?, ?, ?, ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), "
	                         "CAST(? AS DOUBLE PRECISION), ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT))",
	                         params, 14, NULL, err);
}

int pond__transform_state_record_test(pond_catalog *cat, const char *run_id, const pond_test_outcome *t,
                                      pond_error *err)
{
	char failures[24], ms[32], end[24];
	snprintf(failures, sizeof(failures), "%lld", (long long)t->failures);
	snprintf(ms, sizeof(ms), "%.3f", (double)t->duration_ns / 1e6);
	snprintf(end, sizeof(end), "%lld", (long long)pond_time_now_ms());
	const char *params[] = {run_id, pond_catalog_name(cat), t->model ? t->model : "", t->name,
	                        t->warn ? "warn" : "error", pond_test_status_name(t->status), failures, t->sample,
	                        t->message, ms, end};
	return pond_catalog_exec(cat,
	                         "INSERT INTO pond_test_results (run_id, catalog_name, model, test_name, severity, status, "
	                         "failures, sample, message, duration_ms, finished_at) VALUES (?, ?, ?, ?, ?, ?, "
	                         "CAST(? AS BIGINT), ?, ?, CAST(? AS DOUBLE PRECISION), CAST(? AS BIGINT))",
	                         params, 11, NULL, err);
}
