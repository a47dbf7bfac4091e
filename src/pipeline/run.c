/*
 * Running a pipeline: the lease first, then the run row, then the steps as
 * a graph (a step starts when the steps it comes after are done; by
 * default each step comes after the one before it), each step on a thread
 * of its own that makes its attempts: retries with exponential backoff and
 * jitter, a timeout per attempt. The run's thread renews the lease and
 * watches the stop flag. Every attempt, its log and the run's outcome go to
 * the catalog database through one connection guarded by a mutex.
 */
#include "pipeline_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef enum {
	ST_PENDING = 0,
	ST_RUNNING,
	ST_SUCCESS,
	ST_FAILED,
	ST_INTERRUPTED,
	ST_SKIPPED,   /* before --from */
} step_state;

typedef struct run_ctx run_ctx;

typedef struct step_task {
	run_ctx *run;
	const pond_step *step;
	step_state state;
	bool started;
	pthread_t thread;
	char error[POND_ERROR_MSG_MAX];
	pond_buf log;
	size_t log_dropped;
} step_task;

struct run_ctx {
	const pond_project *project;
	const pond_pipelines *ps;
	const pond_pipeline *p;
	const pond_run_options *opts;
	const pond_clock *clock;
	pond_catalog *cat;
	pthread_mutex_t db_mu;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_mutex_t ev_mu;
	const char *holder;
	int64_t run_id;
	const char *parameters;
	int64_t scheduled_ms;
	volatile int cancel;   /* 1: stop gracefully, 2: now */
	bool lost_lease;
	step_task *tasks;
};

/* ---- the system clock ---- */

static int64_t system_now(void *payload)
{
	(void)payload;
	return pond_time_now_ms();
}

static void system_sleep_until(int64_t deadline_ms, void *payload)
{
	(void)payload;
	int64_t now = pond_time_now_ms();
	pond_time_sleep_ms(deadline_ms - now);
}

static const pond_clock system_clock = {system_now, system_sleep_until, NULL};

const pond_clock *pond_clock_system(void)
{
	return &system_clock;
}

/* ---- events and logs ---- */

static void emit(run_ctx *r, pond_run_event ev)
{
	if (!r->opts->on_event)
		return;
	ev.run_id = r->run_id;
	ev.pipeline = r->p->name;
	pthread_mutex_lock(&r->ev_mu);
	r->opts->on_event(&ev, r->opts->event_payload);
	pthread_mutex_unlock(&r->ev_mu);
}

static void log_append(step_task *t, const char *text, size_t len)
{
	size_t cap = t->run->ps->settings.log_cap;
	pond_buf_put(&t->log, text, len);
	if (t->log.len > cap) {
		/* keep the tail: the end of a log says why a step failed */
		size_t drop = t->log.len - cap * 3 / 4;
		memmove(t->log.ptr, t->log.ptr + drop, t->log.len - drop + 1);
		t->log.len -= drop;
		t->log_dropped += drop;
	}
}

static void log_line(step_task *t, const char *line, size_t len)
{
	log_append(t, line, len);
	log_append(t, "\n", 1);
}

static void step_output(const char *line, size_t len, void *payload)
{
	step_task *t = payload;
	log_line(t, line, len);
	char *copy = pond_strndup(line, len);
	emit(t->run, (pond_run_event){.kind = POND_RUN_EVENT_STEP_OUTPUT, .step = t->step->name, .rows = -1,
	                              .bytes = -1, .message = copy ? copy : ""});
	pond_free(copy);
}

static void step_progress(int64_t rows, int64_t bytes, void *payload)
{
	step_task *t = payload;
	emit(t->run, (pond_run_event){.kind = POND_RUN_EVENT_STEP_PROGRESS, .step = t->step->name, .rows = rows,
	                              .bytes = bytes});
}

