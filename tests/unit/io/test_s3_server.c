/*
 * The S3 client against a real S3-protocol server: s3rver from the npm
 * registry behind tests/s3/server.js, which recomputes every SigV4
 * signature on its own and refuses a mismatch, and injects 503 SlowDown,
 * 500, 403 and dropped connections on request. tests/run.sh starts it for
 * the suite (POND_TEST_S3_URL); without it these tests fail, they never
 * skip.
 */
#include "../test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "pond/io.h"
#include "s3_test_util.h"

typedef struct {
	char keys[16][128];
	int64_t sizes[16];
	int n;
} listing;

static int on_object(const pond_s3_object *o, void *payload)
{
	listing *l = payload;
	if (l->n < 16) {
		snprintf(l->keys[l->n], sizeof l->keys[0], "%s", o->key);
		l->sizes[l->n] = o->size;
	}
	l->n++;
	return 0;
}

TEST(s3_put_get_head_list_delete_round_trip_with_signatures_checked)
{
	NEED_SERVER();
	char bucket[64];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, NULL, NULL, &err), &err);
	const char *keys[] = {"t/a.txt", "t/sub dir/b+c.txt", "t/\xc3\xa9t\xc3\xa9=1.txt", "u/other.txt"};
	for (int i = 0; i < 4; i++) {
		char body[64];
		snprintf(body, sizeof body, "object %d: %s", i, keys[i]);
		CHECK_OK(pond_s3_put(c, bucket, keys[i], body, strlen(body), NULL, &err), &err);
	}
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, bucket, keys[1], -1, -1, &data, &len, 1 << 20, &err), &err);
	CHECK_STR(data, "object 1: t/sub dir/b+c.txt");
	pond_free(data);
	/* ranged: bytes 7..13 */
	CHECK_OK(pond_s3_get(c, bucket, keys[2], 7, 7, &data, &len, 1 << 20, &err), &err);
	CHECK_INT(len, 7);
	CHECK_STR(data, "2: t/\xc3\xa9");
	pond_free(data);
	pond_s3_object_info info;
	CHECK_OK(pond_s3_head(c, bucket, keys[0], &info, &err), &err);
	CHECK_INT(info.size, (int64_t)strlen("object 0: t/a.txt"));
	CHECK(info.etag[0] != '\0');

	listing l = {0};
	CHECK_OK(pond_s3_list(c, bucket, "t/", on_object, &l, &err), &err);
	CHECK_INT(l.n, 3);
	CHECK_STR(l.keys[0], "t/a.txt");
	CHECK_STR(l.keys[1], "t/sub dir/b+c.txt");
	CHECK_STR(l.keys[2], "t/\xc3\xa9t\xc3\xa9=1.txt");
	CHECK_INT(l.sizes[0], (int64_t)strlen("object 0: t/a.txt"));

	CHECK_OK(pond_s3_delete(c, bucket, keys[0], &err), &err);
	CHECK_INT(pond_s3_head(c, bucket, keys[0], &info, &err), POND_ENOTFOUND);
	const char *rest[] = {keys[1], keys[2]};
	CHECK_OK(pond_s3_delete_many(c, bucket, rest, 2, &err), &err);
	l.n = 0;
	CHECK_OK(pond_s3_list(c, bucket, "", on_object, &l, &err), &err);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.keys[0], "u/other.txt");
	/* deleting what is not there succeeds, as on S3 */
	CHECK_OK(pond_s3_delete(c, bucket, "t/never", &err), &err);

	bool all_signed;
	CHECK(s3t_count(bucket, "PUT", NULL, &all_signed) == 5); /* the bucket and 4 objects */
	CHECK_MSG(all_signed, "the server found a signature that does not match");
	pond_s3_client_free(&c);
}

TEST(s3_virtual_hosted_addressing_signs_the_bucket_host)
{
	NEED_SERVER();
	char bucket[64], endpoint[256];
	s3t_bucket_name(bucket);
	/* *.localhost is the loopback: BUCKET.localhost:PORT reaches the server */
	snprintf(endpoint, sizeof endpoint, "http://localhost:%s", strrchr(s3t_url(), ':') + 1);
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, endpoint, false, bucket, NULL, NULL, &err), &err);
	CHECK_OK(pond_s3_put(c, bucket, "v/x.txt", "virtual", 7, NULL, &err), &err);
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, bucket, "v/x.txt", -1, -1, &data, &len, 100, &err), &err);
	CHECK_STR(data, "virtual");
	pond_free(data);
	pond_buf log = POND_BUF_INIT;
	char path[128];
	snprintf(path, sizeof path, "/__pond/log?bucket=%s", bucket);
	CHECK(s3t_control_get(path, &log));
	CHECK_MSG(strstr(pond_buf_cstr(&log), "\"style\":\"path\"") == NULL, "a request went path-style: %s",
	          pond_buf_cstr(&log));
	CHECK(strstr(pond_buf_cstr(&log), "\"style\":\"virtual\"") != NULL);
	pond_buf_dispose(&log);
	bool all_signed;
	CHECK(s3t_count(bucket, NULL, NULL, &all_signed) == 3);
	CHECK(all_signed);
	pond_s3_client_free(&c);
}

