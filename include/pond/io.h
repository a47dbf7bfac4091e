/*
 * pond io layer: object storage under the iceberg and table layers. An S3
 * client over libcurl (GET whole and ranged, HEAD, PUT, multipart upload,
 * DELETE one and many, ListObjectsV2) with AWS Signature Version 4 signing
 * done here over OpenSSL's libcrypto, retries with exponential backoff and
 * jitter, settings and credentials resolved as the AWS CLI resolves them,
 * and a size-capped local cache of objects whose paths DuckDB can read.
 * Depends on the util layer, libcurl, libcrypto and libxml2, nothing else
 * of pond's.
 *
 * Time, sleeping, randomness and the HTTP transport itself are injectable
 * (pond_s3_client_options), so tests sign at a fixed instant, retry without
 * waiting, and fail requests on purpose.
 */
#ifndef POND_IO_H
#define POND_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pond/util.h"

/* ---- hashing ---------------------------------------------------------------- */

/* Lower-case hex SHA-256 of data (64 characters and a NUL). */
void pond_sha256_hex(char out[65], const void *data, size_t len);
/* The same of `len` bytes of file descriptor fd from `offset` (pread). */
int pond_sha256_hex_fd(char out[65], int fd, int64_t offset, int64_t len, pond_error *err);

/* ---- AWS Signature Version 4 ------------------------------------------------- */

/* A header or query parameter: name and value as sent, not encoded. */
typedef struct pond_sigv4_pair {
	const char *name;
	const char *value;
} pond_sigv4_pair;

typedef struct pond_sigv4_request {
	const char *method;            /* "GET" */
	const char *path;              /* raw, not percent-encoded: "/bucket/a b.txt" */
	const pond_sigv4_pair *query;  /* raw names and values (value "" for "?lifecycle") */
	size_t nquery;
	const pond_sigv4_pair *headers;/* what the request sends, Host included */
	size_t nheaders;
	/* Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD". NULL: of no body. */
	const char *payload_hash;
} pond_sigv4_request;

typedef struct pond_sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;    /* NULL without one */
	const char *region;           /* "us-east-1" */
	const char *service;          /* "s3" */
	/* Also sign an x-amz-content-sha256 header carrying payload_hash (S3
	 * wants it; the generic AWS test suite does not). */
	bool content_sha256_header;
} pond_sigv4_key;

/* A signature and what it was made from (the intermediate steps are kept
 * for tests and for debugging a mismatch with a server). */
typedef struct pond_sigv4_signature {
	char amz_date[17];            /* x-amz-date value: 20150830T123600Z */
	char payload_hash[65];        /* the x-amz-content-sha256 value sent */
	char signature[65];
	pond_buf authorization;       /* the Authorization header's value */
	pond_buf canonical_request;
	pond_buf string_to_sign;
	pond_buf query;               /* presigning: the whole encoded query */
} pond_sigv4_signature;

/* Signs req at `unix_s` (seconds since the epoch) for the Authorization
 * header. The request must also send the headers the signer adds to what
 * it signs: x-amz-date (out->amz_date), x-amz-security-token when the key
 * has a session token, x-amz-content-sha256 when asked. S3 rules: the path
 * is encoded once and never normalised. Dispose out with
 * pond_sigv4_signature_dispose, also after a failure. */
int pond_sigv4_sign(pond_sigv4_signature *out, const pond_sigv4_request *req, const pond_sigv4_key *key,
                    int64_t unix_s, pond_error *err);
/* Presigns req as a URL query (X-Amz-Algorithm ... X-Amz-Signature) valid
 * for expires_s seconds, in out->query; the payload is UNSIGNED-PAYLOAD
 * unless req says otherwise. */
int pond_sigv4_presign(pond_sigv4_signature *out, const pond_sigv4_request *req, const pond_sigv4_key *key,
                       int64_t unix_s, int64_t expires_s, pond_error *err);
