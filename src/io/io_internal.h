/*
 * Internals of the io layer shared between its files: the libcurl
 * transport, the S3 XML documents, the AWS files' INI reading, and the
 * client's request machinery that the S3 operations share.
 */
#ifndef POND_IO_INTERNAL_H
#define POND_IO_INTERNAL_H

#include <stdio.h>

#include "pond/io.h"

/* ---- the libcurl transport (http.c) ---- */

/* A libcurl easy handle kept between requests (connection reuse). */
typedef struct pond_io_http_client pond__curl;
pond__curl *pond__curl_new(long connect_timeout_ms, long stall_timeout_ms);
void pond__curl_free(pond__curl **curl);
/* A pond_io_http_send_fn over the handle (payload: the pond__curl). */
int pond__curl_send(void *payload, const pond_io_http_request *req, pond_io_http_response *resp,
                    pond_io_http_failure *fail, pond_error *err);
void pond__io_http_response_reset(pond_io_http_response *resp);

/* ---- AWS config and credentials files (ini.c) ---- */

/* One key of a profile: "region", or "s3.addressing_style" for a nested
 * value. */
typedef struct pond__ini_entry {
	char *section;  /* as written between brackets, trimmed */
	char *key;      /* lower case */
	char *value;    /* trimmed */
} pond__ini_entry;

typedef struct pond__ini {
	pond__ini_entry *entries;
	size_t n;
	char **sections;   /* every section header, even an empty one */
	size_t nsections;
} pond__ini;

/* Parses an AWS-style INI text (in arena). Bad lines are POND_EINVAL naming
 * path:line. */
int pond__ini_parse(pond__ini *out, const char *text, size_t len, const char *path, pond_arena *arena,
                    pond_error *err);
/* The value of key in section, or NULL. */
const char *pond__ini_get(const pond__ini *ini, const char *section, const char *key);
bool pond__ini_has_section(const pond__ini *ini, const char *section);

/* ---- S3 XML documents (s3_xml.c) ---- */

/* <Error><Code>..</Code><Message>..</Message></Error>: code and message
 * copied into the buffers (empty when absent); false when the body is no
 * such document. */
bool pond__s3_xml_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                        size_t message_cap);

typedef struct pond__s3_list_page {
	pond_s3_object *objects;   /* in arena */
	size_t n;
	const char **prefixes;     /* CommonPrefixes (a listing with a delimiter), in arena */
	size_t nprefixes;
	bool truncated;
	const char *next_token;    /* NULL when not truncated */
} pond__s3_list_page;

/* A ListObjectsV2 result page, into arena. */
int pond__s3_xml_list(pond__s3_list_page *out, const char *body, size_t len, pond_arena *arena, pond_error *err);
/* The UploadId of an InitiateMultipartUploadResult, into arena. */
int pond__s3_xml_upload_id(char **out, const char *body, size_t len, pond_arena *arena, pond_error *err);
/* A DeleteResult: the first <Error> entry's key, code and message (into
 * arena), *failed false when every key was deleted. */
int pond__s3_xml_delete_result(bool *failed, char **key, char **code, char **message, const char *body,
                               size_t len, pond_arena *arena, pond_error *err);
/* Whether a 200 body is an <Error> (CompleteMultipartUpload can fail after
 * its 200 status line went out). */
bool pond__s3_xml_is_error(const char *body, size_t len);
/* Appends s as XML character data (a key, a quoted ETag). */
void pond__s3_xml_escape(pond_buf *b, const char *s);
/* Parses an ISO-8601 "2009-10-12T17:50:30.000Z" into ms since the epoch;
 * 0 when it is not one. */
int64_t pond__s3_parse_time(const char *s);

/* ---- the client's requests (s3.c) ---- */

/* One S3 request before signing. */
typedef struct pond__s3_req {
	const char *method;
	const char *bucket;        /* NULL: the service */
	const char *key;           /* NULL or "": the bucket */
	const pond_sigv4_pair *query;
	size_t nquery;
	const char *const *headers;/* extra "Name: value" lines, signed too */
	size_t nheaders;
	const void *body;          /* memory body (hash signed) */
	size_t body_len;
	int body_fd;               /* or a file range (UNSIGNED-PAYLOAD) */
	int64_t body_offset;
	int64_t body_fd_len;
	const char *what;          /* "get", "put", ... for messages */
	/* Where the response body goes: memory up to max_len, or fd. */
	size_t max_len;
	int out_fd;
	int64_t out_offset;        /* a retry truncates out_fd back to this */
} pond__s3_req;

#define POND__S3_REQ_INIT {NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, -1, 0, 0, NULL, (size_t)1 << 20, -1, 0}

/* Sends the call with retries; on a 2xx fills resp (caller disposes with
 * pond__io_http_response_dispose). Any other status is an error naming
 * s3://bucket/key and the S3 error code and message; 404 is POND_ENOTFOUND,
 * 412 POND_EEXISTS. */
int pond__s3_call(pond_s3_client *c, const pond__s3_req *call, pond_io_http_response *resp, pond_error *err);
void pond__io_http_response_dispose(pond_io_http_response *resp);
/* Sets an error for a 2xx response whose body says it failed. */
int pond__s3_fail(pond_error *err, const pond__s3_req *call, long status, const char *body, size_t len);
/* The client's multipart part size and threshold. */
int64_t pond__s3_part_size(const pond_s3_client *c);
int64_t pond__s3_multipart_threshold(const pond_s3_client *c);
int pond__s3_list_page_size(const pond_s3_client *c);

/* Multipart upload of fd (s3_multipart.c). */
int pond__s3_put_multipart(pond_s3_client *c, const char *bucket, const char *key, int fd, int64_t size,
                           const pond_s3_put_options *opts, pond_error *err);

#endif
