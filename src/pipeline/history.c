/*
 * Run history and leases in the catalog database: pond_runs (one row per
 * run, the queue too), pond_run_steps (one row per attempt), pond_run_logs
 * (size-capped text per step), pond_leases (one row per running pipeline)
 * and pond_schedule_state (the last fire queued per pipeline). Portable SQL
 * for SQLite and PostgreSQL through pond_catalog_exec/query.
 */
#include "pipeline_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const create_sql[] = {
	"CREATE TABLE IF NOT EXISTS pond_runs ("
	"id BIGINT NOT NULL PRIMARY KEY, pipeline VARCHAR(255) NOT NULL, run_trigger VARCHAR(16) NOT NULL, "
	"parameters TEXT NOT NULL, status VARCHAR(16) NOT NULL, error TEXT, holder VARCHAR(255), "
	"scheduled_ms BIGINT, queued_ms BIGINT NOT NULL, started_ms BIGINT, ended_ms BIGINT)",
	"CREATE INDEX IF NOT EXISTS pond_runs_status ON pond_runs (status, id)",
	"CREATE TABLE IF NOT EXISTS pond_run_steps ("
	"run_id BIGINT NOT NULL, step VARCHAR(255) NOT NULL, attempt INTEGER NOT NULL, status VARCHAR(16) NOT NULL, "
	"row_count BIGINT, byte_count BIGINT, started_ms BIGINT NOT NULL, duration_ms BIGINT, error TEXT, seq BIGINT, "
	"PRIMARY KEY (run_id, step, attempt))",
	"CREATE TABLE IF NOT EXISTS pond_run_logs ("
	"run_id BIGINT NOT NULL, step VARCHAR(255) NOT NULL, log TEXT NOT NULL, PRIMARY KEY (run_id, step))",
	"CREATE TABLE IF NOT EXISTS pond_leases ("
	"pipeline VARCHAR(255) NOT NULL PRIMARY KEY, holder VARCHAR(255) NOT NULL, run_id BIGINT, "
	"expires_ms BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS pond_schedule_state ("
	"pipeline VARCHAR(255) NOT NULL PRIMARY KEY, last_fire_ms BIGINT NOT NULL)",
};

/* Version 1 is the text pond used before versions were recorded; a change
 * to these tables is a new migration appended, never an edit of create_sql. */
static const pond_catalog_migration runs_migrations[] = {
	{create_sql, sizeof(create_sql) / sizeof(create_sql[0])},
};

static const pond_catalog_schema runs_schema = {
	"runs", runs_migrations, sizeof(runs_migrations) / sizeof(runs_migrations[0]),
};

int pond_runs_ensure_tables(pond_catalog *cat, pond_error *err)
{
	return pond_catalog_migrate(cat, &runs_schema, err);
}

int pond__catalog_open(pond_catalog **out, const pond_project *project, pond_error *err)
{
	int rc = pond_project_open_catalog(out, project, err);
	if (rc == 0 && (rc = pond_runs_ensure_tables(*out, err)) != 0)
		pond_catalog_close(out);
	return rc;
}

const char *pond_trigger_name(pond_trigger trigger)
{
	static const char *const names[] = {"manual", "schedule", "catchup", "api"};
	return (unsigned)trigger < 4 ? names[trigger] : "manual";
}

typedef struct num {
	char s[24];
} num;

static num n64(int64_t v)
{
	num n;
	snprintf(n.s, sizeof(n.s), "%" PRId64, v);
	return n;
}

static int first_i64(int ncols, const char *const *names, const char *const *values, void *payload)
{
	(void)names;
	int64_t *out = payload;
	if (ncols > 0 && values[0])
		pond_str_to_i64(values[0], out);
	return 0;
}

