/*
 * Running models: the scheduler and its thread pool. The calling thread
 * plans (graph, selection, last runs), hands every model whose inputs are
 * done to a pool of workers, and records each outcome in the catalog
 * database as it comes back; events are delivered on the calling thread.
 * A worker owns an engine, a lake and a session (sessions are one thread
 * each), opened once and reused for every model it builds.
 *
 * Up to date: a model is skipped when its last successful run had the
 * same hash (file and inlined ephemeral models), the same inputs (the
 * snapshot ids of the tables it reads, through views) and its table is
 * still at the snapshot that run made (a view: the same SQL is stored).
 * --force builds anyway; --full-refresh rebuilds incremental models.
 */
#include "transform_internal.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define THREADS_MAX 64

const char *pond_model_status_name(pond_model_status s)
{
	switch (s) {
	case POND_MODEL_OK: return "ok";
	case POND_MODEL_UP_TO_DATE: return "up_to_date";
	case POND_MODEL_EPHEMERAL: return "ephemeral";
	case POND_MODEL_FAILED: return "failed";
	case POND_MODEL_BLOCKED: return "blocked";
	case POND_MODEL_CANCELED: return "canceled";
	}
	return "unknown";
}

const char *pond_test_status_name(pond_test_status s)
{
	switch (s) {
	case POND_TEST_PASS: return "pass";
	case POND_TEST_WARN: return "warn";
	case POND_TEST_FAIL: return "fail";
	case POND_TEST_ERROR: return "error";
	}
	return "unknown";
}

static const char *mat_name(tf_mat m)
{
	static const char *const names[] = {"table", "view", "incremental", "ephemeral"};
	return names[m];
}

static bool test_failed(const pond_test_outcome *t)
{
	return t->status == POND_TEST_FAIL || (t->status == POND_TEST_ERROR && !t->warn);
}

/* ---- jobs and the pool ------------------------------------------------------------------ */

typedef struct job {
	int node;
	pond_arena *arena;
	pond_model_outcome m;
	const char *inputs;
	int64_t started_ms;
	struct job *next;
} job;

typedef struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	job *todo, *todo_tail, *done, *done_tail;
	bool stop;
	const pond_transform_graph *g;
	const tf_prev_run *prev;
	const int *attached;      /* custom test node -> model node it runs after */
	bool test_only, full_refresh, force;
	int nthreads, engine_threads;
	const char *memory_limit;
} pool;