void pond_sigv4_signature_dispose(pond_sigv4_signature *sig);
/* Appends s percent-encoded as SigV4 wants: everything but A-Z a-z 0-9
 * - . _ ~ (and '/' when keep_slash) as %XX with upper-case hex. */
void pond_sigv4_uri_encode(pond_buf *out, const char *s, bool keep_slash);

/* ---- JSON Web Tokens (jwt.c) ------------------------------------------------ */

/* A compact JWT: base64url(header_json) "." base64url(claims_json) "."
 * base64url(RS256 signature), signed with the RSA private key in pem_key
 * (PKCS#8 or PKCS#1 PEM). *out is pond_malloc'd; the caller frees it. */
int pond_jwt_sign_rs256(char **out, const char *header_json, const char *claims_json, const char *pem_key,
                        pond_error *err);

/* ---- settings and credentials ---------------------------------------------- */

/* What pond.yml may say about S3; every field is optional. Secrets are
 * never here: the *_env fields name the environment variables that hold
 * them. */
typedef struct pond_s3_settings {
	const char *endpoint;              /* http(s)://host[:port] */
	const char *region;
	const char *profile;               /* a profile of the AWS files */
	int path_style;                    /* -1 unset, 0 virtual-hosted, 1 path */
	const char *access_key_id_env;     /* e.g. "LAKE_KEY_ID" */
	const char *secret_access_key_env;
	const char *session_token_env;
} pond_s3_settings;

#define POND_S3_SETTINGS_INIT {NULL, NULL, NULL, -1, NULL, NULL, NULL}

/* Settings and credentials as resolved; owns its strings. */
typedef struct pond_s3_config {
	char *endpoint;           /* NULL: AWS, https://s3.REGION.amazonaws.com */
	char *region;             /* never NULL after resolving */
	bool path_style;
	char *access_key_id;      /* NULL: anonymous (unsigned requests) */
	char *secret_access_key;
	char *session_token;
	/* Where the credentials came from, for messages: "environment",
	 * "/home/x/.aws/credentials [default]", ... */
	char *credentials_source;
} pond_s3_config;

/* The environment as the resolver sees it: the value of name, or NULL.
 * NULL for the function means getenv. */
typedef const char *(*pond_env_fn)(const char *name, void *payload);

/* Resolves as the AWS CLI does (first found wins):
 *   credentials: the variables settings names (an error when a named one
 *     is unset), AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+
 *     AWS_SESSION_TOKEN), then the profile's keys in the shared
 *     credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials),
 *     then in the config file (AWS_CONFIG_FILE, ~/.aws/config); none at
 *     all means anonymous requests.
 *   profile: settings, AWS_PROFILE, "default".
 *   region: settings, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 *     region, "us-east-1".
 *   endpoint: settings, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
 *     profile's services section (s3 = endpoint_url), the profile's
 *     endpoint_url; none of the last four when
 *     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.
 *   addressing: settings, the profile's "s3 = addressing_style", else
 *     path-style for a custom endpoint and virtual-hosted for AWS.
 * A profile named by settings or AWS_PROFILE that no file has is an error.
 * Dispose out with pond_s3_config_dispose, also after a failure. */
int pond_s3_config_resolve(pond_s3_config *out, const pond_s3_settings *settings, pond_env_fn env,
                           void *payload, pond_error *err);
void pond_s3_config_dispose(pond_s3_config *cfg);

/* ---- HTTP transport ---------------------------------------------------------- */

/* One HTTP exchange as the S3 client asks for it. */
typedef struct pond_io_http_request {
	const char *method;
	const char *url;
	const char *const *headers;   /* "Name: value" lines */
	size_t nheaders;
	/* The body: from memory, or body_len bytes of fd from body_offset
	 * (fd >= 0). Both can be sent again for a retry. */
	const void *body;
	size_t body_len;
	int body_fd;
	int64_t body_offset;
} pond_io_http_request;