TEST(s3_list_follows_continuation_tokens)
{
	NEED_SERVER();
	char bucket[64];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.list_page_size = 2;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, NULL, &opts, &err), &err);
	for (int i = 0; i < 5; i++) {
		char key[32];
		snprintf(key, sizeof key, "p/%d", i);
		CHECK_OK(pond_s3_put(c, bucket, key, "x", 1, NULL, &err), &err);
	}
	listing l = {0};
	CHECK_OK(pond_s3_list(c, bucket, "p/", on_object, &l, &err), &err);
	CHECK_INT(l.n, 5);
	for (int i = 0; i < 5; i++) {
		char key[32];
		snprintf(key, sizeof key, "p/%d", i);
		CHECK_STR(l.keys[i], key);
	}
	bool all_signed;
	CHECK_INT(s3t_count(bucket, "GET", "list-type=2", &all_signed), 3);
	CHECK_INT(s3t_count(bucket, "GET", "continuation-token=", &all_signed), 2);
	CHECK(all_signed);
	pond_s3_client_free(&c);
}

typedef struct {
	char prefixes[16][64];
	int n, stop_after;
	int objects;
} prefix_listing;

static int on_prefix(const char *prefix, void *payload)
{
	prefix_listing *l = payload;
	if (l->n < 16)
		snprintf(l->prefixes[l->n], sizeof l->prefixes[0], "%s", prefix);
	l->n++;
	return l->stop_after && l->n >= l->stop_after ? 7 : 0;
}

static int count_object(const pond_s3_object *o, void *payload)
{
	(void)o;
	((prefix_listing *)payload)->objects++;
	return 0;
}

TEST(s3_list_with_a_delimiter_and_start_after_gives_prefixes_page_by_page)
{
	NEED_SERVER();
	char bucket[64];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.list_page_size = 2;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, NULL, &opts, &err), &err);
	const int heights[] = {10, 11, 13, 17, 18};
	for (int i = 0; i < 5; i++)
		for (int f = 0; f < 2; f++) {
			char key[64];
			snprintf(key, sizeof key, "%012d/%s.json", heights[i], f ? "shard_0" : "block");
			CHECK_OK(pond_s3_put(c, bucket, key, "{}", 2, NULL, &err), &err);
		}
	/* Keys past the page size: s3rver pages by keys only (S3 counts
	 * prefixes too), so these make the listing take a second page. */
	for (int i = 0; i < 3; i++) {
		char key[32];
		snprintf(key, sizeof key, "readme%d.txt", i);
		CHECK_OK(pond_s3_put(c, bucket, key, "x", 1, NULL, &err), &err);
	}
	pond_s3_list_options o = POND_S3_LIST_OPTIONS_INIT;
	o.delimiter = "/";
	o.start_after = "000000000011";  /* height 11's keys sort after it: 11 and above */
	o.on_prefix = on_prefix;
	prefix_listing l = {0};
	CHECK_OK(pond_s3_list_with(c, bucket, &o, count_object, &l, &err), &err);
	CHECK_INT(l.n, 4);
	CHECK_STR(l.prefixes[0], "000000000011/");
	CHECK_STR(l.prefixes[1], "000000000013/");
	CHECK_STR(l.prefixes[3], "000000000018/");
	CHECK_INT(l.objects, 3);  /* the readme files: no delimiter in their names */
	bool all_signed;
	CHECK(s3t_count(bucket, "GET", "continuation-token=", &all_signed) >= 1);
	CHECK_INT(s3t_count(bucket, "GET", "start-after=000000000011", &all_signed), 1);
	CHECK(all_signed);
	/* A callback's non-zero return stops the listing and is returned. */
	prefix_listing stop = {.stop_after = 2};
	CHECK_INT(pond_s3_list_with(c, bucket, &o, NULL, &stop, &err), 7);
	CHECK_INT(stop.n, 2);
	/* Without a delimiter, the same call lists keys. */
	pond_s3_list_options flat = POND_S3_LIST_OPTIONS_INIT;
	flat.prefix = "000000000017/";
	prefix_listing keys = {0};
	CHECK_OK(pond_s3_list_with(c, bucket, &flat, count_object, &keys, &err), &err);
	CHECK_INT(keys.objects, 2);
	CHECK_INT(keys.n, 0);
	pond_s3_client_free(&c);
}

