/*
 * What ingest, transform, test and export steps call in the layers below:
 * the ingest layer's defined sources, the transform layer's model runs and
 * data tests, the export layer's deliveries. Each job leaves a few summary
 * lines for the step's log and its row and byte counts.
 */
#include "step_jobs.h"

#include <inttypes.h>
#include <string.h>

#include "pond/ingest.h"

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

static int not_built(const pond__job_ctx *ctx, pond_error *err)
{
	return pond_error_set(err, POND_EUNSUPPORTED, "%s steps are not available in this build of pond",
	                      pond_step_kind_name(ctx->at->step->kind));
}

int pond__job_run(pond_lake *lake, pond__job_ctx *ctx, pond_error *err)
{
	switch (ctx->at->step->kind) {
	case POND_STEP_INGEST:
		return run_ingest(lake, ctx, err);
	case POND_STEP_TRANSFORM:
	case POND_STEP_TEST:
	case POND_STEP_EXPORT:
	case POND_STEP_SHELL:
		break;
	}
	return not_built(ctx, err);
}
