/*
 * The S3 client's retry policy, error messages and response handling over
 * a scripted transport: each request gets the next scripted answer (a
 * status with a body, or a transport failure), and the client's clock,
 * sleep and jitter are the test's, so nothing waits.
 */
#include "../test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pond/io.h"

typedef struct {
	long status;            /* 0: a transport failure */
	bool retryable;
	const char *body;
	const char *headers;
	const char *partial;    /* written to the body fd before a failure */
} answer;

typedef struct {
	answer answers[16];
	int n, next;
	char urls[16][256];
	char methods[16][8];
	char dates[16][32];
	char ranges[16][64];
	int64_t sleeps[16];
	int nsleeps;
	uint64_t random;
} script;

static int scripted_send(void *payload, const pond_io_http_request *req, pond_io_http_response *resp,
                         pond_io_http_failure *fail, pond_error *err)
{
	script *s = payload;
	int i = s->next++;
	if (i >= s->n)
		return pond_error_set(err, POND_EIO, "unscripted request %d", i);
	snprintf(s->urls[i], sizeof s->urls[i], "%s", req->url);
	snprintf(s->methods[i], sizeof s->methods[i], "%s", req->method);
	for (size_t h = 0; h < req->nheaders; h++)
		if (strncmp(req->headers[h], "x-amz-date: ", 12) == 0)
			snprintf(s->dates[i], sizeof s->dates[i], "%s", req->headers[h] + 12);
		else if (strncmp(req->headers[h], "Range: ", 7) == 0)
			snprintf(s->ranges[i], sizeof s->ranges[i], "%s", req->headers[h] + 7);
	const answer *a = &s->answers[i];
	if (a->partial && resp->body_fd >= 0 && write(resp->body_fd, a->partial, strlen(a->partial)) < 0)
		return pond_error_set(err, POND_EIO, "write");
	if (a->status == 0) {
		fail->retryable = a->retryable;
		return pond_error_set(err, POND_EIO, "Connection reset by peer");
	}
	resp->status = a->status;
	if (a->headers)
		pond_buf_puts(&resp->headers, a->headers);
	if (a->body && resp->body_fd >= 0 && a->status < 300) {
		if (write(resp->body_fd, a->body, strlen(a->body)) < 0)
			return pond_error_set(err, POND_EIO, "write");
		resp->body_written = (int64_t)strlen(a->body);
	} else if (a->body) {
		pond_buf_puts(&resp->body, a->body);
	}
	return 0;
}

static int64_t fixed_now(void *payload)
{
	(void)payload;
	return 1369353600; /* 2013-05-24T00:00:00Z */
}

static void record_sleep(int64_t ms, void *payload)
{
	script *s = payload;
	s->sleeps[s->nsleeps++] = ms;
}

static uint64_t fixed_random(void *payload)
{
	return ((script *)payload)->random;
}

static pond_s3_client *scripted_client(script *s, int max_attempts)
{
	pond_s3_config cfg = {0};
	cfg.endpoint = "http://s3.test:9000";
	cfg.region = "us-east-1";
	cfg.path_style = true;
	cfg.access_key_id = "AKID";
	cfg.secret_access_key = "secret";
	pond_s3_client_options o = POND_S3_CLIENT_OPTIONS_INIT;
	o.send = scripted_send;
	o.send_payload = s;
	o.now_s = fixed_now;
	o.sleep_ms = record_sleep;
	o.random = fixed_random;
	o.clock_payload = s;
	o.max_attempts = max_attempts;
	o.backoff_base_ms = 100;
	o.backoff_cap_ms = 1000;
	pond_s3_client *c = NULL;
	pond_error err = POND_ERROR_INIT;
	pond_s3_client_new(&c, &cfg, &o, &err);
	return c;
}

#define SLOWDOWN "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"

TEST(s3_retry_backoff_is_exponential_capped_and_jittered)
{
	script s = {.n = 6, .random = UINT64_MAX};
	for (int i = 0; i < 5; i++)
		s.answers[i] = (answer){503, false, SLOWDOWN, NULL, NULL};
	s.answers[5] = (answer){200, false, "ok", NULL, NULL};
	pond_s3_client *c = scripted_client(&s, 6);
	pond_error err = POND_ERROR_INIT;
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, "b", "k", -1, -1, &data, &len, 100, &err), &err);
	CHECK_STR(data, "ok");
	pond_free(data);
	/* random() % (ceiling + 1) with random = 2^64-1: the ceilings
	 * 100, 200, 400, 800, then the cap 1000, each drawn modulo */
	CHECK_INT(s.nsleeps, 5);
	CHECK_INT(s.sleeps[0], (int64_t)(UINT64_MAX % 101));
	CHECK_INT(s.sleeps[1], (int64_t)(UINT64_MAX % 201));
	CHECK_INT(s.sleeps[2], (int64_t)(UINT64_MAX % 401));
	CHECK_INT(s.sleeps[3], (int64_t)(UINT64_MAX % 801));
	CHECK_INT(s.sleeps[4], (int64_t)(UINT64_MAX % 1001));
	for (int i = 0; i < 5; i++)
		CHECK(s.sleeps[i] <= 1000);
	/* every try signed at the injected clock */
	CHECK_STR(s.dates[0], "20130524T000000Z");
	CHECK_STR(s.dates[5], "20130524T000000Z");
	CHECK_STR(s.urls[0], "http://s3.test:9000/b/k");
	pond_s3_client_free(&c);
}