TEST(s3_requester_pays_sends_and_signs_its_header)
{
	NEED_SERVER();
	char bucket[64], path[128];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, NULL, NULL, &err), &err);
	CHECK_OK(pond_s3_put(c, bucket, "plain", "x", 1, NULL, &err), &err);
	pond_s3_client_free(&c);
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.requester_pays = true;
	CHECK_OK(s3t_client(&c, NULL, true, NULL, NULL, &opts, &err), &err);
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, bucket, "plain", -1, -1, &data, &len, 10, &err), &err);
	pond_free(data);
	snprintf(path, sizeof path, "/__pond/log?bucket=%s", bucket);
	pond_buf log = POND_BUF_INIT;
	CHECK(s3t_control_get(path, &log));
	json_t *entries = json_loads(pond_buf_cstr(&log), 0, NULL);
	pond_buf_dispose(&log);
	int gets = 0, puts = 0;
	size_t i;
	json_t *e;
	json_array_foreach(entries, i, e) {
		const char *method = json_string_value(json_object_get(e, "method"));
		const char *payer = json_string_value(json_object_get(e, "requestPayer"));
		if (strcmp(method, "GET") == 0) {
			gets++;
			CHECK_STR(payer, "requester");
			CHECK_STR(json_string_value(json_object_get(e, "sig")), "ok");
		} else if (strcmp(method, "PUT") == 0 && strcmp(json_string_value(json_object_get(e, "key")), "plain") == 0) {
			puts++;
			CHECK(payer == NULL);
		}
	}
	json_decref(entries);
	CHECK_INT(gets, 1);
	CHECK_INT(puts, 1);
	pond_s3_client_free(&c);
}

TEST(s3_retries_503_slowdown_and_500_then_lands)
{
	NEED_SERVER();
	char bucket[64], faults[512];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	s3t_clock clock = {0};
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, &clock, NULL, &err), &err);
	snprintf(faults, sizeof faults,
	         "{\"bucket\":\"%s\",\"rules\":[{\"method\":\"PUT\",\"action\":\"503\",\"times\":3},"
	         "{\"method\":\"GET\",\"action\":\"500\",\"times\":2}]}",
	         bucket);
	CHECK(s3t_faults(faults));
	CHECK_OK(pond_s3_put(c, bucket, "r/obj", "landed", 6, NULL, &err), &err);
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, bucket, "r/obj", -1, -1, &data, &len, 100, &err), &err);
	CHECK_STR(data, "landed");
	pond_free(data);
	CHECK_INT(clock.sleeps, 5);
	int64_t requests, retries;
	pond_s3_client_counts(c, &requests, &retries);
	CHECK_INT(retries, 5);
	bool all_signed;
	CHECK_INT(s3t_count(bucket, "PUT", NULL, &all_signed), 5); /* bucket + 3 refused + 1 */
	CHECK(all_signed);
	pond_s3_client_free(&c);
}

TEST(s3_gives_up_after_max_attempts_naming_the_object_and_code)
{
	NEED_SERVER();
	char bucket[64], faults[256];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	s3t_clock clock = {0};
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.max_attempts = 3;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, &clock, &opts, &err), &err);
	snprintf(faults, sizeof faults, "{\"bucket\":\"%s\",\"rules\":[{\"method\":\"PUT\",\"action\":\"503\",\"times\":9}]}",
	         bucket);
	CHECK(s3t_faults(faults));
	int rc = pond_s3_put(c, bucket, "g/obj", "x", 1, NULL, &err);
	CHECK_INT(rc, POND_EIO);
	char want[256];
	snprintf(want, sizeof want,
	         "could not put s3://%s/g/obj: SlowDown: Please reduce your request rate. (HTTP 503) (after 3 attempts)",
	         bucket);
	CHECK_STR(err.msg, want);
	CHECK_INT(clock.sleeps, 2);
	pond_s3_client_free(&c);
}

