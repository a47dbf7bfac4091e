/*
 * The S3 client's request machinery: addressing (path-style or
 * virtual-hosted, custom endpoints), signing each try afresh with SigV4,
 * and retrying what S3 says may work next time (5xx, 503 SlowDown,
 * RequestTimeout, a refused or dropped connection) with exponential
 * backoff and full jitter. Errors name s3://bucket/key and S3's own code
 * and message. The operations themselves are s3_ops.c and s3_multipart.c.
 */
#include "io/io_internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct pond_s3_client {
	pond_s3_config cfg;
	pond_s3_client_options opts;
	char *scheme;      /* "https" */
	char *authority;   /* "s3.us-east-1.amazonaws.com", "127.0.0.1:9000" */
	pond__curl *curl;
	pthread_mutex_t lock;
	int64_t requests, retries;
};

static int64_t wall_now_s(void *payload)
{
	(void)payload;
	return (int64_t)time(NULL);
}

static void real_sleep_ms(int64_t ms, void *payload)
{
	(void)payload;
	pond_time_sleep_ms(ms);
}

static uint64_t real_random(void *payload)
{
	(void)payload;
	uint64_t v;
	pond_random_bytes(&v, sizeof v);
	return v;
}

static int copy_config(pond_s3_config *dst, const pond_s3_config *src)
{
	memset(dst, 0, sizeof *dst);
#define COPY(f)                                                  \
	if (src->f && !(dst->f = pond_strdup(src->f)))           \
		return POND_ENOMEM;
	COPY(endpoint)
	COPY(region)
	COPY(access_key_id)
	COPY(secret_access_key)
	COPY(session_token)
	COPY(credentials_source)
#undef COPY
	dst->path_style = src->path_style;
	return 0;
}

/* Splits the endpoint into scheme and authority (host[:port]); a path
 * after the authority is not supported. */
static int split_endpoint(pond_s3_client *c, pond_error *err)
{
	char *dflt = NULL;
	const char *ep = c->cfg.endpoint;
	if (!ep) {
		dflt = pond_malloc(strlen(c->cfg.region) + 40);
		if (!dflt)
			return pond_error_set(err, POND_ENOMEM, "out of memory creating an S3 client");
		sprintf(dflt, "https://s3.%s.amazonaws.com", c->cfg.region);
		ep = dflt;
	}
	const char *sep = strstr(ep, "://");
	int rc = 0;
	if (!sep || sep[3] == '\0' || strchr(sep + 3, '/') || strchr(sep + 3, '?') || strchr(sep + 3, '@')) {
		rc = pond_error_set(err, POND_EINVAL, "S3 endpoint \"%s\" is not scheme://host[:port]", ep);
	} else {
		c->scheme = pond_strndup(ep, (size_t)(sep - ep));
		c->authority = pond_strdup(sep + 3);
		if (!c->scheme || !c->authority)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory creating an S3 client");
	}
	pond_free(dflt);
	return rc;
}

int pond_s3_client_new(pond_s3_client **out, const pond_s3_config *cfg, const pond_s3_client_options *opts,
                       pond_error *err)
{
	pond_s3_client_options defaults = POND_S3_CLIENT_OPTIONS_INIT;
	*out = NULL;
	if (!cfg->region)
		return pond_error_set(err, POND_EINVAL, "an S3 client needs a region");
	pond_s3_client *c = pond_calloc(1, sizeof *c);
	if (!c)
		return pond_error_set(err, POND_ENOMEM, "out of memory creating an S3 client");
	pthread_mutex_init(&c->lock, NULL);
	c->opts = opts ? *opts : defaults;
	if (c->opts.max_attempts < 1)
		c->opts.max_attempts = 1;
	if (c->opts.part_size < 1)
		c->opts.part_size = defaults.part_size;
	if (!c->opts.now_s)
		c->opts.now_s = wall_now_s;
	if (!c->opts.sleep_ms)
		c->opts.sleep_ms = real_sleep_ms;
	if (!c->opts.random)
		c->opts.random = real_random;
	int rc = copy_config(&c->cfg, cfg) ? pond_error_set(err, POND_ENOMEM, "out of memory creating an S3 client")
	                                   : split_endpoint(c, err);
	if (rc == 0 && !c->opts.send) {
		c->curl = pond__curl_new(c->opts.connect_timeout_ms, c->opts.stall_timeout_ms);
		if (!c->curl)
			rc = pond_error_set(err, POND_ENOMEM, "could not start libcurl for S3");
		c->opts.send = pond__curl_send;
		c->opts.send_payload = c->curl;
	}
	if (rc) {
		pond_s3_client_free(&c);
		return rc;
	}
	*out = c;
	return 0;
}

