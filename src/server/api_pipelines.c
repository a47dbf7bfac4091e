/*
 * Pipeline and run endpoints, over the pipeline layer: pipelines as
 * pond.yml defines them (loaded once at start), runs from the history
 * tables in the catalog database, and triggers that queue a run for the
 * scheduler (this server's, or any other process's with --no-scheduler).
 */
#include "server_internal.h"

#include <jansson.h>
#include <string.h>

#include "pond/pipeline.h"

#define RUNS_DEFAULT_LIMIT 50
#define RUNS_MAX_LIMIT 1000

static int pipelines_of(srv_ctx *ctx, const pond_pipelines **out)
{
	if (!ctx->srv->pipelines)
		return pond__server_fail(ctx, 503, "pipelines are not loaded");
	*out = ctx->srv->pipelines;
	return 0;
}

static int find_pipeline(srv_ctx *ctx, const pond_pipeline **out)
{
	const pond_pipelines *ps = NULL;
	int rc = pipelines_of(ctx, &ps);
	if (rc)
		return rc;
	const char *name = ctx->url.segments[2];
	if (!(*out = pond_pipelines_find(ps, name)))
		return pond__server_fail(ctx, 404, "no pipeline \"%.200s\" in pond.yml", name);
	return 0;
}

/* Runs in a pipeline's "recent_runs" of the list (the page's strip of squares). */
#define LIST_RECENT_RUNS 14

/* Sets a pipeline's "last_run" (its newest run, or null) and "recent_runs"
 * (its newest LIST_RECENT_RUNS, newest first). */
static void add_runs(json_t *p, pond_catalog *cat, const char *pipeline, pond_arena *a)
{
	pond_run_info *runs;
	size_t n = 0;
	pond_error ignored = POND_ERROR_INIT;
	if (pond_runs_list(cat, pipeline, 0, LIST_RECENT_RUNS, a, &runs, &n, &ignored) != 0)
		n = 0;
	json_t *recent = json_array();
	for (size_t i = 0; recent && i < n; i++)
		json_array_append_new(recent, pond_run_info_to_json(&runs[i]));
	json_object_set_new(p, "last_run", n ? pond_run_info_to_json(&runs[0]) : json_null());
	json_object_set_new(p, "recent_runs", recent);
}

/* GET /api/pipelines */
int pond__server_pipelines_list(srv_ctx *ctx, srv_reply *reply)
{
	const pond_pipelines *ps = NULL;
	pond_catalog *cat;
	int rc = pipelines_of(ctx, &ps);
	if (rc || (rc = pond__server_catalog(ctx, &cat)) != 0)
		return rc;
	int64_t now = pond_time_now_ms();
	json_t *items = json_array();
	for (size_t i = 0; items && i < ps->count; i++) {
		json_t *p = pond_pipeline_to_json(&ps->items[i], now);
		if (p)
			add_runs(p, cat, ps->items[i].name, ctx->arena);
		json_array_append_new(items, p);
	}
	return pond__server_ok(reply, items ? json_pack("{s:o}", "pipelines", items) : NULL);
}

/* GET /api/pipelines/NAME */
int pond__server_pipeline_get(srv_ctx *ctx, srv_reply *reply)
{
	const pond_pipeline *p;
	pond_catalog *cat;
	int rc = find_pipeline(ctx, &p);
	if (rc || (rc = pond__server_catalog(ctx, &cat)) != 0)
		return rc;
	json_t *doc = pond_pipeline_to_json(p, pond_time_now_ms());
	pond_run_info *runs;
	size_t n;
	if (doc && pond_runs_list(cat, p->name, 0, 10, ctx->arena, &runs, &n, &ctx->err) == 0) {
		json_t *recent = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(recent, pond_run_info_to_json(&runs[i]));
		json_object_set_new(doc, "recent_runs", recent);
	}
	return pond__server_ok(reply, doc);
}

/* POST /api/pipelines/NAME/runs {"parameters": {"key": "value"}} */
int pond__server_pipeline_trigger(srv_ctx *ctx, srv_reply *reply)
{
	static const char *const keys[] = {"parameters", NULL};
	const pond_pipeline *p;
	json_t *body;
	int rc = find_pipeline(ctx, &p);
	if (rc || (rc = pond__server_body_object(ctx, true, &body)) != 0 ||
	    (rc = pond__server_check_keys(ctx, body, keys)) != 0)
		return rc;
	json_t *params = json_object_get(body, "parameters");
	char *params_text = NULL;
	if (params && !json_is_null(params)) {
		if (!json_is_object(params))
			return pond__server_fail(ctx, 400, "\"parameters\" must be an object of strings");
		const char *key;
		json_t *value;
		json_object_foreach(params, key, value) {
			if (!json_is_string(value))
				return pond__server_fail(ctx, 400, "parameter \"%.100s\" must be a string", key);
		}
		if (!(params_text = pond_json_dumps(params, false)))
			return pond__server_fail(ctx, 503, "out of memory");
	}
	int64_t id = 0;
	pond_catalog *cat;
	if (ctx->srv->scheduler)
		rc = pond_scheduler_trigger(ctx->srv->scheduler, p->name, POND_TRIGGER_API, params_text, &id, &ctx->err);
	else if ((rc = pond__server_catalog(ctx, &cat)) == 0)
		rc = pond_run_enqueue(cat, p->name, POND_TRIGGER_API, params_text, pond_time_now_ms(), &id, &ctx->err);
	pond_free(params_text);
	if (rc)
		return rc;
	char url[64];
	snprintf(url, sizeof(url), "/api/runs/%lld", (long long)id);
	rc = pond__server_ok(reply, json_pack("{s:I,s:s,s:s,s:s}", "run_id", (json_int_t)id, "pipeline", p->name, "status",
	                             "queued", "url", url));
	reply->status = 202;
	return rc;
}