static void save_log(step_task *t)
{
	pond_buf text = POND_BUF_INIT;
	if (t->log_dropped)
		pond_buf_printf(&text, "[... %zu bytes dropped ...]\n", t->log_dropped);
	pond_buf_puts(&text, pond_buf_cstr(&t->log));
	pond_error err = POND_ERROR_INIT;
	pthread_mutex_lock(&t->run->db_mu);
	if (pond_buf_ok(&text) && pond__log_write(t->run->cat, t->run->run_id, t->step->name, pond_buf_cstr(&text), &err))
		pond_warn("run %" PRId64 ": could not save the log of %s: %s", t->run->run_id, t->step->name, err.msg);
	pthread_mutex_unlock(&t->run->db_mu);
	pond_buf_dispose(&text);
}

/* ---- one step: its attempts ---- */

static int64_t backoff_ms(const pond_step *s, int attempt)
{
	int64_t base = s->retry_delay_ms;
	for (int i = 1; i < attempt && base < 3600000; i++)
		base *= 2;
	if (base > 3600000)
		base = 3600000;
	/* "equal jitter": half fixed, half random */
	return base / 2 + (base > 1 ? pond_random_i63() % (base / 2 + 1) : 0);
}

static void sleep_for(run_ctx *r, int64_t delay_ms)
{
	int64_t deadline = r->clock->now_ms(r->clock->payload) + delay_ms;
	while (!r->cancel) {
		int64_t now = r->clock->now_ms(r->clock->payload);
		if (now >= deadline)
			break;
		r->clock->sleep_until(deadline - now > 200 ? now + 200 : deadline, r->clock->payload);
	}
}

