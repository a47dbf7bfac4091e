/*
 * The S3 operations pond uses, each one request (or a page loop) through
 * pond__s3_req: GET whole, ranged or into a file, HEAD, PUT from memory
 * or a file, DELETE one and many (DeleteObjects, with the Content-MD5 it
 * requires), ListObjectsV2 with continuation tokens, and CreateBucket.
 */
#include "io/io_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

bool pond_s3_is_url(const char *path)
{
	return path && (strncmp(path, "s3://", 5) == 0 || strncmp(path, "s3a://", 6) == 0 ||
	                strncmp(path, "s3n://", 6) == 0);
}

int pond_s3_url_split(const char *url, char **bucket, char **key, pond_arena *arena, pond_error *err)
{
	if (!pond_s3_is_url(url))
		return pond_error_set(err, POND_EINVAL, "\"%s\" is not an s3:// URL", url);
	const char *b = strstr(url, "://") + 3;
	const char *slash = strchr(b, '/');
	size_t blen = slash ? (size_t)(slash - b) : strlen(b);
	if (blen == 0)
		return pond_error_set(err, POND_EINVAL, "\"%s\" names no bucket", url);
	*bucket = pond_arena_strndup(arena, b, blen);
	*key = pond_arena_strdup(arena, slash ? slash + 1 : "");
	if (!*bucket || !*key)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading %s", url);
	return 0;
}

/* A request about one object (or, with key "", its bucket). */
static pond__s3_req object_req(const char *method, const char *bucket, const char *key, const char *what)
{
	pond__s3_req call = POND__S3_REQ_INIT;
	call.method = method;
	call.bucket = bucket;
	call.key = key;
	call.what = what;
	return call;
}

static int oom(pond_error *err, const char *what, const char *bucket, const char *key)
{
	return pond_error_set(err, POND_ENOMEM, "out of memory: %s s3://%s/%s", what, bucket, key ? key : "");
}

int pond_s3_get(pond_s3_client *c, const char *bucket, const char *key, int64_t offset, int64_t length,
                char **out, size_t *len, size_t max_len, pond_error *err)
{
	char range[80];
	const char *headers[1] = {range};
	pond__s3_req call = object_req("GET", bucket, key, "get");
	/* A server that ignores Range sends the whole object, which max_len
	 * then bounds too. */
	call.max_len = max_len;
	bool ranged = length >= 0;
	if (ranged) {
		if (length == 0 || offset < 0)
			return pond_error_set(err, POND_EINVAL, "cannot get %" PRId64 " bytes at %" PRId64 " of s3://%s/%s",
			                      length, offset, bucket, key);
		snprintf(range, sizeof range, "Range: bytes=%" PRId64 "-%" PRId64, offset, offset + length - 1);
		call.headers = headers;
		call.nheaders = 1;
	}
	pond_io_http_response resp;
	int rc = pond__s3_call(c, &call, &resp, err);
	if (rc)
		return rc;
	size_t start = 0, n = resp.body.len;
	if (ranged && resp.status == 200) {
		/* The whole object came back: cut the range out of it. */
		start = (size_t)offset < n ? (size_t)offset : n;
		n = n - start < (size_t)length ? n - start : (size_t)length;
	}
	if (start > 0)
		memmove(resp.body.ptr, resp.body.ptr + start, n);
	if (resp.body.ptr)
		resp.body.ptr[n] = '\0';
	resp.body.len = n;
	/* The response's memory is the caller's: no second copy of a large
	 * object. */
	char *data = pond_buf_detach(&resp.body);
	pond__io_http_response_dispose(&resp);
	if (!data)
		return oom(err, "reading", bucket, key);
	*out = data;
	*len = n;
	return 0;
}

int pond_s3_get_to_fd(pond_s3_client *c, const char *bucket, const char *key, int fd, int64_t *size,
                      pond_error *err)
{
	pond__s3_req call = object_req("GET", bucket, key, "get");
	call.out_fd = fd;
	call.out_offset = 0;
	pond_io_http_response resp;
	int rc = pond__s3_call(c, &call, &resp, err);
	if (rc)
		return rc;
	*size = resp.body_written;
	pond__io_http_response_dispose(&resp);
	return 0;
}

int pond_s3_head(pond_s3_client *c, const char *bucket, const char *key, pond_s3_object_info *out,
                 pond_error *err)
{
	pond__s3_req call = object_req("HEAD", bucket, key, "stat");
	pond_io_http_response resp;
	memset(out, 0, sizeof *out);
	int rc = pond__s3_call(c, &call, &resp, err);
	if (rc)
		return rc;
	char value[128];
	if (!pond_io_http_response_header(&resp, "Content-Length", value, sizeof value) ||
	    !pond_str_to_i64(value, &out->size) || out->size < 0)
		rc = pond_error_set(err, POND_ECORRUPT, "could not stat s3://%s/%s: no valid Content-Length", bucket,
		                    key);
	pond_io_http_response_header(&resp, "ETag", out->etag, sizeof out->etag);
	pond__io_http_response_dispose(&resp);
	return rc;
}