/* Picks the next id and inserts; the caller holds a write transaction. */
static int insert_run(pond_catalog *cat, const char *pipeline, const char *trigger, const char *parameters,
                      const char *status, const char *holder, int64_t scheduled_ms, int64_t now_ms, int64_t *out_id,
                      pond_error *err)
{
	int64_t id = 0;
	num q = n64(now_ms), sch = n64(scheduled_ms);
	int rc = pond_catalog_query(cat, "SELECT COALESCE(MAX(id), 0) + 1 FROM pond_runs", NULL, 0, first_i64, &id, err);
	if (rc)
		return rc;
	num idn = n64(id);
	bool running = strcmp(status, "running") == 0;
	const char *params[] = {idn.s,  pipeline, trigger, parameters ? parameters : "{}", status,
	                        holder, scheduled_ms ? sch.s : NULL, q.s, running ? q.s : NULL};
	rc = pond_catalog_exec(cat,
	                       "INSERT INTO pond_runs (id, pipeline, run_trigger, parameters, status, holder, "
	                       "scheduled_ms, queued_ms, started_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	                       params, 9, NULL, err);
	if (rc == 0)
		*out_id = id;
	return rc;
}

int pond__run_insert_in_tx(pond_catalog *cat, const char *pipeline, const char *trigger, const char *parameters,
                           int64_t scheduled_ms, int64_t now_ms, int64_t *out_id, pond_error *err)
{
	return insert_run(cat, pipeline, trigger, parameters, "queued", NULL, scheduled_ms, now_ms, out_id, err);
}

int pond__run_insert(pond_catalog *cat, const char *pipeline, const char *trigger, const char *parameters,
                     const char *status, const char *holder, int64_t scheduled_ms, int64_t now_ms, int64_t *out_id,
                     pond_error *err)
{
	for (int attempt = 0;; attempt++) {
		int rc = pond_catalog_tx_begin(cat, err);
		if (!rc)
			rc = insert_run(cat, pipeline, trigger, parameters, status, holder, scheduled_ms, now_ms, out_id, err);
		if (!rc && !(rc = pond_catalog_tx_commit(cat, err)))
			return 0;
		pond_catalog_tx_rollback(cat);
		/* PostgreSQL: two inserters picked the same id; try again */
		if ((rc != POND_EEXISTS && rc != POND_ECONFLICT) || attempt >= 50)
			return pond_error_prefix(err, "could not record a run of %s", pipeline);
		usleep((useconds_t)(1000 + pond_random_i63() % 20000));
	}
}

int pond_run_enqueue(pond_catalog *cat, const char *pipeline, pond_trigger trigger, const char *parameters,
                     int64_t now_ms, int64_t *out_id, pond_error *err)
{
	return pond__run_insert(cat, pipeline, pond_trigger_name(trigger), parameters, "queued", NULL, 0, now_ms, out_id,
	                        err);
}

int pond__run_finish(pond_catalog *cat, int64_t id, const char *status, const char *error, int64_t now_ms,
                     pond_error *err)
{
	num idn = n64(id), t = n64(now_ms);
	const char *params[] = {status, error, t.s, idn.s};
	return pond_catalog_exec(cat, "UPDATE pond_runs SET status = ?, error = ?, ended_ms = ? WHERE id = ?", params, 4,
	                         NULL, err);
}

int pond__attempt_start(pond_catalog *cat, int64_t run_id, const char *step, int attempt, int64_t now_ms,
                        pond_error *err)
{
	num r = n64(run_id), a = n64(attempt), t = n64(now_ms);
	const char *params[] = {r.s, step, a.s, t.s, r.s};
	/* seq keeps the order attempts started in, also within one millisecond */
	return pond_catalog_exec(cat,
	                         "INSERT INTO pond_run_steps (run_id, step, attempt, status, started_ms, seq) "
	                         "SELECT CAST(? AS BIGINT), CAST(? AS VARCHAR(255)), CAST(? AS INTEGER), 'running', "
	                         "CAST(? AS BIGINT), COALESCE(MAX(seq), 0) + 1 FROM pond_run_steps WHERE run_id = ?",
	                         params, 5, NULL, err);
}

int pond__attempt_finish(pond_catalog *cat, int64_t run_id, const char *step, int attempt, const char *status,
                         int64_t rows, int64_t bytes, int64_t duration_ms, const char *error, pond_error *err)
{
	num r = n64(run_id), a = n64(attempt), rw = n64(rows), b = n64(bytes), d = n64(duration_ms);
	const char *params[] = {status, rows >= 0 ? rw.s : NULL, bytes >= 0 ? b.s : NULL, d.s, error, r.s, step, a.s};
	return pond_catalog_exec(cat,
	                         "UPDATE pond_run_steps SET status = ?, row_count = ?, byte_count = ?, duration_ms = ?, "
	                         "error = ? WHERE run_id = ? AND step = ? AND attempt = ?",
	                         params, 8, NULL, err);
}

int pond__log_write(pond_catalog *cat, int64_t run_id, const char *step, const char *text, pond_error *err)
{
	num r = n64(run_id);
	const char *params[] = {r.s, step, text};
	int rc = pond_catalog_exec(cat, "DELETE FROM pond_run_logs WHERE run_id = ? AND step = ?", params, 2, NULL, err);
	if (!rc)
		rc = pond_catalog_exec(cat, "INSERT INTO pond_run_logs (run_id, step, log) VALUES (?, ?, ?)", params, 3, NULL,
		                       err);
	return rc;
}

/* ---- reading ---- */

typedef struct run_rows {
	pond_arena *arena;
	pond_run_info *items;
	size_t count, cap;
	bool oom;
} run_rows;

static const char *adup(pond_arena *a, const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = pond_arena_strdup(a, s);
	if (!d)
		*oom = true;
	return d;
}

static int64_t i64_or0(const char *s)
{
	int64_t v = 0;
	if (s)
		pond_str_to_i64(s, &v);
	return v;
}

#define RUN_COLUMNS \
	"id, pipeline, run_trigger, parameters, status, error, holder, scheduled_ms, queued_ms, started_ms, ended_ms"

static int run_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	(void)names;
	run_rows *r = payload;
	if (ncols < 11)
		return POND_ECORRUPT;
	if (!pond_arena_grow(r->arena, (void **)&r->items, r->count, &r->cap, sizeof(*r->items))) {
		r->oom = true;
		return POND_ENOMEM;
	}
	pond_run_info *ri = &r->items[r->count++];
	ri->id = i64_or0(v[0]);
	ri->pipeline = adup(r->arena, v[1], &r->oom);
	ri->trigger = adup(r->arena, v[2], &r->oom);
	ri->parameters = adup(r->arena, v[3], &r->oom);
	ri->status = adup(r->arena, v[4], &r->oom);
	ri->error = adup(r->arena, v[5], &r->oom);
	ri->holder = adup(r->arena, v[6], &r->oom);
	ri->scheduled_ms = i64_or0(v[7]);
	ri->queued_ms = i64_or0(v[8]);
	ri->started_ms = i64_or0(v[9]);
	ri->ended_ms = i64_or0(v[10]);
	return r->oom ? POND_ENOMEM : 0;
}