static void *step_main(void *arg)
{
	step_task *t = arg;
	run_ctx *r = t->run;
	const pond_step *s = t->step;
	step_state final = ST_FAILED;
	for (int attempt = 1; attempt <= s->retries + 1; attempt++) {
		if (r->cancel) {
			final = ST_INTERRUPTED;
			snprintf(t->error, sizeof(t->error), "stopped before attempt %d", attempt);
			break;
		}
		pond_error err = POND_ERROR_INIT;
		int64_t started = r->clock->now_ms(r->clock->payload);
		pthread_mutex_lock(&r->db_mu);
		if (pond__attempt_start(r->cat, r->run_id, s->name, attempt, started, &err))
			pond_warn("run %" PRId64 ": could not record step %s: %s", r->run_id, s->name, err.msg);
		pthread_mutex_unlock(&r->db_mu);
		emit(r, (pond_run_event){.kind = POND_RUN_EVENT_STEP_STARTED, .step = s->name, .attempt = attempt,
		                         .status = "running", .rows = -1, .bytes = -1});
		if (attempt > 1) {
			char head[64];
			int n = snprintf(head, sizeof(head), "--- attempt %d ---", attempt);
			log_line(t, head, (size_t)n);
		}
		pond__attempt at = {r->project, s, r->p->name, r->run_id, attempt, r->parameters, r->scheduled_ms,
		                    s->timeout_ms, r->ps->settings.grace_ms, &r->cancel, step_output, step_progress, t};
		pond__attempt_result res = {-1, -1, false, false};
		pond_error_clear(&err);
		int64_t t0 = pond_time_mono_ns();
		int rc = s->kind == POND_STEP_SHELL ? pond__step_shell(&at, &res, &err) : pond__step_inprocess(&at, &res, &err);
		int64_t dur = (pond_time_mono_ns() - t0) / 1000000;
		const char *status = rc == 0 ? "success"
		                     : res.timed_out ? "timeout"
		                     : (res.interrupted || rc == POND_ECANCELED) ? "interrupted"
		                                                                 : "failed";
		if (rc) {
			char line[POND_ERROR_MSG_MAX + 16];
			int n = snprintf(line, sizeof(line), "error: %s", err.msg);
			log_line(t, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
			snprintf(t->error, sizeof(t->error), "%s", err.msg);
		}
		pond_error derr = POND_ERROR_INIT;
		pthread_mutex_lock(&r->db_mu);
		if (pond__attempt_finish(r->cat, r->run_id, s->name, attempt, status, res.rows, res.bytes, dur,
		                         rc ? err.msg : NULL, &derr))
			pond_warn("run %" PRId64 ": could not record step %s: %s", r->run_id, s->name, derr.msg);
		pthread_mutex_unlock(&r->db_mu);
		save_log(t);
		emit(r, (pond_run_event){.kind = POND_RUN_EVENT_STEP_FINISHED, .step = s->name, .attempt = attempt,
		                         .status = status, .rows = res.rows, .bytes = res.bytes, .duration_ms = dur,
		                         .message = rc ? err.msg : NULL});
		if (rc == 0) {
			final = ST_SUCCESS;
			break;
		}
		if (strcmp(status, "interrupted") == 0) {
			final = ST_INTERRUPTED;
			break;
		}
		if (attempt <= s->retries && !r->cancel) {
			int64_t delay = backoff_ms(s, attempt);
			emit(r, (pond_run_event){.kind = POND_RUN_EVENT_STEP_RETRY, .step = s->name, .attempt = attempt,
			                         .status = status, .rows = -1, .bytes = -1, .delay_ms = delay,
			                         .message = err.msg});
			sleep_for(r, delay);
		}
	}
	pthread_mutex_lock(&r->mu);
	t->state = final;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- the run ---- */

static bool deps_done(const run_ctx *r, const pond_step *s, bool *blocked)
{
	*blocked = false;
	for (size_t i = 0; i < s->nafter; i++) {
		const step_task *d = &r->tasks[s->after[i]];
		if (d->state == ST_SUCCESS || d->state == ST_SKIPPED ||
		    (d->state == ST_FAILED && d->step->continue_on_failure))
			continue;
		if (d->state == ST_FAILED || d->state == ST_INTERRUPTED)
			*blocked = true;
		return false;
	}
	return true;
}

static void renew_lease(run_ctx *r)
{
	bool kept = true;
	pond_error err = POND_ERROR_INIT;
	pthread_mutex_lock(&r->db_mu);
	int rc = pond_lease_renew(r->cat, r->p->name, r->holder, r->clock->now_ms(r->clock->payload),
	                          r->ps->settings.lease_ms, &kept, &err);
	pthread_mutex_unlock(&r->db_mu);
	if (rc) {
		pond_warn("run %" PRId64 ": could not renew the lease of %s: %s", r->run_id, r->p->name, err.msg);
	} else if (!kept) {
		pond_warn("run %" PRId64 ": lost the lease of %s to another process; stopping", r->run_id, r->p->name);
		r->lost_lease = true;
		r->cancel = 2;
	}
}

/* Runs the steps of a run that holds its lease and has its row; records
 * the outcome, alerts, releases the lease. */
/* Starts each step on a thread of its own once the steps it comes after
 * are done, until none runs and none can start; renews the lease as it
 * waits. Returns the step whose failure stopped the run, or NULL. */
static const char *run_steps(run_ctx *r)
{
	const pond_pipeline *p = r->p;
	int64_t renew_every = r->ps->settings.lease_ms / 3;
	int64_t last_renew = pond_time_mono_ns() / 1000000;
	bool stopping = false;
	const char *failed_step = NULL;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		if (r->opts->cancel && *r->opts->cancel > r->cancel)
			r->cancel = *r->opts->cancel >= 2 ? 2 : 1;
		size_t running = 0;
		bool startable = false;
		for (size_t i = 0; i < p->nsteps; i++) {
			step_task *t = &r->tasks[i];
			if (t->state == ST_FAILED && !t->step->continue_on_failure && !stopping) {
				stopping = true;
				failed_step = t->step->name;
			}
			if (t->state == ST_RUNNING)
				running++;
		}
		for (size_t i = 0; i < p->nsteps && !stopping && !r->cancel; i++) {
			step_task *t = &r->tasks[i];
			bool blocked;
			if (t->state != ST_PENDING || !deps_done(r, t->step, &blocked))
				continue;
			t->state = ST_RUNNING;
			if (pthread_create(&t->thread, NULL, step_main, t) != 0) {
				t->state = ST_FAILED;
				snprintf(t->error, sizeof(t->error), "could not start a thread");
				continue;
			}
			t->started = true;
			running++;
			startable = true;
		}
		if (running == 0 && !startable)
			break;
		struct timespec ts;
		pond_time_deadline_in(&ts, 100);
		pthread_cond_timedwait(&r->cond, &r->mu, &ts);
		int64_t now = pond_time_mono_ns() / 1000000;
		if (now - last_renew >= renew_every) {
			pthread_mutex_unlock(&r->mu);
			renew_lease(r);
			last_renew = now;
			pthread_mutex_lock(&r->mu);
		}
	}
	pthread_mutex_unlock(&r->mu);
	for (size_t i = 0; i < p->nsteps; i++)
		if (r->tasks[i].started)
			pthread_join(r->tasks[i].thread, NULL);
	return failed_step;
}

/* The run's outcome once its steps are done: "success", "failed" or
 * "interrupted", with the message (empty on success) in message. */
static const char *run_outcome(run_ctx *r, const char *failed_step, char message[POND_ERROR_MSG_MAX])
{
	const pond_pipeline *p = r->p;
	bool pending = false, interrupted = false;
	for (size_t i = 0; i < p->nsteps; i++) {
		pending |= r->tasks[i].state == ST_PENDING;
		interrupted |= r->tasks[i].state == ST_INTERRUPTED;
	}
	message[0] = '\0';
	if (r->lost_lease) {
		snprintf(message, POND_ERROR_MSG_MAX, "lost the lease of pipeline %s to another process", p->name);
		return "interrupted";
	}
	if (failed_step) {
		long fi = pond_pipeline_step_index(p, failed_step);
		pond_error step_err = POND_ERROR_INIT;
		pond_error_set(&step_err, POND_ERROR, "step %s failed: %s", failed_step, fi >= 0 ? r->tasks[fi].error : "");
		memcpy(message, step_err.msg, POND_ERROR_MSG_MAX);
		return "failed";
	}
	if (interrupted || (r->cancel && pending)) {
		snprintf(message, POND_ERROR_MSG_MAX, "stopped before the run finished");
		return "interrupted";
	}
	return "success";
}

/* Records the run's end, alerts on a failure, releases the lease and
 * tells the caller; problems here are warnings, never the run's outcome. */
static void finish_run(run_ctx *r, const char *status, const char *message, const char *failed_step)
{
	const pond_pipeline *p = r->p;
	int64_t ended = r->clock->now_ms(r->clock->payload);
	pond_error derr = POND_ERROR_INIT;
	pond_arena *arena = pond_arena_new();
	pond_run_info info;
	bool have_info = false;
	pthread_mutex_lock(&r->db_mu);
	if (pond__run_finish(r->cat, r->run_id, status, message[0] ? message : NULL, ended, &derr))
		pond_warn("run %" PRId64 ": could not record its end: %s", r->run_id, derr.msg);
	else if (arena && pond_run_get(r->cat, r->run_id, arena, &info, &derr) == 0)
		have_info = true;
	pthread_mutex_unlock(&r->db_mu);
	if (strcmp(status, "failed") == 0 && have_info)
		pond__alert_failure(p, &info, failed_step, r->project->root);
	if (pond_lease_release(r->cat, p->name, r->holder, &derr))
		pond_warn("could not release the lease of %s: %s", p->name, derr.msg);
	emit(r, (pond_run_event){.kind = POND_RUN_EVENT_RUN_FINISHED, .status = status, .rows = -1, .bytes = -1,
	                         .message = message[0] ? message : NULL});
	pond_arena_free(&arena);
}

static int execute(run_ctx *r, pond_error *err)
{
	const pond_pipeline *p = r->p;
	r->tasks = pond_calloc(p->nsteps, sizeof(step_task));
	if (!r->tasks)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pthread_mutex_init(&r->db_mu, NULL);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cond, NULL);
	pthread_mutex_init(&r->ev_mu, NULL);
	long from = r->opts->from_step ? pond_pipeline_step_index(p, r->opts->from_step) : 0;
	for (size_t i = 0; i < p->nsteps; i++) {
		r->tasks[i].run = r;
		r->tasks[i].step = &p->steps[i];
		r->tasks[i].state = (long)i < from ? ST_SKIPPED : ST_PENDING;
	}
	emit(r, (pond_run_event){.kind = POND_RUN_EVENT_RUN_STARTED, .status = "running", .rows = -1, .bytes = -1});
	const char *failed_step = run_steps(r);
	char message[POND_ERROR_MSG_MAX];
	const char *status = run_outcome(r, failed_step, message);
	finish_run(r, status, message, failed_step);
	for (size_t i = 0; i < p->nsteps; i++)
		pond_buf_dispose(&r->tasks[i].log);
	pond_free(r->tasks);
	pthread_mutex_destroy(&r->db_mu);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->ev_mu);
	if (strcmp(status, "success") == 0)
		return 0;
	if (strcmp(status, "failed") == 0)
		return pond_error_set(err, POND_ERROR, "run %" PRId64 " of %s failed: %s", r->run_id, p->name, message);
	return pond_error_set(err, POND_ECANCELED, "run %" PRId64 " of %s interrupted: %s", r->run_id, p->name, message);
}

