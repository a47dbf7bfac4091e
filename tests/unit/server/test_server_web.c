/*
 * The web page's server side through pond_server_handle (no socket): the
 * embedded assets (gzip, inflated, ETag), sessions and the CSRF and Origin
 * checks, the Server-Sent Events framing and a run's event stream, saved
 * queries and lineage.
 */
#include "../test.h"

#include <jansson.h>
#include <string.h>
#include <zlib.h>

#include "api_fixture.h"
#include "server/server_internal.h"

#define TOKEN "unit-test-token-0123456789"

/* Sends a request with the page's headers; the status. */
static int send_web(api *t, const char *method, const char *target, const char *body, const pond_http_request *hdr)
{
	json_decref(t->doc);
	t->doc = NULL;
	pond_http_response_dispose(&t->resp);
	pond_http_request req = *hdr;
	req.method = method;
	req.target = target;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	pond_server_handle(t->srv, &req, &t->resp);
	t->doc = json_loadb(t->resp.body, t->resp.body_len, 0, NULL);
	return t->resp.status;
}

TEST(server_web_assets_are_served_gzip_with_etag)
{
	api t;
	CHECK(api_setup(&t, TOKEN) == 0);
	const pond_web_asset *a = pond__server_web_find("app.js");
	CHECK(a != NULL && a->gz_len > 0 && a->raw_len > a->gz_len);
	pond_http_request hdr = {.accept_encoding = "gzip, deflate, br"};
	/* The page needs no token: it asks for one. */
	CHECK_INT(send_web(&t, "GET", "/assets/app.js", NULL, &hdr), 200);
	CHECK_STR(t.resp.content_encoding, "gzip");
	CHECK(strncmp(t.resp.content_type, "text/javascript", 15) == 0);
	CHECK_INT((long)t.resp.body_len, (long)a->gz_len);
	CHECK(memcmp(t.resp.body, a->gz, a->gz_len) == 0);
	char etag[24];
	snprintf(etag, sizeof(etag), "%s", t.resp.etag);
	CHECK(etag[0] == '"');
	/* Inflated for a client without gzip: the same bytes zlib gives. */
	pond_http_request plain = {.accept_encoding = "gzip;q=0, identity"};
	CHECK_INT(send_web(&t, "GET", "/assets/app.js", NULL, &plain), 200);
	CHECK(t.resp.content_encoding == NULL);
	CHECK_INT((long)t.resp.body_len, (long)a->raw_len);
	unsigned char *ref = pond_malloc(a->raw_len);
	z_stream z = {0};
	CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
	z.next_in = (unsigned char *)a->gz;
	z.avail_in = (unsigned)a->gz_len;
	z.next_out = ref;
	z.avail_out = (unsigned)a->raw_len;
	CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
	inflateEnd(&z);
	CHECK(memcmp(t.resp.body, ref, a->raw_len) == 0);
	pond_free(ref);
	/* Revalidation. */
	pond_http_request again = {.accept_encoding = "gzip", .if_none_match = etag};
	CHECK_INT(send_web(&t, "GET", "/assets/app.js", NULL, &again), 304);
	CHECK(t.resp.body == NULL);
	CHECK_INT(send_web(&t, "GET", "/", NULL, &hdr), 200);
	CHECK(strncmp(t.resp.content_type, "text/html", 9) == 0);
	CHECK_INT(send_web(&t, "GET", "/assets/nope.js", NULL, &hdr), 404);
	CHECK_INT(send_web(&t, "GET", "/assets/index.html", NULL, &hdr), 404);
	api_teardown(&t);
}

/* The session cookie's value from a Set-Cookie header, "pond_session=ID". */
static void cookie_of(const char *set_cookie, char *out, size_t cap)
{
	size_t n = strcspn(set_cookie, ";");
	snprintf(out, cap, "%.*s", (int)n, set_cookie);
}