TEST(s3_retry_stops_at_max_attempts_and_says_so)
{
	script s = {.n = 3};
	for (int i = 0; i < 3; i++)
		s.answers[i] = (answer){0, true, NULL, NULL, NULL};
	pond_s3_client *c = scripted_client(&s, 3);
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_s3_put(c, "b", "a b.txt", "x", 1, NULL, &err), POND_EIO);
	CHECK_STR(err.msg, "could not put s3://b/a b.txt: Connection reset by peer (after 3 attempts)");
	CHECK_INT(s.next, 3);
	CHECK_INT(s.nsleeps, 2);
	CHECK_STR(s.urls[0], "http://s3.test:9000/b/a%20b.txt");
	pond_s3_client_free(&c);
}

TEST(s3_retry_never_repeats_what_cannot_work)
{
	script s = {.n = 4};
	s.answers[0] = (answer){403, false, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
	                        NULL, NULL};
	s.answers[1] = (answer){404, false, NULL, NULL, NULL};
	s.answers[2] = (answer){0, false, NULL, NULL, NULL}; /* e.g. a bad certificate */
	s.answers[3] = (answer){400, false, "<Error><Code>RequestTimeout</Code><Message>slow</Message></Error>", NULL,
	                        NULL};
	pond_s3_client *c = scripted_client(&s, 5);
	pond_error err = POND_ERROR_INIT;
	char *data;
	size_t len;
	CHECK_INT(pond_s3_get(c, "b", "k", -1, -1, &data, &len, 100, &err), POND_EIO);
	CHECK_STR(err.msg, "could not get s3://b/k: AccessDenied: Access Denied (HTTP 403)");
	pond_s3_object_info info;
	CHECK_INT(pond_s3_head(c, "b", "k", &info, &err), POND_ENOTFOUND);
	CHECK_STR(err.msg, "could not stat s3://b/k: NotFound (HTTP 404)");
	CHECK_INT(pond_s3_delete(c, "b", "k", &err), POND_EIO);
	CHECK_INT(s.nsleeps, 0);
	/* S3's RequestTimeout (a 400) is worth another try */
	s.n = 5;
	s.answers[4] = (answer){204, false, NULL, NULL, NULL};
	CHECK_OK(pond_s3_delete(c, "b", "k", &err), &err);
	CHECK_INT(s.nsleeps, 1);
	pond_s3_client_free(&c);
}

TEST(s3_a_ranged_get_cuts_its_range_from_a_server_that_sends_it_all)
{
	script s = {.n = 3};
	s.answers[0] = (answer){200, false, "0123456789", NULL, NULL}; /* Range ignored */
	s.answers[1] = (answer){206, false, "3456", NULL, NULL};
	s.answers[2] = (answer){200, false, "0123", NULL, NULL};       /* shorter than asked */
	pond_s3_client *c = scripted_client(&s, 1);
	pond_error err = POND_ERROR_INIT;
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, "b", "k", 3, 4, &data, &len, 100, &err), &err);
	CHECK_STR(s.ranges[0], "bytes=3-6");
	CHECK_INT(len, 4);
	CHECK_STR(data, "3456");
	pond_free(data);
	CHECK_OK(pond_s3_get(c, "b", "k", 3, 4, &data, &len, 100, &err), &err);
	CHECK_INT(len, 4);
	CHECK_STR(data, "3456");
	pond_free(data);
	CHECK_OK(pond_s3_get(c, "b", "k", 2, 8, &data, &len, 100, &err), &err);
	CHECK_STR(s.ranges[2], "bytes=2-9");
	CHECK_INT(len, 2);
	CHECK_STR(data, "23");
	pond_free(data);
	CHECK_INT(pond_s3_get(c, "b", "k", -1, 4, &data, &len, 100, &err), POND_EINVAL);
	CHECK_INT(s.next, 3);
	pond_s3_client_free(&c);
}