TEST(s3_errors_name_the_object_and_the_s3_error)
{
	NEED_SERVER();
	char bucket[64], faults[256], want[256];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, NULL, NULL, &err), &err);
	char *data;
	size_t len;
	CHECK_INT(pond_s3_get(c, bucket, "missing/key", -1, -1, &data, &len, 100, &err), POND_ENOTFOUND);
	snprintf(want, sizeof want, "could not get s3://%s/missing/key: NoSuchKey: ", bucket);
	CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	snprintf(faults, sizeof faults, "{\"bucket\":\"%s\",\"rules\":[{\"action\":\"403\"}]}", bucket);
	CHECK(s3t_faults(faults));
	CHECK_INT(pond_s3_get(c, bucket, "k", -1, -1, &data, &len, 100, &err), POND_EIO);
	snprintf(want, sizeof want, "could not get s3://%s/k: AccessDenied: Access Denied (HTTP 403)", bucket);
	CHECK_STR(err.msg, want);
	CHECK_INT(pond_s3_get(c, "no-such-bucket-pond", "k", -1, -1, &data, &len, 100, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "s3://no-such-bucket-pond/k: NoSuchBucket") != NULL);
	pond_s3_client_free(&c);
}

TEST(s3_a_wrong_secret_is_refused_by_the_signature_check)
{
	NEED_SERVER();
	pond_s3_config cfg;
	s3t_config(&cfg);
	cfg.secret_access_key = "not-the-secret";
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.max_attempts = 1;
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c;
	CHECK_OK(pond_s3_client_new(&c, &cfg, &opts, &err), &err);
	CHECK_INT(pond_s3_create_bucket(c, "pond-wrong-secret", &err), POND_EIO);
	CHECK_MSG(strstr(err.msg, "SignatureDoesNotMatch") != NULL, "%s", err.msg);
	pond_s3_client_free(&c);
}

TEST(s3_session_token_is_sent_and_signed)
{
	NEED_SERVER();
	char bucket[64];
	s3t_bucket_name(bucket);
	pond_s3_config cfg;
	s3t_config(&cfg);
	cfg.region = "eu-central-1";
	cfg.access_key_id = "pondsession";
	cfg.secret_access_key = "pondsessionsecret";
	cfg.session_token = "pondtoken";
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.max_attempts = 1;
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c;
	CHECK_OK(pond_s3_client_new(&c, &cfg, &opts, &err), &err);
	CHECK_OK(pond_s3_create_bucket(c, bucket, &err), &err);
	pond_s3_client_free(&c);
	cfg.session_token = NULL; /* the server requires it for this key */
	CHECK_OK(pond_s3_client_new(&c, &cfg, &opts, &err), &err);
	CHECK_INT(pond_s3_put(c, bucket, "k", "x", 1, NULL, &err), POND_EIO);
	CHECK(strstr(err.msg, "session token") != NULL);
	pond_s3_client_free(&c);
}

/* A file of n bytes with a pattern that shows any misplaced range. */
static int pattern_file(const char *name, int64_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", pond_test_tmpdir(), name);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	unsigned char *bytes = malloc((size_t)n);
	for (int64_t i = 0; bytes && i < n; i++)
		bytes[i] = (unsigned char)((i * 131 + i / 251) & 0xff);
	bool ok = fd >= 0 && bytes && write(fd, bytes, (size_t)n) == (ssize_t)n;
	free(bytes);
	return ok ? fd : -1;
}

static bool same_as_file(const char *data, size_t len, int fd)
{
	char *want = malloc(len ? len : 1);
	bool same = pread(fd, want, len, 0) == (ssize_t)len && memcmp(want, data, len) == 0;
	free(want);
	return same;
}

TEST(s3_multipart_upload_survives_dropped_connections_mid_part)
{
	NEED_SERVER();
	char bucket[64], faults[512];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	s3t_clock clock = {0};
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.multipart_threshold = 100000;
	opts.part_size = 64 * 1024;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, &clock, &opts, &err), &err);
	int fd = pattern_file("multi.bin", 300000); /* 5 parts, the last short */
	CHECK(fd >= 0);
	snprintf(faults, sizeof faults,
	         "{\"bucket\":\"%s\",\"rules\":[{\"method\":\"PUT\",\"query\":\"partNumber\",\"action\":\"drop-body\","
	         "\"times\":2},{\"method\":\"POST\",\"query\":\"uploadId\",\"action\":\"503\",\"times\":1}]}",
	         bucket);
	CHECK(s3t_faults(faults));
	CHECK_OK(pond_s3_put_fd(c, bucket, "m/big.bin", fd, 300000, NULL, &err), &err);
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, bucket, "m/big.bin", -1, -1, &data, &len, 1 << 20, &err), &err);
	CHECK_INT(len, 300000);
	CHECK(same_as_file(data, len, fd));
	pond_free(data);
	/* The 503 is always a backoff of ours; a dropped part may instead be
	 * sent again at once by libcurl on a fresh connection. */
	CHECK(clock.sleeps >= 1 && clock.sleeps <= 3);
	bool all_signed;
	CHECK_INT(s3t_count(bucket, "PUT", "partNumber=", &all_signed), 7); /* 5 parts, 2 dropped */
	CHECK_INT(s3t_count(bucket, "POST", "uploads", &all_signed), 1);
	CHECK(all_signed);
	close(fd);
	pond_s3_client_free(&c);
}