TEST(server_web_login_session_and_csrf)
{
	api t;
	CHECK(api_setup(&t, TOKEN) == 0);
	pond_http_request none = {0};
	CHECK_INT(send_web(&t, "GET", "/api/session", NULL, &none), 200);
	CHECK(json_is_true(json_object_get(t.doc, "auth")));
	CHECK(json_is_false(json_object_get(t.doc, "logged_in")));
	CHECK(json_is_null(json_object_get(t.doc, "csrf")));
	CHECK_INT(send_web(&t, "POST", "/api/login", "{\"token\": \"wrong-token-0123456789\"}", &none), 401);
	CHECK(t.resp.set_cookie == NULL);
	CHECK_INT(send_web(&t, "POST", "/api/login", "{\"token\": \"" TOKEN "\"}", &none), 200);
	CHECK(t.resp.set_cookie != NULL);
	CHECK(strstr(t.resp.set_cookie, "HttpOnly") != NULL);
	CHECK(strstr(t.resp.set_cookie, "SameSite=Strict") != NULL);
	char cookie[128], csrf[64];
	cookie_of(t.resp.set_cookie, cookie, sizeof(cookie));
	snprintf(csrf, sizeof(csrf), "%s", json_string_value(json_object_get(t.doc, "csrf")));
	CHECK_INT((long)strlen(csrf), SRV_SECRET_LEN);

	pond_http_request s = {.cookie = cookie, .host = "127.0.0.1:8765"};
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &s), 200);
	CHECK_INT(send_web(&t, "GET", "/api/session", NULL, &s), 200);
	CHECK_STR(json_string_value(json_object_get(t.doc, "csrf")), csrf);
	/* A state-changing request with the cookie needs the CSRF token. */
	const char *q = "{\"name\": \"q\", \"sql\": \"select 1\"}";
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &s), 403);
	CHECK(strstr(error_of(&t), "X-Pond-CSRF") != NULL);
	s.csrf = "0000";
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &s), 403);
	s.csrf = csrf;
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &s), 201);
	/* ... and an Origin of this server, when it has one. */
	s.origin = "http://evil.example";
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &s), 403);
	s.origin = "http://127.0.0.1:8765";
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &s), 201);
	/* The bearer token needs no CSRF token (a browser never sends it by itself). */
	pond_http_request b = {.authorization = "Bearer " TOKEN};
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &b), 201);
	/* A cookie of no session, and after logout. */
	pond_http_request stale = {.cookie = "pond_session=00ff"};
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &stale), 401);
	CHECK_INT(send_web(&t, "POST", "/api/logout", NULL, &s), 200);
	CHECK(strstr(t.resp.set_cookie, "Max-Age=0") != NULL);
	s.csrf = NULL;
	s.origin = NULL;
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &s), 401);
	api_teardown(&t);
}

TEST(server_web_without_token_checks_origin_and_host)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	pond_http_request h = {.host = "127.0.0.1:8765"};
	CHECK_INT(send_web(&t, "GET", "/api/session", NULL, &h), 200);
	CHECK(json_is_true(json_object_get(t.doc, "logged_in")));
	CHECK(json_is_string(json_object_get(t.doc, "csrf")));
	const char *q = "{\"name\": \"q\", \"sql\": \"select 1\"}";
	h.origin = "http://127.0.0.1:8765";
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &h), 201);
	h.origin = "http://attacker.example";
	CHECK_INT(send_web(&t, "POST", "/api/queries", q, &h), 403);
	CHECK(strstr(error_of(&t), "cross-site") != NULL);
	/* A DNS-rebinding page reaches the server under its own host name. */
	pond_http_request r = {.host = "attacker.example:8765"};
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &r), 403);
	r.host = "127.0.0.1.attacker.example:8765";
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &r), 403);
	r.host = "localhost.attacker.example";
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &r), 403);
	r.host = "localhost:8765";
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &r), 200);
	r.host = "127.0.0.2";
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &r), 200);
	r.host = "[::1]:8765";
	CHECK_INT(send_web(&t, "GET", "/api/tables", NULL, &r), 200);
	CHECK_INT(send_web(&t, "POST", "/api/login", "{\"token\": \"x\"}", &r), 400);
	api_teardown(&t);
}