static int put_call(pond_s3_client *c, pond__s3_req *call, const pond_s3_put_options *opts, pond_error *err)
{
	pond_s3_put_options defaults = POND_S3_PUT_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	char content_type[256];
	snprintf(content_type, sizeof content_type, "Content-Type: %s",
	         opts->content_type ? opts->content_type : "application/octet-stream");
	const char *headers[2] = {content_type, "If-None-Match: *"};
	call->method = "PUT";
	call->what = "put";
	call->headers = headers;
	call->nheaders = opts->if_none_match ? 2 : 1;
	pond_io_http_response resp;
	int rc = pond__s3_call(c, call, &resp, err);
	if (rc == 0)
		pond__io_http_response_dispose(&resp);
	return rc;
}

int pond_s3_put(pond_s3_client *c, const char *bucket, const char *key, const void *data, size_t len,
                const pond_s3_put_options *opts, pond_error *err)
{
	pond__s3_req call = POND__S3_REQ_INIT;
	call.bucket = bucket;
	call.key = key;
	/* An empty body still counts as memory (its hash is signed). */
	call.body = data ? data : "";
	call.body_len = len;
	return put_call(c, &call, opts, err);
}

int pond_s3_put_fd(pond_s3_client *c, const char *bucket, const char *key, int fd, int64_t size,
                   const pond_s3_put_options *opts, pond_error *err)
{
	if (size > pond__s3_multipart_threshold(c))
		return pond__s3_put_multipart(c, bucket, key, fd, size, opts, err);
	pond__s3_req call = POND__S3_REQ_INIT;
	call.bucket = bucket;
	call.key = key;
	call.body_fd = fd;
	call.body_offset = 0;
	call.body_fd_len = size;
	return put_call(c, &call, opts, err);
}

int pond_s3_delete(pond_s3_client *c, const char *bucket, const char *key, pond_error *err)
{
	pond__s3_req call = object_req("DELETE", bucket, key, "delete");
	pond_io_http_response resp;
	int rc = pond__s3_call(c, &call, &resp, err);
	if (rc == POND_ENOTFOUND && strstr(err->msg, "NoSuchBucket") == NULL) {
		pond_error_clear(err);
		return 0;
	}
	if (rc == 0)
		pond__io_http_response_dispose(&resp);
	return rc;
}