static void push(job **head, job **tail, job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static job *pop(job **head, job **tail)
{
	job *j = *head;
	if (j && !(*head = j->next))
		*tail = NULL;
	return j;
}

static void add_test(job *j, const pond_test_outcome *t)
{
	pond_test_outcome *all = pond_arena_calloc(j->arena, j->m.ntests + 1, sizeof(*all));
	if (!all)
		return;
	if (j->m.ntests)
		memcpy(all, j->m.tests, j->m.ntests * sizeof(*all));
	all[j->m.ntests++] = *t;
	j->m.tests = all;
}

static bool up_to_date(tf_worker *w, const pool *p, const tf_node *n, job *j, pond_error *err)
{
	const tf_prev_run *prev = &p->prev[j->node];
	if (p->force || (p->full_refresh && n->mat == TF_INCREMENTAL) || !prev->hash ||
	    strcmp(prev->hash, n->hash_hex) != 0)
		return false;
	if (n->mat == TF_VIEW) {
		const char *sql = NULL;
		return pond_view_sql(pond_lake_catalog(w->lake), &n->id, j->arena, &sql, err) == 0 && sql &&
		       strcmp(sql, n->expanded) == 0;
	}
	if (!prev->inputs || strcmp(prev->inputs, j->inputs) != 0)
		return false;
	pond_table *t = NULL;
	pond_error missing = POND_ERROR_INIT;
	if (pond_table_load(&t, w->lake, &n->id, &missing) != 0)
		return false;
	int64_t now = t->metadata->current_snapshot_id == POND_ICEBERG_NO_SNAPSHOT ? 0 : t->metadata->current_snapshot_id;
	pond_table_free(&t);
	if (now != prev->snapshot_id)
		return false;
	j->m.snapshot_id = now;
	return true;
}

static void run_tests(tf_worker *w, const pool *p, job *j)
{
	const tf_node *n = &p->g->nodes[j->node];
	int failed = 0;
	for (size_t i = 0; i < n->ntests; i++) {
		pond_test_outcome t;
		pond__transform_run_test(w, &n->tests[i], n->name, j->arena, &t);
		failed += test_failed(&t);
		add_test(j, &t);
	}
	for (size_t i = 0; i < p->g->nnodes; i++) {
		if (p->attached[i] != j->node)
			continue;
		pond_test_outcome t;
		pond__transform_run_test(w, &p->g->nodes[i].tests[0], n->name, j->arena, &t);
		failed += test_failed(&t);
		add_test(j, &t);
	}
	if (failed) {
		j->m.status = POND_MODEL_FAILED;
		j->m.message = pond_arena_sprintf(j->arena, "%d test%s failed", failed, failed == 1 ? "" : "s");
	}
}

static void run_job(tf_worker *w, const pool *p, job *j, const pond_error *open_err)
{
	const tf_node *n = &p->g->nodes[j->node];
	int64_t start = pond_time_mono_ns();
	j->started_ms = pond_time_now_ms();
	pond_error err = POND_ERROR_INIT;
	int rc = open_err ? pond_error_set(&err, open_err->code, "%s", open_err->msg) : 0;
	if (rc == 0 && !p->test_only)
		rc = pond__transform_inputs(w, n, j->arena, &j->inputs, &err);
	if (rc == 0 && !p->test_only && up_to_date(w, p, n, j, &err)) {
		j->m.status = POND_MODEL_UP_TO_DATE;
		j->m.message = "up to date";
	} else if (rc == 0) {
		if (!p->test_only)
			rc = pond__transform_build(w, n, p->full_refresh, j->arena, &j->m, &err);
		if (rc == 0)
			run_tests(w, p, j);
	}
	if (rc) {
		j->m.status = POND_MODEL_FAILED;
		j->m.message = pond_arena_strdup(j->arena, err.msg);
	}
	j->m.duration_ns = pond_time_mono_ns() - start;
}

static int open_worker(tf_worker *w, pool *p, pond_engine **engine, pond_error *err)
{
	pond_engine_options eo = POND_ENGINE_OPTIONS_INIT;
	eo.threads = p->engine_threads;
	eo.memory_limit = p->memory_limit;
	int rc = pond_engine_open(engine, &eo, err);
	if (rc == 0)
		rc = pond_lake_open(&w->lake, p->g->project, *engine, err);
	if (rc == 0)
		rc = pond_session_open(&w->session, w->lake, err);
	return rc;
}

static void *worker_main(void *arg)
{
	pool *p = arg;
	tf_worker w = {NULL, NULL, p->g};
	pond_engine *engine = NULL;
	pond_error open_err = POND_ERROR_INIT;
	bool failed = open_worker(&w, p, &engine, &open_err) != 0;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo && !p->stop)
			pthread_cond_wait(&p->work_cv, &p->mu);
		job *j = pop(&p->todo, &p->todo_tail);
		if (!j)
			break;
		pthread_mutex_unlock(&p->mu);
		run_job(&w, p, j, failed ? &open_err : NULL);
		pthread_mutex_lock(&p->mu);
		push(&p->done, &p->done_tail, j);
		pthread_cond_signal(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	pond_session_close(&w.session);
	pond_lake_close(&w.lake);
	pond_engine_close(&engine);
	return NULL;
}

/* ---- the scheduler ------------------------------------------------------------------------ */

typedef struct sched {
	pool pool;
	pthread_t threads[THREADS_MAX];
	pond_transform_graph *g;
	pond_catalog *catalog;
	const pond_transform_options *opts;
	pond_transform_result *result;
	const char *run_id;
	bool *selected;
	int *pending;
	const char **blocked_by;   /* the failed model upstream */
	int **waits_for_me;        /* extra edges: custom tests reading other models */
	size_t *nwaits_for_me;
	int *ready;
	size_t nready;
	size_t total, finished, started;
	int record_errors;
} sched;

static const char *copy(pond_arena *a, const char *s)
{
	return s ? pond_arena_strdup(a, s) : NULL;
}

static void emit(sched *s, pond_transform_event_kind kind, const pond_model_outcome *m, size_t index)
{
	if (!s->opts->on_event)
		return;
	pond_transform_event ev = {kind, m, index, s->total};
	s->opts->on_event(&ev, s->opts->payload);
}

static void release_users(sched *s, int node, bool failed, const char *name)
{
	const tf_node *n = &s->g->nodes[node];
	for (size_t pass = 0; pass < 2; pass++) {
		size_t count = pass == 0 ? n->nusers : s->nwaits_for_me[node];
		for (size_t k = 0; k < count; k++) {
			int u = pass == 0 ? n->users[k] : s->waits_for_me[node][k];
			if (!s->selected[u] || !pond__transform_is_model(&s->g->nodes[u]))
				continue;
			if (failed && !s->pool.test_only && !s->blocked_by[u])
				s->blocked_by[u] = name;
			if (--s->pending[u] == 0)
				s->ready[s->nready++] = u;
		}
	}
}

/* Records a finished model: in the result, the catalog and an event. */
static void complete(sched *s, int node, pond_model_outcome *m, const char *inputs, int64_t started_ms)
{
	pond_transform_result *r = s->result;
	pond_arena *a = r->arena;
	pond_model_outcome *out = &r->models[r->nmodels++];
	*out = *m;
	out->name = copy(a, m->name);
	out->path = copy(a, m->path);
	out->materialized = copy(a, m->materialized);
	out->message = copy(a, m->message);
	out->tests = m->ntests ? pond_arena_calloc(a, m->ntests, sizeof(pond_test_outcome)) : NULL;
	for (size_t i = 0; out->tests && i < m->ntests; i++) {
		pond_test_outcome *t = &out->tests[i];
		*t = m->tests[i];
		t->name = copy(a, t->name);
		t->model = copy(a, t->model);
		t->sample = copy(a, t->sample);
		t->message = copy(a, t->message);
		r->tests_passed += t->status == POND_TEST_PASS;
		r->tests_warned += t->status == POND_TEST_WARN || (t->status == POND_TEST_ERROR && t->warn);
		r->tests_failed += test_failed(t);
	}
	switch (out->status) {
	case POND_MODEL_OK: case POND_MODEL_EPHEMERAL: r->ok++; break;
	case POND_MODEL_UP_TO_DATE: r->up_to_date++; break;
	case POND_MODEL_FAILED: r->failed++; break;
	default: r->blocked++; break;
	}
	pond_error err = POND_ERROR_INIT;
	const tf_node *n = &s->g->nodes[node];
	int rc = 0;
	if (!s->pool.test_only && out->status != POND_MODEL_EPHEMERAL)
		rc = pond__transform_state_record_model(s->catalog, s->run_id, n, out, started_ms, inputs, &err);
	for (size_t i = 0; rc == 0 && i < out->ntests; i++)
		rc = pond__transform_state_record_test(s->catalog, s->run_id, &out->tests[i], &err);
	if (rc && s->record_errors++ == 0)
		pond_warn("could not record the run of %s: %s", n->name, err.msg);
	s->finished++;
	emit(s, POND_TRANSFORM_MODEL_END, out, s->finished);
	bool failed = out->status == POND_MODEL_FAILED || out->status == POND_MODEL_BLOCKED ||
	              out->status == POND_MODEL_CANCELED;
	release_users(s, node, failed, out->name);
}

static void outcome_init(pond_model_outcome *m, const tf_node *n)
{
	memset(m, 0, sizeof(*m));
	m->name = n->name;
	m->path = n->path;
	m->materialized = mat_name(n->mat);
}

/* Starts or settles every ready model. */
static int dispatch(sched *s, pond_error *err)
{
	while (s->nready) {
		int node = s->ready[--s->nready];
		const tf_node *n = &s->g->nodes[node];
		pond_model_outcome m;
		outcome_init(&m, n);
		if (s->blocked_by[node]) {
			m.status = POND_MODEL_BLOCKED;
			m.message = pond_arena_sprintf(s->result->arena, "upstream %s failed", s->blocked_by[node]);
		} else if (n->mat == TF_EPHEMERAL) {
			m.status = POND_MODEL_EPHEMERAL;
		} else if (s->opts->cancel && *s->opts->cancel) {
			m.status = POND_MODEL_CANCELED;
			m.message = "canceled";
		} else {
			job *j = pond_calloc(1, sizeof(*j));
			if (!j || !(j->arena = pond_arena_new())) {
				pond_free(j);
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			}
			j->node = node;
			outcome_init(&j->m, n);
			emit(s, POND_TRANSFORM_MODEL_START, &j->m, ++s->started);
			pthread_mutex_lock(&s->pool.mu);
			push(&s->pool.todo, &s->pool.todo_tail, j);
			pthread_cond_signal(&s->pool.work_cv);
			pthread_mutex_unlock(&s->pool.mu);
			continue;
		}
		s->started++;
		complete(s, node, &m, NULL, pond_time_now_ms());
	}
	return 0;
}

static int cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

/* Custom tests run after one model: "model:" or, by default, the last (in
 * graph order) of the models they read; that model then also waits for
 * the others. */
static int attach_custom_tests(sched *s, int *attached, pond_error *err)
{
	const pond_transform_graph *g = s->g;
	for (size_t i = 0; i < g->nnodes; i++) {
		attached[i] = -1;
		const tf_node *t = &g->nodes[i];
		if (t->kind != TF_CUSTOM_TEST)
			continue;
		int best = t->attach ? pond__transform_find_node(g, t->attach) : -1;
		for (size_t d = 0; !t->attach && d < t->ndeps; d++) {
			const tf_node *dn = &g->nodes[t->deps[d]];
			if (pond__transform_is_model(dn) && dn->mat != TF_EPHEMERAL && (best < 0 || dn->order > g->nodes[best].order))
				best = t->deps[d];
		}
		attached[i] = best;
		if (best < 0)
			continue;
		for (size_t d = 0; d < t->ndeps; d++) {
			int other = t->deps[d];
			if (other == best || !pond__transform_is_model(&g->nodes[other]))
				continue;
			int *more = pond_arena_calloc(s->result->arena, s->nwaits_for_me[other] + 1, sizeof(int));
			if (!more)
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			if (s->nwaits_for_me[other])
				memcpy(more, s->waits_for_me[other], s->nwaits_for_me[other] * sizeof(int));
			more[s->nwaits_for_me[other]++] = best;
			s->waits_for_me[other] = more;
		}
	}
	return 0;
}

/* Custom tests that read no model run in pond test, on the caller's lake. */
static int run_loose_tests(sched *s, pond_lake *lake, const int *attached, pond_error *err)
{
	size_t n = 0;
	for (size_t i = 0; i < s->g->nnodes; i++)
		n += s->g->nodes[i].kind == TF_CUSTOM_TEST && attached[i] < 0;
	if (n == 0 || !s->pool.test_only || s->opts->nselect)
		return 0;
	tf_worker w = {lake, NULL, s->g};
	int rc = pond_session_open(&w.session, lake, err);
	s->result->tests = rc == 0 ? pond_arena_calloc(s->result->arena, n, sizeof(pond_test_outcome)) : NULL;
	for (size_t i = 0; rc == 0 && s->result->tests && i < s->g->nnodes; i++) {
		if (s->g->nodes[i].kind != TF_CUSTOM_TEST || attached[i] >= 0)
			continue;
		pond_test_outcome *t = &s->result->tests[s->result->ntests++];
		pond__transform_run_test(&w, &s->g->nodes[i].tests[0], NULL, s->result->arena, t);
		s->result->tests_passed += t->status == POND_TEST_PASS;
		s->result->tests_warned += t->status == POND_TEST_WARN || (t->status == POND_TEST_ERROR && t->warn);
		s->result->tests_failed += test_failed(t);
		pond_error ignored = POND_ERROR_INIT;
		pond__transform_state_record_test(s->catalog, s->run_id, t, &ignored);
	}
	pond_session_close(&w.session);
	return rc;
}

static int plan(pond_lake *lake, const pond_transform_options *opts, pond_arena *a, pond_transform_graph **g,
                tf_prev_run **prev, bool **selected, pond_error *err)
{
	int rc = pond__transform_state_init(pond_lake_catalog(lake), err);
	if (rc == 0)
		rc = pond_transform_graph_load(g, lake, err);
	if (rc)
		return rc;
	*prev = pond_arena_calloc(a, (*g)->nnodes + 1, sizeof(tf_prev_run));
	*selected = pond_arena_calloc(a, (*g)->nnodes + 1, sizeof(bool));
	const char **hashes = pond_arena_calloc(a, (*g)->nnodes + 1, sizeof(char *));
	if (!*prev || !*selected || !hashes)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if ((rc = pond__transform_state_last_runs(pond_lake_catalog(lake), *g, a, *prev, err)) != 0)
		return rc;
	for (size_t i = 0; i < (*g)->nnodes; i++)
		hashes[i] = (*prev)[i].hash;
	return pond__transform_select(*g, opts, hashes, *selected, err);
}

/* The schedule of the selected nodes: what each waits for, the custom
 * tests attached to models (*attached), and the nodes ready first;
 * *runnable gets how many need a worker (all but ephemeral models). */
static int prepare(sched *s, int **attached, size_t *runnable, pond_error *err)
{
	pond_arena *a = s->result->arena;
	size_t nn = s->g->nnodes;
	s->pending = pond_arena_calloc(a, nn + 1, sizeof(int));
	s->blocked_by = pond_arena_calloc(a, nn + 1, sizeof(char *));
	s->waits_for_me = pond_arena_calloc(a, nn + 1, sizeof(int *));
	s->nwaits_for_me = pond_arena_calloc(a, nn + 1, sizeof(size_t));
	s->ready = pond_arena_calloc(a, nn + 1, sizeof(int));
	*attached = pond_arena_calloc(a, nn + 1, sizeof(int));
	*runnable = 0;
	int rc = 0;
	if (!s->pending || !s->blocked_by || !s->waits_for_me || !s->nwaits_for_me || !s->ready || !*attached ||
	    !s->run_id)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = attach_custom_tests(s, *attached, err);
	for (size_t i = 0; rc == 0 && i < s->g->norder; i++) {
		int m = s->g->order[i];
		if (!s->selected[m])
			continue;
		s->total++;
		*runnable += s->g->nodes[m].mat != TF_EPHEMERAL;
		const tf_node *n = &s->g->nodes[m];
		for (size_t d = 0; d < n->ndeps; d++)
			s->pending[m] += s->selected[n->deps[d]] && pond__transform_is_model(&s->g->nodes[n->deps[d]]);
	}
	for (size_t i = 0; rc == 0 && i < nn; i++)
		for (size_t k = 0; k < s->nwaits_for_me[i]; k++)
			if (s->selected[i] && s->selected[s->waits_for_me[i][k]])
				s->pending[s->waits_for_me[i][k]]++;
	s->result->models = pond_arena_calloc(a, s->total + 1, sizeof(pond_model_outcome));
	if (rc == 0 && !s->result->models)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	/* Ready models are taken from the end: push in reverse graph order. */
	for (size_t i = s->g->norder; rc == 0 && i > 0; i--) {
		int m = s->g->order[i - 1];
		if (s->selected[m] && s->pending[m] == 0)
			s->ready[s->nready++] = m;
	}
	return rc;
}

/* How many workers to start (no more than there is work for) and what
 * each worker's engine may use: a share of the cores and of 70% of the
 * memory. */
static int size_pool(sched *s, size_t runnable)
{
	pool *p = &s->pool;
	int threads = s->opts->threads > 0 ? s->opts->threads : s->g->threads > 0 ? s->g->threads : cores();
	if (threads > THREADS_MAX)
		threads = THREADS_MAX;
	if ((size_t)threads > runnable)
		threads = runnable ? (int)runnable : 1;
	p->engine_threads = cores() / threads > 0 ? cores() / threads : 1;
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	if (pages > 0 && page > 0)
		p->memory_limit = pond_arena_sprintf(s->result->arena, "%lldMB",
		                                     (long long)((double)pages * (double)page * 0.7 / threads / (1 << 20)));
	return threads;
}

/* Starts the workers, hands them the nodes as they become ready until
 * every node has finished, then stops them. */
static int run_pool(sched *s, int threads, size_t runnable, pond_error *err)
{
	pool *p = &s->pool;
	int rc = 0;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	int started_threads = 0;
	for (int i = 0; runnable && i < threads; i++) {
		if (pthread_create(&s->threads[i], NULL, worker_main, p) != 0) {
			if (started_threads == 0)
				rc = pond_error_set(err, POND_ERROR, "could not start a worker thread");
			break;
		}
		started_threads++;
	}
	if (rc == 0)
		rc = dispatch(s, err);
	while (rc == 0 && s->finished < s->total) {
		pthread_mutex_lock(&p->mu);
		while (!p->done)
			pthread_cond_wait(&p->done_cv, &p->mu);
		job *j = pop(&p->done, &p->done_tail);
		pthread_mutex_unlock(&p->mu);
		complete(s, j->node, &j->m, j->inputs, j->started_ms);
		pond_arena_free(&j->arena);
		pond_free(j);
		rc = dispatch(s, err);
	}
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < started_threads; i++)
		pthread_join(s->threads[i], NULL);
	/* Jobs left only after an allocation failure in the scheduler. */
	for (job *j; (j = pop(&p->done, &p->done_tail)) != NULL || (j = pop(&p->todo, &p->todo_tail)) != NULL;) {
		pond_arena_free(&j->arena);
		pond_free(j);
	}
	pthread_cond_destroy(&p->done_cv);
	pthread_cond_destroy(&p->work_cv);
	pthread_mutex_destroy(&p->mu);
	return rc;
}