int pond_runs_list(pond_catalog *cat, const char *pipeline, int64_t before_id, size_t limit, pond_arena *arena,
                   pond_run_info **out, size_t *count, pond_error *err)
{
	pond_buf sql = POND_BUF_INIT;
	const char *params[2];
	size_t np = 0;
	num b = n64(before_id);
	pond_buf_puts(&sql, "SELECT " RUN_COLUMNS " FROM pond_runs WHERE 1 = 1");
	if (pipeline) {
		pond_buf_puts(&sql, " AND pipeline = ?");
		params[np++] = pipeline;
	}
	if (before_id > 0) {
		pond_buf_puts(&sql, " AND id < ?");
		params[np++] = b.s;
	}
	pond_buf_printf(&sql, " ORDER BY id DESC LIMIT %zu", limit ? limit : 100);
	run_rows r = {arena, NULL, 0, 0, false};
	int rc = pond_buf_ok(&sql) ? pond_catalog_query(cat, pond_buf_cstr(&sql), params, np, run_row, &r, err)
	                           : POND_ENOMEM;
	pond_buf_dispose(&sql);
	if (r.oom || rc == POND_ENOMEM)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		return rc;
	*out = r.items;
	*count = r.count;
	return 0;
}

int pond_run_get(pond_catalog *cat, int64_t id, pond_arena *arena, pond_run_info *out, pond_error *err)
{
	num idn = n64(id);
	const char *params[] = {idn.s};
	run_rows r = {arena, NULL, 0, 0, false};
	int rc = pond_catalog_query(cat, "SELECT " RUN_COLUMNS " FROM pond_runs WHERE id = ?", params, 1, run_row, &r, err);
	if (r.oom)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		return rc;
	if (!r.count)
		return pond_error_set(err, POND_ENOTFOUND, "no run %" PRId64, id);
	*out = r.items[0];
	return 0;
}

typedef struct step_rows {
	pond_arena *arena;
	pond_step_attempt *items;
	size_t count, cap;
	bool oom;
} step_rows;

static int step_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	(void)names;
	step_rows *r = payload;
	if (ncols < 9)
		return POND_ECORRUPT;
	if (!pond_arena_grow(r->arena, (void **)&r->items, r->count, &r->cap, sizeof(*r->items))) {
		r->oom = true;
		return POND_ENOMEM;
	}
	pond_step_attempt *s = &r->items[r->count++];
	s->run_id = i64_or0(v[0]);
	s->step = adup(r->arena, v[1], &r->oom);
	s->attempt = (int)i64_or0(v[2]);
	s->status = adup(r->arena, v[3], &r->oom);
	s->rows = v[4] ? i64_or0(v[4]) : -1;
	s->bytes = v[5] ? i64_or0(v[5]) : -1;
	s->started_ms = i64_or0(v[6]);
	s->duration_ms = i64_or0(v[7]);
	s->error = adup(r->arena, v[8], &r->oom);
	return r->oom ? POND_ENOMEM : 0;
}

