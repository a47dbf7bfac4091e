/*
 * AWS Signature Version 4 (header and presigned-query forms) over
 * libcrypto's SHA-256 and HMAC, following AWS's published algorithm: a
 * canonical request, a string to sign over its hash and the credential
 * scope, and a signing key derived from the secret by a chain of HMACs over
 * date, region, service and "aws4_request". S3's variant: the path is
 * encoded once, never normalised. Checked against AWS's test suite and the
 * worked S3 examples (tests/unit/io/test_sigv4.c).
 */
#include "io/io_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void hex(char *out, const unsigned char *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

void pond_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	hex(out, md, 32);
}

int pond_sha256_hex_fd(char out[65], int fd, int64_t offset, int64_t len, pond_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *buf = pond_malloc(1 << 16);
	if (!ctx || !buf) {
		EVP_MD_CTX_free(ctx);
		pond_free(buf);
		return pond_error_set(err, POND_ENOMEM, "out of memory hashing a file");
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	int rc = 0;
	while (len > 0) {
		size_t want = len < (1 << 16) ? (size_t)len : (1 << 16);
		ssize_t n = pread(fd, buf, want, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = pond_error_set(err, POND_EIO, "could not read a file to hash it: %s",
			                    n == 0 ? "file shrank" : strerror(errno));
			break;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		offset += n;
		len -= n;
	}
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	pond_free(buf);
	if (rc == 0)
		hex(out, md, 32);
	return rc;
}

static void hmac(unsigned char out[32], const void *key, size_t key_len, const char *data, size_t len)
{
	unsigned int n = 32;
	HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, len, out, &n);
}

void pond_sigv4_uri_encode(pond_buf *out, const char *s, bool keep_slash)
{
	static const char digits[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
			pond_buf_putc(out, (char)c);
		} else {
			pond_buf_putc(out, '%');
			pond_buf_putc(out, digits[c >> 4]);
			pond_buf_putc(out, digits[c & 15]);
		}
	}
}

/* ---- canonical parts ---- */

typedef struct {
	char *name;    /* lower case (headers) or encoded (query) */
	char *value;   /* trimmed (headers) or encoded (query) */
	size_t order;  /* position given, so equal names keep it */
} sig_pair;