#define POND_IO_HTTP_REQUEST_INIT {NULL, NULL, NULL, 0, NULL, 0, -1, 0}

/* Where a response body goes: memory (at most max_len bytes, more fails the
 * exchange), or a file descriptor (written from its current offset). */
typedef struct pond_io_http_response {
	long status;
	pond_buf headers;             /* raw header lines of the final response */
	pond_buf body;                /* when body_fd < 0 */
	size_t max_len;
	int body_fd;
	int64_t body_written;         /* bytes written to body_fd */
} pond_io_http_response;

/* A transport failure: no complete response (connection refused or
 * dropped, timeout, a body over max_len). Retryable ones are worth trying
 * again. */
typedef struct pond_io_http_failure {
	bool retryable;
} pond_io_http_failure;

/* Sends req and fills resp (status, headers, body); 0 when a response came
 * back, whatever its status; negative with err and *fail set when none did. */
typedef int (*pond_io_http_send_fn)(void *payload, const pond_io_http_request *req, pond_io_http_response *resp,
                                 pond_io_http_failure *fail, pond_error *err);

/* A response header's value (first match, name case-insensitive), copied
 * into out (cap bytes with the NUL); false when absent. */
bool pond_io_http_response_header(const pond_io_http_response *resp, const char *name, char *out, size_t cap);

/* A libcurl HTTP client: one connection kept between requests, not
 * thread-safe (one per thread). NULL from _new when out of memory. */
typedef struct pond_io_http_client pond_io_http_client;
pond_io_http_client *pond_io_http_client_new(long connect_timeout_ms, long stall_timeout_ms);
void pond_io_http_client_free(pond_io_http_client **client);
/* A pond_io_http_send_fn; client is the pond_io_http_client. The response
 * starts zeroed with body_fd -1 (memory) and a max_len. */
int pond_io_http_client_send(void *client, const pond_io_http_request *req, pond_io_http_response *resp,
                             pond_io_http_failure *fail, pond_error *err);
/* Frees a response's buffers. */
void pond_io_http_response_dispose(pond_io_http_response *resp);

/* ---- the S3 client ------------------------------------------------------------ */

typedef struct pond_s3_client pond_s3_client;

typedef struct pond_s3_client_options {
	pond_io_http_send_fn send;        /* NULL: libcurl */
	void *send_payload;
	/* Injectable time: signing clock (seconds), backoff sleep, jitter.
	 * NULL: the wall clock, nanosleep, getrandom. */
	int64_t (*now_s)(void *payload);
	void (*sleep_ms)(int64_t ms, void *payload);
	uint64_t (*random)(void *payload);
	void *clock_payload;
	int max_attempts;              /* per request, the first one included */
	int64_t backoff_base_ms;       /* the first retry waits up to this */
	int64_t backoff_cap_ms;        /* no wait is longer */
	int64_t multipart_threshold;   /* put_file uses multipart above this */
	int64_t part_size;             /* bytes per part (S3: at least 5 MiB) */
	long connect_timeout_ms;
	long stall_timeout_ms;         /* no byte for this long fails a try */
	int list_page_size;            /* max-keys; 0: the server's (1000) */
	/* Send x-amz-request-payer: requester (signed) with every request:
	 * a requester-pays bucket refuses requests without it. */
	bool requester_pays;
} pond_s3_client_options;

#define POND_S3_CLIENT_OPTIONS_INIT                                                          \
	{NULL, NULL, NULL, NULL, NULL, NULL, 6, 100, 10000, (int64_t)64 << 20, (int64_t)16 << 20, \
	 10000, 60000, 0, false}

/* A client for one resolved configuration (copied). Requests from several
 * threads take turns. Free with pond_s3_client_free. */
int pond_s3_client_new(pond_s3_client **out, const pond_s3_config *cfg, const pond_s3_client_options *opts,
                       pond_error *err);
void pond_s3_client_free(pond_s3_client **client);
/* Another client with c's configuration and options and a connection of
 * its own: for requests from several threads at once (a client takes one
 * request at a time). */