static int run(pond_lake *lake, const pond_transform_options *opts_in, bool test_only, pond_transform_result *r,
               pond_error *err)
{
	pond_transform_options defaults = POND_TRANSFORM_OPTIONS_INIT;
	const pond_transform_options *opts = opts_in ? opts_in : &defaults;
	memset(r, 0, sizeof(*r));
	int64_t t0 = pond_time_mono_ns();
	if (!(r->arena = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	sched s;
	memset(&s, 0, sizeof(s));
	s.opts = opts;
	s.result = r;
	s.catalog = pond_lake_catalog(lake);
	tf_prev_run *prev = NULL;
	int rc = plan(lake, opts, r->arena, &s.g, &prev, &s.selected, err);
	if (rc) {
		pond_transform_graph_free(&s.g);
		return rc;
	}
	char uuid[37];
	pond_uuid_v4_string(uuid);
	r->run_id = s.run_id = pond_arena_strdup(r->arena, uuid);
	int *attached = NULL;
	size_t runnable = 0;
	rc = prepare(&s, &attached, &runnable, err);
	pool *p = &s.pool;
	p->g = s.g;
	p->prev = prev;
	p->attached = attached;
	p->test_only = test_only;
	p->full_refresh = opts->full_refresh;
	p->force = opts->force;
	int threads = size_pool(&s, runnable);
	if (rc == 0)
		rc = run_pool(&s, threads, runnable, err);
	if (rc == 0)
		rc = run_loose_tests(&s, lake, attached, err);
	pond_transform_graph_free(&s.g);
	r->duration_ns = pond_time_mono_ns() - t0;
	if (rc == 0 && (r->failed || r->blocked || r->tests_failed)) {
		rc = pond_error_set(err, POND_ERROR, "%d model%s failed, %d not run, %d test%s failed", r->failed,
		                    r->failed == 1 ? "" : "s", r->blocked, r->tests_failed, r->tests_failed == 1 ? "" : "s");
	}
	return rc;
}

int pond_transform_run(pond_lake *lake, const pond_transform_options *opts, pond_transform_result *result,
                       pond_error *err)
{
	return run(lake, opts, false, result, err);
}

int pond_transform_test(pond_lake *lake, const pond_transform_options *opts, pond_transform_result *result,
                        pond_error *err)
{
	return run(lake, opts, true, result, err);
}

int pond_transform_plan(pond_lake *lake, const pond_transform_options *opts, pond_arena *arena, const char ***order,
                        size_t *count, pond_error *err)
{
	pond_transform_options defaults = POND_TRANSFORM_OPTIONS_INIT;
	pond_transform_graph *g = NULL;
	tf_prev_run *prev;
	bool *selected;
	*order = NULL;
	*count = 0;
	int rc = plan(lake, opts ? opts : &defaults, arena, &g, &prev, &selected, err);
	const char **names = rc == 0 ? pond_arena_calloc(arena, g->norder + 1, sizeof(char *)) : NULL;
	if (rc == 0 && !names)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; rc == 0 && i < g->norder; i++)
		if (selected[g->order[i]])
			names[(*count)++] = pond_arena_strdup(arena, g->nodes[g->order[i]].name);
	if (rc == 0)
		*order = names;
	pond_transform_graph_free(&g);
	return rc;
}

/* ---- results ------------------------------------------------------------------------------ */

void pond_transform_result_dispose(pond_transform_result *r)
{
	if (r)
		pond_arena_free(&r->arena);
}

static json_t *test_json(const pond_test_outcome *t)
{
	json_t *o = json_object();
	json_object_set_new(o, "test", json_string(t->name));
	json_object_set_new(o, "model", t->model ? json_string(t->model) : json_null());
	json_object_set_new(o, "severity", json_string(t->warn ? "warn" : "error"));
	json_object_set_new(o, "status", json_string(pond_test_status_name(t->status)));
	json_object_set_new(o, "failures", json_integer(t->failures));
	json_object_set_new(o, "sample", t->sample ? json_string(t->sample) : json_null());
	json_object_set_new(o, "message", t->message ? json_string(t->message) : json_null());
	json_object_set_new(o, "duration_ms", json_real((double)t->duration_ns / 1e6));
	return o;
}

json_t *pond_transform_result_to_json(const pond_transform_result *r)
{
	json_t *o = json_object(), *models = json_array(), *tests = json_array();
	json_object_set_new(o, "run_id", r->run_id ? json_string(r->run_id) : json_null());
	for (size_t i = 0; i < r->nmodels; i++) {
		const pond_model_outcome *m = &r->models[i];
		json_t *mo = json_object(), *mt = json_array();
		json_object_set_new(mo, "model", json_string(m->name));
		json_object_set_new(mo, "path", m->path ? json_string(m->path) : json_null());
		json_object_set_new(mo, "materialized", json_string(m->materialized));
		json_object_set_new(mo, "status", json_string(pond_model_status_name(m->status)));
		json_object_set_new(mo, "snapshot_id", m->snapshot_id ? json_integer(m->snapshot_id) : json_null());
		json_object_set_new(mo, "rows", json_integer(m->rows));
		json_object_set_new(mo, "duration_ms", json_real((double)m->duration_ns / 1e6));
		json_object_set_new(mo, "message", m->message ? json_string(m->message) : json_null());
		for (size_t t = 0; t < m->ntests; t++)
			json_array_append_new(mt, test_json(&m->tests[t]));
		json_object_set_new(mo, "tests", mt);
		json_array_append_new(models, mo);
	}
	for (size_t t = 0; t < r->ntests; t++)
		json_array_append_new(tests, test_json(&r->tests[t]));
	json_object_set_new(o, "models", models);
	json_object_set_new(o, "tests", tests);
	json_t *totals = json_object();
	json_object_set_new(totals, "ok", json_integer(r->ok));
	json_object_set_new(totals, "up_to_date", json_integer(r->up_to_date));
	json_object_set_new(totals, "failed", json_integer(r->failed));
	json_object_set_new(totals, "not_run", json_integer(r->blocked));
	json_object_set_new(totals, "tests_passed", json_integer(r->tests_passed));
	json_object_set_new(totals, "tests_warned", json_integer(r->tests_warned));
	json_object_set_new(totals, "tests_failed", json_integer(r->tests_failed));
	json_object_set_new(o, "totals", totals);
	json_object_set_new(o, "duration_ms", json_real((double)r->duration_ns / 1e6));
	return o;
}
