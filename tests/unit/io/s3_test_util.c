/* Helpers for tests against the S3 test server (s3_test_util.h). */
#include "s3_test_util.h"

#include "../test.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *s3t_url(void)
{
	const char *url = getenv("POND_TEST_S3_URL");
	return url && *url ? url : NULL;
}

void s3t_bucket_name(char out[64])
{
	static int n;
	snprintf(out, 64, "pond-%ld-%d", (long)getpid(), ++n);
}

static void record_sleep(int64_t ms, void *payload)
{
	s3t_clock *c = payload;
	c->sleeps++;
	c->slept_ms += ms;
}

void s3t_config(pond_s3_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->endpoint = (char *)s3t_url();
	cfg->region = "us-east-1";
	cfg->path_style = true;
	cfg->access_key_id = "pondtest";
	cfg->secret_access_key = "pondtestsecret";
}

int s3t_client(pond_s3_client **out, const char *endpoint, bool path_style, const char *bucket, s3t_clock *clock,
               const pond_s3_client_options *opts, pond_error *err)
{
	pond_s3_config cfg;
	s3t_config(&cfg);
	if (endpoint)
		cfg.endpoint = (char *)endpoint;
	cfg.path_style = path_style;
	pond_s3_client_options o = POND_S3_CLIENT_OPTIONS_INIT;
	if (opts)
		o = *opts;
	if (clock) {
		o.sleep_ms = record_sleep;
		o.clock_payload = clock;
	}
	int rc = pond_s3_client_new(out, &cfg, &o, err);
	if (rc == 0 && bucket)
		rc = pond_s3_create_bucket(*out, bucket, err);
	return rc;
}

int s3t_fileio_open(s3t_fileio *f, bool with_cache, pond_error *err)
{
	memset(f, 0, sizeof *f);
	s3t_bucket_name(f->bucket);
	snprintf(f->cache_dir, sizeof f->cache_dir, "%s/cache", pond_test_tmpdir());
	int rc = s3t_client(&f->client, NULL, true, f->bucket, NULL, NULL, err);
	if (rc == 0 && with_cache)
		rc = pond_io_cache_open(&f->cache, f->cache_dir, NULL, err);
	if (rc == 0)
		rc = pond_fileio_s3_new(&f->io, f->client, f->cache, err);
	return rc;
}

void s3t_fileio_close(s3t_fileio *f)
{
	pond_fileio_free(&f->io);
	pond_io_cache_close(&f->cache);
	pond_s3_client_free(&f->client);
}

static size_t collect(char *data, size_t size, size_t n, void *payload)
{
	pond_buf_put(payload, data, size * n);
	return size * n;
}

static bool control(const char *method, const char *path, const char *body, pond_buf *out)
{
	char url[1024];
	snprintf(url, sizeof url, "%s%s", s3t_url(), path);
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	long status = 0;
	bool ok = curl_easy_perform(c) == CURLE_OK;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return ok && status == 200;
}

bool s3t_faults(const char *json)
{
	pond_buf out = POND_BUF_INIT;
	bool ok = control("POST", "/__pond/faults", json, &out);
	pond_buf_dispose(&out);
	return ok;
}

bool s3t_control_get(const char *path, pond_buf *out)
{
	return control("GET", path, NULL, out);
}

int s3t_count(const char *bucket, const char *method, const char *query, bool *all_signed)
{
	char path[256];
	snprintf(path, sizeof path, "/__pond/log?bucket=%s", bucket);
	pond_buf out = POND_BUF_INIT;
	*all_signed = true;
	if (!s3t_control_get(path, &out)) {
		pond_buf_dispose(&out);
		return -1;
	}
	json_t *log = json_loads(pond_buf_cstr(&out), 0, NULL);
	pond_buf_dispose(&out);
	int n = 0;
	size_t i;
	json_t *e;
	json_array_foreach(log, i, e) {
		const char *sig = json_string_value(json_object_get(e, "sig"));
		if (sig && strcmp(sig, "ok") != 0)
			*all_signed = false;
		if (method && strcmp(json_string_value(json_object_get(e, "method")), method) != 0)
			continue;
		const char *q = json_string_value(json_object_get(e, "query"));
		if (query && (!q || !strstr(q, query)))
			continue;
		n++;
	}
	json_decref(log);
	return n;
}

int s3t_gets_since(const char *bucket, const char *part, int *seen)
{
	char path[256];
	snprintf(path, sizeof path, "/__pond/log?bucket=%s", bucket);
	pond_buf out = POND_BUF_INIT;
	int n = 0;
	if (s3t_control_get(path, &out)) {
		json_t *log = json_loads(pond_buf_cstr(&out), 0, NULL);
		size_t i;
		json_t *e;
		json_array_foreach(log, i, e) {
			const char *m = json_string_value(json_object_get(e, "method"));
			const char *k = json_string_value(json_object_get(e, "key"));
			n += m && k && strcmp(m, "GET") == 0 && strstr(k, part) != NULL;
		}
		json_decref(log);
	}
	pond_buf_dispose(&out);
	int fresh = n - *seen;
	*seen = n;
	return fresh;
}