int pond_s3_client_dup(pond_s3_client **out, const pond_s3_client *c, pond_error *err)
{
	pond_s3_client_options o = c->opts;
	if (c->curl) {
		/* libcurl's transport: a handle of its own, not c's */
		o.send = NULL;
		o.send_payload = NULL;
	}
	return pond_s3_client_new(out, &c->cfg, &o, err);
}

void pond_s3_client_free(pond_s3_client **client)
{
	if (!client || !*client)
		return;
	pond_s3_client *c = *client;
	pond__curl_free(&c->curl);
	pond_s3_config_dispose(&c->cfg);
	pond_free(c->scheme);
	pond_free(c->authority);
	pthread_mutex_destroy(&c->lock);
	pond_free(c);
	*client = NULL;
}

void pond_s3_client_counts(const pond_s3_client *client, int64_t *requests, int64_t *retries)
{
	pond_s3_client *c = (pond_s3_client *)client;
	pthread_mutex_lock(&c->lock);
	*requests = c->requests;
	*retries = c->retries;
	pthread_mutex_unlock(&c->lock);
}

int64_t pond__s3_part_size(const pond_s3_client *c)
{
	return c->opts.part_size;
}

int64_t pond__s3_multipart_threshold(const pond_s3_client *c)
{
	return c->opts.multipart_threshold;
}

int pond__s3_list_page_size(const pond_s3_client *c)
{
	return c->opts.list_page_size;
}

/* ---- addressing ---- */

/* A bucket can be a host name: lower case, digits, hyphens (and no dots
 * over https, where a dotted name would not match the certificate). */
static bool dns_bucket(const pond_s3_client *c, const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return false;
	for (const char *p = b; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		          (*p == '.' && strcmp(c->scheme, "http") == 0);
		if (!ok)
			return false;
	}
	return true;
}

typedef struct {
	pond_buf url;
	pond_buf host;
	pond_buf path;    /* raw: what is signed, encoded into the URL */
} address;

static void build_address(address *a, const pond_s3_client *c, const pond__s3_req *call)
{
	bool virtual_host = call->bucket && !c->cfg.path_style && dns_bucket(c, call->bucket);
	if (virtual_host)
		pond_buf_printf(&a->host, "%s.%s", call->bucket, c->authority);
	else
		pond_buf_puts(&a->host, c->authority);
	/* path-style "/bucket/key" ("/bucket" alone), virtual-hosted "/key" */
	if (call->bucket && !virtual_host)
		pond_buf_printf(&a->path, "/%s", call->bucket);
	if (call->key && *call->key)
		pond_buf_printf(&a->path, "/%s", call->key);
	else if (virtual_host || !call->bucket)
		pond_buf_putc(&a->path, '/');
	pond_buf_printf(&a->url, "%s://%s", c->scheme, pond_buf_cstr(&a->host));
	pond_sigv4_uri_encode(&a->url, pond_buf_cstr(&a->path), true);
	for (size_t i = 0; i < call->nquery; i++) {
		pond_buf_putc(&a->url, i ? '&' : '?');
		pond_sigv4_uri_encode(&a->url, call->query[i].name, false);
		pond_buf_putc(&a->url, '=');
		pond_sigv4_uri_encode(&a->url, call->query[i].value ? call->query[i].value : "", false);
	}
}

static void address_dispose(address *a)
{
	pond_buf_dispose(&a->url);
	pond_buf_dispose(&a->host);
	pond_buf_dispose(&a->path);
}

/* "s3://bucket/key" for messages. */
static void object_name(pond_buf *b, const pond__s3_req *call)
{
	if (!call->bucket)
		pond_buf_puts(b, "S3");
	else
		pond_buf_printf(b, "s3://%s/%s", call->bucket, call->key ? call->key : "");
}

/* ---- one signed try ---- */

typedef struct {
	const char *lines[24];
	size_t n;
	pond_buf storage;       /* the lines' text, NUL-separated */
	size_t offsets[24];
} header_lines;

static void add_line(header_lines *h, const char *fmt, const char *a, const char *b)
{
	if (h->n >= 24)
		return;
	h->offsets[h->n++] = h->storage.len;
	pond_buf_printf(&h->storage, fmt, a, b);
	pond_buf_putc(&h->storage, '\0');
}

static void finish_lines(header_lines *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->lines[i] = h->storage.ptr + h->offsets[i];
}