TEST(s3_a_failed_multipart_upload_is_aborted_and_leaves_no_object)
{
	NEED_SERVER();
	char bucket[64], faults[512], path[128];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	s3t_clock clock = {0};
	pond_s3_client_options opts = POND_S3_CLIENT_OPTIONS_INIT;
	opts.multipart_threshold = 100000;
	opts.part_size = 64 * 1024;
	opts.max_attempts = 3;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, &clock, &opts, &err), &err);
	/* parts 1 and 2 land; every try of part 3 is dropped halfway through */
	int fd = pattern_file("fail.bin", 200000);
	snprintf(faults, sizeof faults,
	         "{\"bucket\":\"%s\",\"rules\":[{\"method\":\"PUT\",\"query\":\"partNumber=3\",\"action\":\"drop-body\","
	         "\"times\":100}]}",
	         bucket);
	CHECK(s3t_faults(faults));
	int rc = pond_s3_put_fd(c, bucket, "big.bin", fd, 200000, NULL, &err);
	CHECK_INT(rc, POND_EIO);
	char want[128];
	snprintf(want, sizeof want, "could not upload part 3 of s3://%s/big.bin: ", bucket);
	CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	CHECK(strstr(err.msg, "(after 3 attempts)") != NULL);
	pond_s3_object_info info;
	CHECK_INT(pond_s3_head(c, bucket, "big.bin", &info, &err), POND_ENOTFOUND);
	bool all_signed;
	CHECK_INT(s3t_count(bucket, "DELETE", "uploadId=", &all_signed), 1);
	pond_buf uploads = POND_BUF_INIT;
	snprintf(path, sizeof path, "/__pond/uploads?bucket=%s", bucket);
	CHECK(s3t_control_get(path, &uploads));
	CHECK_STR(pond_buf_cstr(&uploads), "{\"pending\":0}");
	pond_buf_dispose(&uploads);
	close(fd);
	pond_s3_client_free(&c);
}

TEST(s3_if_none_match_refuses_to_replace_where_the_server_supports_it)
{
	NEED_SERVER();
	char bucket[64], faults[256];
	s3t_bucket_name(bucket);
	pond_error err = POND_ERROR_INIT;
	pond_s3_client *c;
	CHECK_OK(s3t_client(&c, NULL, true, bucket, NULL, NULL, &err), &err);
	pond_s3_put_options create = POND_S3_PUT_OPTIONS_INIT;
	create.if_none_match = true;
	/* s3rver itself ignores If-None-Match on PUT: the object is replaced */
	CHECK_OK(pond_s3_put(c, bucket, "c/one", "first", 5, &create, &err), &err);
	CHECK_OK(pond_s3_put(c, bucket, "c/one", "second", 6, &create, &err), &err);
	char *data;
	size_t len;
	CHECK_OK(pond_s3_get(c, bucket, "c/one", -1, -1, &data, &len, 100, &err), &err);
	CHECK_STR(data, "second");
	pond_free(data);
	/* the proxy's emulation of AWS and MinIO: 412 PreconditionFailed */
	snprintf(faults, sizeof faults, "{\"bucket\":\"%s\",\"conditional\":true}", bucket);
	CHECK(s3t_faults(faults));
	CHECK_INT(pond_s3_put(c, bucket, "c/one", "third", 5, &create, &err), POND_EEXISTS);
	CHECK(strstr(err.msg, "PreconditionFailed") != NULL);
	CHECK_OK(pond_s3_put(c, bucket, "c/two", "new", 3, &create, &err), &err);
	CHECK_OK(pond_s3_get(c, bucket, "c/one", -1, -1, &data, &len, 100, &err), &err);
	CHECK_STR(data, "second");
	pond_free(data);
	pond_s3_client_free(&c);
}