TEST(s3_a_download_retried_after_a_partial_body_starts_the_file_over)
{
	script s = {.n = 2};
	s.answers[0] = (answer){0, true, NULL, NULL, "half of th"};
	s.answers[1] = (answer){200, false, "the whole object", NULL, NULL};
	pond_s3_client *c = scripted_client(&s, 3);
	char path[512];
	snprintf(path, sizeof path, "%s/download", pond_test_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	pond_error err = POND_ERROR_INIT;
	int64_t size = 0;
	CHECK_OK(pond_s3_get_to_fd(c, "b", "k", fd, &size, &err), &err);
	CHECK_INT(size, 16);
	char buf[64] = {0};
	CHECK_INT(pread(fd, buf, sizeof buf, 0), 16);
	CHECK_STR(buf, "the whole object");
	close(fd);
	pond_s3_client_free(&c);
}

TEST(s3_complete_multipart_failing_after_200_is_a_failure_and_aborts)
{
	script s = {.n = 5};
	s.answers[0] = (answer){200, false,
	                        "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>UP1</UploadId>"
	                        "</InitiateMultipartUploadResult>",
	                        NULL, NULL};
	s.answers[1] = (answer){200, false, NULL, "HTTP/1.1 200 OK\r\nETag: \"e1\"\r\n", NULL};
	s.answers[2] = (answer){200, false, NULL, "HTTP/1.1 200 OK\r\nETag: \"e2\"\r\n", NULL};
	s.answers[3] = (answer){200, false, "<Error><Code>InternalError</Code><Message>late</Message></Error>", NULL,
	                        NULL};
	s.answers[4] = (answer){204, false, NULL, NULL, NULL};
	char path[512];
	snprintf(path, sizeof path, "%s/upload", pond_test_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_INT(write(fd, "0123456789", 10), 10);
	/* anonymous, two parts of 6 and 4 bytes */
	pond_s3_client *c;
	pond_s3_config cfg2 = {0};
	cfg2.endpoint = "http://s3.test:9000";
	cfg2.region = "us-east-1";
	cfg2.path_style = true;
	pond_s3_client_options o = POND_S3_CLIENT_OPTIONS_INIT;
	o.send = scripted_send;
	o.send_payload = &s;
	o.sleep_ms = record_sleep;
	o.clock_payload = &s;
	o.max_attempts = 1;
	o.multipart_threshold = 5;
	o.part_size = 6;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_s3_client_new(&c, &cfg2, &o, &err), &err);
	CHECK_INT(pond_s3_put_fd(c, "b", "k", fd, 10, NULL, &err), POND_EIO);
	CHECK_STR(err.msg, "could not complete the upload of s3://b/k: InternalError: late (HTTP 200)");
	CHECK_STR(s.methods[0], "POST");
	CHECK_STR(s.urls[0], "http://s3.test:9000/b/k?uploads=");
	CHECK_STR(s.urls[1], "http://s3.test:9000/b/k?partNumber=1&uploadId=UP1");
	CHECK_STR(s.urls[2], "http://s3.test:9000/b/k?partNumber=2&uploadId=UP1");
	CHECK_STR(s.methods[4], "DELETE");
	CHECK_STR(s.urls[4], "http://s3.test:9000/b/k?uploadId=UP1");
	close(fd);
	pond_s3_client_free(&c);
}

TEST(s3_anonymous_requests_carry_no_authorization)
{
	script s = {.n = 1};
	s.answers[0] = (answer){200, false, "public", NULL, NULL};
	pond_s3_config cfg = {0};
	cfg.region = "eu-west-1";
	pond_s3_client_options o = POND_S3_CLIENT_OPTIONS_INIT;
	o.send = scripted_send;
	o.send_payload = &s;
	pond_s3_client *c;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_s3_client_new(&c, &cfg, &o, &err), &err);
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, "my-bucket", "k/x.parquet", -1, -1, &data, &len, 100, &err), &err);
	pond_free(data);
	/* AWS, virtual-hosted */
	CHECK_STR(s.urls[0], "https://my-bucket.s3.eu-west-1.amazonaws.com/k/x.parquet");
	CHECK_STR(s.dates[0], "");
	pond_s3_client_free(&c);
}

TEST(s3_url_split_reads_s3_s3a_and_s3n)
{
	pond_arena *a = pond_arena_new();
	char *bucket, *key;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_s3_url_split("s3://b/x/y.avro", &bucket, &key, a, &err), &err);
	CHECK_STR(bucket, "b");
	CHECK_STR(key, "x/y.avro");
	CHECK_OK(pond_s3_url_split("s3a://lake", &bucket, &key, a, &err), &err);
	CHECK_STR(bucket, "lake");
	CHECK_STR(key, "");
	CHECK(pond_s3_is_url("s3n://b/k"));
	CHECK(!pond_s3_is_url("/tmp/s3://x"));
	CHECK_INT(pond_s3_url_split("s3:///k", &bucket, &key, a, &err), POND_EINVAL);
	CHECK_STR(err.msg, "\"s3:///k\" names no bucket");
	pond_arena_free(&a);
}
