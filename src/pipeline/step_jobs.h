/*
 * The in-process jobs behind ingest, transform, test and export steps:
 * one function per kind over an open lake, so the layers the pipeline
 * calls are wired in one file (step_jobs.c).
 */
#ifndef POND_PIPELINE_STEP_JOBS_H
#define POND_PIPELINE_STEP_JOBS_H

#include "pipeline_internal.h"

typedef struct pond__job_ctx {
	const pond__attempt *at;
	const volatile int *cancel;   /* raised at a timeout or stop */
	pond__progress_fn progress;   /* rows, bytes so far */
	void *progress_payload;
	pond_buf *summary;            /* lines for the step's log */
	int64_t rows, bytes;          /* what the job did; -1: not known */
} pond__job_ctx;

/* Runs the attempt's step (not shell) on lake. */
int pond__job_run(pond_lake *lake, pond__job_ctx *ctx, pond_error *err);

#endif