int pond_run_steps(pond_catalog *cat, int64_t id, pond_arena *arena, pond_step_attempt **out, size_t *count,
                   pond_error *err)
{
	num idn = n64(id);
	const char *params[] = {idn.s};
	step_rows r = {arena, NULL, 0, 0, false};
	int rc = pond_catalog_query(cat,
	                            "SELECT run_id, step, attempt, status, row_count, byte_count, started_ms, duration_ms, "
	                            "error FROM pond_run_steps WHERE run_id = ? ORDER BY seq",
	                            params, 1, step_row, &r, err);
	if (r.oom)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc)
		return rc;
	*out = r.items;
	*count = r.count;
	return 0;
}

typedef struct log_rows {
	pond_buf buf;
	bool all;
} log_rows;

static int log_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	(void)names;
	log_rows *r = payload;
	if (ncols < 2)
		return POND_ECORRUPT;
	if (r->all)
		pond_buf_printf(&r->buf, "== %s ==\n", v[0] ? v[0] : "");
	pond_buf_puts(&r->buf, v[1] ? v[1] : "");
	if (r->all && r->buf.len && r->buf.ptr[r->buf.len - 1] != '\n')
		pond_buf_putc(&r->buf, '\n');
	return 0;
}

int pond_run_log(pond_catalog *cat, int64_t id, const char *step, pond_arena *arena, const char **out,
                 pond_error *err)
{
	pond_run_info run;
	int rc = pond_run_get(cat, id, arena, &run, err);
	if (rc)
		return rc;
	num idn = n64(id);
	const char *params[] = {idn.s, step};
	log_rows r = {POND_BUF_INIT, step == NULL};
	rc = pond_catalog_query(cat,
	                        step ? "SELECT step, log FROM pond_run_logs WHERE run_id = ? AND step = ?"
	                             : "SELECT l.step, l.log FROM pond_run_logs l LEFT JOIN (SELECT step, MIN(seq) "
	                               "AS s FROM pond_run_steps WHERE run_id = ? GROUP BY step) f ON f.step = l.step "
	                               "WHERE l.run_id = ? ORDER BY f.s, l.step",
	                        step ? params : (const char *[]){idn.s, idn.s}, 2, log_row, &r, err);
	if (rc == 0 && !pond_buf_ok(&r.buf))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0 && !(*out = pond_arena_strdup(arena, pond_buf_cstr(&r.buf))))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&r.buf);
	return rc;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *ms_or_null(int64_t ms)
{
	return ms ? json_integer(ms) : json_null();
}

json_t *pond_run_info_to_json(const pond_run_info *r)
{
	json_t *params = NULL;
	if (r->parameters)
		params = json_loads(r->parameters, 0, NULL);
	if (!params)
		params = json_object();
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id,
	                 "pipeline", r->pipeline ? r->pipeline : "", "trigger", r->trigger ? r->trigger : "",
	                 "parameters", params, "status", r->status ? r->status : "", "error", str_or_null(r->error),
	                 "holder", str_or_null(r->holder), "scheduled_ms", ms_or_null(r->scheduled_ms), "queued_ms",
	                 ms_or_null(r->queued_ms), "started_ms", ms_or_null(r->started_ms), "ended_ms",
	                 ms_or_null(r->ended_ms), "duration_ms",
	                 r->started_ms && r->ended_ms ? json_integer(r->ended_ms - r->started_ms) : json_null());
}

json_t *pond_step_attempt_to_json(const pond_step_attempt *s)
{
	return json_pack("{s:I, s:s, s:i, s:s, s:o, s:o, s:I, s:I, s:o}", "run_id", (json_int_t)s->run_id, "step",
	                 s->step ? s->step : "", "attempt", s->attempt, "status", s->status ? s->status : "", "rows",
	                 s->rows >= 0 ? json_integer(s->rows) : json_null(), "bytes",
	                 s->bytes >= 0 ? json_integer(s->bytes) : json_null(), "started_ms", (json_int_t)s->started_ms,
	                 "duration_ms", (json_int_t)s->duration_ms, "error", str_or_null(s->error));
}

