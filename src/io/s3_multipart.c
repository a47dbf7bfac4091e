/*
 * Multipart upload of a local file: CreateMultipartUpload, one UploadPart
 * per part (each retried on its own by pond__s3_req), then
 * CompleteMultipartUpload with every part's ETag. S3 shows the object only
 * when the upload completes, so a failure at any step leaves no object;
 * the upload is then aborted so its parts do not linger (and bill).
 * CompleteMultipartUpload can fail after its 200 status line: the body is
 * checked for an <Error> too.
 */
#include "io/io_internal.h"

#include <inttypes.h>
#include <string.h>

typedef struct {
	pond_s3_client *c;
	const char *bucket;
	const char *key;
	char *upload_id;
	pond_arena *arena;
} upload;

/* A request about the upload's object: method, one or two query
 * parameters and what it is called in messages. */
static pond__s3_req upload_req(const upload *u, const char *method, const pond_sigv4_pair *query, size_t nquery,
                               const char *what)
{
	pond__s3_req call = POND__S3_REQ_INIT;
	call.method = method;
	call.bucket = u->bucket;
	call.key = u->key;
	call.query = query;
	call.nquery = nquery;
	call.what = what;
	return call;
}

static int initiate(upload *u, const pond_s3_put_options *opts, pond_error *err)
{
	char content_type[256];
	snprintf(content_type, sizeof content_type, "Content-Type: %s",
	         opts && opts->content_type ? opts->content_type : "application/octet-stream");
	const char *headers[1] = {content_type};
	pond_sigv4_pair query[1] = {{"uploads", ""}};
	pond__s3_req call = upload_req(u, "POST", query, 1, "start a multipart upload of");
	call.headers = headers;
	call.nheaders = 1;
	call.body = "";
	pond_io_http_response resp;
	int rc = pond__s3_call(u->c, &call, &resp, err);
	if (rc)
		return rc;
	rc = pond__s3_xml_upload_id(&u->upload_id, resp.body.ptr, resp.body.len, u->arena, err);
	if (rc)
		pond_error_prefix(err, "could not start a multipart upload of s3://%s/%s", u->bucket, u->key);
	pond__io_http_response_dispose(&resp);
	return rc;
}

static int upload_part(upload *u, int number, int fd, int64_t offset, int64_t len, char **etag, pond_error *err)
{
	char num[16];
	snprintf(num, sizeof num, "%d", number);
	pond_sigv4_pair query[2] = {{"partNumber", num}, {"uploadId", u->upload_id}};
	char what[64];
	snprintf(what, sizeof what, "upload part %d of", number);
	pond__s3_req call = upload_req(u, "PUT", query, 2, what);
	call.body_fd = fd;
	call.body_offset = offset;
	call.body_fd_len = len;
	pond_io_http_response resp;
	int rc = pond__s3_call(u->c, &call, &resp, err);
	if (rc)
		return rc;
	char value[128];
	if (!pond_io_http_response_header(&resp, "ETag", value, sizeof value) || !value[0])
		rc = pond_error_set(err, POND_ECORRUPT, "could not upload part %d of s3://%s/%s: no ETag in the answer",
		                    number, u->bucket, u->key);
	else if (!(*etag = pond_arena_strdup(u->arena, value)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory uploading s3://%s/%s", u->bucket, u->key);
	pond__io_http_response_dispose(&resp);
	return rc;
}

static int complete(upload *u, char **etags, int nparts, const pond_s3_put_options *opts, pond_error *err)
{
	pond_buf body = POND_BUF_INIT;
	pond_buf_puts(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload>");
	for (int i = 0; i < nparts; i++) {
		pond_buf_printf(&body, "<Part><PartNumber>%d</PartNumber><ETag>", i + 1);
		pond__s3_xml_escape(&body, etags[i]); /* ETags are quoted */
		pond_buf_puts(&body, "</ETag></Part>");
	}
	pond_buf_puts(&body, "</CompleteMultipartUpload>");
	if (!pond_buf_ok(&body)) {
		pond_buf_dispose(&body);
		return pond_error_set(err, POND_ENOMEM, "out of memory uploading s3://%s/%s", u->bucket, u->key);
	}
	/* Create-only holds for the completion too (AWS, MinIO). */
	const char *headers[2] = {"Content-Type: application/xml", "If-None-Match: *"};
	pond_sigv4_pair query[1] = {{"uploadId", u->upload_id}};
	pond__s3_req call = upload_req(u, "POST", query, 1, "complete the upload of");
	call.headers = headers;
	call.nheaders = opts && opts->if_none_match ? 2 : 1;
	call.body = body.ptr;
	call.body_len = body.len;
	pond_io_http_response resp;
	int rc = pond__s3_call(u->c, &call, &resp, err);
	pond_buf_dispose(&body);
	if (rc)
		return rc;
	if (pond__s3_xml_is_error(resp.body.ptr, resp.body.len))
		rc = pond__s3_fail(err, &call, resp.status, resp.body.ptr, resp.body.len);
	pond__io_http_response_dispose(&resp);
	return rc;
}

/* Best effort: a failed abort leaves parts that a bucket lifecycle rule
 * (AbortIncompleteMultipartUpload) removes; the object never appears. */
static void abort_upload(upload *u)
{
	pond_sigv4_pair query[1] = {{"uploadId", u->upload_id}};
	pond__s3_req call = upload_req(u, "DELETE", query, 1, "abort the upload of");
	pond_io_http_response resp;
	pond_error err = POND_ERROR_INIT;
	if (pond__s3_call(u->c, &call, &resp, &err) == 0)
		pond__io_http_response_dispose(&resp);
	else
		pond_warn("%s", err.msg);
}

int pond__s3_put_multipart(pond_s3_client *c, const char *bucket, const char *key, int fd, int64_t size,
                           const pond_s3_put_options *opts, pond_error *err)
{
	int64_t part = pond__s3_part_size(c);
	int64_t nparts64 = (size + part - 1) / part;
	if (nparts64 > 10000)
		return pond_error_set(err, POND_ELIMIT,
		                      "cannot upload s3://%s/%s: %" PRId64 " bytes need more than 10000 parts of %" PRId64,
		                      bucket, key, size, part);
	int nparts = (int)nparts64;
	upload u = {c, bucket, key, NULL, pond_arena_new()};
	char **etags = u.arena ? pond_arena_calloc(u.arena, (size_t)(nparts ? nparts : 1), sizeof *etags) : NULL;
	if (!etags) {
		pond_arena_free(&u.arena);
		return pond_error_set(err, POND_ENOMEM, "out of memory uploading s3://%s/%s", bucket, key);
	}
	int rc = initiate(&u, opts, err);
	for (int i = 0; rc == 0 && i < nparts; i++) {
		int64_t off = (int64_t)i * part;
		int64_t len = size - off < part ? size - off : part;
		rc = upload_part(&u, i + 1, fd, off, len, &etags[i], err);
	}
	if (rc == 0)
		rc = complete(&u, etags, nparts, opts, err);
	if (rc && u.upload_id)
		abort_upload(&u);
	pond_arena_free(&u.arena);
	return rc;
}
