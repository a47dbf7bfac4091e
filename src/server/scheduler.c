/*
 * The scheduler beside the API: the project's pipelines are loaded once
 * when the server is made (the API lists them even with --no-scheduler),
 * the history tables made sure of, and, unless turned off at start, the pipeline layer's scheduler started
 * on its own thread. Stopping gives running steps the grace period.
 *
 * For tests, POND_SERVE_CLOCK_START_MS=T makes the scheduler's clock start
 * at T (ms since the epoch) and run at normal speed from there, so a test
 * starts just before a minute boundary and sees `* * * * *` fire within
 * seconds instead of waiting up to a minute.
 */
#include "server_internal.h"

#include <stdlib.h>
#include <time.h>

#include "pond/pipeline.h"

static int64_t offset_now(void *payload)
{
	return pond_time_now_ms() + *(int64_t *)payload;
}

static void offset_sleep(int64_t deadline_ms, void *payload)
{
	int64_t wait = deadline_ms - offset_now(payload);
	if (wait <= 0)
		return;
	struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

static void log_event(const pond_run_event *ev, void *payload)
{
	pond__server_hub_push(payload, ev);
	switch (ev->kind) {
	case POND_RUN_EVENT_RUN_STARTED:
		pond_info("run %lld of %s started", (long long)ev->run_id, ev->pipeline);
		break;
	case POND_RUN_EVENT_RUN_FINISHED:
		pond_info("run %lld of %s: %s%s%s", (long long)ev->run_id, ev->pipeline, ev->status ? ev->status : "",
		          ev->message ? ": " : "", ev->message ? ev->message : "");
		break;
	default:
		break;
	}
}

int pond__server_pipelines_load(pond_server *srv, pond_error *err)
{
	int rc = pond_pipelines_load(&srv->pipelines, srv->project, err);
	pond_catalog *cat = NULL;
	if (rc == 0) {
		rc = pond_project_open_catalog(&cat, srv->project, err);
	}
	if (rc == 0)
		rc = pond_runs_ensure_tables(cat, err);
	pond_catalog_close(&cat);
	return rc;
}

int pond__server_scheduler_start(pond_server *srv, pond_error *err)
{
	int rc;
	if (!srv->opts.scheduler)
		return 0;
	pond_scheduler_options so = POND_SCHEDULER_OPTIONS_INIT;
	so.on_event = log_event;
	so.event_payload = srv;
	const char *start = getenv("POND_SERVE_CLOCK_START_MS");
	int64_t start_ms;
	if (start && pond_str_to_i64(start, &start_ms)) {
		srv->clock_offset_ms = start_ms - pond_time_now_ms();
		srv->clock = (pond_clock){offset_now, offset_sleep, &srv->clock_offset_ms};
		so.clock = &srv->clock;
	}
	if ((rc = pond_scheduler_new(&srv->scheduler, srv->project, srv->pipelines, &so, err)) == 0 &&
	    (rc = pond_scheduler_start(srv->scheduler, err)) != 0)
		pond_scheduler_free(&srv->scheduler);
	return rc;
}

void pond__server_scheduler_stop(pond_server *srv)
{
	if (srv->scheduler) {
		int64_t grace_ms = srv->opts.shutdown_grace_s > 0 ? (int64_t)srv->opts.shutdown_grace_s * 1000 : -1;
		pond_scheduler_stop(srv->scheduler, grace_ms);
		pond_scheduler_free(&srv->scheduler);
	}
}

void pond__server_scheduler_free(pond_server *srv)
{
	pond__server_scheduler_stop(srv);
	pond_pipelines_free(&srv->pipelines);
}