/* Signs the call at the client's clock and fills the headers to send. */
static int sign_call(header_lines *h, const pond_s3_client *c, const pond__s3_req *call, const address *a,
                     const char *payload_hash, pond_error *err)
{
	add_line(h, "%s: %s", "Host", pond_buf_cstr(&a->host));
	for (size_t i = 0; i < call->nheaders; i++)
		add_line(h, "%s%s", call->headers[i], "");
	if (c->opts.requester_pays)
		add_line(h, "%s: %s", "x-amz-request-payer", "requester");
	if (!c->cfg.access_key_id) {
		finish_lines(h);
		return pond_buf_ok(&h->storage) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory signing");
	}
	pond_sigv4_pair pairs[24];
	size_t npairs = 0;
	pairs[npairs++] = (pond_sigv4_pair){"Host", pond_buf_cstr(&a->host)};
	/* Split the caller's "Name: value" lines for the signer. */
	char *copies[24] = {0};
	for (size_t i = 0; i < call->nheaders && npairs < 24; i++) {
		copies[i] = pond_strdup(call->headers[i]);
		char *colon = copies[i] ? strchr(copies[i], ':') : NULL;
		if (!colon)
			continue;
		*colon = '\0';
		pairs[npairs++] = (pond_sigv4_pair){copies[i], colon + 1};
	}
	if (c->opts.requester_pays && npairs < 24)
		pairs[npairs++] = (pond_sigv4_pair){"x-amz-request-payer", "requester"};
	pond_sigv4_request req = {call->method, pond_buf_cstr(&a->path), call->query, call->nquery, pairs, npairs,
	                          payload_hash};
	pond_sigv4_key key = {c->cfg.access_key_id, c->cfg.secret_access_key, c->cfg.session_token,
	                      c->cfg.region, "s3", true};
	pond_sigv4_signature sig;
	int rc = pond_sigv4_sign(&sig, &req, &key, c->opts.now_s(c->opts.clock_payload), err);
	if (rc == 0) {
		add_line(h, "%s: %s", "x-amz-date", sig.amz_date);
		add_line(h, "%s: %s", "x-amz-content-sha256", sig.payload_hash);
		if (c->cfg.session_token && *c->cfg.session_token)
			add_line(h, "%s: %s", "x-amz-security-token", c->cfg.session_token);
		add_line(h, "%s: %s", "Authorization", pond_buf_cstr(&sig.authorization));
		finish_lines(h);
		if (!pond_buf_ok(&h->storage))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory signing a request");
	}
	pond_sigv4_signature_dispose(&sig);
	for (size_t i = 0; i < 24; i++)
		pond_free(copies[i]);
	return rc;
}

/* ---- retries ---- */

static bool retryable_status(long status, const char *code)
{
	if (status == 500 || status == 502 || status == 503 || status == 504)
		return true;
	return strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestTimeout") == 0 ||
	       strcmp(code, "InternalError") == 0 || strcmp(code, "ServiceUnavailable") == 0;
}

/* Full jitter: a wait drawn evenly from [0, min(cap, base * 2^(try-1))]. */
static void backoff(pond_s3_client *c, int attempt)
{
	int64_t ceiling = c->opts.backoff_base_ms;
	for (int i = 1; i < attempt && ceiling < c->opts.backoff_cap_ms; i++)
		ceiling *= 2;
	if (ceiling > c->opts.backoff_cap_ms)
		ceiling = c->opts.backoff_cap_ms;
	int64_t wait = ceiling > 0 ? (int64_t)(c->opts.random(c->opts.clock_payload) % (uint64_t)(ceiling + 1)) : 0;
	c->retries++;
	c->opts.sleep_ms(wait, c->opts.clock_payload);
}

static const char *status_text(long status)
{
	switch (status) {
	case 301: return "PermanentRedirect";
	case 400: return "BadRequest";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 409: return "Conflict";
	case 412: return "PreconditionFailed";
	case 416: return "InvalidRange";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	default: return "HTTP error";
	}
}

int pond__s3_fail(pond_error *err, const pond__s3_req *call, long status, const char *body, size_t len)
{
	char code[128], message[512];
	if (!pond__s3_xml_error(body, len, code, sizeof code, message, sizeof message) || !code[0])
		snprintf(code, sizeof code, "%s", status_text(status));
	int pc = status == 404 ? POND_ENOTFOUND : status == 412 ? POND_EEXISTS : POND_EIO;
	if (strcmp(code, "NoSuchKey") == 0 || strcmp(code, "NoSuchBucket") == 0)
		pc = POND_ENOTFOUND;
	pond_buf name = POND_BUF_INIT;
	object_name(&name, call);
	pond_error_set(err, pc, "could not %s %s: %s%s%s (HTTP %ld)", call->what, pond_buf_cstr(&name), code,
	               message[0] ? ": " : "", message, status);
	pond_buf_dispose(&name);
	return pc;
}

