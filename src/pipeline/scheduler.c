/*
 * The scheduler: each pass reconciles runs whose process died, turns due
 * cron fires into queued runs (all missed fires with catchup: true, the
 * latest only without), and starts queued runs on worker threads, oldest
 * first, one per pipeline, up to the concurrency limit. Several schedulers
 * (threads, processes, machines) may share one catalog database: a fire is
 * queued by whoever moves pond_schedule_state forward first, a queued run
 * is run by whoever claims its row, and the pipeline's lease keeps two runs
 * of one pipeline apart. Time comes from an injectable clock.
 */
#include "pipeline_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define CATCHUP_MAX 1000

typedef struct worker {
	struct worker *next;
	pond_scheduler *sched;
	int64_t run_id;
	const pond_pipeline *pipeline;
	pthread_t thread;
	volatile int cancel;
	bool done;
} worker;

struct pond_scheduler {
	const pond_project *project;
	const pond_pipelines *ps;
	pond_scheduler_options opts;
	const pond_clock *clock;
	int concurrency;
	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t changed;
	pond_catalog *cat;
	char holder[96];
	worker *workers;
	volatile sig_atomic_t stop_requested;
	bool stopping;
	bool loop_started;
	pthread_t loop;
};

static int64_t now_ms(const pond_scheduler *s)
{
	return s->clock->now_ms(s->clock->payload);
}

int pond_scheduler_new(pond_scheduler **out, const pond_project *project, const pond_pipelines *pipelines,
                       const pond_scheduler_options *opts, pond_error *err)
{
	static const pond_scheduler_options defaults = POND_SCHEDULER_OPTIONS_INIT;
	pond_scheduler *s = pond_calloc(1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	s->project = project;
	s->ps = pipelines;
	s->opts = opts ? *opts : defaults;
	s->clock = s->opts.clock ? s->opts.clock : pond_clock_system();
	s->concurrency = s->opts.concurrency > 0 ? s->opts.concurrency : pipelines->settings.concurrency;
	pond_lease_holder_id(s->holder);
	int rc = pond__catalog_open(&s->cat, project, err);
	if (rc) {
		pond_free(s);
		return rc;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->changed, NULL);
	*out = s;
	return 0;
}

/* ---- workers ---- */

static void *worker_main(void *arg)
{
	worker *w = arg;
	pond_scheduler *s = w->sched;
	pond_run_options o = POND_RUN_OPTIONS_INIT;
	o.on_event = s->opts.on_event;
	o.event_payload = s->opts.event_payload;
	o.clock = s->clock;
	o.cancel = &w->cancel;
	o.holder = s->holder;
	pond_error err = POND_ERROR_INIT;
	int rc = pond_pipeline_run_queued(s->project, s->ps, w->run_id, &o, &err);
	if (rc == POND_ECONFLICT)
		pond_debug("run %" PRId64 ": %s", w->run_id, err.msg);
	else if (rc)
		pond_info("%s", err.msg);
	pthread_mutex_lock(&s->mu);
	w->done = true;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Joins finished workers; returns how many are still running. Holds mu. */
static int reap(pond_scheduler *s)
{
	int running = 0;
	for (worker **pw = &s->workers; *pw;) {
		worker *w = *pw;
		if (w->done) {
			pthread_join(w->thread, NULL);
			*pw = w->next;
			pond_free(w);
		} else {
			running++;
			pw = &w->next;
		}
	}
	return running;
}

static bool running_here(const pond_scheduler *s, const char *pipeline)
{
	for (const worker *w = s->workers; w; w = w->next)
		if (!w->done && strcmp(w->pipeline->name, pipeline) == 0)
			return true;
	return false;
}

/* ---- fires ---- */

static int state_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	(void)names;
	int64_t *out = payload;
	if (ncols > 0 && v[0])
		pond_str_to_i64(v[0], out);
	return 0;
}

/* Queues the fires of p due since its last queued fire. */
static int enqueue_due(pond_scheduler *s, const pond_pipeline *p, int64_t now, pond_error *err)
{
	int64_t last = INT64_MIN;
	const char *key[] = {p->name};
	int rc = pond_catalog_query(s->cat, "SELECT last_fire_ms FROM pond_schedule_state WHERE pipeline = ?", key, 1,
	                            state_row, &last, err);
	if (rc)
		return rc;
	char nowtext[24], lasttext[24], firetext[24];
	snprintf(nowtext, sizeof(nowtext), "%" PRId64, now);
	if (last == INT64_MIN) {
		/* first sight of this pipeline: fires count from now on */
		const char *params[] = {p->name, nowtext};
		rc = pond_catalog_exec(s->cat, "INSERT INTO pond_schedule_state (pipeline, last_fire_ms) VALUES (?, ?)",
		                       params, 2, NULL, err);
		if (rc == POND_EEXISTS) {
			pond_error_clear(err);
			rc = 0;
		}
		return rc;
	}
	int64_t fires[CATCHUP_MAX];
	size_t n = 0;
	int64_t f = last, next;
	pond_error cerr = POND_ERROR_INIT;
	while (pond_cron_next(&p->cron, p->tz, f, &next, &cerr) == 0 && next <= now) {
		if (n == CATCHUP_MAX) {
			memmove(fires, fires + 1, (CATCHUP_MAX - 1) * sizeof(int64_t));
			n--;
		}
		fires[n++] = f = next;
	}
	if (n == 0)
		return 0;
	size_t first = p->catchup ? 0 : n - 1;
	snprintf(lasttext, sizeof(lasttext), "%" PRId64, last);
	snprintf(firetext, sizeof(firetext), "%" PRId64, fires[n - 1]);
	if ((rc = pond_catalog_tx_begin(s->cat, err)))
		return rc;
	long changes = 0;
	const char *params[] = {firetext, p->name, lasttext};
	rc = pond_catalog_exec(s->cat,
	                       "UPDATE pond_schedule_state SET last_fire_ms = ? WHERE pipeline = ? AND last_fire_ms = ?",
	                       params, 3, &changes, err);
	if (rc == 0 && changes != 1) {
		/* another scheduler queued these fires */
		pond_catalog_tx_rollback(s->cat);
		return 0;
	}
	/* A fire a scheduler notices within a poll or a minute is on time;
	 * older ones are catch-up runs. */
	int64_t on_time = s->ps->settings.poll_ms * 2 + 60000;
	for (size_t i = first; i < n && rc == 0; i++) {
		int64_t id;
		bool late = i + 1 < n || now - fires[i] > on_time;
		rc = pond__run_insert_in_tx(s->cat, p->name, late ? "catchup" : "schedule", "{}", fires[i], now, &id, err);
		if (rc == 0)
			pond_info("queued run %" PRId64 " of %s (%s)", id, p->name, late ? "catch-up" : "schedule");
	}
	if (rc == 0)
		rc = pond_catalog_tx_commit(s->cat, err);
	if (rc)
		pond_catalog_tx_rollback(s->cat);
	return rc;
}

/* ---- dispatch ---- */

typedef struct name_list {
	pond_arena *arena;
	const char **names;
	int64_t *ids;
	size_t count, cap;
} name_list;

static int list_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	(void)names;
	name_list *l = payload;
	if (ncols < 2 || !v[1])
		return 0;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		const char **nn = pond_arena_calloc(l->arena, cap, sizeof(char *));
		int64_t *ni = pond_arena_calloc(l->arena, cap, sizeof(int64_t));
		if (!nn || !ni)
			return POND_ENOMEM;
		if (l->count) {
			memcpy(nn, l->names, l->count * sizeof(char *));
			memcpy(ni, l->ids, l->count * sizeof(int64_t));
		}
		l->names = nn;
		l->ids = ni;
		l->cap = cap;
	}
	l->ids[l->count] = 0;
	if (v[0])
		pond_str_to_i64(v[0], &l->ids[l->count]);
	if (!(l->names[l->count] = pond_arena_strdup(l->arena, v[1])))
		return POND_ENOMEM;
	l->count++;
	return 0;
}