int pond_s3_client_dup(pond_s3_client **out, const pond_s3_client *c, pond_error *err);
/* Requests made and retries taken since the client was made (for tests and
 * progress). */
void pond_s3_client_counts(const pond_s3_client *client, int64_t *requests, int64_t *retries);

/* Splits "s3://bucket/key" (also s3a:// and s3n://) into bucket and key,
 * each allocated in arena; the key may be "" (the bucket itself). */
int pond_s3_url_split(const char *url, char **bucket, char **key, pond_arena *arena, pond_error *err);
/* True for an s3://, s3a:// or s3n:// URL. */
bool pond_s3_is_url(const char *path);

typedef struct pond_s3_object_info {
	int64_t size;
	char etag[80];
	int64_t last_modified_ms;     /* 0 when unknown */
} pond_s3_object_info;

/* GET: the whole object (length < 0) or `length` bytes from `offset`,
 * NUL-terminated (*len without it), refused over max_len. Caller frees
 * *out with pond_free. A missing object is POND_ENOTFOUND. */
int pond_s3_get(pond_s3_client *c, const char *bucket, const char *key, int64_t offset, int64_t length,
                char **out, size_t *len, size_t max_len, pond_error *err);
/* GET the whole object into fd (truncated and rewritten on a retry);
 * *size gets its length. */
int pond_s3_get_to_fd(pond_s3_client *c, const char *bucket, const char *key, int fd, int64_t *size,
                      pond_error *err);
/* HEAD: size and etag. A missing object is POND_ENOTFOUND. */
int pond_s3_head(pond_s3_client *c, const char *bucket, const char *key, pond_s3_object_info *out,
                 pond_error *err);

typedef struct pond_s3_put_options {
	const char *content_type;     /* NULL: application/octet-stream */
	/* Create only: send If-None-Match: * so a server that supports
	 * conditional writes (AWS, MinIO) refuses to replace an object,
	 * which is POND_EEXISTS. A server that ignores it replaces. */
	bool if_none_match;
} pond_s3_put_options;

#define POND_S3_PUT_OPTIONS_INIT {NULL, false}

/* PUT from memory (one request; S3 makes it visible whole or not at all). */
int pond_s3_put(pond_s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                const pond_s3_put_options *opts, pond_error *err);
/* PUT `size` bytes of fd from its start: one request up to the client's
 * multipart threshold, a multipart upload above it (aborted on failure, so
 * no object and no stray parts are left). */
int pond_s3_put_fd(pond_s3_client *c, const char *bucket, const char *key, int fd, int64_t size,
                   const pond_s3_put_options *opts, pond_error *err);
/* DELETE one object; deleting a missing one succeeds (as S3 does). */
int pond_s3_delete(pond_s3_client *c, const char *bucket, const char *key, pond_error *err);
/* Deletes many (DeleteObjects, 1000 keys a request). Fails naming the
 * first key the server refused; the others are gone. */
int pond_s3_delete_many(pond_s3_client *c, const char *bucket, const char *const *keys, size_t n,
                        pond_error *err);

/* One object of a listing; borrowed for the callback's duration. */
typedef struct pond_s3_object {
	const char *key;
	int64_t size;
	const char *etag;
	int64_t last_modified_ms;
} pond_s3_object;

typedef int (*pond_s3_list_fn)(const pond_s3_object *object, void *payload);

/* Lists every object whose key starts with prefix (ListObjectsV2, page
 * after page), calling fn in key order; a non-zero return from fn stops
 * the listing and is returned. */
int pond_s3_list(pond_s3_client *c, const char *bucket, const char *prefix, pond_s3_list_fn fn, void *payload,
                 pond_error *err);
/* A common prefix of a listing with a delimiter ("000000000012/"); borrowed
 * for the callback's duration. */
typedef int (*pond_s3_prefix_fn)(const char *prefix, void *payload);