TEST(server_web_sse_frames)
{
	pond_buf b = POND_BUF_INIT;
	pond__sse_frame(&b, "log", "one");
	CHECK_STR(pond_buf_cstr(&b), "event: log\ndata: one\n\n");
	pond_buf_clear(&b);
	/* Every line of the data its own data: line, CR LF and CR too. */
	pond__sse_frame(&b, NULL, "a\nb\r\nc\rd");
	CHECK_STR(pond_buf_cstr(&b), "data: a\ndata: b\ndata: c\ndata: d\n\n");
	pond_buf_clear(&b);
	pond__sse_frame(&b, "x", "");
	CHECK_STR(pond_buf_cstr(&b), "event: x\ndata: \n\n");
	pond_buf_dispose(&b);
}

/* Reads a stream to its end (the events were pushed before). */
static void read_all(pond_http_stream *s, pond_buf *out)
{
	char buf[7];  /* small: pieces split anywhere */
	long n;
	while ((n = pond_http_stream_read(s, buf, sizeof(buf))) > 0)
		pond_buf_put(out, buf, (size_t)n);
}

TEST(server_web_run_events_stream)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", "/api/pipelines/hello/runs", NULL, NULL), 202);
	int64_t id = json_integer_value(json_object_get(t.doc, "run_id"));
	char target[64];
	snprintf(target, sizeof(target), "/api/runs/%lld/events", (long long)id);
	CHECK_INT(send_req(&t, "GET", target, NULL, NULL), 200);
	CHECK(t.resp.stream != NULL);
	CHECK_STR(t.resp.content_type, "text/event-stream");
	pond_http_stream *s = t.resp.stream;
	t.resp.stream = NULL;
	/* Events of this run and another, as the scheduler reports them. */
	pond_run_event ev = {.kind = POND_RUN_EVENT_STEP_STARTED, .run_id = id, .step = "greet", .attempt = 1};
	pond__server_hub_push(t.srv, &ev);
	pond_run_event other = {.kind = POND_RUN_EVENT_STEP_OUTPUT, .run_id = id + 100, .step = "x", .message = "not mine"};
	pond__server_hub_push(t.srv, &other);
	ev.kind = POND_RUN_EVENT_STEP_OUTPUT;
	ev.message = "hello \"there\"";
	pond__server_hub_push(t.srv, &ev);
	ev = (pond_run_event){.kind = POND_RUN_EVENT_RUN_FINISHED, .run_id = id, .status = "success"};
	pond__server_hub_push(t.srv, &ev);
	pond_buf out = POND_BUF_INIT;
	read_all(s, &out);
	const char *text = pond_buf_cstr(&out);
	CHECK(strncmp(text, "event: state\ndata: {", 20) == 0);
	CHECK(strstr(text, "\"status\":\"queued\"") != NULL);
	CHECK(strstr(text, "event: step\ndata: {\"run_id\":") != NULL);
	CHECK(strstr(text, "\"line\":\"hello \\\"there\\\"\"") != NULL);
	CHECK(strstr(text, "not mine") == NULL);
	const char *run = strstr(text, "event: run\n");
	CHECK(run != NULL && strstr(run, "\"status\":\"success\"") != NULL);
	CHECK(strcmp(text + strlen(text) - 2, "\n\n") == 0);
	pond_buf_dispose(&out);
	pond_http_stream_free(&s);

	/* A stream on a quiet run sends a keep-alive comment, and ends when the server closes. */
	t.srv->hub.keepalive_ms = 1;
	CHECK_INT(send_req(&t, "GET", target, NULL, NULL), 200);
	s = t.resp.stream;
	t.resp.stream = NULL;
	char buf[256];
	long n = pond_http_stream_read(s, buf, sizeof(buf));  /* the state */
	CHECK(n > 0 && strncmp(buf, "event: state", 12) == 0);
	while ((n = pond_http_stream_read(s, buf, sizeof(buf))) > 0 && buf[0] != ':')
		;
	CHECK(n > 0 && strncmp(buf, ": keep-alive\n\n", 14) == 0);
	pond__server_hub_close(t.srv);
	while ((n = pond_http_stream_read(s, buf, sizeof(buf))) > 0)
		;
	CHECK_INT(n, 0);
	pond_http_stream_free(&s);
	CHECK_INT(send_req(&t, "GET", "/api/runs/999999/events", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "GET", "/api/runs/abc/events", NULL, NULL), 400);
	api_teardown(&t);
}