/* One DeleteObjects request of up to 1000 keys. */
static int delete_batch(pond_s3_client *c, const char *bucket, const char *const *keys, size_t n, pond_error *err)
{
	pond_buf body = POND_BUF_INIT, md5 = POND_BUF_INIT;
	pond_buf_puts(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>");
	for (size_t i = 0; i < n; i++) {
		pond_buf_puts(&body, "<Object><Key>");
		pond__s3_xml_escape(&body, keys[i]);
		pond_buf_puts(&body, "</Key></Object>");
	}
	pond_buf_puts(&body, "</Delete>");
	unsigned char digest[16];
	unsigned int dlen = 0;
	EVP_Digest(body.ptr, body.len, digest, &dlen, EVP_md5(), NULL);
	pond_buf_puts(&md5, "Content-MD5: ");
	pond_base64_encode(&md5, digest, 16);
	if (!pond_buf_ok(&body) || !pond_buf_ok(&md5)) {
		pond_buf_dispose(&body);
		pond_buf_dispose(&md5);
		return oom(err, "deleting from", bucket, "");
	}
	const char *headers[2] = {"Content-Type: application/xml", pond_buf_cstr(&md5)};
	pond_sigv4_pair query[1] = {{"delete", ""}};
	pond__s3_req call = POND__S3_REQ_INIT;
	call.method = "POST";
	call.bucket = bucket;
	call.key = "";
	call.query = query;
	call.nquery = 1;
	call.headers = headers;
	call.nheaders = 2;
	call.body = body.ptr;
	call.body_len = body.len;
	call.what = "delete objects of";
	pond_io_http_response resp;
	int rc = pond__s3_call(c, &call, &resp, err);
	pond_buf_dispose(&body);
	pond_buf_dispose(&md5);
	if (rc)
		return rc;
	pond_arena *arena = pond_arena_new();
	bool failed = false;
	char *key = NULL, *code = NULL, *message = NULL;
	if (!arena)
		rc = oom(err, "deleting from", bucket, "");
	else
		rc = pond__s3_xml_delete_result(&failed, &key, &code, &message, resp.body.ptr, resp.body.len, arena, err);
	if (rc == 0 && failed)
		rc = pond_error_set(err, POND_EIO, "could not delete s3://%s/%s: %s: %s", bucket, key ? key : "?",
		                    code ? code : "error", message ? message : "");
	else if (rc)
		pond_error_prefix(err, "could not delete objects of s3://%s", bucket);
	pond_arena_free(&arena);
	pond__io_http_response_dispose(&resp);
	return rc;
}

int pond_s3_delete_many(pond_s3_client *c, const char *bucket, const char *const *keys, size_t n,
                        pond_error *err)
{
	int first = 0;
	pond_error batch_err = POND_ERROR_INIT;
	for (size_t i = 0; i < n; i += 1000) {
		size_t m = n - i < 1000 ? n - i : 1000;
		int rc = delete_batch(c, bucket, keys + i, m, &batch_err);
		/* Later batches still go: report the first failure. */
		if (rc && !first) {
			first = rc;
			*err = batch_err;
		}
	}
	return first;
}

/* One page of a listing. */
static int list_page(pond_s3_client *c, const char *bucket, const pond_s3_list_options *o, const char *token,
                     pond__s3_list_page *page, pond_arena *arena, pond_error *err)
{
	const char *prefix = o->prefix ? o->prefix : "";
	pond_sigv4_pair query[7] = {{"list-type", "2"}, {"prefix", prefix}, {"encoding-type", "url"}};
	size_t nq = 3;
	char max_keys[16];
	if (pond__s3_list_page_size(c) > 0) {
		snprintf(max_keys, sizeof max_keys, "%d", pond__s3_list_page_size(c));
		query[nq++] = (pond_sigv4_pair){"max-keys", max_keys};
	}
	if (o->delimiter)
		query[nq++] = (pond_sigv4_pair){"delimiter", o->delimiter};
	/* S3 ignores start-after once a continuation token says where to go on. */
	if (o->start_after && !token)
		query[nq++] = (pond_sigv4_pair){"start-after", o->start_after};
	if (token)
		query[nq++] = (pond_sigv4_pair){"continuation-token", token};
	pond__s3_req call = POND__S3_REQ_INIT;
	call.method = "GET";
	call.bucket = bucket;
	call.key = "";
	call.query = query;
	call.nquery = nq;
	call.what = "list";
	call.max_len = (size_t)64 << 20;
	pond_io_http_response resp;
	int rc = pond__s3_call(c, &call, &resp, err);
	if (rc)
		return rc;
	rc = pond__s3_xml_list(page, resp.body.ptr, resp.body.len, arena, err);
	if (rc)
		pond_error_prefix(err, "could not list s3://%s/%s", bucket, prefix);
	pond__io_http_response_dispose(&resp);
	return rc;
}

int pond_s3_list_with(pond_s3_client *c, const char *bucket, const pond_s3_list_options *o, pond_s3_list_fn fn,
                      void *payload, pond_error *err)
{
	const char *prefix = o->prefix ? o->prefix : "";
	pond_arena *arena = pond_arena_new(), *next = pond_arena_new();
	char *token = NULL;
	int rc = arena && next ? 0 : oom(err, "listing", bucket, prefix);
	while (rc == 0) {
		pond__s3_list_page page;
		pond_arena_reset(arena);
		if ((rc = list_page(c, bucket, o, token, &page, arena, err)))
			break;
		for (size_t i = 0; i < page.n && rc == 0 && fn; i++)
			rc = fn(&page.objects[i], payload);
		for (size_t i = 0; i < page.nprefixes && rc == 0 && o->on_prefix; i++)
			rc = o->on_prefix(page.prefixes[i], payload);
		if (rc || !page.truncated)
			break;
		/* The token must outlive the page arena's reset; the one it
		 * replaces was used for the page just read. */
		pond_arena_reset(next);
		token = pond_arena_strdup(next, page.next_token);
		if (!token)
			rc = oom(err, "listing", bucket, prefix);
	}
	pond_arena_free(&arena);
	pond_arena_free(&next);
	return rc;
}

int pond_s3_list(pond_s3_client *c, const char *bucket, const char *prefix, pond_s3_list_fn fn, void *payload,
                 pond_error *err)
{
	pond_s3_list_options o = POND_S3_LIST_OPTIONS_INIT;
	o.prefix = prefix;
	return pond_s3_list_with(c, bucket, &o, fn, payload, err);
}

int pond_s3_create_bucket(pond_s3_client *c, const char *bucket, pond_error *err)
{
	pond__s3_req call = POND__S3_REQ_INIT;
	call.method = "PUT";
	call.bucket = bucket;
	call.key = "";
	call.what = "create bucket";
	call.body = "";
	call.body_len = 0;
	pond_io_http_response resp;
	int rc = pond__s3_call(c, &call, &resp, err);
	if (rc == POND_EIO && strstr(err->msg, "BucketAlreadyOwnedByYou")) {
		pond_error_clear(err);
		return 0;
	}
	if (rc == 0)
		pond__io_http_response_dispose(&resp);
	return rc;
}
