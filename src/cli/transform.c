/*
 * `pond transform`, `pond test` and `pond lineage`: SQL models from the
 * command line, over the transform layer (include/pond/transform.h).
 */
#include "cli.h"

#include "pond/transform.h"

#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>

static const char transform_help[] =
	"usage: pond transform [--select SEL...] [--exclude SEL...] [--full-refresh] [--force]\n"
	"                      [--threads N] [--dry-run] [--json]\n"
	"\n"
	"Builds the models in models/ (each a SELECT in NAME.sql, settings in its\n"
	"leading -- comment: docs/models.md) in dependency order, independent ones\n"
	"in parallel, and runs each model's tests after it. A failing error-level\n"
	"test stops the models downstream. Models whose SQL and inputs have not\n"
	"changed since their last run are skipped as up to date.\n"
	"\n"
	"selectors (several, or space separated: union; a,b: both):\n"
	"  marts.x  x  models/marts/x.sql   a model\n"
	"  +x   x+   +x+                    with its ancestors / descendants\n"
	"  tag:daily   path:marts/          by tag, by folder under models/\n"
	"  state:modified                   changed since its last successful run\n"
	"\n"
	"options:\n"
	"  -s, --select SEL     build only these models\n"
	"      --exclude SEL    leave these out\n"
	"      --full-refresh   rebuild incremental models from scratch\n"
	"      --force          build models even when up to date\n"
	"  -t, --threads N      models built at once (default: pond.yml models.threads, else one per core)\n"
	"      --dry-run        parse and plan only: print the models in run order\n"
	"      --json           print the result as JSON (progress goes to stderr)\n"
	"\n"
	"exit status: 0 ok, 1 a model or an error-level test failed, 2 usage error\n";

static const char test_help[] =
	"usage: pond test [--select SEL...] [--exclude SEL...] [--threads N] [--json]\n"
	"\n"
	"Runs the data tests of the selected models (tests: in a model's settings,\n"
	"and tests/NAME.sql queries returning failing rows) against the tables as\n"
	"they are. Selectors as for pond transform.\n"
	"\n"
	"exit status: 0 ok, 1 an error-level test failed, 2 usage error\n";

static const char lineage_help[] =
	"usage: pond lineage [MODEL] [--format text|dot|json]\n"
	"\n"
	"Shows the graph from sources through models to exports: for MODEL (or a\n"
	"table), only what it reads and what reads it. dot is Graphviz:\n"
	"  pond lineage --format dot | dot -Tsvg > lineage.svg\n";

/* ---- options ------------------------------------------------------------------------------ */

#define MAX_SELECTORS 64

typedef struct {
	const char *select[MAX_SELECTORS], *exclude[MAX_SELECTORS];
	pond_transform_options opts;
	bool json, dry_run;
} run_args;

static volatile int transform_cancel;

static void on_sigint(int sig)
{
	(void)sig;
	transform_cancel = 1;
}