/* ---- reconciliation ---- */

#define DEAD_RUN                                                                                      \
	"status = 'running' AND NOT EXISTS (SELECT 1 FROM pond_leases l WHERE l.pipeline = pond_runs.pipeline " \
	"AND l.run_id = pond_runs.id AND l.expires_ms >= ?)"

bool pond__lease_holder_is_dead(const char *holder)
{
	/* "host:pid:random" (pond_lease_holder_id); the host may hold colons */
	const char *last = strrchr(holder, ':');
	if (!last || last == holder)
		return false;
	const char *p = last - 1;
	while (p > holder && *p != ':')
		p--;
	if (*p != ':')
		return false;
	char host[64] = "host";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	size_t hlen = (size_t)(p - holder);
	if (hlen != strnlen(host, 60) || strncmp(holder, host, hlen) != 0)
		return false;
	char digits[24];
	size_t dlen = (size_t)(last - p - 1);
	if (dlen == 0 || dlen >= sizeof(digits))
		return false;
	memcpy(digits, p + 1, dlen);
	digits[dlen] = '\0';
	int64_t pid = 0;
	if (!pond_str_to_i64(digits, &pid) || pid <= 0 || pid > INT32_MAX)
		return false;
	/* EPERM: alive under another user; a reused pid counts as alive, and
	 * the lease then ends when it expires */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

typedef struct dead_holders {
	pond_arena *arena;
	const char **pipeline;
	const char **holder;
	size_t n, cap;
} dead_holders;

static int dead_holder_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	(void)names;
	dead_holders *d = payload;
	if (ncols < 2 || !v[0] || !v[1] || !pond__lease_holder_is_dead(v[1]))
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		const char **np = pond_arena_alloc(d->arena, cap * sizeof(*np));
		const char **nh = pond_arena_alloc(d->arena, cap * sizeof(*nh));
		if (!np || !nh)
			return 1;
		if (d->n) {
			memcpy(np, d->pipeline, d->n * sizeof(*np));
			memcpy(nh, d->holder, d->n * sizeof(*nh));
		}
		d->pipeline = np;
		d->holder = nh;
		d->cap = cap;
	}
	d->pipeline[d->n] = pond_arena_strdup(d->arena, v[0]);
	d->holder[d->n] = pond_arena_strdup(d->arena, v[1]);
	if (!d->pipeline[d->n] || !d->holder[d->n])
		return 1;
	d->n++;
	return 0;
}

/* Ends the leases whose holder was a process of this host that is gone (a
 * kill -9, a power cut): nobody renews them, and waiting for them to
 * expire would block the next run for nothing. Their runs are marked here
 * with the reason; the caller's reconciliation does their attempts. */
static int reclaim_dead_holders(pond_catalog *cat, int64_t now_ms, long *reclaimed, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	if (!arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	dead_holders d = {arena, NULL, NULL, 0, 0};
	int rc = pond_catalog_query(cat, "SELECT pipeline, holder FROM pond_leases", NULL, 0, dead_holder_row, &d, err);
	num t = n64(now_ms);
	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		long changes = 0;
		const char *msg = pond_arena_sprintf(arena, "the process running it (%s) is gone", d.holder[i]);
		const char *run_params[] = {t.s, msg, d.pipeline[i], d.holder[i]};
		rc = pond_catalog_exec(cat,
		                       "UPDATE pond_runs SET status = 'interrupted', ended_ms = ?, error = COALESCE(error, ?) "
		                       "WHERE status = 'running' AND id IN (SELECT run_id FROM pond_leases "
		                       "WHERE pipeline = ? AND holder = ?)",
		                       run_params, 4, &changes, err);
		*reclaimed += changes;
		const char *steps_params[] = {d.pipeline[i], d.holder[i]};
		if (rc == 0)
			rc = pond_catalog_exec(cat,
			                       "UPDATE pond_run_steps SET status = 'interrupted', error = COALESCE(error, "
			                       "'the process running it stopped') WHERE status = 'running' AND run_id IN "
			                       "(SELECT run_id FROM pond_leases WHERE pipeline = ? AND holder = ?)",
			                       steps_params, 2, NULL, err);
		/* only that holder's row: a new holder may have taken it meanwhile */
		if (rc == 0)
			rc = pond_catalog_exec(cat, "DELETE FROM pond_leases WHERE pipeline = ? AND holder = ?", steps_params,
			                       2, NULL, err);
	}
	pond_arena_free(&arena);
	return rc;
}

