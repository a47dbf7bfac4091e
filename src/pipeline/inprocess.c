/*
 * In-process steps (ingest, transform, test, export) run on a thread of
 * their own with their own lake (catalog connection and engine). The
 * caller waits for it with a deadline: at a timeout or a stop the job's
 * cancel flag is raised (the layers below stop between requests, rows or
 * models and commit nothing), and a job that still does not return within
 * the grace period is abandoned: its thread is detached and frees its own
 * state when it ends, and nothing it does afterwards reaches the run.
 */
#include "pipeline_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "pond/ingest.h"
#include "step_jobs.h"

#define ABANDON_AFTER_CANCEL_MS 5000

typedef struct job {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int refs;                   /* the waiter and the thread */
	bool done, abandoned;
	volatile int cancel;        /* the job's own flag */
	pond__attempt at;           /* borrowed pointers: valid until abandoned */
	int rc;
	pond_error err;
	pond__attempt_result res;
	pond_buf summary;           /* lines for the log, written by the job */
} job;

static void job_unref(job *j)
{
	pthread_mutex_lock(&j->mu);
	bool last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cond);
	pond_buf_dispose(&j->summary);
	pond_free(j);
}

/* Forwards progress unless the waiter has gone. */
static void job_progress(int64_t rows, int64_t bytes, void *payload)
{
	job *j = payload;
	pthread_mutex_lock(&j->mu);
	if (!j->abandoned && j->at.progress)
		j->at.progress(rows, bytes, j->at.payload);
	pthread_mutex_unlock(&j->mu);
}

static void *job_main(void *arg)
{
	job *j = arg;
	pond_lake *lake = NULL;
	pond__job_ctx ctx = {&j->at, &j->cancel, job_progress, j, &j->summary, -1, -1};
	int rc = pond_lake_open(&lake, j->at.project, NULL, &j->err);
	if (rc == 0)
		rc = pond__job_run(lake, &ctx, &j->err);
	pond_lake_close(&lake);
	pthread_mutex_lock(&j->mu);
	j->rc = rc;
	j->res.rows = ctx.rows;
	j->res.bytes = ctx.bytes;
	j->done = true;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->mu);
	job_unref(j);
	return NULL;
}

int pond__step_inprocess(const pond__attempt *at, pond__attempt_result *out, pond_error *err)
{
	out->rows = out->bytes = -1;
	job *j = pond_calloc(1, sizeof(*j));
	if (!j)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->refs = 2;
	j->at = *at;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int e = pthread_create(&th, &attr, job_main, j);
	pthread_attr_destroy(&attr);
	if (e) {
		j->refs = 1;
		job_unref(j);
		return pond_error_set(err, POND_ERROR, "could not start a thread: %s", strerror(e));
	}
	int64_t start = pond_time_mono_ns() / 1000000, cancel_seen = 0, cancelled_at = 0;
	pthread_mutex_lock(&j->mu);
	while (!j->done) {
		struct timespec ts;
		pond_time_deadline_in(&ts, 100);
		pthread_cond_timedwait(&j->cond, &j->mu, &ts);
		if (j->done)
			break;
		int64_t now = pond_time_mono_ns() / 1000000;
		if (!cancelled_at) {
			if (at->timeout_ms > 0 && now - start >= at->timeout_ms) {
				out->timed_out = true;
			} else if (at->cancel && *at->cancel) {
				if (!cancel_seen)
					cancel_seen = now;
				if (*at->cancel >= 2 || now - cancel_seen >= at->grace_ms)
					out->interrupted = true;
			}
			if (out->timed_out || out->interrupted) {
				j->cancel = 1;
				cancelled_at = now;
			}
		} else if (now - cancelled_at >= ABANDON_AFTER_CANCEL_MS) {
			j->abandoned = true;
			break;
		}
	}
	bool done = j->done;
	int rc = j->rc;
	if (done) {
		*err = j->err;
		out->rows = j->res.rows;
		out->bytes = j->res.bytes;
		if (j->summary.len && at->output) {
			/* the log lines the job left, one at a time */
			const char *s = pond_buf_cstr(&j->summary);
			while (*s) {
				const char *nl = strchr(s, '\n');
				size_t n = nl ? (size_t)(nl - s) : strlen(s);
				at->output(s, n, at->payload);
				s += n + (nl != NULL);
			}
		}
	}
	pthread_mutex_unlock(&j->mu);
	job_unref(j);
	if (out->timed_out) {
		if (done && rc == 0)
			out->timed_out = false; /* finished in time after all */
		else
			return pond_error_set(err, POND_ELIMIT, "timed out after %lldms%s", (long long)at->timeout_ms,
			                      done ? "" : " (the step did not stop and was abandoned)");
	}
	if (out->interrupted && !(done && rc == 0))
		return pond_error_set(err, POND_ECANCELED, "stopped%s", done ? "" : " (abandoned)");
	out->interrupted = false;
	return done ? rc : pond_error_set(err, POND_ERROR, "step abandoned");
}