TEST(server_web_saved_queries)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "GET", "/api/queries", NULL, NULL), 200);
	CHECK_INT((long)json_array_size(json_object_get(t.doc, "queries")), 0);
	CHECK_INT(send_req(&t, "POST", "/api/queries",
	                   "{\"name\": \"orders\", \"sql\": \"select * from sales.orders\", \"chart\": {\"type\": \"bar\", "
	                   "\"x\": \"id\"}, \"pinned\": true}", NULL), 201);
	CHECK_INT(json_integer_value(json_object_get(t.doc, "id")), 1);
	CHECK_INT(send_req(&t, "POST", "/api/queries", "{\"name\": \"two\", \"sql\": \"select 2\"}", NULL), 201);
	CHECK_INT(json_integer_value(json_object_get(t.doc, "id")), 2);
	CHECK_INT(send_req(&t, "GET", "/api/queries", NULL, NULL), 200);
	json_t *qs = json_object_get(t.doc, "queries");
	CHECK_INT((long)json_array_size(qs), 2);
	json_t *q = json_array_get(qs, 0);
	CHECK_STR(json_string_value(json_object_get(q, "sql")), "select * from sales.orders");
	CHECK(json_is_true(json_object_get(q, "pinned")));
	CHECK_STR(json_string_value(json_object_get(json_object_get(q, "chart"), "x")), "id");
	CHECK(json_is_false(json_object_get(json_array_get(qs, 1), "pinned")));
	CHECK(json_is_null(json_object_get(json_array_get(qs, 1), "chart")));
	/* Bad bodies. */
	CHECK_INT(send_req(&t, "POST", "/api/queries", "{\"name\": \"\", \"sql\": \"x\"}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/queries", "{\"name\": \"a\", \"sql\": \"x\", \"chart\": 3}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/queries", "{\"name\": \"a\", \"sql\": \"x\", \"pinned\": \"yes\"}", NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/queries", "{\"name\": \"a\", \"sql\": \"x\", \"extra\": 1}", NULL), 400);
	CHECK_INT(send_req(&t, "DELETE", "/api/queries/1", NULL, NULL), 204);
	CHECK_INT(send_req(&t, "DELETE", "/api/queries/1", NULL, NULL), 404);
	CHECK_INT(send_req(&t, "GET", "/api/queries", NULL, NULL), 200);
	CHECK_INT((long)json_array_size(json_object_get(t.doc, "queries")), 1);
	api_teardown(&t);
}

TEST(server_web_snapshots_carry_their_summary)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "GET", "/api/tables/sales.orders/snapshots", NULL, NULL), 200);
	json_t *s = json_array_get(json_object_get(t.doc, "snapshots"), 0);
	json_t *summary = json_object_get(s, "summary");
	CHECK(json_is_object(summary));
	CHECK_STR(json_string_value(json_object_get(summary, "added-records")), "25");
	api_teardown(&t);
}

TEST(server_web_sql_as_xlsx)
{
	api t;
	CHECK(api_setup(&t, NULL) == 0);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select * from sales.orders\", \"format\": \"xlsx\"}", NULL),
	          200);
	CHECK(strncmp(t.resp.content_type, "application/vnd.openxmlformats", 30) == 0);
	CHECK(t.resp.body_len > 100 && memcmp(t.resp.body, "PK\x03\x04", 4) == 0);  /* a zip container */
	/* The same refusals as JSON. */
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"insert into sales.orders values (1)\", \"format\": \"xlsx\"}",
	                   NULL), 400);
	CHECK_INT(send_req(&t, "POST", "/api/sql", "{\"sql\": \"select 1\", \"format\": \"pdf\"}", NULL), 400);
	api_teardown(&t);
}
