/*
 * Pipelines from pond.yml, runs with retries, backoff, timeouts and
 * failure policies, run history, leases and reconciliation, and the
 * scheduler's catch-up rules, all against a fake clock and a real SQLite
 * catalog in a temporary project.
 */
#include "../test.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pond/pipeline.h"
#include "pipeline/pipeline_internal.h"

/* ---- a fake clock: sleeping jumps ---- */

typedef struct fake_clock {
	pthread_mutex_t mu;
	int64_t now;
} fake_clock;

static int64_t fake_now(void *payload)
{
	fake_clock *c = payload;
	pthread_mutex_lock(&c->mu);
	int64_t t = c->now;
	pthread_mutex_unlock(&c->mu);
	return t;
}

static void fake_sleep_until(int64_t deadline, void *payload)
{
	fake_clock *c = payload;
	pthread_mutex_lock(&c->mu);
	if (deadline > c->now)
		c->now = deadline;
	pthread_mutex_unlock(&c->mu);
}

static void fake_set(fake_clock *c, int64_t t)
{
	pthread_mutex_lock(&c->mu);
	c->now = t;
	pthread_mutex_unlock(&c->mu);
}

static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
	return (pond_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

/* ---- a project with a pond.yml of our own ---- */

typedef struct proj {
	pond_arena *a;
	const char *dir;
	pond_project *project;
	pond_pipelines *ps;
	pond_catalog *cat;
} proj;

static int proj_open(proj *p, const char *name, const char *yaml)
{
	pond_error err = POND_ERROR_INIT;
	memset(p, 0, sizeof(*p));
	p->a = pond_arena_new();
	p->dir = pond_arena_sprintf(p->a, "%s/%s", pond_test_tmpdir(), name);
	const char *text = pond_arena_sprintf(p->a, "name: %s\nwarehouse: warehouse\ncatalog: catalog.db\n%s", name, yaml);
	const char *path = pond_arena_sprintf(p->a, "%s/pond.yml", p->dir);
	pond_catalog_options o = POND_CATALOG_OPTIONS_INIT;
	if (pond_mkdirs(p->dir, &err) || pond_file_write_atomic(path, text, strlen(text), &err) ||
	    pond_project_load(&p->project, p->dir, &err) || pond_pipelines_load(&p->ps, p->project, &err) ||
	    pond_catalog_open(&p->cat, p->project->catalog_uri, &o, &err) || pond_runs_ensure_tables(p->cat, &err)) {
		fprintf(stderr, "    setup: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void proj_close(proj *p)
{
	pond_catalog_close(&p->cat);
	pond_pipelines_free(&p->ps);
	pond_project_free(&p->project);
	pond_arena_free(&p->a);
}

static int parse_yaml(const char *yaml, pond_pipelines **out, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	pond_yaml_node *doc;
	int rc = pond_yaml_parse(&doc, yaml, strlen(yaml), "pond.yml", a, err);
	if (rc == 0)
		rc = pond_pipelines_parse(out, doc, "/tmp", "pond.yml", err);
	pond_arena_free(&a);
	return rc;
}

/* ---- configuration ---- */

TEST(pipeline_config_reads_maintain_steps)
{
	pond_pipelines *ps = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(parse_yaml("pipelines:\n"
	                    "  upkeep:\n"
	                    "    schedule: \"0 3 * * *\"\n"
	                    "    steps:\n"
	                    "      - maintain\n"
	                    "      - maintain: sales.orders\n",
	                    &ps, &err),
	         &err);
	const pond_pipeline *p = pond_pipelines_find(ps, "upkeep");
	CHECK(p && p->nsteps == 2);
	CHECK_INT(p->steps[0].kind, POND_STEP_MAINTAIN);
	CHECK(p->steps[0].arg == NULL);
	CHECK_STR(p->steps[0].name, "maintain");
	CHECK_STR(p->steps[1].arg, "sales.orders");
	CHECK_STR(p->steps[1].name, "maintain#2");
	CHECK_STR(pond_step_kind_name(POND_STEP_MAINTAIN), "maintain");
	pond_pipelines_free(&ps);
}

TEST(pipeline_config_reads_steps_names_and_graph)
{
	pond_pipelines *ps = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(parse_yaml("pipelines:\n"
	                    "  daily:\n"
	                    "    schedule: \"0 6 * * 1-5\"\n"
	                    "    timezone: Europe/Zurich\n"
	                    "    catchup: true\n"
	                    "    on_failure: {webhook: \"http://127.0.0.1:9/x\", command: \"true\"}\n"
	                    "    steps:\n"
	                    "      - ingest: prices\n"
	                    "        retries: 3\n"
	                    "        retry_delay: 10s\n"
	                    "        timeout: 10m\n"
	                    "      - transform: \"+monthly\"\n"
	                    "      - test\n"
	                    "      - export: report\n"
	                    "      - shell: \"cp a b\"\n"
	                    "        on_failure: continue\n"
	                    "        after: [ingest]\n"
	                    "      - shell: \"echo 2\"\n"
	                    "        after: []\n"
	                    "defaults:\n"
	                    "  lease: 5s\n"
	                    "  concurrency: 2\n",
	                    &ps, &err),
	         &err);
	CHECK_INT(ps->count, 1);
	CHECK_INT(ps->settings.lease_ms, 5000);
	CHECK_INT(ps->settings.concurrency, 2);
	const pond_pipeline *p = pond_pipelines_find(ps, "daily");
	CHECK(p);
	CHECK_STR(p->timezone, "Europe/Zurich");
	CHECK(p->catchup);
	CHECK_STR(p->on_failure_command, "true");
	CHECK_INT(p->nsteps, 6);
	CHECK_STR(p->steps[0].name, "ingest:prices");
	CHECK_INT(p->steps[0].retries, 3);
	CHECK_INT(p->steps[0].retry_delay_ms, 10000);
	CHECK_INT(p->steps[0].timeout_ms, 600000);
	CHECK_STR(p->steps[1].name, "transform");
	CHECK_STR(p->steps[1].arg, "+monthly");
	CHECK_INT(p->steps[1].nafter, 1);
	CHECK_INT(p->steps[1].after[0], 0);
	CHECK_STR(p->steps[2].name, "test");
	CHECK(p->steps[2].arg == NULL);
	CHECK_STR(p->steps[3].name, "export:report");
	CHECK_STR(p->steps[4].name, "shell");
	CHECK(p->steps[4].continue_on_failure);
	CHECK_INT(p->steps[4].nafter, 1);
	CHECK_INT(p->steps[4].after[0], 0);
	CHECK_STR(p->steps[5].name, "shell#2");
	CHECK_INT(p->steps[5].nafter, 0);
	CHECK_INT(pond_pipeline_step_index(p, "export"), 3);
	CHECK_INT(pond_pipeline_step_index(p, "shell#2"), 5);
	CHECK_INT(pond_pipeline_step_index(p, "nope"), -1);
	json_t *j = pond_pipeline_to_json(p, utc(2024, 3, 1, 7, 0));
	CHECK(j);
	/* Monday 06:00 in Zurich (CET) */
	CHECK_INT(json_integer_value(json_object_get(j, "next_run_ms")), utc(2024, 3, 4, 5, 0));
	json_decref(j);
	pond_pipelines_free(&ps);
}

TEST(pipeline_config_error_in_an_early_pipeline_is_an_error_not_a_crash)
{
	/* found by fuzz_pipeline: the pipelines were sorted by name after an
	 * error had left the later ones unnamed */
	pond_pipelines *ps = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK(parse_yaml("pipelines:\n  b:\n    steps:\n      - shell: x\n        re~tries: 2\n"
	                 "  a:\n    steps:\n      - shell: y\n  c:\n    steps:\n      - shell: z\n",
	                 &ps, &err) != 0);
	CHECK(ps == NULL);
	CHECK_MSG(strstr(err.msg, "pond.yml:5:") && strstr(err.msg, "re~tries"), "%s", err.msg);
}

TEST(pipeline_config_errors_name_the_line)
{
	pond_pipelines *ps = NULL;
	pond_error err = POND_ERROR_INIT;
	CHECK(parse_yaml("pipelines:\n  d:\n    schedule: \"0 25 * * *\"\n    steps: [test]\n", &ps, &err) != 0);
	CHECK_MSG(strstr(err.msg, "pond.yml:3:") && strstr(err.msg, "hour: 25 is out of range"), "%s", err.msg);
	CHECK(parse_yaml("pipelines:\n  d:\n    steps:\n      - test\n      - ingest: x\n        retrys: 3\n", &ps, &err) != 0);
	CHECK_MSG(strstr(err.msg, "pond.yml:6") && strstr(err.msg, "unknown key \"retrys\""), "%s", err.msg);
	CHECK(parse_yaml("pipelines:\n  d:\n    timezone: Mars/Olympus\n    steps: [test]\n", &ps, &err) != 0);
	CHECK_MSG(strstr(err.msg, "pond.yml:3:") && strstr(err.msg, "unknown time zone"), "%s", err.msg);
	CHECK(parse_yaml("pipelines:\n  d:\n    steps:\n      - test\n      - shell: x\n        after: [export]\n", &ps,
	                 &err) != 0);
	CHECK_MSG(strstr(err.msg, "pond.yml:6:") && strstr(err.msg, "after \"export\""), "%s", err.msg);
	CHECK(parse_yaml("pipelines:\n  d:\n    steps:\n      - shell: x\n        timeout: soon\n", &ps, &err) != 0);
	CHECK_MSG(strstr(err.msg, "pond.yml:5:") && strstr(err.msg, "duration"), "%s", err.msg);
	CHECK(parse_yaml("pipelines:\n  d:\n    steps:\n      - ingest: a\n        shell: b\n", &ps, &err) != 0);
	CHECK_MSG(strstr(err.msg, "one kind"), "%s", err.msg);
	CHECK(parse_yaml("pipelines:\n  d:\n    schedule: \"@daily\"\n", &ps, &err) != 0);
	CHECK_MSG(strstr(err.msg, "needs a list of steps"), "%s", err.msg);
}

/* ---- runs ---- */

typedef struct event_log {
	pthread_mutex_t mu;
	pond_buf text;
} event_log;

static void on_event(const pond_run_event *e, void *payload)
{
	event_log *l = payload;
	static const char *const kinds[] = {"run-start", "step-start", "output", "progress", "retry", "step-end", "run-end"};
	pthread_mutex_lock(&l->mu);
	pond_buf_printf(&l->text, "%s %s %s %s\n", kinds[e->kind], e->step ? e->step : "-", e->status ? e->status : "-",
	                e->message ? e->message : "-");
	pthread_mutex_unlock(&l->mu);
}

TEST(pipeline_step_failing_twice_is_retried_with_backoff_and_succeeds)
{
	proj p;
	CHECK(proj_open(&p, "retry",
	                "pipelines:\n"
	                "  flaky:\n"
	                "    steps:\n"
	                "      - shell: \"n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; "
	                "echo attempt $n; [ $n -ge 3 ]\"\n"
	                "        retries: 3\n"
	                "        retry_delay: 4s\n"
	                "      - shell: \"echo done > done.txt\"\n") == 0);
	fake_clock fc = {PTHREAD_MUTEX_INITIALIZER, utc(2024, 5, 1, 12, 0)};
	pond_clock clock = {fake_now, fake_sleep_until, &fc};
	event_log ev = {PTHREAD_MUTEX_INITIALIZER, POND_BUF_INIT};
	pond_run_options o = POND_RUN_OPTIONS_INIT;
	o.clock = &clock;
	o.on_event = on_event;
	o.event_payload = &ev;
	pond_error err = POND_ERROR_INIT;
	int64_t id = 0;
	CHECK_OK(pond_pipeline_run(p.project, p.ps, "flaky", &o, &id, &err), &err);
	CHECK(id > 0);
	pond_arena *a = pond_arena_new();
	pond_run_info run;
	CHECK_OK(pond_run_get(p.cat, id, a, &run, &err), &err);
	CHECK_STR(run.status, "success");
	CHECK_STR(run.trigger, "manual");
	pond_step_attempt *st;
	size_t n;
	CHECK_OK(pond_run_steps(p.cat, id, a, &st, &n, &err), &err);
	CHECK_INT(n, 4);
	CHECK_STR(st[0].status, "failed");
	CHECK_INT(st[0].attempt, 1);
	CHECK(strstr(st[0].error, "exited with code 1"));
	CHECK_STR(st[1].status, "failed");
	CHECK_STR(st[2].status, "success");
	CHECK_INT(st[2].attempt, 3);
	CHECK_STR(st[3].step, "shell#2");
	/* backoff with equal jitter: 2-4 s, then 4-8 s (fake time) */
	int64_t d1 = st[1].started_ms - st[0].started_ms, d2 = st[2].started_ms - st[1].started_ms;
	CHECK_MSG(d1 >= 2000 && d1 <= 4000, "first delay %lld", (long long)d1);
	CHECK_MSG(d2 >= 4000 && d2 <= 8000, "second delay %lld", (long long)d2);
	const char *log;
	CHECK_OK(pond_run_log(p.cat, id, "shell", a, &log, &err), &err);
	CHECK_MSG(strstr(log, "attempt 1") && strstr(log, "--- attempt 3 ---") && strstr(log, "attempt 3"), "%s", log);
	CHECK(strstr(pond_buf_cstr(&ev.text), "retry shell failed"));
	CHECK(strstr(pond_buf_cstr(&ev.text), "output shell - attempt 2"));
	CHECK(strstr(pond_buf_cstr(&ev.text), "run-end - success"));
	CHECK(pond_file_exists(pond_arena_sprintf(a, "%s/done.txt", p.dir)));
	pond_buf_dispose(&ev.text);
	pond_arena_free(&a);
	proj_close(&p);
}

TEST(pipeline_failure_stops_continue_goes_on_and_timeout_kills)
{
	proj p;
	CHECK(proj_open(&p, "fail",
	                "pipelines:\n"
	                "  stops:\n"
	                "    steps:\n"
	                "      - shell: \"echo boom; exit 3\"\n"
	                "      - shell: \"touch never\"\n"
	                "  goes_on:\n"
	                "    steps:\n"
	                "      - shell: \"exit 1\"\n"
	                "        on_failure: continue\n"
	                "      - shell: \"touch after_continue\"\n"
	                "  slow:\n"
	                "    steps:\n"
	                "      - shell: \"sleep 30\"\n"
	                "        timeout: 300ms\n") == 0);
	pond_error err = POND_ERROR_INIT;
	int64_t id = 0;
	pond_arena *a = pond_arena_new();
	pond_run_info run;
	CHECK(pond_pipeline_run(p.project, p.ps, "stops", NULL, &id, &err) == POND_ERROR);
	CHECK_MSG(strstr(err.msg, "step shell failed: command exited with code 3"), "%s", err.msg);
	CHECK_OK(pond_run_get(p.cat, id, a, &run, &err), &err);
	CHECK_STR(run.status, "failed");
	CHECK(!pond_file_exists(pond_arena_sprintf(a, "%s/never", p.dir)));
	const char *log;
	CHECK_OK(pond_run_log(p.cat, id, NULL, a, &log, &err), &err);
	CHECK_MSG(strstr(log, "== shell ==\nboom\nerror: command exited with code 3"), "%s", log);

	CHECK_OK(pond_pipeline_run(p.project, p.ps, "goes_on", NULL, &id, &err), &err);
	CHECK(pond_file_exists(pond_arena_sprintf(a, "%s/after_continue", p.dir)));

	int64_t t0 = pond_time_mono_ns();
	CHECK(pond_pipeline_run(p.project, p.ps, "slow", NULL, &id, &err) == POND_ERROR);
	CHECK_MSG((pond_time_mono_ns() - t0) / 1000000 < 10000, "the timeout did not kill the step");
	pond_step_attempt *st;
	size_t n;
	CHECK_OK(pond_run_steps(p.cat, id, a, &st, &n, &err), &err);
	CHECK_INT(n, 1);
	CHECK_STR(st[0].status, "timeout");
	pond_arena_free(&a);
	proj_close(&p);
}

TEST(pipeline_parameters_reach_shell_steps_and_from_skips)
{
	proj p;
	CHECK(proj_open(&p, "params",
	                "pipelines:\n"
	                "  p:\n"
	                "    steps:\n"
	                "      - shell: \"echo first > first.txt\"\n"
	                "      - shell: \"echo $POND_PARAM_DAY-$POND_PIPELINE-$POND_STEP > out.txt\"\n"
	                "        name: write\n") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_run_options o = POND_RUN_OPTIONS_INIT;
	o.parameters = "{\"day\": \"2024-05-01\"}";
	o.from_step = "write";
	int64_t id;
	CHECK_OK(pond_pipeline_run(p.project, p.ps, "p", &o, &id, &err), &err);
	char *text = NULL;
	size_t len;
	pond_arena *a = pond_arena_new();
	CHECK_OK(pond_file_read(&text, &len, pond_arena_sprintf(a, "%s/out.txt", p.dir), 1000, &err), &err);
	CHECK_STR(text, "2024-05-01-p-write\n");
	pond_free(text);
	CHECK(!pond_file_exists(pond_arena_sprintf(a, "%s/first.txt", p.dir)));
	pond_run_info run;
	CHECK_OK(pond_run_get(p.cat, id, a, &run, &err), &err);
	CHECK_STR(run.parameters, "{\"day\": \"2024-05-01\"}");
	o.from_step = "nope";
	CHECK(pond_pipeline_run(p.project, p.ps, "p", &o, &id, &err) == POND_EINVAL);
	CHECK(pond_pipeline_run(p.project, p.ps, "missing", NULL, &id, &err) == POND_ENOTFOUND);
	pond_arena_free(&a);
	proj_close(&p);
}

/* ---- leases and reconciliation ---- */

TEST(pipeline_lease_excludes_takes_over_when_expired_and_reconciles)
{
	proj p;
	CHECK(proj_open(&p, "lease", "pipelines:\n  p:\n    steps:\n      - shell: \"true\"\n") == 0);
	pond_error err = POND_ERROR_INIT;
	bool taken = false, kept = false;
	int64_t t = utc(2024, 1, 1, 0, 0), id;
	int dead = -1;
	CHECK_OK(pond_lease_acquire(p.cat, "p", "A", 0, t, 10000, &taken, &err), &err);
	CHECK(taken);
	CHECK_OK(pond_lease_acquire(p.cat, "p", "B", 0, t + 1000, 10000, &taken, &err), &err);
	CHECK(!taken);
	CHECK_OK(pond__run_insert(p.cat, "p", "manual", "{}", "running", "A", 0, t, &id, &err), &err);
	CHECK_OK(pond__lease_set_run(p.cat, "p", "A", id, &err), &err);
	CHECK_OK(pond_runs_reconcile(p.cat, t + 5000, &dead, &err), &err);
	CHECK_INT(dead, 0);
	CHECK_OK(pond_lease_renew(p.cat, "p", "A", t + 5000, 10000, &kept, &err), &err);
	CHECK(kept);
	CHECK_OK(pond_runs_reconcile(p.cat, t + 14000, &dead, &err), &err);
	CHECK_INT(dead, 0);
	/* A stops renewing: its lease ends at t + 15 s */
	CHECK_OK(pond_runs_reconcile(p.cat, t + 16000, &dead, &err), &err);
	CHECK_INT(dead, 1);
	pond_arena *a = pond_arena_new();
	pond_run_info run;
	CHECK_OK(pond_run_get(p.cat, id, a, &run, &err), &err);
	CHECK_STR(run.status, "interrupted");
	CHECK(run.ended_ms == t + 16000);
	CHECK_OK(pond_lease_acquire(p.cat, "p", "B", 0, t + 16000, 10000, &taken, &err), &err);
	CHECK(taken);
	CHECK_OK(pond_lease_renew(p.cat, "p", "A", t + 16000, 10000, &kept, &err), &err);
	CHECK(!kept);
	/* a run while B holds the pipeline is refused, naming it */
	fake_clock fc = {PTHREAD_MUTEX_INITIALIZER, t + 17000};
	pond_clock clock = {fake_now, fake_sleep_until, &fc};
	pond_run_options o = POND_RUN_OPTIONS_INIT;
	o.clock = &clock;
	CHECK(pond_pipeline_run(p.project, p.ps, "p", &o, &id, &err) == POND_ECONFLICT);
	CHECK_MSG(strstr(err.msg, "pipeline p is already running"), "%s", err.msg);
	CHECK_OK(pond_lease_release(p.cat, "p", "B", &err), &err);
	CHECK_OK(pond_pipeline_run(p.project, p.ps, "p", &o, &id, &err), &err);
	pond_arena_free(&a);
	proj_close(&p);
}

/* A holder id of this host for a process that has exited. */
static void dead_holder(char out[96])
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	int status;
	waitpid(pid, &status, 0);
	char host[64] = "host";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(out, 96, "%.60s:%ld:0000abcd", host, (long)pid);
}

TEST(pipeline_lease_of_a_dead_process_on_this_host_is_reclaimed_at_once)
{
	proj p;
	CHECK(proj_open(&p, "deadlease", "pipelines:\n  p:\n    steps:\n      - shell: \"true\"\n") == 0);
	pond_error err = POND_ERROR_INIT;
	char dead[96], alive[96];
	dead_holder(dead);
	pond_lease_holder_id(alive);
	CHECK(pond__lease_holder_is_dead(dead));
	CHECK(!pond__lease_holder_is_dead(alive));
	CHECK(!pond__lease_holder_is_dead("elsewhere:1:0000abcd"));
	CHECK(!pond__lease_holder_is_dead("garbage"));
	/* the dead process took the lease for an hour and started run 1 */
	bool taken = false;
	int64_t t = utc(2024, 1, 1, 0, 0), id, id2;
	CHECK_OK(pond_lease_acquire(p.cat, "p", dead, 0, t, 3600000, &taken, &err), &err);
	CHECK(taken);
	CHECK_OK(pond__run_insert(p.cat, "p", "manual", "{}", "running", dead, 0, t, &id, &err), &err);
	CHECK_OK(pond__lease_set_run(p.cat, "p", dead, id, &err), &err);
	CHECK_OK(pond__attempt_start(p.cat, id, "shell", 1, t, &err), &err);
	/* a minute later, well inside the lease, the next run goes ahead */
	fake_clock fc = {PTHREAD_MUTEX_INITIALIZER, t + 60000};
	pond_clock clock = {fake_now, fake_sleep_until, &fc};
	pond_run_options o = POND_RUN_OPTIONS_INIT;
	o.clock = &clock;
	CHECK_OK(pond_pipeline_run(p.project, p.ps, "p", &o, &id2, &err), &err);
	CHECK(id2 != id);
	pond_arena *a = pond_arena_new();
	pond_run_info run;
	CHECK_OK(pond_run_get(p.cat, id, a, &run, &err), &err);
	CHECK_STR(run.status, "interrupted");
	CHECK_MSG(run.error && strstr(run.error, "is gone"), "error: %s", run.error ? run.error : "(null)");
	pond_step_attempt *steps;
	size_t nsteps = 0;
	CHECK_OK(pond_run_steps(p.cat, id, a, &steps, &nsteps, &err), &err);
	CHECK_INT(nsteps, 1);
	CHECK_STR(steps[0].status, "interrupted");
	/* a live holder of another host is still respected until it expires */
	CHECK_OK(pond_lease_acquire(p.cat, "p", "elsewhere:1:0000abcd", 0, t + 70000, 10000, &taken, &err), &err);
	CHECK(taken);
	fake_set(&fc, t + 75000);
	CHECK(pond_pipeline_run(p.project, p.ps, "p", &o, &id2, &err) == POND_ECONFLICT);
	fake_set(&fc, t + 81000);
	CHECK_OK(pond_pipeline_run(p.project, p.ps, "p", &o, &id2, &err), &err);
	pond_arena_free(&a);
	proj_close(&p);
}

/* ---- the scheduler ---- */

static size_t runs_of(proj *p, const char *pipeline, pond_arena *a, pond_run_info **out)
{
	size_t n = 0;
	pond_error err = POND_ERROR_INIT;
	if (pond_runs_list(p->cat, pipeline, 0, 100, a, out, &n, &err))
		fprintf(stderr, "    %s\n", err.msg);
	return n;
}

static int drain(pond_scheduler *s, proj *p)
{
	pond_error err = POND_ERROR_INIT;
	for (int i = 0; i < 20; i++) {
		if (pond_scheduler_tick(s, NULL, &err))
			return -1;
		pond_scheduler_wait_idle(s);
		pond_arena *a = pond_arena_new();
		pond_run_info *r;
		size_t n = runs_of(p, NULL, a, &r), queued = 0;
		for (size_t k = 0; k < n; k++)
			queued += strcmp(r[k].status, "queued") == 0;
		pond_arena_free(&a);
		if (!queued)
			return 0;
	}
	return -1;
}

TEST(pipeline_scheduler_catches_up_missed_daily_runs)
{
	proj p;
	CHECK(proj_open(&p, "catchup",
	                "pipelines:\n"
	                "  eager:\n"
	                "    schedule: \"0 6 * * *\"\n"
	                "    timezone: Europe/Zurich\n"
	                "    catchup: true\n"
	                "    steps:\n"
	                "      - shell: \"echo $POND_SCHEDULED_TIME >> fired.txt\"\n"
	                "  latest:\n"
	                "    schedule: \"@daily\"\n"
	                "    catchup: false\n"
	                "    steps:\n"
	                "      - shell: \"true\"\n"
	                "  manual:\n"
	                "    steps:\n"
	                "      - shell: \"true\"\n") == 0);
	fake_clock fc = {PTHREAD_MUTEX_INITIALIZER, utc(2024, 1, 1, 4, 0)};
	pond_clock clock = {fake_now, fake_sleep_until, &fc};
	pond_scheduler_options so = POND_SCHEDULER_OPTIONS_INIT;
	so.clock = &clock;
	pond_error err = POND_ERROR_INIT;
	pond_scheduler *s;
	CHECK_OK(pond_scheduler_new(&s, p.project, p.ps, &so, &err), &err);
	int64_t next = 0;
	CHECK_OK(pond_scheduler_tick(s, &next, &err), &err);
	CHECK_INT(next, utc(2024, 1, 1, 4, 0) + 1000); /* the poll: 06:00 CET (05:00 UTC) is later */
	fake_set(&fc, utc(2024, 1, 1, 5, 0) + 30000);
	CHECK(drain(s, &p) == 0);
	pond_arena *a = pond_arena_new();
	pond_run_info *r;
	CHECK_INT(runs_of(&p, "eager", a, &r), 1);
	CHECK_STR(r[0].trigger, "schedule");
	CHECK_STR(r[0].status, "success");
	CHECK_INT(r[0].scheduled_ms, utc(2024, 1, 1, 5, 0));
	CHECK_INT(runs_of(&p, "latest", a, &r), 0); /* midnight UTC: not yet */
	/* a manual trigger goes through the queue too */
	int64_t id;
	CHECK_OK(pond_scheduler_trigger(s, "manual", POND_TRIGGER_API, "{\"k\":\"v\"}", &id, &err), &err);
	CHECK(pond_scheduler_trigger(s, "nope", POND_TRIGGER_API, NULL, &id, &err) == POND_ENOTFOUND);
	CHECK(drain(s, &p) == 0);
	pond_run_info one;
	CHECK_OK(pond_run_get(p.cat, id, a, &one, &err), &err);
	CHECK_STR(one.status, "success");
	CHECK_STR(one.trigger, "api");
	pond_scheduler_free(&s);

	/* down for three days */
	fake_set(&fc, utc(2024, 1, 4, 7, 0));
	CHECK_OK(pond_scheduler_new(&s, p.project, p.ps, &so, &err), &err);
	CHECK(drain(s, &p) == 0);
	CHECK_INT(runs_of(&p, "eager", a, &r), 4);
	for (int k = 0; k < 3; k++) {
		CHECK_STR(r[k].trigger, "catchup");
		CHECK_STR(r[k].status, "success");
		CHECK_INT(r[k].scheduled_ms, utc(2024, 1, 4 - k, 5, 0));
	}
	/* catchup: false: only the latest missed fire */
	CHECK_INT(runs_of(&p, "latest", a, &r), 1);
	CHECK_INT(r[0].scheduled_ms, utc(2024, 1, 4, 0, 0));
	/* nothing more is due */
	CHECK(drain(s, &p) == 0);
	CHECK_INT(runs_of(&p, "eager", a, &r), 4);
	pond_scheduler_free(&s);
	char *text = NULL;
	size_t len;
	CHECK_OK(pond_file_read(&text, &len, pond_arena_sprintf(a, "%s/fired.txt", p.dir), 10000, &err), &err);
	CHECK_STR(text, "2024-01-01T05:00:00.000Z\n2024-01-02T05:00:00.000Z\n2024-01-03T05:00:00.000Z\n"
	                "2024-01-04T05:00:00.000Z\n");
	pond_free(text);
	pond_arena_free(&a);
	proj_close(&p);
}

typedef struct sched_thread {
	pond_scheduler *s;
	volatile int *stop;
} sched_thread;

static void *tick_loop(void *arg)
{
	sched_thread *t = arg;
	pond_error err = POND_ERROR_INIT;
	while (!*t->stop) {
		pond_scheduler_tick(t->s, NULL, &err);
		usleep(5000);
	}
	pond_scheduler_wait_idle(t->s);
	return NULL;
}

TEST(pipeline_two_schedulers_never_overlap_one_pipeline)
{
	proj p;
	CHECK(proj_open(&p, "two",
	                "pipelines:\n"
	                "  p:\n"
	                "    steps:\n"
	                "      - shell: \"echo start $POND_RUN_ID >> spans.txt; sleep 0.1; echo end $POND_RUN_ID >> spans.txt\"\n") == 0);
	pond_error err = POND_ERROR_INIT;
	pond_scheduler *s1, *s2;
	CHECK_OK(pond_scheduler_new(&s1, p.project, p.ps, NULL, &err), &err);
	CHECK_OK(pond_scheduler_new(&s2, p.project, p.ps, NULL, &err), &err);
	for (int i = 0; i < 6; i++) {
		int64_t id;
		CHECK_OK(pond_scheduler_trigger(i % 2 ? s1 : s2, "p", POND_TRIGGER_API, NULL, &id, &err), &err);
	}
	volatile int stop = 0;
	sched_thread t1 = {s1, &stop}, t2 = {s2, &stop};
	pthread_t th1, th2;
	pthread_create(&th1, NULL, tick_loop, &t1);
	pthread_create(&th2, NULL, tick_loop, &t2);
	pond_arena *a = pond_arena_new();
	/* polls for the state, bounded at 2 minutes for a loaded machine */
	for (int i = 0; i < 2400; i++) {
		pond_run_info *r;
		size_t n = runs_of(&p, "p", a, &r), finished = 0;
		for (size_t k = 0; k < n; k++)
			finished += strcmp(r[k].status, "success") == 0;
		if (finished == 6)
			break;
		usleep(50000);
	}
	stop = 1;
	pthread_join(th1, NULL);
	pthread_join(th2, NULL);
	pond_scheduler_free(&s1);
	pond_scheduler_free(&s2);
	char *text = NULL;
	size_t len;
	CHECK_OK(pond_file_read(&text, &len, pond_arena_sprintf(a, "%s/spans.txt", p.dir), 10000, &err), &err);
	/* strictly alternating start/end of the same run, six runs */
	int starts = 0, open = 0;
	char current[32] = "";
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "start ", 6) == 0) {
			CHECK_MSG(!open, "two runs overlapped: %s while %s ran", line, current);
			snprintf(current, sizeof(current), "%s", line + 6);
			open = 1;
			starts++;
		} else {
			CHECK_MSG(open && strcmp(line + 4, current) == 0, "unexpected %s", line);
			open = 0;
		}
	}
	CHECK_INT(starts, 6);
	pond_free(text);
	pond_arena_free(&a);
	proj_close(&p);
}