/* GET /api/runs[?pipeline=&status=&limit=&before=] */
int pond__server_runs_list(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	int64_t limit, before;
	int rc;
	if ((rc = pond__server_param_int(ctx, "limit", RUNS_DEFAULT_LIMIT, 1, RUNS_MAX_LIMIT, &limit)) != 0 ||
	    (rc = pond__server_param_int(ctx, "before", 0, 0, INT64_MAX, &before)) != 0 ||
	    (rc = pond__server_catalog(ctx, &cat)) != 0)
		return rc;
	const char *pipeline = pond_url_param(&ctx->url, "pipeline");
	const char *status = pond_url_param(&ctx->url, "status");
	static const char *const statuses[] = {"queued", "running", "success", "failed", "interrupted", NULL};
	if (status) {
		const char *const *s = statuses;
		while (*s && strcmp(*s, status) != 0)
			s++;
		if (!*s)
			return pond__server_fail(ctx, 400, "parameter status: expected queued, running, success, failed or interrupted");
	}
	if (pipeline && !pipeline[0])
		pipeline = NULL;
	json_t *items = json_array();
	/* The history filters by pipeline; a status filter pages through it
	 * (at most 20 pages, newest first). */
	for (int page = 0; items && page < 20 && (int64_t)json_array_size(items) < limit; page++) {
		pond_run_info *runs;
		size_t n;
		size_t want = status ? 500 : (size_t)limit;
		if ((rc = pond_runs_list(cat, pipeline, before, want, ctx->arena, &runs, &n, &ctx->err)) != 0) {
			json_decref(items);
			return rc;
		}
		for (size_t i = 0; i < n && (int64_t)json_array_size(items) < limit; i++)
			if (!status || strcmp(runs[i].status, status) == 0)
				json_array_append_new(items, pond_run_info_to_json(&runs[i]));
		if (n < want || !status)
			break;
		before = runs[n - 1].id;
	}
	return pond__server_ok(reply, items ? json_pack("{s:o}", "runs", items) : NULL);
}

/* The run id of the path's third segment. */
static int run_id(srv_ctx *ctx, int64_t *out)
{
	if (!pond_str_to_i64(ctx->url.segments[2], out) || *out <= 0)
		return pond__server_fail(ctx, 400, "invalid run id \"%.40s\"", ctx->url.segments[2]);
	return 0;
}

/* Loads the run named by the path; 404 when there is none. */
static int load_run(srv_ctx *ctx, pond_catalog **cat, pond_run_info *run)
{
	int64_t id;
	int rc;
	if ((rc = run_id(ctx, &id)) != 0 || (rc = pond__server_catalog(ctx, cat)) != 0)
		return rc;
	return pond_run_get(*cat, id, ctx->arena, run, &ctx->err);
}

/* GET /api/runs/ID */
int pond__server_run_get(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	pond_run_info run;
	int rc = load_run(ctx, &cat, &run);
	return rc ? rc : pond__server_ok(reply, pond_run_info_to_json(&run));
}

/* GET /api/runs/ID/steps */
int pond__server_run_steps(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	pond_run_info run;
	pond_step_attempt *steps;
	size_t n;
	int rc = load_run(ctx, &cat, &run);
	if (rc || (rc = pond_run_steps(cat, run.id, ctx->arena, &steps, &n, &ctx->err)) != 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; items && i < n; i++)
		json_array_append_new(items, pond_step_attempt_to_json(&steps[i]));
	return pond__server_ok(reply, items ? json_pack("{s:I,s:s,s:o}", "run_id", (json_int_t)run.id, "status", run.status,
	                                       "steps", items)
	                           : NULL);
}

/* GET /api/runs/ID/logs[?step=NAME] */
int pond__server_run_logs(srv_ctx *ctx, srv_reply *reply)
{
	pond_catalog *cat;
	pond_run_info run;
	const char *log;
	int rc = load_run(ctx, &cat, &run);
	const char *step = pond_url_param(&ctx->url, "step");
	if (step && !step[0])
		step = NULL;
	if (rc || (rc = pond_run_log(cat, run.id, step, ctx->arena, &log, &ctx->err)) != 0)
		return rc;
	return pond__server_ok(reply, json_pack("{s:I,s:o,s:s,s:s}", "run_id", (json_int_t)run.id, "step",
	                               step ? json_string(step) : json_null(), "status", run.status, "log", log));
}
