/*
 * Pipelines on the command line: `pond run` runs one now in the
 * foreground with live progress, `pond runs` lists the run history,
 * `pond logs` prints a run's step logs and `pond schedule` runs the
 * scheduler without the web server. The work is the pipeline layer's.
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pond/pipeline.h"

/* ---- shared ---- */

static volatile int stop_flag;
static pond_scheduler *signal_scheduler;

static void on_stop_signal(int sig)
{
	(void)sig;
	/* first signal: stop gracefully; a second one: now */
	stop_flag = stop_flag ? 2 : 1;
	if (signal_scheduler)
		pond_scheduler_request_stop(signal_scheduler);
}

static void stop_signals_install(bool on)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_stop_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int open_pipelines(pond_project **project, pond_pipelines **ps, pond_catalog **cat, pond_error *err)
{
	int rc = pond_project_find(project, cli_project_dir, cli_project_dir == NULL, err);
	if (rc == 0)
		rc = pond_pipelines_load(ps, *project, err);
	if (rc == 0 && cat) {
		rc = pond_project_open_catalog(cat, *project, err);
		if (rc == 0)
			rc = pond_runs_ensure_tables(*cat, err);
		if (rc == 0)
			rc = pond_runs_reconcile(*cat, pond_time_now_ms(), NULL, err);
	}
	return rc;
}

static void close_pipelines(pond_project **project, pond_pipelines **ps, pond_catalog **cat)
{
	if (cat)
		pond_catalog_close(cat);
	pond_pipelines_free(ps);
	pond_project_free(project);
}

static void clock_text(char out[16], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 16, "%H:%M:%S", &tm);
}

