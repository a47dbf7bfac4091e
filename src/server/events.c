/*
 * Live run events for the web page, as Server-Sent Events. The scheduler
 * reports every step start, output line, retry and finish (on_event); the
 * hub keeps the last SRV_HUB_SIZE of them, already framed, in a ring with
 * a sequence number, and wakes the streams. A stream
 * (GET /api/runs/ID/events) first sends the run and its steps as the
 * catalog has them, then every event of that run after the moment it
 * opened (its cursor is taken before the catalog is read, so nothing
 * falls between), and ends after the run's "run" event with a final
 * status. A comment line every keepalive_ms keeps proxies and the
 * connection timeout from cutting a quiet stream, and tells a stream
 * whose client left to end.
 */
#include "server_internal.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#define KEEPALIVE_MS 15000

struct pond_http_stream {
	pond_server *srv;
	int64_t run_id;
	int64_t cursor;   /* the next hub sequence number to look at */
	pond_buf out;     /* framed text not yet read */
	size_t off;
	bool ending;      /* end once out is read */
};

void pond__sse_frame(pond_buf *out, const char *event, const char *data)
{
	if (event)
		pond_buf_printf(out, "event: %s\n", event);
	const char *p = data;
	for (;;) {
		size_t len = strcspn(p, "\r\n");
		pond_buf_puts(out, "data: ");
		pond_buf_put(out, p, len);
		pond_buf_putc(out, '\n');
		p += len;
		if (*p == '\r' && p[1] == '\n')
			p++;
		if (!*p)
			break;
		p++;
	}
	pond_buf_putc(out, '\n');
}

int pond__server_hub_init(pond_server *srv)
{
	srv_hub *h = &srv->hub;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->keepalive_ms = KEEPALIVE_MS;
	return 0;
}

void pond__server_hub_close(pond_server *srv)
{
	srv_hub *h = &srv->hub;
	pthread_mutex_lock(&h->mu);
	h->closed = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->mu);
}

void pond__server_hub_free(pond_server *srv)
{
	srv_hub *h = &srv->hub;
	for (size_t i = 0; i < SRV_HUB_SIZE; i++)
		pond_free(h->ring[i].frame);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cond);
}

/* The event as (name, JSON data); NULL name for events the page does not show. */
static const char *event_json(const pond_run_event *ev, json_t **out)
{
	json_t *j = json_pack("{s:I}", "run_id", (json_int_t)ev->run_id);
	if (!j)
		return NULL;
	if (ev->step)
		json_object_set_new(j, "step", json_string(ev->step));
	if (ev->message)
		json_object_set_new(j, ev->kind == POND_RUN_EVENT_STEP_OUTPUT ? "line" : "error", json_string(ev->message));
	const char *name = "step", *status = ev->status;
	switch (ev->kind) {
	case POND_RUN_EVENT_RUN_STARTED: name = "run"; status = "running"; break;
	case POND_RUN_EVENT_RUN_FINISHED: name = "run"; break;
	case POND_RUN_EVENT_STEP_STARTED: status = "running"; break;
	case POND_RUN_EVENT_STEP_RETRY: status = "retrying"; break;
	case POND_RUN_EVENT_STEP_FINISHED: break;
	case POND_RUN_EVENT_STEP_OUTPUT: name = "log"; break;
	default: name = NULL; break;
	}
	if (status)
		json_object_set_new(j, "status", json_string(status));
	if (ev->kind == POND_RUN_EVENT_STEP_STARTED || ev->kind == POND_RUN_EVENT_STEP_FINISHED)
		json_object_set_new(j, "attempt", json_integer(ev->attempt));
	if (ev->kind == POND_RUN_EVENT_STEP_FINISHED) {
		json_object_set_new(j, "duration_ms", json_integer(ev->duration_ms));
		if (ev->rows >= 0)
			json_object_set_new(j, "rows", json_integer(ev->rows));
	}
	json_object_set_new(j, "at_ms", json_integer(pond_time_now_ms()));
	*out = j;
	return name;
}

void pond__server_hub_push(pond_server *srv, const pond_run_event *ev)
{
	json_t *j = NULL;
	const char *name = event_json(ev, &j);
	char *data = name ? pond_json_dumps(j, false) : NULL;
	json_decref(j);
	if (!data)
		return;
	pond_buf frame = POND_BUF_INIT;
	pond__sse_frame(&frame, name, data);
	pond_free(data);
	if (!pond_buf_ok(&frame)) {
		pond_buf_dispose(&frame);
		return;
	}
	srv_hub *h = &srv->hub;
	pthread_mutex_lock(&h->mu);
	srv_event *slot = &h->ring[h->next_seq % SRV_HUB_SIZE];
	pond_free(slot->frame);
	slot->seq = h->next_seq++;
	slot->run_id = ev->run_id;
	slot->frame = pond_buf_detach(&frame);
	slot->last = ev->kind == POND_RUN_EVENT_RUN_FINISHED;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->mu);
}