static int pair_cmp(const void *a, const void *b)
{
	const sig_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Query parameters sort by encoded name, then encoded value. */
static int query_cmp(const void *a, const void *b)
{
	const sig_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *encoded(pond_arena *arena, const char *s)
{
	pond_buf b = POND_BUF_INIT;
	pond_sigv4_uri_encode(&b, s, false);
	char *r = pond_buf_ok(&b) ? pond_arena_strdup(arena, pond_buf_cstr(&b)) : NULL;
	pond_buf_dispose(&b);
	return r;
}

/* SigV4 trims a header value and folds every run of white space inside it
 * (line breaks of a folded header included) into one space. */
static char *trimmed(pond_arena *arena, const char *s)
{
	size_t n = strlen(s);
	char *out = pond_arena_alloc(arena, n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	bool space = false;
	for (const char *p = s; *p; p++) {
		bool ws = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';
		if (ws) {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

static char *lower(pond_arena *arena, const char *s)
{
	char *out = pond_arena_strdup(arena, s);
	for (char *p = out; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/* The signed header set: the request's headers plus what the signer adds,
 * sorted by lower-case name, duplicates kept in order. */
static int collect_headers(sig_pair **out, size_t *n, const pond_sigv4_pair *extra, size_t nextra,
                           const pond_sigv4_request *req, pond_arena *arena)
{
	size_t total = req->nheaders + nextra;
	sig_pair *h = pond_arena_calloc(arena, total ? total : 1, sizeof *h);
	if (!h)
		return POND_ENOMEM;
	for (size_t i = 0; i < total; i++) {
		const pond_sigv4_pair *src = i < req->nheaders ? &req->headers[i] : &extra[i - req->nheaders];
		h[i].name = lower(arena, src->name);
		h[i].value = trimmed(arena, src->value ? src->value : "");
		h[i].order = i;
		if (!h[i].name || !h[i].value)
			return POND_ENOMEM;
	}
	qsort(h, total, sizeof *h, pair_cmp);
	*out = h;
	*n = total;
	return 0;
}

static void put_canonical_headers(pond_buf *cr, pond_buf *signed_headers, const sig_pair *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;
		if (same) {
			pond_buf_putc(cr, ',');
		} else {
			if (i > 0)
				pond_buf_putc(cr, '\n');
			pond_buf_printf(cr, "%s:", h[i].name);
			if (signed_headers->len)
				pond_buf_putc(signed_headers, ';');
			pond_buf_puts(signed_headers, h[i].name);
		}
		pond_buf_puts(cr, h[i].value);
	}
	pond_buf_putc(cr, '\n');
}

/* The canonical query string (also what a presigned URL sends). */
static int put_canonical_query(pond_buf *out, const pond_sigv4_pair *q, size_t nq, const pond_sigv4_pair *extra,
                               size_t nextra, pond_arena *arena)
{
	size_t total = nq + nextra;
	if (total == 0)
		return 0;
	sig_pair *p = pond_arena_calloc(arena, total, sizeof *p);
	if (!p)
		return POND_ENOMEM;
	for (size_t i = 0; i < total; i++) {
		const pond_sigv4_pair *src = i < nq ? &q[i] : &extra[i - nq];
		p[i].name = encoded(arena, src->name);
		p[i].value = encoded(arena, src->value ? src->value : "");
		if (!p[i].name || !p[i].value)
			return POND_ENOMEM;
	}
	qsort(p, total, sizeof *p, query_cmp);
	for (size_t i = 0; i < total; i++)
		pond_buf_printf(out, "%s%s=%s", i ? "&" : "", p[i].name, p[i].value);
	return 0;
}

/* ---- signing ---- */

static void format_time(pond_sigv4_signature *out, int64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm);
}

static void scope(pond_buf *b, const pond_sigv4_signature *sig, const pond_sigv4_key *key)
{
	pond_buf_printf(b, "%.8s/%s/%s/aws4_request", sig->amz_date, key->region, key->service);
}

/* String to sign and signature from the finished canonical request. */
static void finish_signature(pond_sigv4_signature *out, const pond_sigv4_key *key)
{
	char cr_hash[65];
	pond_sha256_hex(cr_hash, out->canonical_request.ptr ? out->canonical_request.ptr : "",
	                out->canonical_request.len);
	pond_buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n", out->amz_date);
	scope(&out->string_to_sign, out, key);
	pond_buf_printf(&out->string_to_sign, "\n%s", cr_hash);

	pond_buf secret = POND_BUF_INIT;
	pond_buf_printf(&secret, "AWS4%s", key->secret_access_key);
	unsigned char k[32];
	hmac(k, secret.ptr, secret.len, out->amz_date, 8);
	hmac(k, k, 32, key->region, strlen(key->region));
	hmac(k, k, 32, key->service, strlen(key->service));
	hmac(k, k, 32, "aws4_request", 12);
	unsigned char sig[32];
	hmac(sig, k, 32, pond_buf_cstr(&out->string_to_sign), out->string_to_sign.len);
	hex(out->signature, sig, 32);
	/* The secret's copy does not outlive the call. */
	if (secret.ptr)
		memset(secret.ptr, 0, secret.cap);
	pond_buf_dispose(&secret);
}

static void put_canonical_path(pond_buf *cr, const char *path)
{
	if (!path || !*path)
		pond_buf_putc(cr, '/');
	else
		pond_sigv4_uri_encode(cr, path, true);
}

static int check_key(const pond_sigv4_key *key, pond_error *err)
{
	if (!key->access_key_id || !key->secret_access_key || !key->region || !key->service)
		return pond_error_set(err, POND_EINVAL, "cannot sign a request without an access key, secret, "
		                                       "region and service");
	return 0;
}

/* What signing and presigning begin with: the key checked, the time and
 * payload hash set in out, and the signed headers (req's plus extra)
 * collected in a new *arena. */
static int sign_begin(pond_sigv4_signature *out, pond_arena **arena, sig_pair **h, size_t *nh,
                      const pond_sigv4_request *req, const pond_sigv4_key *key, int64_t unix_s,
                      const char *default_hash, const pond_sigv4_pair *extra, size_t nextra, pond_error *err)
{
	memset(out, 0, sizeof *out);
	*arena = NULL;
	int rc = check_key(key, err);
	if (rc)
		return rc;
	format_time(out, unix_s);
	snprintf(out->payload_hash, sizeof out->payload_hash, "%s", req->payload_hash ? req->payload_hash : default_hash);
	*arena = pond_arena_new();
	if (!*arena || collect_headers(h, nh, extra, nextra, req, *arena) != 0) {
		pond_arena_free(arena);
		return pond_error_set(err, POND_ENOMEM, "out of memory signing a request");
	}
	return 0;
}

int pond_sigv4_sign(pond_sigv4_signature *out, const pond_sigv4_request *req, const pond_sigv4_key *key,
                    int64_t unix_s, pond_error *err)
{
	/* The added headers point into out, which sign_begin fills first. */
	pond_sigv4_pair extra[3];
	size_t nextra = 0;
	extra[nextra++] = (pond_sigv4_pair){"x-amz-date", out->amz_date};
	if (key->session_token && *key->session_token)
		extra[nextra++] = (pond_sigv4_pair){"x-amz-security-token", key->session_token};
	if (key->content_sha256_header)
		extra[nextra++] = (pond_sigv4_pair){"x-amz-content-sha256", out->payload_hash};
	pond_arena *arena;
	sig_pair *h = NULL;
	size_t nh = 0;
	int rc = sign_begin(out, &arena, &h, &nh, req, key, unix_s, EMPTY_SHA256, extra, nextra, err);
	if (rc)
		return rc;
	pond_buf signed_headers = POND_BUF_INIT;
	pond_buf *cr = &out->canonical_request;
	pond_buf_printf(cr, "%s\n", req->method);
	put_canonical_path(cr, req->path);
	pond_buf_putc(cr, '\n');
	rc = put_canonical_query(cr, req->query, req->nquery, NULL, 0, arena);
	pond_buf_putc(cr, '\n');
	put_canonical_headers(cr, &signed_headers, h, nh);
	pond_buf_printf(cr, "\n%s\n%s", pond_buf_cstr(&signed_headers), out->payload_hash);
	finish_signature(out, key);
	pond_buf_printf(&out->authorization, "AWS4-HMAC-SHA256 Credential=%s/", key->access_key_id);
	scope(&out->authorization, out, key);
	pond_buf_printf(&out->authorization, ", SignedHeaders=%s, Signature=%s", pond_buf_cstr(&signed_headers),
	                out->signature);
	bool ok = rc == 0 && pond_buf_ok(cr) && pond_buf_ok(&signed_headers) && pond_buf_ok(&out->authorization) &&
	          pond_buf_ok(&out->string_to_sign);
	pond_buf_dispose(&signed_headers);
	pond_arena_free(&arena);
	return ok ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory signing a request");
}

int pond_sigv4_presign(pond_sigv4_signature *out, const pond_sigv4_request *req, const pond_sigv4_key *key,
                       int64_t unix_s, int64_t expires_s, pond_error *err)
{
	pond_arena *arena;
	sig_pair *h = NULL;
	size_t nh = 0;
	int rc = sign_begin(out, &arena, &h, &nh, req, key, unix_s, "UNSIGNED-PAYLOAD", NULL, 0, err);
	if (rc)
		return rc;
	pond_buf signed_headers = POND_BUF_INIT, canonical_headers = POND_BUF_INIT, credential = POND_BUF_INIT;
	put_canonical_headers(&canonical_headers, &signed_headers, h, nh);
	pond_buf_printf(&credential, "%s/", key->access_key_id);
	scope(&credential, out, key);
	char expires[24];
	snprintf(expires, sizeof expires, "%lld", (long long)expires_s);
	pond_sigv4_pair auth[6] = {
		{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
		{"X-Amz-Credential", pond_buf_cstr(&credential)},
		{"X-Amz-Date", out->amz_date},
		{"X-Amz-Expires", expires},
		{"X-Amz-SignedHeaders", pond_buf_cstr(&signed_headers)},
		{"X-Amz-Security-Token", key->session_token},
	};
	size_t nauth = key->session_token && *key->session_token ? 6 : 5;
	rc = put_canonical_query(&out->query, req->query, req->nquery, auth, nauth, arena);
	pond_buf *cr = &out->canonical_request;
	pond_buf_printf(cr, "%s\n", req->method);
	put_canonical_path(cr, req->path);
	pond_buf_printf(cr, "\n%s\n%s\n%s\n%s", pond_buf_cstr(&out->query), pond_buf_cstr(&canonical_headers),
	                pond_buf_cstr(&signed_headers), out->payload_hash);
	finish_signature(out, key);
	pond_buf_printf(&out->query, "&X-Amz-Signature=%s", out->signature);
	bool ok = rc == 0 && pond_buf_ok(cr) && pond_buf_ok(&out->query) && pond_buf_ok(&signed_headers) &&
	          pond_buf_ok(&canonical_headers) && pond_buf_ok(&credential) && pond_buf_ok(&out->string_to_sign);
	pond_buf_dispose(&signed_headers);
	pond_buf_dispose(&canonical_headers);
	pond_buf_dispose(&credential);
	pond_arena_free(&arena);
	return ok ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory presigning a request");
}

void pond_sigv4_signature_dispose(pond_sigv4_signature *sig)
{
	if (!sig)
		return;
	pond_buf_dispose(&sig->authorization);
	pond_buf_dispose(&sig->canonical_request);
	pond_buf_dispose(&sig->string_to_sign);
	pond_buf_dispose(&sig->query);
}