static void local_time_text(char out[32], int64_t ms)
{
	if (!ms) {
		snprintf(out, 32, "-");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

static void duration_text(char out[32], int64_t ms)
{
	if (ms < 0)
		snprintf(out, 32, "-");
	else if (ms < 1000)
		snprintf(out, 32, "%lldms", (long long)ms);
	else if (ms < 60000)
		snprintf(out, 32, "%.1fs", (double)ms / 1000);
	else if (ms < 3600000)
		snprintf(out, 32, "%lldm%02llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
	else
		snprintf(out, 32, "%lldh%02lldm", (long long)(ms / 3600000), (long long)(ms / 60000 % 60));
}

/* Live progress lines, for pond run, pond schedule and pond demo. */
void cli_print_run_event(const pond_run_event *e, void *payload)
{
	FILE *out = payload ? payload : stdout;
	char now[16], d[32];
	clock_text(now, pond_time_now_ms());
	switch (e->kind) {
	case POND_RUN_EVENT_RUN_STARTED:
		fprintf(out, "%s run %" PRId64 " of %s started\n", now, e->run_id, e->pipeline);
		break;
	case POND_RUN_EVENT_STEP_STARTED:
		if (e->attempt > 1)
			fprintf(out, "%s [%s] %s started (attempt %d)\n", now, e->pipeline, e->step, e->attempt);
		else
			fprintf(out, "%s [%s] %s started\n", now, e->pipeline, e->step);
		break;
	case POND_RUN_EVENT_STEP_OUTPUT:
		fprintf(out, "%s [%s] %s | %s\n", now, e->pipeline, e->step, e->message);
		break;
	case POND_RUN_EVENT_STEP_PROGRESS:
		fprintf(out, "%s [%s] %s: %lld rows, %.1f MB so far\n", now, e->pipeline, e->step, (long long)e->rows,
		        (double)(e->bytes > 0 ? e->bytes : 0) / 1e6);
		break;
	case POND_RUN_EVENT_STEP_RETRY:
		duration_text(d, e->delay_ms);
		fprintf(out, "%s [%s] %s will retry in %s\n", now, e->pipeline, e->step, d);
		break;
	case POND_RUN_EVENT_STEP_FINISHED:
		duration_text(d, e->duration_ms);
		if (e->message)
			fprintf(out, "%s [%s] %s %s after %s: %s\n", now, e->pipeline, e->step, e->status, d, e->message);
		else if (e->rows >= 0)
			fprintf(out, "%s [%s] %s %s in %s: %lld rows, %lld bytes\n", now, e->pipeline, e->step, e->status, d,
			        (long long)e->rows, (long long)(e->bytes > 0 ? e->bytes : 0));
		else
			fprintf(out, "%s [%s] %s %s in %s\n", now, e->pipeline, e->step, e->status, d);
		break;
	case POND_RUN_EVENT_RUN_FINISHED:
		fprintf(out, "%s run %" PRId64 " of %s: %s%s%s\n", now, e->run_id, e->pipeline, e->status,
		        e->message ? ": " : "", e->message ? e->message : "");
		break;
	}
	fflush(out);
}

/* ---- pond run ---- */

static const char run_help[] =
	"usage: pond run PIPELINE [--from STEP] [--param KEY=VALUE]... [--wait] [--queue]\n"
	"\n"
	"Runs a pipeline of pond.yml now, in the foreground, printing each step\n"
	"as it starts and ends and what it prints. Failed steps are retried as\n"
	"the pipeline says; the run is recorded (pond runs, pond logs). Only one\n"
	"run of a pipeline happens at a time, across processes: a second one is\n"
	"refused (or waits, with --wait). Ctrl-C or SIGTERM stops the run: running\n"
	"steps get the grace period (defaults: grace, 10s), a second signal kills\n"
	"them. See docs/pipelines.md.\n"
	"\n"
	"options:\n"
	"      --from STEP        start at STEP (a step name or kind); earlier steps are skipped\n"
	"  -p, --param KEY=VALUE  a run parameter: shell steps see POND_PARAM_KEY\n"
	"      --wait             wait while another process runs the pipeline\n"
	"      --queue            queue the run for a scheduler (pond serve, pond schedule); print its id\n"
	"  -q, --quiet            print only the outcome\n"
	"  -h, --help             show this help\n"
	"\n"
	"exit status: 0 the run succeeded, 1 it failed, was interrupted or could not start, 2 usage error\n";

static int add_param(json_t *params, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return -1;
	for (const char *p = kv; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return -1;
	char *key = pond_strndup(kv, (size_t)(eq - kv));
	if (!key)
		return -1;
	json_object_set_new(params, key, json_string(eq + 1));
	pond_free(key);
	return 0;
}

static void quiet_event(const pond_run_event *e, void *payload)
{
	if (e->kind == POND_RUN_EVENT_RUN_FINISHED)
		cli_print_run_event(e, payload);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"from", required_argument, NULL, 'f'}, {"param", required_argument, NULL, 'p'},
		{"wait", no_argument, NULL, 'w'},       {"queue", no_argument, NULL, 'Q'},
		{"quiet", no_argument, NULL, 'q'},      {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *from = NULL;
	bool wait = false, queue = false, quiet = false;
	json_t *params = json_object();
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":p:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': from = optarg; break;
		case 'p':
			if (add_param(params, optarg)) {
				json_decref(params);
				return cli_usage_error("run", "--param wants KEY=VALUE (KEY of letters, digits, _), got \"%s\"", optarg);
			}
			break;
		case 'w': wait = true; break;
		case 'Q': queue = true; break;
		case 'q': quiet = true; break;
		case 'h': json_decref(params); return cli_print_help(&cli_run_command);
		case ':': json_decref(params); return cli_usage_error("run", "%s needs a value", argv[optind - 1]);
		default: json_decref(params); return cli_usage_error("run", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind != 1) {
		json_decref(params);
		return cli_usage_error("run", "expected one PIPELINE");
	}
	const char *name = argv[optind];
	char *params_text = pond_json_dumps(params, false);
	json_decref(params);
	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	pond_pipelines *ps = NULL;
	pond_catalog *cat = NULL;
	int rc = open_pipelines(&project, &ps, queue ? &cat : NULL, &err);
	if (rc == 0 && !pond_pipelines_find(ps, name))
		rc = pond_error_set(&err, POND_ENOTFOUND, "no pipeline \"%s\" in %s", name, project->config_path);
	if (rc == 0 && queue) {
		int64_t id;
		rc = pond_run_enqueue(cat, name, POND_TRIGGER_MANUAL, params_text, pond_time_now_ms(), &id, &err);
		if (rc == 0)
			printf("%" PRId64 "\n", id);
	} else if (rc == 0) {
		pond_run_options o = POND_RUN_OPTIONS_INIT;
		o.parameters = params_text;
		o.from_step = from;
		o.wait_for_lease = wait;
		o.on_event = quiet ? quiet_event : cli_print_run_event;
		o.event_payload = stdout;
		o.cancel = &stop_flag;
		stop_flag = 0;
		stop_signals_install(true);
		int64_t id = 0;
		rc = pond_pipeline_run(project, ps, name, &o, &id, &err);
		stop_signals_install(false);
		if (rc && id) {
			/* the outcome line said it already; keep stderr to one line */
			pond_free(params_text);
			close_pipelines(&project, &ps, &cat);
			fprintf(stderr, "pond: %s (pond logs %" PRId64 ")\n", err.msg, id);
			return EXIT_FAIL;
		}
	}
	pond_free(params_text);
	close_pipelines(&project, &ps, &cat);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_run_command = {"run", "run a pipeline now", run_help, cmd_run};

/* ---- pond runs ---- */

static const char runs_help[] =
	"usage: pond runs [PIPELINE] [--limit N] [--json]\n"
	"       pond runs show RUN [--json]\n"
	"\n"
	"Lists pipeline runs, newest first: trigger (manual, schedule, catchup,\n"
	"api), status (queued, running, success, failed, interrupted), start and\n"
	"duration. `show` prints one run with each step attempt. Runs whose\n"
	"process died are marked interrupted once their lease has expired.\n"
	"\n"
	"options:\n"
	"  -n, --limit N   at most N runs (default 20)\n"
	"      --json      print JSON\n"
	"  -h, --help      show this help\n";

static int print_json(json_t *doc)
{
	char *text = pond_json_dumps(doc, true);
	json_decref(doc);
	if (!text)
		return -1;
	puts(text);
	pond_free(text);
	return 0;
}

static int show_run(pond_catalog *cat, int64_t id, bool as_json, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	pond_run_info run;
	pond_step_attempt *st = NULL;
	size_t n = 0;
	int rc = a ? pond_run_get(cat, id, a, &run, err) : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_run_steps(cat, id, a, &st, &n, err);
	if (rc == 0 && as_json) {
		json_t *doc = pond_run_info_to_json(&run), *steps = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(steps, pond_step_attempt_to_json(&st[i]));
		json_object_set_new(doc, "steps", steps);
		print_json(doc);
	} else if (rc == 0) {
		char started[32], d[32];
		local_time_text(started, run.started_ms);
		duration_text(d, run.started_ms && run.ended_ms ? run.ended_ms - run.started_ms : -1);
		printf("run %" PRId64 " of %s: %s\n", run.id, run.pipeline, run.status);
		printf("  trigger     %s\n  parameters  %s\n  started     %s\n  duration    %s\n", run.trigger,
		       run.parameters, started, d);
		if (run.scheduled_ms) {
			char sch[32];
			local_time_text(sch, run.scheduled_ms);
			printf("  scheduled   %s\n", sch);
		}
		if (run.holder)
			printf("  ran on      %s\n", run.holder);
		if (run.error)
			printf("  error       %s\n", run.error);
		if (n)
			printf("\n  %-24s %7s %-11s %10s %12s %9s  %s\n", "step", "attempt", "status", "rows", "bytes", "time",
			       "error");
		for (size_t i = 0; i < n; i++) {
			char rows[24] = "-", bytes[24] = "-";
			if (st[i].rows >= 0)
				snprintf(rows, sizeof(rows), "%lld", (long long)st[i].rows);
			if (st[i].bytes >= 0)
				snprintf(bytes, sizeof(bytes), "%lld", (long long)st[i].bytes);
			duration_text(d, st[i].duration_ms);
			printf("  %-24s %7d %-11s %10s %12s %9s  %s\n", st[i].step, st[i].attempt, st[i].status, rows, bytes,
			       strcmp(st[i].status, "running") ? d : "-", st[i].error ? st[i].error : "");
		}
	}
	pond_arena_free(&a);
	return rc;
}

static int list_runs(pond_catalog *cat, const char *pipeline, long limit, bool as_json, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	pond_run_info *runs = NULL;
	size_t n = 0;
	int rc = a ? pond_runs_list(cat, pipeline, 0, (size_t)limit, a, &runs, &n, err)
	           : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0 && as_json) {
		json_t *doc = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(doc, pond_run_info_to_json(&runs[i]));
		print_json(doc);
	} else if (rc == 0 && n == 0) {
		printf("no runs yet: start one with pond run PIPELINE\n");
	} else if (rc == 0) {
		printf("%6s  %-20s %-9s %-12s %-19s %9s  %s\n", "id", "pipeline", "trigger", "status", "started", "duration",
		       "error");
		for (size_t i = 0; i < n; i++) {
			char started[32], d[32];
			local_time_text(started, runs[i].started_ms ? runs[i].started_ms : runs[i].queued_ms);
			duration_text(d, runs[i].started_ms && runs[i].ended_ms ? runs[i].ended_ms - runs[i].started_ms : -1);
			printf("%6" PRId64 "  %-20s %-9s %-12s %-19s %9s  %.80s\n", runs[i].id, runs[i].pipeline, runs[i].trigger,
			       runs[i].status, started, d, runs[i].error ? runs[i].error : "");
		}
	}
	pond_arena_free(&a);
	return rc;
}

static int cmd_runs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"limit", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool as_json = false;
	long limit = 20;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j': as_json = true; break;
		case 'n': {
			int64_t v;
			if (!pond_str_to_i64(optarg, &v) || v < 1 || v > 100000)
				return cli_usage_error("runs", "--limit wants a number from 1, got \"%s\"", optarg);
			limit = (long)v;
			break;
		}
		case 'h': return cli_print_help(&cli_runs_command);
		case ':': return cli_usage_error("runs", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("runs", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	int n = argc - optind;
	bool show = n >= 1 && strcmp(argv[optind], "show") == 0;
	int64_t id = 0;
	if (show && (n != 2 || !pond_str_to_i64(argv[optind + 1], &id)))
		return cli_usage_error("runs", "expected: pond runs show RUN_ID");
	if (!show && n > 1)
		return cli_usage_error("runs", "expected at most one PIPELINE");
	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	pond_pipelines *ps = NULL;
	pond_catalog *cat = NULL;
	int rc = open_pipelines(&project, &ps, &cat, &err);
	if (rc == 0)
		rc = show ? show_run(cat, id, as_json, &err) : list_runs(cat, n ? argv[optind] : NULL, limit, as_json, &err);
	close_pipelines(&project, &ps, &cat);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_runs_command = {"runs", "list pipeline runs, or show one", runs_help, cmd_runs};

/* ---- pond logs ---- */

static const char logs_help[] =
	"usage: pond logs RUN [STEP]\n"
	"\n"
	"Prints what a run's steps printed (each step's last 64 KiB by default,\n"
	"pond.yml defaults: log_cap), every step under a \"== STEP ==\" line,\n"
	"or one step's log.\n";

static int cmd_logs(int argc, char **argv)
{
	if (cli_wants_help(argc, argv))
		return cli_print_help(&cli_logs_command);
	int64_t id;
	if (argc < 2 || argc > 3 || !pond_str_to_i64(argv[1], &id))
		return cli_usage_error("logs", "expected RUN_ID [STEP]");
	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	pond_pipelines *ps = NULL;
	pond_catalog *cat = NULL;
	pond_arena *a = pond_arena_new();
	const char *text = NULL;
	int rc = open_pipelines(&project, &ps, &cat, &err);
	if (rc == 0)
		rc = pond_run_log(cat, id, argc == 3 ? argv[2] : NULL, a, &text, &err);
	if (rc == 0 && argc == 3 && !*text) {
		pond_step_attempt *st;
		size_t n;
		bool known = false;
		if ((rc = pond_run_steps(cat, id, a, &st, &n, &err)) == 0) {
			for (size_t i = 0; i < n; i++)
				known |= strcmp(st[i].step, argv[2]) == 0;
			if (!known)
				rc = pond_error_set(&err, POND_ENOTFOUND, "run %" PRId64 " has no step \"%s\"", id, argv[2]);
		}
	}
	if (rc == 0)
		fputs(text, stdout);
	pond_arena_free(&a);
	close_pipelines(&project, &ps, &cat);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_logs_command = {"logs", "print the logs of a pipeline run", logs_help, cmd_logs};

/* ---- pond schedule ---- */

static const char schedule_help[] =
	"usage: pond schedule [--once] [--quiet]\n"
	"\n"
	"Runs the scheduler in the foreground, without the web server (pond serve\n"
	"runs the same scheduler): fires the pipelines' cron schedules in their\n"
	"time zones, catches up missed runs (catchup: true), and runs queued runs\n"
	"(pond run --queue, the API). Several schedulers may share one catalog:\n"
	"a pipeline never runs twice at once. SIGINT or SIGTERM stops it; running\n"
	"steps get the grace period, then are killed and marked interrupted.\n"
	"\n"
	"options:\n"
	"      --once      one pass: queue what is due, run what is queued, wait, exit\n"
	"  -q, --quiet     no progress lines\n"
	"  -h, --help      show this help\n";

static int cmd_schedule(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"once", no_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool once = false, quiet = false;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': once = true; break;
		case 'q': quiet = true; break;
		case 'h': return cli_print_help(&cli_schedule_command);
		default: return cli_usage_error("schedule", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("schedule", "expected no arguments");
	pond_error err = POND_ERROR_INIT;
	pond_project *project = NULL;
	pond_pipelines *ps = NULL;
	pond_scheduler *s = NULL;
	int rc = open_pipelines(&project, &ps, NULL, &err);
	pond_scheduler_options so = POND_SCHEDULER_OPTIONS_INIT;
	so.on_event = quiet ? NULL : cli_print_run_event;
	so.event_payload = stdout;
	if (rc == 0)
		rc = pond_scheduler_new(&s, project, ps, &so, &err);
	if (rc == 0) {
		signal_scheduler = s;
		stop_flag = 0;
		stop_signals_install(true);
		if (!quiet) {
			printf("scheduler started: %zu pipeline%s\n", ps->count, ps->count == 1 ? "" : "s");
			for (size_t i = 0; i < ps->count; i++) {
				const pond_pipeline *p = &ps->items[i];
				int64_t next;
				char when[32] = "manual only";
				if (p->schedule && pond_cron_next(&p->cron, p->tz, pond_time_now_ms(), &next, &err) == 0)
					local_time_text(when, next);
				printf("  %-24s %-20s %s%s\n", p->name, p->schedule ? p->schedule : "-", when,
				       p->schedule ? " (next)" : "");
			}
			fflush(stdout);
		}
		if (once) {
			rc = pond_scheduler_tick(s, NULL, &err);
			pond_scheduler_wait_idle(s);
		} else {
			rc = pond_scheduler_run(s, &err);
		}
		pond_scheduler_stop(s, stop_flag >= 2 ? 0 : -1);
		pond_scheduler_free(&s);
		stop_signals_install(false);
		signal_scheduler = NULL;
	}
	close_pipelines(&project, &ps, NULL);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_schedule_command = {"schedule", "run pipeline schedules in the foreground (no web server)",
                                          schedule_help, cmd_schedule};
