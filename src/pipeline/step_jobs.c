/*
 * What ingest, transform, test, export and maintain steps call in the
 * layers below: the ingest layer's defined sources, the transform layer's
 * model runs and data tests, the export layer's deliveries, the maintain
 * layer's upkeep policy. Each job leaves a few summary
 * lines for the step's log and its row and byte counts.
 */
#include "step_jobs.h"

#include <inttypes.h>
#include <string.h>

#include "pond/export.h"
#include "pond/ingest.h"
#include "pond/maintain.h"
#include "pond/transform.h"

static void ingest_progress(int64_t rows, int64_t bytes, int64_t elapsed_ns, void *payload)
{
	(void)elapsed_ns;
	pond__job_ctx *ctx = payload;
	if (ctx->progress)
		ctx->progress(rows, bytes, ctx->progress_payload);
}

static int run_ingest(pond_lake *lake, pond__job_ctx *ctx, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	pond_source *source = NULL;
	if (!arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = pond_source_load(&source, ctx->at->project->root, ctx->at->step->arg, arena, err);
	if (rc == 0) {
		pond_ingest_options o = POND_INGEST_OPTIONS_INIT;
		o.progress = ingest_progress;
		o.progress_payload = ctx;
		o.cancel = ctx->cancel;
		pond_ingest_result res;
		memset(&res, 0, sizeof(res));
		rc = pond_ingest_source(lake, source, &o, &res, err);
		ctx->rows = res.rows;
		ctx->bytes = res.bytes;
		if (rc == 0)
			pond_buf_printf(ctx->summary,
			                "ingest %s: %" PRId64 " rows, %" PRId64 " bytes into %s%s, %" PRId64 " requests, snapshot %" PRId64
			                "\n",
			                pond_source_name(source), res.rows, res.bytes, pond_source_table(source),
			                res.created ? " (created)" : "", res.requests, res.snapshot_id);
		pond_ingest_result_dispose(&res);
	}
	pond_arena_free(&arena);
	return rc;
}

/* Selectors: the step's argument, split on spaces ("+a tag:daily"); none: all. */
static size_t split_selectors(char *text, const char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;
	for (char *tok = text ? strtok_r(text, " \t", &save) : NULL; tok && n < max; tok = strtok_r(NULL, " \t", &save))
		out[n++] = tok;
	return n;
}

static int run_transform(pond_lake *lake, pond__job_ctx *ctx, bool test_only, pond_error *err)
{
	char *arg = ctx->at->step->arg ? pond_strdup(ctx->at->step->arg) : NULL;
	const char *select[32];
	pond_transform_options o = POND_TRANSFORM_OPTIONS_INIT;
	o.nselect = split_selectors(arg, select, 32);
	o.select = o.nselect ? select : NULL;
	o.cancel = ctx->cancel;
	pond_transform_result res;
	memset(&res, 0, sizeof(res));
	int rc = test_only ? pond_transform_test(lake, &o, &res, err) : pond_transform_run(lake, &o, &res, err);
	int64_t rows = 0;
	for (size_t i = 0; i < res.nmodels; i++) {
		const pond_model_outcome *m = &res.models[i];
		rows += m->rows > 0 ? m->rows : 0;
		pond_buf_printf(ctx->summary, "%s %s%s%s\n", m->name, pond_model_status_name(m->status), m->message ? ": " : "",
		                m->message ? m->message : "");
		for (size_t t = 0; t < m->ntests; t++)
			pond_buf_printf(ctx->summary, "  test %s: %s\n", m->tests[t].name, pond_test_status_name(m->tests[t].status));
	}
	for (size_t t = 0; t < res.ntests; t++)
		pond_buf_printf(ctx->summary, "test %s: %s\n", res.tests[t].name, pond_test_status_name(res.tests[t].status));
	pond_buf_printf(ctx->summary, "%d ok, %d up to date, %d failed, %d blocked; tests: %d passed, %d warned, %d failed\n",
	                res.ok, res.up_to_date, res.failed, res.blocked, res.tests_passed, res.tests_warned, res.tests_failed);
	ctx->rows = test_only ? -1 : rows;
	pond_transform_result_dispose(&res);
	pond_free(arg);
	return rc;
}

static int run_export(pond_lake *lake, pond__job_ctx *ctx, pond_error *err)
{
	pond_export_options o = POND_EXPORT_OPTIONS_INIT;
	o.run_time_us = ctx->at->scheduled_ms ? ctx->at->scheduled_ms * 1000 : 0;
	o.cancel = ctx->cancel;
	pond_export_result res;
	memset(&res, 0, sizeof(res));
	int rc = pond_export_run(lake, ctx->at->step->arg, &o, &res, err);
	if (rc == 0) {
		ctx->rows = res.rows;
		ctx->bytes = res.bytes;
		pond_buf_printf(ctx->summary, "export %s: %" PRId64 " rows, %" PRId64 " bytes to %s\n", ctx->at->step->arg,
		                res.rows, res.bytes, res.path ? res.path : "?");
	}
	pond_export_result_dispose(&res);
	return rc;
}

/* pond.yml's maintenance policy over the step's table (or all); bytes:
 * what the tables' folders shrank by. */
static int run_maintain(pond_lake *lake, pond__job_ctx *ctx, pond_error *err)
{
	pond_maintain_policy policy;
	pond_arena *arena = pond_arena_new();
	pond_maintain_table_result *rs = NULL;
	size_t n = 0;
	int64_t now;
	int rc = arena ? pond_maintain_policy_load(&policy, ctx->at->project, err)
	               : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = pond_time_policy_now_ms(&now, err);
	if (rc == 0)
		rc = pond_maintain_run(lake, ctx->at->step->arg, &policy, now, NULL, NULL, &rs, &n, arena, err);
	ctx->rows = -1;
	ctx->bytes = 0;
	for (size_t i = 0; i < n; i++) {
		const pond_maintain_table_result *r = &rs[i];
		if (r->error) {
			pond_buf_printf(ctx->summary, "%s: failed: %s\n", r->table, r->error);
			continue;
		}
		ctx->bytes += r->before.bytes - r->after.bytes;
		pond_buf_printf(ctx->summary,
		                "%s: %" PRId64 " files, %" PRId64 " bytes -> %" PRId64 " files, %" PRId64
		                " bytes (expired %" PRId64 " snapshots, %" PRId64 " old metadata files, %" PRId64
		                " orphans)\n",
		                r->table, r->before.files, r->before.bytes, r->after.files, r->after.bytes,
		                r->expire.snapshots, r->metadata_files, r->orphans.files);
		if (r->archive.snapshot_id)
			pond_buf_printf(ctx->summary, "%s: archived %" PRId64 " files, %" PRId64 " bytes\n", r->table,
			                r->archive.files, r->archive.bytes);
	}
	pond_arena_free(&arena);
	return rc;
}

int pond__job_run(pond_lake *lake, pond__job_ctx *ctx, pond_error *err)
{
	switch (ctx->at->step->kind) {
	case POND_STEP_INGEST:
		return run_ingest(lake, ctx, err);
	case POND_STEP_TRANSFORM:
		return run_transform(lake, ctx, false, err);
	case POND_STEP_TEST:
		return run_transform(lake, ctx, true, err);
	case POND_STEP_EXPORT:
		return run_export(lake, ctx, err);
	case POND_STEP_MAINTAIN:
		return run_maintain(lake, ctx, err);
	case POND_STEP_SHELL:
		break;
	}
	return pond_error_set(err, POND_EINVAL, "shell steps do not run in process");
}