static bool in_list(const name_list *l, const char *name, size_t upto)
{
	for (size_t i = 0; i < upto && i < l->count; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

static int dispatch(pond_scheduler *s, int64_t now, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	name_list busy = {a, NULL, NULL, 0, 0}, queued = {a, NULL, NULL, 0, 0};
	char t[24];
	snprintf(t, sizeof(t), "%" PRId64, now);
	const char *params[] = {t};
	int rc = pond_catalog_query(s->cat, "SELECT run_id, pipeline FROM pond_leases WHERE expires_ms >= ?", params, 1,
	                            list_row, &busy, err);
	if (rc == 0)
		rc = pond_catalog_query(s->cat,
		                        "SELECT id, pipeline FROM pond_runs WHERE status = 'queued' ORDER BY id LIMIT 1000",
		                        NULL, 0, list_row, &queued, err);
	int running = reap(s);
	for (size_t i = 0; rc == 0 && i < queued.count && running < s->concurrency; i++) {
		const char *name = queued.names[i];
		/* one run per pipeline at a time, oldest first */
		if (in_list(&queued, name, i) || in_list(&busy, name, busy.count) || running_here(s, name))
			continue;
		const pond_pipeline *p = pond_pipelines_find(s->ps, name);
		if (!p) {
			pond_error ferr = POND_ERROR_INIT;
			char msg[300];
			snprintf(msg, sizeof(msg), "no pipeline \"%s\" in pond.yml", name);
			pond__run_finish(s->cat, queued.ids[i], "failed", msg, now, &ferr);
			continue;
		}
		worker *w = pond_calloc(1, sizeof(*w));
		if (!w) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		w->sched = s;
		w->run_id = queued.ids[i];
		w->pipeline = p;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			pond_free(w);
			rc = pond_error_set(err, POND_ERROR, "could not start a worker thread");
			break;
		}
		w->next = s->workers;
		s->workers = w;
		running++;
	}
	pond_arena_free(&a);
	return rc;
}

int pond_scheduler_tick(pond_scheduler *s, int64_t *next_ms, pond_error *err)
{
	pthread_mutex_lock(&s->mu);
	int64_t now = now_ms(s);
	int64_t next = now + s->ps->settings.poll_ms;
	int rc = 0;
	if (!s->stopping) {
		pond_error e = POND_ERROR_INIT;
		int dead = 0;
		if (pond_runs_reconcile(s->cat, now, &dead, &e))
			pond_warn("%s", e.msg);
		else if (dead)
			pond_info("marked %d run%s interrupted: their process stopped", dead, dead == 1 ? "" : "s");
		for (size_t i = 0; s->opts.fire_schedules && i < s->ps->count; i++) {
			const pond_pipeline *p = &s->ps->items[i];
			if (!p->schedule)
				continue;
			pond_error_clear(&e);
			if (enqueue_due(s, p, now, &e))
				pond_warn("pipeline %s: could not queue its scheduled runs: %s", p->name, e.msg);
			int64_t f;
			if (pond_cron_next(&p->cron, p->tz, now, &f, &e) == 0 && f < next)
				next = f;
		}
		rc = dispatch(s, now, err);
	}
	pthread_mutex_unlock(&s->mu);
	if (next_ms)
		*next_ms = next;
	return rc;
}

void pond_scheduler_wait_idle(pond_scheduler *s)
{
	pthread_mutex_lock(&s->mu);
	while (reap(s) > 0)
		pthread_cond_wait(&s->changed, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

int pond_scheduler_run(pond_scheduler *s, pond_error *err)
{
	while (!s->stop_requested) {
		int64_t next;
		pond_error e = POND_ERROR_INIT;
		if (pond_scheduler_tick(s, &next, &e))
			pond_warn("scheduler: %s", e.msg);
		int64_t now = now_ms(s), poll_until = now + s->ps->settings.poll_ms;
		if (s->stop_requested)
			break;
		s->clock->sleep_until(next < poll_until ? next : poll_until, s->clock->payload);
	}
	(void)err;
	return 0;
}

static void *loop_main(void *arg)
{
	pond_scheduler *s = arg;
	pond_error err = POND_ERROR_INIT;
	pond_scheduler_run(s, &err);
	return NULL;
}

int pond_scheduler_start(pond_scheduler *s, pond_error *err)
{
	pthread_mutex_lock(&s->mu);
	int rc = 0;
	if (!s->loop_started) {
		if (pthread_create(&s->loop, NULL, loop_main, s) != 0)
			rc = pond_error_set(err, POND_ERROR, "could not start the scheduler thread");
		else
			s->loop_started = true;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void pond_scheduler_request_stop(pond_scheduler *s)
{
	s->stop_requested = 1;
}

void pond_scheduler_stop(pond_scheduler *s, int64_t grace_ms)
{
	s->stop_requested = 1;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	bool joined = !s->loop_started;
	s->loop_started = false;
	pthread_mutex_unlock(&s->mu);
	if (!joined)
		pthread_join(s->loop, NULL);
	if (grace_ms < 0)
		grace_ms = s->ps->settings.grace_ms;
	/* running steps get the grace period, then are killed */
	pthread_mutex_lock(&s->mu);
	for (worker *w = s->workers; w; w = w->next)
		w->cancel = 1;
	int64_t until = pond_time_mono_ns() / 1000000 + grace_ms + 1000;
	while (reap(s) > 0) {
		if (pond_time_mono_ns() / 1000000 >= until)
			for (worker *w = s->workers; w; w = w->next)
				w->cancel = 2;
		struct timespec ts;
		pond_time_deadline_in(&ts, 100);
		pthread_cond_timedwait(&s->changed, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
}

int pond_scheduler_trigger(pond_scheduler *s, const char *pipeline, pond_trigger trigger, const char *parameters,
                           int64_t *out_id, pond_error *err)
{
	if (!pond_pipelines_find(s->ps, pipeline))
		return pond_error_set(err, POND_ENOTFOUND, "no pipeline \"%s\" in pond.yml", pipeline);
	if (parameters) {
		json_t *doc = json_loads(parameters, 0, NULL);
		bool ok = json_is_object(doc);
		json_decref(doc);
		if (!ok)
			return pond_error_set(err, POND_EINVAL, "run parameters must be a JSON object");
	}
	pthread_mutex_lock(&s->mu);
	int rc = pond_run_enqueue(s->cat, pipeline, trigger, parameters, now_ms(s), out_id, err);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int pond_scheduler_cancel_run(pond_scheduler *s, int64_t run_id, pond_error *err)
{
	pthread_mutex_lock(&s->mu);
	worker *found = NULL;
	for (worker *w = s->workers; w; w = w->next)
		if (!w->done && w->run_id == run_id)
			found = w;
	if (found)
		found->cancel = 1;
	pthread_mutex_unlock(&s->mu);
	return found ? 0 : pond_error_set(err, POND_ENOTFOUND, "run %" PRId64 " is not running here", run_id);
}

void pond_scheduler_free(pond_scheduler **sched)
{
	if (!sched || !*sched)
		return;
	pond_scheduler *s = *sched;
	pond_scheduler_stop(s, -1);
	pond_catalog_close(&s->cat);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->changed);
	pond_free(s);
	*sched = NULL;
}