static int check_options(const pond_pipeline *p, const pond_run_options *opts, pond_error *err)
{
	if (opts->from_step && pond_pipeline_step_index(p, opts->from_step) < 0)
		return pond_error_set(err, POND_EINVAL, "pipeline %s has no step \"%s\"", p->name, opts->from_step);
	if (opts->parameters) {
		json_t *doc = json_loads(opts->parameters, 0, NULL);
		bool ok = json_is_object(doc);
		json_decref(doc);
		if (!ok)
			return pond_error_set(err, POND_EINVAL, "run parameters must be a JSON object");
	}
	return 0;
}

typedef struct lease_owner {
	int64_t run_id;
	char holder[128];
} lease_owner;

static int lease_row(int ncols, const char *const *names, const char *const *v, void *payload)
{
	(void)names;
	lease_owner *o = payload;
	if (ncols >= 2) {
		if (v[0])
			pond_str_to_i64(v[0], &o->run_id);
		snprintf(o->holder, sizeof(o->holder), "%s", v[1] ? v[1] : "");
	}
	return 0;
}

static int busy_error(pond_catalog *cat, const char *pipeline, pond_error *err)
{
	lease_owner o = {0, ""};
	const char *params[] = {pipeline};
	pond_error qerr = POND_ERROR_INIT;
	if (pond_catalog_query(cat, "SELECT run_id, holder FROM pond_leases WHERE pipeline = ?", params, 1, lease_row, &o,
	                       &qerr))
		return pond_error_set(err, POND_ECONFLICT, "pipeline %s is already running (its holder could not be read: %s)",
		                      pipeline, qerr.msg);
	if (o.run_id)
		return pond_error_set(err, POND_ECONFLICT, "pipeline %s is already running (run %" PRId64 ", %s)", pipeline,
		                      o.run_id, o.holder);
	return pond_error_set(err, POND_ECONFLICT, "pipeline %s is already running (%s)", pipeline, o.holder);
}