/* Waits for events after the stream's cursor (or the keep-alive) and
 * frames those of its run into out. */
static void stream_wait(pond_http_stream *s)
{
	srv_hub *h = &s->srv->hub;
	struct timespec deadline;
	pond_time_deadline_in(&deadline, h->keepalive_ms);
	pthread_mutex_lock(&h->mu);
	int wrc = 0;
	while (!h->closed && s->cursor == h->next_seq && wrc != ETIMEDOUT)
		wrc = pthread_cond_timedwait(&h->cond, &h->mu, &deadline);
	if (h->closed)
		s->ending = true;
	if (s->cursor < h->next_seq - SRV_HUB_SIZE)
		s->cursor = h->next_seq - SRV_HUB_SIZE;  /* overtaken: the oldest are gone */
	for (; s->cursor < h->next_seq; s->cursor++) {
		const srv_event *e = &h->ring[s->cursor % SRV_HUB_SIZE];
		if (e->run_id != s->run_id)
			continue;
		pond_buf_puts(&s->out, e->frame);
		if (e->last)
			s->ending = true;
	}
	pthread_mutex_unlock(&h->mu);
	if (!s->out.len && !s->ending)
		pond_buf_puts(&s->out, ": keep-alive\n\n");
}

long pond_http_stream_read(pond_http_stream *s, char *buf, size_t cap)
{
	for (;;) {
		if (!pond_buf_ok(&s->out))
			return -1;
		if (s->off < s->out.len) {
			size_t n = s->out.len - s->off < cap ? s->out.len - s->off : cap;
			memcpy(buf, s->out.ptr + s->off, n);
			s->off += n;
			return (long)n;
		}
		if (s->ending)
			return 0;
		pond_buf_clear(&s->out);
		s->off = 0;
		stream_wait(s);
	}
}

void pond_http_stream_free(pond_http_stream **s)
{
	if (!s || !*s)
		return;
	pond_buf_dispose(&(*s)->out);
	pond_free(*s);
	*s = NULL;
}

/* The first event of a stream: the run and its steps as the catalog has them. */
static int initial_state(srv_ctx *ctx, pond_http_stream *s, bool *finished)
{
	pond_catalog *cat;
	pond_run_info run;
	pond_step_attempt *steps;
	size_t n;
	int rc = pond__server_catalog(ctx, &cat);
	if (rc || (rc = pond_run_get(cat, s->run_id, ctx->arena, &run, &ctx->err)) != 0 ||
	    (rc = pond_run_steps(cat, run.id, ctx->arena, &steps, &n, &ctx->err)) != 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; items && i < n; i++)
		json_array_append_new(items, pond_step_attempt_to_json(&steps[i]));
	json_t *doc = items ? json_pack("{s:o,s:o}", "run", pond_run_info_to_json(&run), "steps", items) : NULL;
	char *text = doc ? pond_json_dumps(doc, false) : NULL;
	json_decref(doc);
	if (!text)
		return pond__server_fail(ctx, 503, "out of memory");
	pond__sse_frame(&s->out, "state", text);
	pond_free(text);
	*finished = strcmp(run.status, "queued") != 0 && strcmp(run.status, "running") != 0;
	return 0;
}

/* GET /api/runs/ID/events: the run's progress as Server-Sent Events. */
int pond__server_run_events(srv_ctx *ctx, srv_reply *reply)
{
	int64_t id;
	if (!pond_str_to_i64(ctx->url.segments[2], &id) || id <= 0)
		return pond__server_fail(ctx, 400, "invalid run id \"%.40s\"", ctx->url.segments[2]);
	pond_http_stream *s = pond_calloc(1, sizeof(*s));
	if (!s)
		return pond__server_fail(ctx, 503, "out of memory");
	s->srv = ctx->srv;
	s->run_id = id;
	pthread_mutex_lock(&ctx->srv->hub.mu);
	s->cursor = ctx->srv->hub.next_seq;
	pthread_mutex_unlock(&ctx->srv->hub.mu);
	bool finished = false;
	int rc = initial_state(ctx, s, &finished);
	if (rc) {
		pond_http_stream_free(&s);
		return rc;
	}
	s->ending = finished;
	reply->status = 200;
	reply->stream = s;
	reply->content_type = "text/event-stream";
	return 0;
}