int pond_runs_reconcile(pond_catalog *cat, int64_t now_ms, int *count, pond_error *err)
{
	num t = n64(now_ms);
	long changed = 0, reclaimed = 0;
	int rc = pond_catalog_tx_begin(cat, err);
	if (!rc)
		rc = reclaim_dead_holders(cat, now_ms, &reclaimed, err);
	if (!rc) {
		const char *p1[] = {t.s};
		rc = pond_catalog_exec(cat,
		                       "UPDATE pond_run_steps SET status = 'interrupted', error = COALESCE(error, "
		                       "'the process running it stopped') WHERE status = 'running' AND run_id IN "
		                       "(SELECT id FROM pond_runs WHERE " DEAD_RUN ")",
		                       p1, 1, NULL, err);
	}
	if (!rc) {
		const char *p2[] = {t.s, t.s};
		rc = pond_catalog_exec(cat,
		                       "UPDATE pond_runs SET status = 'interrupted', ended_ms = ?, error = COALESCE(error, "
		                       "'the process running it stopped (its lease expired)') WHERE " DEAD_RUN,
		                       p2, 2, &changed, err);
	}
	if (!rc)
		rc = pond_catalog_tx_commit(cat, err);
	if (rc) {
		pond_catalog_tx_rollback(cat);
		return pond_error_prefix(err, "could not reconcile runs");
	}
	if (count)
		*count = (int)(changed + reclaimed);
	return 0;
}

/* ---- leases ---- */

int pond_lease_acquire(pond_catalog *cat, const char *pipeline, const char *holder, int64_t run_id, int64_t now_ms,
                       int64_t lease_ms, bool *taken, pond_error *err)
{
	num exp = n64(now_ms + lease_ms), now = n64(now_ms), rid = n64(run_id);
	long changes = 0;
	/* One conditional statement, so two takers of an expired lease cannot
	 * both win: the database re-checks the condition under the row lock. */
	const char *up[] = {holder, exp.s, run_id ? rid.s : NULL, pipeline, holder, now.s};
	int rc = pond_catalog_exec(cat,
	                           "UPDATE pond_leases SET holder = ?, expires_ms = ?, run_id = ? "
	                           "WHERE pipeline = ? AND (holder = ? OR expires_ms < ?)",
	                           up, 6, &changes, err);
	if (rc)
		return rc;
	if (changes == 1) {
		*taken = true;
		return 0;
	}
	const char *ins[] = {pipeline, holder, run_id ? rid.s : NULL, exp.s};
	rc = pond_catalog_exec(cat, "INSERT INTO pond_leases (pipeline, holder, run_id, expires_ms) VALUES (?, ?, ?, ?)",
	                       ins, 4, NULL, err);
	if (rc == POND_EEXISTS || rc == POND_ECONFLICT) {
		pond_error_clear(err);
		*taken = false;
		return 0;
	}
	*taken = rc == 0;
	return rc;
}

int pond_lease_renew(pond_catalog *cat, const char *pipeline, const char *holder, int64_t now_ms, int64_t lease_ms,
                     bool *kept, pond_error *err)
{
	num exp = n64(now_ms + lease_ms);
	long changes = 0;
	const char *params[] = {exp.s, pipeline, holder};
	int rc = pond_catalog_exec(cat, "UPDATE pond_leases SET expires_ms = ? WHERE pipeline = ? AND holder = ?", params,
	                           3, &changes, err);
	*kept = rc == 0 && changes == 1;
	return rc;
}

int pond__lease_set_run(pond_catalog *cat, const char *pipeline, const char *holder, int64_t run_id,
                        pond_error *err)
{
	num rid = n64(run_id);
	const char *params[] = {rid.s, pipeline, holder};
	return pond_catalog_exec(cat, "UPDATE pond_leases SET run_id = ? WHERE pipeline = ? AND holder = ?", params, 3,
	                         NULL, err);
}

int pond_lease_release(pond_catalog *cat, const char *pipeline, const char *holder, pond_error *err)
{
	const char *params[] = {pipeline, holder};
	return pond_catalog_exec(cat, "DELETE FROM pond_leases WHERE pipeline = ? AND holder = ?", params, 2, NULL, err);
}

void pond_lease_holder_id(char out[96])
{
	char host[64] = "host";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(out, 96, "%.60s:%ld:%08llx", host, (long)getpid(),
	         (unsigned long long)(pond_random_i63() & 0xffffffffLL));
}