int pond_pipeline_run(const pond_project *project, const pond_pipelines *pipelines, const char *pipeline,
                      const pond_run_options *opts, int64_t *out_run_id, pond_error *err)
{
	static const pond_run_options defaults = POND_RUN_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	const pond_pipeline *p = pond_pipelines_find(pipelines, pipeline);
	if (!p)
		return pond_error_set(err, POND_ENOTFOUND, "no pipeline \"%s\" in pond.yml", pipeline);
	int rc = check_options(p, opts, err);
	if (rc)
		return rc;
	run_ctx r;
	memset(&r, 0, sizeof(r));
	r.project = project;
	r.ps = pipelines;
	r.p = p;
	r.opts = opts;
	r.clock = opts->clock ? opts->clock : pond_clock_system();
	r.parameters = opts->parameters ? opts->parameters : "{}";
	char holder[96];
	if (opts->holder)
		r.holder = opts->holder;
	else {
		pond_lease_holder_id(holder);
		r.holder = holder;
	}
	if ((rc = pond__catalog_open(&r.cat, project, err)))
		return rc;
	int64_t now = r.clock->now_ms(r.clock->payload);
	bool taken = false;
	rc = pond_runs_reconcile(r.cat, now, NULL, err);
	while (rc == 0) {
		now = r.clock->now_ms(r.clock->payload);
		if ((rc = pond_lease_acquire(r.cat, p->name, r.holder, 0, now, pipelines->settings.lease_ms, &taken, err)))
			break;
		if (taken)
			break;
		if (!opts->wait_for_lease) {
			rc = busy_error(r.cat, p->name, err);
			break;
		}
		if (opts->cancel && *opts->cancel) {
			rc = pond_error_set(err, POND_ECANCELED, "stopped while waiting for pipeline %s", p->name);
			break;
		}
		r.clock->sleep_until(now + 500, r.clock->payload);
		rc = pond_runs_reconcile(r.cat, r.clock->now_ms(r.clock->payload), NULL, err);
	}
	if (rc == 0) {
		rc = pond__run_insert(r.cat, p->name, pond_trigger_name(opts->trigger), r.parameters, "running", r.holder, 0,
		                      now, &r.run_id, err);
		if (rc == 0)
			rc = pond__lease_set_run(r.cat, p->name, r.holder, r.run_id, err);
		pond_error rerr = POND_ERROR_INIT;
		if (rc)
			pond_lease_release(r.cat, p->name, r.holder, &rerr);
	}
	if (rc == 0) {
		if (out_run_id)
			*out_run_id = r.run_id;
		rc = execute(&r, err);
	}
	pond_catalog_close(&r.cat);
	return rc;
}