/* Puts an output file back where it was before a try wrote to it. */
static int rewind_output(const pond__s3_req *call, pond_error *err)
{
	if (call->out_fd < 0)
		return 0;
	if (ftruncate(call->out_fd, (off_t)call->out_offset) != 0 ||
	    lseek(call->out_fd, (off_t)call->out_offset, SEEK_SET) < 0)
		return pond_error_set(err, POND_EIO, "could not rewind a download: %s", strerror(errno));
	return 0;
}

static int transport_error(pond_error *err, const pond__s3_req *call, int attempts, const char *why, int code)
{
	pond_buf name = POND_BUF_INIT;
	object_name(&name, call);
	char tries[48] = "";
	if (attempts > 1)
		snprintf(tries, sizeof tries, " (after %d attempts)", attempts);
	char msg[POND_ERROR_MSG_MAX];
	snprintf(msg, sizeof msg, "%s", why);
	pond_error_set(err, code, "could not %s %s: %s%s", call->what, pond_buf_cstr(&name), msg, tries);
	pond_buf_dispose(&name);
	return code;
}

static int try_loop(pond_s3_client *c, const pond__s3_req *call, const address *a, const char *payload_hash,
                    pond_io_http_response *resp, pond_error *err)
{
	pond_io_http_request req = POND_IO_HTTP_REQUEST_INIT;
	req.method = call->method;
	req.url = pond_buf_cstr(&a->url);
	req.body = call->body;
	req.body_len = call->body_fd >= 0 ? (size_t)call->body_fd_len : call->body_len;
	req.body_fd = call->body_fd;
	req.body_offset = call->body_offset;
	for (int attempt = 1;; attempt++) {
		header_lines h = {0};
		int rc = sign_call(&h, c, call, a, payload_hash, err);
		if (rc) {
			pond_buf_dispose(&h.storage);
			return rc;
		}
		req.headers = h.lines;
		req.nheaders = h.n;
		pond__io_http_response_reset(resp);
		if ((rc = rewind_output(call, err))) {
			pond_buf_dispose(&h.storage);
			return rc;
		}
		pond_io_http_failure fail = {false};
		pond_error terr = POND_ERROR_INIT;
		c->requests++;
		rc = c->opts.send(c->opts.send_payload, &req, resp, &fail, &terr);
		pond_buf_dispose(&h.storage);
		if (rc) {
			if (fail.retryable && attempt < c->opts.max_attempts) {
				backoff(c, attempt);
				continue;
			}
			return transport_error(err, call, attempt, terr.msg, rc == POND_ELIMIT ? POND_ELIMIT : POND_EIO);
		}
		if (resp->status >= 200 && resp->status < 300)
			return 0;
		char code[128], message[16];
		pond__s3_xml_error(resp->body.ptr, resp->body.len, code, sizeof code, message, sizeof message);
		if (retryable_status(resp->status, code) && attempt < c->opts.max_attempts) {
			backoff(c, attempt);
			continue;
		}
		rc = pond__s3_fail(err, call, resp->status, resp->body.ptr, resp->body.len);
		if (attempt > 1) {
			char msg[POND_ERROR_MSG_MAX];
			snprintf(msg, sizeof msg, "%s", err->msg);
			pond_error_set(err, rc, "%s (after %d attempts)", msg, attempt);
		}
		return rc;
	}
}

int pond__s3_call(pond_s3_client *c, const pond__s3_req *call, pond_io_http_response *resp, pond_error *err)
{
	memset(resp, 0, sizeof *resp);
	resp->body_fd = call->out_fd;
	resp->max_len = call->max_len;
	char hash[65];
	const char *payload_hash = NULL; /* the signer's: of an empty body */
	if (call->body_fd >= 0) {
		payload_hash = "UNSIGNED-PAYLOAD";
	} else if (call->body) {
		pond_sha256_hex(hash, call->body, call->body_len);
		payload_hash = hash;
	}
	address a = {POND_BUF_INIT, POND_BUF_INIT, POND_BUF_INIT};
	build_address(&a, c, call);
	int rc;
	if (!pond_buf_ok(&a.url) || !pond_buf_ok(&a.host) || !pond_buf_ok(&a.path)) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory building an S3 request");
	} else {
		pthread_mutex_lock(&c->lock);
		rc = try_loop(c, call, &a, payload_hash, resp, err);
		pthread_mutex_unlock(&c->lock);
	}
	address_dispose(&a);
	if (rc)
		pond__io_http_response_dispose(resp);
	return rc;
}
