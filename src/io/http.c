/*
 * The io layer's HTTP transport over one libcurl easy handle (kept between
 * requests so the connection is reused): bodies from memory or a file
 * range, responses into memory (capped) or a file descriptor, and the
 * failures that are worth a retry (a refused, dropped or stalled
 * connection) told apart from those that are not (a malformed URL, a bad
 * certificate). Retrying itself is the S3 client's (s3.c).
 */
#include "io/io_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Enough for any S3 <Error> document; the rest of a larger one is dropped. */
#define ERROR_BODY_MAX ((size_t)64 << 10)

struct pond_io_http_client {
	CURL *easy;
	long connect_timeout_ms;
	long stall_timeout_ms;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

pond__curl *pond__curl_new(long connect_timeout_ms, long stall_timeout_ms)
{
	pthread_once(&curl_once, curl_init);
	pond__curl *c = pond_calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->easy = curl_easy_init();
	if (!c->easy) {
		pond_free(c);
		return NULL;
	}
	c->connect_timeout_ms = connect_timeout_ms;
	c->stall_timeout_ms = stall_timeout_ms;
	return c;
}

void pond__curl_free(pond__curl **curl)
{
	if (!curl || !*curl)
		return;
	curl_easy_cleanup((*curl)->easy);
	pond_free(*curl);
	*curl = NULL;
}

void pond__io_http_response_reset(pond_io_http_response *resp)
{
	resp->status = 0;
	pond_buf_clear(&resp->headers);
	pond_buf_clear(&resp->body);
	resp->body_written = 0;
}

void pond__io_http_response_dispose(pond_io_http_response *resp)
{
	pond_buf_dispose(&resp->headers);
	pond_buf_dispose(&resp->body);
}

bool pond_io_http_response_header(const pond_io_http_response *resp, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = pond_buf_cstr(&resp->headers);
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1, *end = p + len;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == '\r' || end[-1] == ' '))
				end--;
			snprintf(out, cap, "%.*s", (int)(end - v), v);
			return true;
		}
		p += len + (eol ? 1 : 0);
	}
	return false;
}

/* ---- libcurl callbacks ---- */

typedef struct {
	const pond_io_http_request *req;
	pond_io_http_response *resp;
	size_t sent;              /* body bytes handed to curl */
	long status;              /* of the status line seen last */
	bool over_limit;
	int write_errno;
} transfer;

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	transfer *t = userdata;
	size_t want = size * nitems;
	size_t left = t->req->body_len - t->sent;
	if (want > left)
		want = left;
	if (want == 0)
		return 0;
	if (t->req->body_fd >= 0) {
		ssize_t n;
		do
			n = pread(t->req->body_fd, buf, want, (off_t)(t->req->body_offset + (int64_t)t->sent));
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return CURL_READFUNC_ABORT;
		want = (size_t)n;
	} else {
		memcpy(buf, (const char *)t->req->body + t->sent, want);
	}
	t->sent += want;
	return want;
}

/* curl may rewind the body (a redirect, a reused connection that closed). */
static int on_seek(void *userdata, curl_off_t offset, int origin)
{
	transfer *t = userdata;
	if (origin != SEEK_SET || offset < 0 || (size_t)offset > t->req->body_len)
		return CURL_SEEKFUNC_CANTSEEK;
	t->sent = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	transfer *t = userdata;
	size_t n = size * nmemb;
	pond_io_http_response *r = t->resp;
	/* An error's body (an S3 <Error> document) goes to memory whatever
	 * the caller's limit or file: it is what the message is made of. */
	if (t->status >= 300) {
		if (r->body.len + n > ERROR_BODY_MAX)
			return n;
		pond_buf_put(&r->body, data, n);
		return pond_buf_ok(&r->body) ? n : 0;
	}
	if (r->body_fd >= 0) {
		size_t done = 0;
		while (done < n) {
			ssize_t w = write(r->body_fd, data + done, n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				t->write_errno = w < 0 ? errno : EIO;
				return 0;
			}
			done += (size_t)w;
		}
		r->body_written += (int64_t)n;
		return n;
	}
	if (r->body.len + n > r->max_len) {
		t->over_limit = true;
		return 0;
	}
	pond_buf_put(&r->body, data, n);
	return pond_buf_ok(&r->body) ? n : 0;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userdata)
{
	transfer *t = userdata;
	size_t n = size * nitems;
	/* A new status line (after a 100 Continue) starts the headers over. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		pond_buf_clear(&t->resp->headers);
		const char *sp = memchr(data, ' ', n);
		t->status = sp ? strtol(sp + 1, NULL, 10) : 0;
	}
	pond_buf_put(&t->resp->headers, data, n);
	return n;
}

static bool retryable(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static void set_method(CURL *e, const pond_io_http_request *req, transfer *t)
{
	bool has_body = req->body || req->body_fd >= 0;
	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "PUT") == 0) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has_body ? req->body_len : 0));
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
	curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(e, CURLOPT_READDATA, t);
	curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(e, CURLOPT_SEEKDATA, t);
}

int pond__curl_send(void *payload, const pond_io_http_request *req, pond_io_http_response *resp,
                    pond_io_http_failure *fail, pond_error *err)
{
	pond__curl *c = payload;
	CURL *e = c->easy;
	curl_easy_reset(e);
	transfer t = {.req = req, .resp = resp};
	struct curl_slist *headers = NULL;
	for (size_t i = 0; i < req->nheaders; i++)
		headers = curl_slist_append(headers, req->headers[i]);
	/* No "Expect: 100-continue" round trip before each body. */
	headers = curl_slist_append(headers, "Expect:");
	if (!strcmp(req->method, "POST") || !strcmp(req->method, "PUT"))
		headers = curl_slist_append(headers, "Transfer-Encoding:");
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	/* A stall, not a slow transfer, fails a try: under 1 byte/s for the
	 * stall time. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (c->stall_timeout_ms + 999) / 1000);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	set_method(e, req, &t);
	CURLcode code = curl_easy_perform(e);
	curl_slist_free_all(headers);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
	if (code == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &resp->status);
		if (!pond_buf_ok(&resp->body) || !pond_buf_ok(&resp->headers)) {
			fail->retryable = false;
			return pond_error_set(err, POND_ENOMEM, "out of memory reading a response");
		}
		return 0;
	}
	fail->retryable = retryable(code);
	if (t.over_limit)
		return pond_error_set(err, POND_ELIMIT, "response body over the limit of %zu bytes", resp->max_len);
	if (t.write_errno)
		return pond_error_set(err, POND_EIO, "could not write the response body: %s", strerror(t.write_errno));
	return pond_error_set(err, POND_EIO, "%s", errbuf[0] ? errbuf : curl_easy_strerror(code));
}

/* ---- the public client: the same handle ---- */

pond_io_http_client *pond_io_http_client_new(long connect_timeout_ms, long stall_timeout_ms)
{
	return pond__curl_new(connect_timeout_ms, stall_timeout_ms);
}

void pond_io_http_client_free(pond_io_http_client **client)
{
	pond__curl_free(client);
}

int pond_io_http_client_send(void *client, const pond_io_http_request *req, pond_io_http_response *resp,
                             pond_io_http_failure *fail, pond_error *err)
{
	return pond__curl_send(client, req, resp, fail, err);
}

void pond_io_http_response_dispose(pond_io_http_response *resp)
{
	pond__io_http_response_dispose(resp);
}