static int parse_args(const cli_command *cmd, int argc, char **argv, run_args *ra, bool building)
{
	static const struct option longopts[] = {
		{"select", required_argument, NULL, 's'},   {"models", required_argument, NULL, 's'},
		{"exclude", required_argument, NULL, 'x'},  {"full-refresh", no_argument, NULL, 'F'},
		{"force", no_argument, NULL, 'f'},          {"threads", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},           {"dry-run", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	pond_transform_options init = POND_TRANSFORM_OPTIONS_INIT;
	ra->opts = init;
	ra->opts.select = ra->select;
	ra->opts.exclude = ra->exclude;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:t:h", longopts, NULL)) != -1) {
		int64_t n;
		switch (opt) {
		case 's':
		case 'x': {
			size_t *count = opt == 's' ? &ra->opts.nselect : &ra->opts.nexclude;
			const char **list = opt == 's' ? ra->select : ra->exclude;
			if (*count == MAX_SELECTORS)
				return cli_usage_error(cmd->name, "too many selectors");
			list[(*count)++] = optarg;
			/* --select a b c: words up to the next option belong to it */
			while (optind < argc && argv[optind][0] != '-' && *count < MAX_SELECTORS)
				list[(*count)++] = argv[optind++];
			break;
		}
		case 'F': ra->opts.full_refresh = true; break;
		case 'f': ra->opts.force = true; break;
		case 't':
			if (!pond_str_to_i64(optarg, &n) || n < 1 || n > 64)
				return cli_usage_error(cmd->name, "--threads takes a number from 1 to 64");
			ra->opts.threads = (int)n;
			break;
		case 'j': ra->json = true; break;
		case 'n': ra->dry_run = true; break;
		case 'h': return cli_print_help(cmd);
		case ':': return cli_usage_error(cmd->name, "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error(cmd->name, "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (!building && (ra->opts.full_refresh || ra->opts.force || ra->dry_run))
		return cli_usage_error(cmd->name, "--full-refresh, --force and --dry-run belong to pond transform");
	if (optind < argc)
		return cli_usage_error(cmd->name, "unexpected argument \"%s\" (selectors go after --select)", argv[optind]);
	return -1;
}

/* ---- progress ------------------------------------------------------------------------------ */

typedef struct {
	FILE *out;
	bool building;
} progress;

static void print_test(FILE *out, const pond_test_outcome *t)
{
	const char *label = t->status == POND_TEST_PASS ? "pass" : t->status == POND_TEST_WARN ? "WARN"
	                    : t->status == POND_TEST_FAIL                                   ? "FAIL"
	                                                                                    : "ERROR";
	fprintf(out, "          test %-5s %s", label, t->name);
	if (t->status == POND_TEST_WARN || t->status == POND_TEST_FAIL)
		fprintf(out, ": %lld failing row%s", (long long)t->failures, t->failures == 1 ? "" : "s");
	if (t->status == POND_TEST_ERROR)
		fprintf(out, ": %s", t->message ? t->message : "");
	fputc('\n', out);
	if (t->sample && t->status != POND_TEST_PASS) {
		const char *p = t->sample;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);
			fprintf(out, "              %.*s\n", (int)len, p);
			p += len + (nl ? 1 : 0);
		}
	}
}

static void on_event(const pond_transform_event *ev, void *payload)
{
	progress *pr = payload;
	const pond_model_outcome *m = ev->model;
	if (ev->kind == POND_TRANSFORM_MODEL_START) {
		if (pr->building)
			fprintf(pr->out, "%3zu/%zu start   %s (%s)\n", ev->index, ev->total, m->name, m->materialized);
		fflush(pr->out);
		return;
	}
	double secs = (double)m->duration_ns / 1e9;
	switch (m->status) {
	case POND_MODEL_OK:
		if (pr->building && strcmp(m->materialized, "view") == 0)
			fprintf(pr->out, "%3zu/%zu ok      %s: view in %.2f s\n", ev->index, ev->total, m->name, secs);
		else if (pr->building)
			fprintf(pr->out, "%3zu/%zu ok      %s: %lld row%s in %.2f s\n", ev->index, ev->total, m->name,
			        (long long)m->rows, m->rows == 1 ? "" : "s", secs);
		else
			fprintf(pr->out, "%3zu/%zu tested  %s\n", ev->index, ev->total, m->name);
		break;
	case POND_MODEL_UP_TO_DATE:
		fprintf(pr->out, "%3zu/%zu skip    %s: up to date\n", ev->index, ev->total, m->name);
		break;
	case POND_MODEL_EPHEMERAL:
		fprintf(pr->out, "%3zu/%zu inline  %s (ephemeral)\n", ev->index, ev->total, m->name);
		break;
	case POND_MODEL_FAILED:
		fprintf(pr->out, "%3zu/%zu FAIL    %s: %s\n", ev->index, ev->total, m->name, m->message ? m->message : "");
		break;
	default:
		fprintf(pr->out, "%3zu/%zu not run %s: %s\n", ev->index, ev->total, m->name, m->message ? m->message : "");
		break;
	}
	for (size_t i = 0; i < m->ntests; i++)
		print_test(pr->out, &m->tests[i]);
	fflush(pr->out);
}

static void print_summary(FILE *out, const pond_transform_result *r, bool building)
{
	for (size_t i = 0; i < r->ntests; i++)
		print_test(out, &r->tests[i]);
	if (building)
		fprintf(out, "done: %d ok, %d up to date, %d failed, %d not run; ", r->ok, r->up_to_date, r->failed,
		        r->blocked);
	else
		fprintf(out, "done: ");
	fprintf(out, "tests %d passed, %d warned, %d failed in %.2f s\n", r->tests_passed, r->tests_warned,
	        r->tests_failed, (double)r->duration_ns / 1e9);
}

/* ---- commands ------------------------------------------------------------------------------ */

static int run_models(const cli_command *cmd, int argc, char **argv, bool building)
{
	run_args ra;
	memset(&ra, 0, sizeof(ra));
	int code = parse_args(cmd, argc, argv, &ra, building);
	if (code >= 0)
		return code;
	pond_error err = POND_ERROR_INIT;
	pond_project *project;
	pond_lake *lake;
	if (cli_open_project(&project, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	int rc;
	if (ra.dry_run) {
		pond_arena *a = pond_arena_new();
		const char **order = NULL;
		size_t n = 0;
		int64_t t0 = pond_time_mono_ns();
		rc = a ? pond_transform_plan(lake, &ra.opts, a, &order, &n, &err) : pond_error_set(&err, POND_ENOMEM, "out of memory");
		double ms = (double)(pond_time_mono_ns() - t0) / 1e6;
		if (rc == 0 && ra.json) {
			json_t *o = json_object(), *names = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(names, json_string(order[i]));
			json_object_set_new(o, "models", names);
			json_object_set_new(o, "plan_ms", json_real(ms));
			char *text = pond_json_dumps(o, false);
			printf("%s\n", text ? text : "{}");
			pond_free(text);
			json_decref(o);
		} else if (rc == 0) {
			for (size_t i = 0; i < n; i++)
				printf("%3zu %s\n", i + 1, order[i]);
			fprintf(stderr, "planned %zu model%s in %.1f ms\n", n, n == 1 ? "" : "s", ms);
		}
		pond_arena_free(&a);
		cli_close_project(&project, &lake);
		return rc ? cli_fail(&err) : EXIT_OK;
	}
	progress pr = {ra.json ? stderr : stdout, building};
	ra.opts.on_event = on_event;
	ra.opts.payload = &pr;
	transform_cancel = 0;
	ra.opts.cancel = &transform_cancel;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old);
	pond_transform_result result;
	rc = building ? pond_transform_run(lake, &ra.opts, &result, &err)
	              : pond_transform_test(lake, &ra.opts, &result, &err);
	sigaction(SIGINT, &old, NULL);
	if (result.arena && (result.nmodels || result.ntests || rc == 0 || rc == POND_ERROR)) {
		if (ra.json) {
			json_t *o = pond_transform_result_to_json(&result);
			char *text = pond_json_dumps(o, true);
			printf("%s\n", text ? text : "{}");
			pond_free(text);
			json_decref(o);
		} else {
			if (result.nmodels == 0 && result.ntests == 0)
				printf("nothing selected\n");
			print_summary(stdout, &result, building);
		}
	}
	pond_transform_result_dispose(&result);
	cli_close_project(&project, &lake);
	if (rc == POND_ERROR)
		return EXIT_FAIL;  /* the lines above said what failed */
	if (rc == POND_EUSAGE)
		return cli_usage_error(cmd->name, "%s", err.msg);
	return rc ? cli_fail(&err) : EXIT_OK;
}

static int cmd_transform(int argc, char **argv)
{
	return run_models(&cli_transform_command, argc, argv, true);
}

static int cmd_test(int argc, char **argv)
{
	return run_models(&cli_test_command, argc, argv, false);
}

static int cmd_lineage(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	pond_lineage_format format = POND_LINEAGE_TEXT;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (strcmp(optarg, "text") == 0)
				format = POND_LINEAGE_TEXT;
			else if (strcmp(optarg, "dot") == 0)
				format = POND_LINEAGE_DOT;
			else if (strcmp(optarg, "json") == 0)
				format = POND_LINEAGE_JSON;
			else
				return cli_usage_error("lineage", "unknown format \"%s\" (text, dot, json)", optarg);
			break;
		case 'h': return cli_print_help(&cli_lineage_command);
		case ':': return cli_usage_error("lineage", "option %s needs a value", argv[optind - 1]);
		default: return cli_usage_error("lineage", "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("lineage", "expected at most one MODEL");
	const char *focus = optind < argc ? argv[optind] : NULL;
	pond_error err = POND_ERROR_INIT;
	pond_project *project;
	pond_lake *lake;
	if (cli_open_project(&project, &lake, NULL, &err) != 0)
		return cli_fail(&err);
	pond_transform_graph *g = NULL;
	pond_buf out = POND_BUF_INIT;
	int rc = pond_transform_graph_load(&g, lake, &err);
	if (rc == 0)
		rc = pond_transform_lineage(&out, g, focus, format, &err);
	if (rc == 0)
		fputs(pond_buf_cstr(&out), stdout);
	pond_buf_dispose(&out);
	pond_transform_graph_free(&g);
	cli_close_project(&project, &lake);
	return rc ? cli_fail(&err) : EXIT_OK;
}

const cli_command cli_transform_command = {
	"transform", "build SQL models in dependency order, with their tests", transform_help, cmd_transform,
};

const cli_command cli_test_command = {
	"test", "run the data tests of SQL models", test_help, cmd_test,
};

const cli_command cli_lineage_command = {
	"lineage", "show the graph from sources through models to exports", lineage_help, cmd_lineage,
};