int pond_pipeline_run_queued(const pond_project *project, const pond_pipelines *pipelines, int64_t run_id,
                             const pond_run_options *opts, pond_error *err)
{
	static const pond_run_options defaults = POND_RUN_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	run_ctx r;
	memset(&r, 0, sizeof(r));
	r.project = project;
	r.ps = pipelines;
	r.opts = opts;
	r.clock = opts->clock ? opts->clock : pond_clock_system();
	r.run_id = run_id;
	char holder[96];
	if (opts->holder)
		r.holder = opts->holder;
	else {
		pond_lease_holder_id(holder);
		r.holder = holder;
	}
	int rc = pond__catalog_open(&r.cat, project, err);
	if (rc)
		return rc;
	pond_arena *arena = pond_arena_new();
	pond_run_info info;
	if (!arena)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	else
		rc = pond_run_get(r.cat, run_id, arena, &info, err);
	int64_t now = r.clock->now_ms(r.clock->payload);
	if (rc == 0 && strcmp(info.status, "queued") != 0)
		rc = pond_error_set(err, POND_ECONFLICT, "run %" PRId64 " is %s, not queued", run_id, info.status);
	if (rc == 0 && !(r.p = pond_pipelines_find(pipelines, info.pipeline))) {
		rc = pond_error_set(err, POND_ENOTFOUND, "no pipeline \"%s\" in pond.yml", info.pipeline);
		pond_error ferr = POND_ERROR_INIT;
		pond__run_finish(r.cat, run_id, "failed", err->msg, now, &ferr);
	}
	bool taken = false;
	if (rc == 0 && (rc = pond_lease_acquire(r.cat, r.p->name, r.holder, run_id, now, pipelines->settings.lease_ms,
	                                        &taken, err)) == 0 && !taken)
		rc = busy_error(r.cat, r.p->name, err);
	if (rc == 0) {
		/* claim the row: exactly one claimer wins */
		char idn[24], t[24];
		long changes = 0;
		snprintf(idn, sizeof(idn), "%" PRId64, run_id);
		snprintf(t, sizeof(t), "%" PRId64, now);
		const char *params[] = {r.holder, t, idn};
		rc = pond_catalog_exec(r.cat,
		                       "UPDATE pond_runs SET status = 'running', holder = ?, started_ms = ? "
		                       "WHERE id = ? AND status = 'queued'",
		                       params, 3, &changes, err);
		if (rc == 0 && changes != 1)
			rc = pond_error_set(err, POND_ECONFLICT, "run %" PRId64 " was claimed by another scheduler", run_id);
		pond_error rerr = POND_ERROR_INIT;
		if (rc)
			pond_lease_release(r.cat, r.p->name, r.holder, &rerr);
	}
	if (rc == 0) {
		r.parameters = info.parameters ? info.parameters : "{}";
		r.scheduled_ms = info.scheduled_ms;
		rc = execute(&r, err);
	}
	pond_arena_free(&arena);
	pond_catalog_close(&r.cat);
	return rc;
}
