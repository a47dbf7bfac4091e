/*
 * Internals the pipeline layer's files share: durations, the step runners
 * (one per step kind, so transform, test and export plug in when their
 * layers land), run-history writes and failure alerts.
 */
#ifndef POND_PIPELINE_INTERNAL_H
#define POND_PIPELINE_INTERNAL_H

#include "pond/pipeline.h"


/* ---- one attempt of one step ---- */

/* What an attempt hands back. */
typedef struct pond__attempt_result {
	int64_t rows, bytes;       /* -1 when not known */
	bool timed_out;
	bool interrupted;
} pond__attempt_result;

/* Receives one line of a step's output (log and live progress). */
typedef void (*pond__output_fn)(const char *line, size_t len, void *payload);
typedef void (*pond__progress_fn)(int64_t rows, int64_t bytes, void *payload);

typedef struct pond__attempt {
	const pond_project *project;
	const pond_step *step;
	const char *pipeline;
	int64_t run_id;
	int attempt;
	const char *parameters;     /* JSON object text */
	int64_t scheduled_ms;       /* 0 unless fired by a schedule */
	int64_t timeout_ms;         /* 0: none */
	int64_t grace_ms;
	const volatile int *cancel; /* the run's stop flag: 1 graceful, 2 now */
	pond__output_fn output;
	pond__progress_fn progress;
	void *payload;
} pond__attempt;

/* Runs /bin/sh -c in its own process group in the project folder, with the
 * parameters in the environment; kills the group on timeout or cancel. */
int pond__step_shell(const pond__attempt *a, pond__attempt_result *out, pond_error *err);
/* Runs an in-process step (ingest, transform, test, export) on a thread it
 * can abandon at a timeout. */
int pond__step_inprocess(const pond__attempt *a, pond__attempt_result *out, pond_error *err);

/* Environment entries for a step (KEY=VALUE strings in arena), NULL
 * terminated: the process's, plus POND_RUN_ID, POND_PIPELINE, POND_STEP,
 * POND_ATTEMPT, POND_PROJECT, POND_SCHEDULED_TIME and POND_PARAM_<KEY>. */
char **pond__step_env(const pond__attempt *a, pond_arena *arena);

/* ---- history writes (history.c) ---- */

int pond__run_insert(pond_catalog *cat, const char *pipeline, const char *trigger, const char *parameters,
                     const char *status, const char *holder, int64_t scheduled_ms, int64_t now_ms, int64_t *out_id,
                     pond_error *err);
/* A queued run inside the caller's write transaction. */
int pond__run_insert_in_tx(pond_catalog *cat, const char *pipeline, const char *trigger, const char *parameters,
                           int64_t scheduled_ms, int64_t now_ms, int64_t *out_id, pond_error *err);
int pond__run_finish(pond_catalog *cat, int64_t id, const char *status, const char *error, int64_t now_ms,
                     pond_error *err);
int pond__attempt_start(pond_catalog *cat, int64_t run_id, const char *step, int attempt, int64_t now_ms,
                        pond_error *err);
int pond__attempt_finish(pond_catalog *cat, int64_t run_id, const char *step, int attempt, const char *status,
                         int64_t rows, int64_t bytes, int64_t duration_ms, const char *error, pond_error *err);
int pond__log_write(pond_catalog *cat, int64_t run_id, const char *step, const char *text, pond_error *err);
/* Sets the lease's run id (after the run row exists). */
/* True when holder ("host:pid:random") names a process of this host that
 * no longer exists. */
bool pond__lease_holder_is_dead(const char *holder);
int pond__lease_set_run(pond_catalog *cat, const char *pipeline, const char *holder, int64_t run_id,
                        pond_error *err);
/* Opens the project's catalog and makes sure the history tables exist. */
int pond__catalog_open(pond_catalog **out, const pond_project *project, pond_error *err);

/* ---- alerts (alert.c) ---- */

/* Posts the run as JSON to webhook and/or runs command; failures are
 * logged, not returned. */
void pond__alert_failure(const pond_pipeline *pipeline, const pond_run_info *run, const char *failed_step,
                         const char *root);

#endif