typedef struct pond_s3_list_options {
	const char *prefix;         /* NULL or "": every key */
	/* NULL: none. "/": the keys that have it after prefix are rolled up
	 * into one common prefix each ("a/b/" for a/b/c and a/b/d), given to
	 * on_prefix instead of fn. */
	const char *delimiter;
	const char *start_after;    /* NULL: from the first key; else keys after this one (not itself) */
	pond_s3_prefix_fn on_prefix;   /* NULL: common prefixes are dropped */
} pond_s3_list_options;

#define POND_S3_LIST_OPTIONS_INIT {NULL, NULL, NULL, NULL}

/* pond_s3_list with a delimiter and a starting key: fn (may be NULL) for
 * objects and o->on_prefix for common prefixes, a page at a time, each
 * page's objects then its prefixes, in key order within each kind; a
 * non-zero return from either stops the listing and is returned. */
int pond_s3_list_with(pond_s3_client *c, const char *bucket, const pond_s3_list_options *o, pond_s3_list_fn fn,
                      void *payload, pond_error *err);
/* Creates a bucket (tests and set-up; an existing one of ours is fine). */
int pond_s3_create_bucket(pond_s3_client *c, const char *bucket, pond_error *err);

/* ---- the local object cache --------------------------------------------------- */

/* A folder of downloaded objects, shared by every pond process that names
 * it, capped in bytes: least recently used files go first. Objects are
 * immutable (pond never rewrites a data file), so an entry is valid for as
 * long as it stays. One cache may be used from several threads at once. */
typedef struct pond_io_cache pond_io_cache;

typedef struct pond_io_cache_options {
	int64_t max_bytes;
	/* Injectable clock for recency (milliseconds); NULL: the wall clock. */
	int64_t (*now_ms)(void *payload);
	void *clock_payload;
} pond_io_cache_options;

#define POND_IO_CACHE_OPTIONS_INIT {(int64_t)4 << 30, NULL, NULL}

int pond_io_cache_open(pond_io_cache **out, const char *dir, const pond_io_cache_options *opts, pond_error *err);
void pond_io_cache_close(pond_io_cache **cache);

/* A file of the cache, held: eviction (in any process) skips it until it
 * is released. */
typedef struct pond_io_cache_entry pond_io_cache_entry;

/* Whether the cache holds a copy of url (of expected_size bytes when that
 * is >= 0); nothing is held or fetched. */
bool pond_io_cache_has(pond_io_cache *cache, const char *url, int64_t expected_size);
/* The local copy of s3://bucket/key, downloaded through c when missing
 * (to a temporary name, then renamed: a killed download never looks
 * complete). expected_size >= 0 is checked against what is there and what
 * comes down. Release the entry with pond_io_cache_release. */
int pond_io_cache_get(pond_io_cache *cache, pond_s3_client *c, const char *url, int64_t expected_size,
                      pond_io_cache_entry **out, pond_error *err);
/* The entry's local path; borrowed until release. */
const char *pond_io_cache_entry_path(const pond_io_cache_entry *entry);
int64_t pond_io_cache_entry_size(const pond_io_cache_entry *entry);
/* Whether the entry came from the cache (false: it was downloaded now). */
bool pond_io_cache_entry_hit(const pond_io_cache_entry *entry);
void pond_io_cache_release(pond_io_cache_entry **entry);
/* Makes the local file at path the cached copy of url (renamed into the
 * cache: an upload's staged file, so that reading what was just written
 * downloads nothing). *taken false when it could not be moved (another
 * file system, or url is cached already): path is then left as it was. */
int pond_io_cache_put(pond_io_cache *cache, const char *url, const char *path, bool *taken, pond_error *err);
/* Removes least recently used files until the cache holds at most
 * max_bytes (held files stay); *bytes gets what remains. */
int pond_io_cache_evict(pond_io_cache *cache, int64_t *bytes, pond_error *err);

#endif
