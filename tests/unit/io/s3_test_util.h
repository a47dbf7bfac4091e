/*
 * Helpers for tests against pond's S3 test server (tests/s3/server.js:
 * s3rver behind a proxy that checks signatures and injects faults), which
 * tests/run.sh starts for the suite and names in POND_TEST_S3_URL. Each
 * test works in a bucket of its own, so tests in parallel never see each
 * other's objects, faults or request logs.
 */
#ifndef POND_S3_TEST_UTIL_H
#define POND_S3_TEST_UTIL_H

#include <stdbool.h>

#include "pond/io.h"
#include "pond/manifest.h"

/* The server's URL, or NULL (the caller fails the test: the suite always
 * starts one). */
const char *s3t_url(void);
/* Fails the test (../test.h's CHECK_MSG) when there is no server. */
#define NEED_SERVER() CHECK_MSG(s3t_url() != NULL, "POND_TEST_S3_URL is not set: run the suite through tests/run.sh")
/* A bucket name no other test uses: "pond-PID-N". */
void s3t_bucket_name(char out[64]);

/* Backoff sleeps a client asked for, recorded instead of slept. */
typedef struct s3t_clock {
	int sleeps;
	int64_t slept_ms;
} s3t_clock;

/* The test server's configuration: path-style, us-east-1, the test key
 * pondtest (borrowed strings; tests change a field to try another). */
void s3t_config(pond_s3_config *cfg);
/* A client for the test server (test key pondtest), with sleeps recorded
 * in clock, and the bucket created. endpoint NULL: the server's URL. */
int s3t_client(pond_s3_client **out, const char *endpoint, bool path_style, const char *bucket, s3t_clock *clock,
               const pond_s3_client_options *opts, pond_error *err);
/* A file IO on the test server: a bucket of its own, its client, and,
 * when with_cache, an object cache at TESTDIR/cache. */
typedef struct s3t_fileio {
	char bucket[64];
	pond_s3_client *client;
	pond_io_cache *cache;
	pond_fileio *io;
	char cache_dir[512];
} s3t_fileio;

int s3t_fileio_open(s3t_fileio *f, bool with_cache, pond_error *err);
void s3t_fileio_close(s3t_fileio *f);

/* POSTs JSON to the server's /__pond/faults; false on failure. */
bool s3t_faults(const char *json);
/* GETs a control path ("/__pond/log?bucket=b") into out; false on failure. */
bool s3t_control_get(const char *path, pond_buf *out);
/* GETs of bucket's keys containing part that the server served since the
 * last call: its log is cumulative, so the caller keeps *seen. */
int s3t_gets_since(const char *bucket, const char *part, int *seen);
/* How many logged requests of bucket match method and a query parameter
 * name (NULL: any), and whether all of them had a valid signature. */
int s3t_count(const char *bucket, const char *method, const char *query, bool *all_signed);

#endif
