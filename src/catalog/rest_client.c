/*
 * The connection to an Iceberg REST catalog (apache/iceberg
 * open-api/rest-catalog-open-api.yaml) that pond uses when a project's
 * catalog is an http(s) URL: authentication (a bearer token, or the OAuth2
 * client-credentials exchange at /v1/oauth/tokens), the client
 * configuration (GET /v1/config: the path prefix and the endpoints the
 * server offers), and one JSON request with the spec's ErrorModel turned
 * into pond's error codes. HTTP is the io layer's libcurl client; the
 * operations on namespaces and tables are rest_ops.c's.
 */
#include "catalog/catalog_internal.h"
#include "pond/io.h"

#include <jansson.h>
#include <string.h>

/* Table metadata with thousands of snapshots runs to megabytes. */
#define RESPONSE_MAX ((size_t)256 << 20)
/* Transport failures (a refused or dropped connection) retried this many
 * times for requests that change nothing. */
#define READ_TRIES 3

struct pond__catalog_rest {
	char *uri;                 /* base, without a final slash */
	char *prefix;              /* the config's prefix; "" when none */
	char *auth;                /* "Authorization: Bearer ..."; NULL: none */
	pond_io_http_client *http;
	bool transactions;         /* POST /v1/{prefix}/transactions/commit is offered */
};

/* "Authorization: Bearer TOKEN" (caller frees); NULL when out of memory. */
static char *bearer(const char *token)
{
	pond_buf b = POND_BUF_INIT;
	pond_buf_printf(&b, "Authorization: Bearer %s", token);
	char *s = pond_buf_ok(&b) ? pond_strdup(pond_buf_cstr(&b)) : NULL;
	pond_buf_dispose(&b);
	return s;
}

const char *pond__catalog_rest_uri(const pond__catalog_rest *r)
{
	return r->uri;
}

bool pond__catalog_rest_has_transactions(const pond__catalog_rest *r)
{
	return r->transactions;
}

void pond__catalog_rest_segment(pond_buf *out, const char *text)
{
	pond_sigv4_uri_encode(out, text, false);
}

void pond__catalog_rest_ns_segment(pond_buf *out, const pond_ns *ns)
{
	/* spec: a multi-level namespace's levels are joined by the unit
	 * separator (0x1F), then percent-encoded */
	for (size_t i = 0; i < ns->nlevels; i++) {
		if (i)
			pond_buf_puts(out, "%1F");
		pond_sigv4_uri_encode(out, ns->levels[i], false);
	}
}

/* The code for an ErrorModel's status and type. */
static int error_code(long status, const char *type)
{
	if (status == 404)
		return POND_ENOTFOUND;
	if (status == 409)
		return type && strstr(type, "AlreadyExists") ? POND_EEXISTS : POND_ECONFLICT;
	if (status == 400 || status == 406 || status == 422)
		return POND_EINVAL;
	if (status == 401 || status == 403 || status == 419)
		return POND_EINVAL;  /* the settings are wrong: retrying cannot help */
	if (status == 501)
		return POND_EUNSUPPORTED;
	return POND_EIO;
}

/* The error of a response that is not a success: the server's message
 * when it sent an ErrorModel (or an OAuth2 error), else the status. */
static int fail_response(const pond__catalog_rest *r, const char *method, const char *path, long status,
                         const pond_buf *body, pond_error *err)
{
	json_t *doc = body->len ? json_loadb(pond_buf_cstr(body), body->len, 0, NULL) : NULL;
	json_t *e = json_object_get(doc, "error");
	const char *type = json_string_value(json_object_get(e, "type"));
	const char *message = json_string_value(json_object_get(e, "message"));
	if (!message && json_is_string(e)) {  /* OAuth2: {"error":"invalid_client","error_description":...} */
		type = json_string_value(e);
		message = json_string_value(json_object_get(doc, "error_description"));
	}
	int code = error_code(status, type);
	if (message)
		pond_error_set(err, code, "%s (REST catalog %s: %s %s: %ld%s%s)", message, r->uri, method, path, status,
		               type ? " " : "", type ? type : "");
	else
		pond_error_set(err, code, "REST catalog %s: %s %s: HTTP %ld", r->uri, method, path, status);
	json_decref(doc);
	return code;
}

/* Sends one request (retrying a dropped connection for reads) and keeps
 * the response in resp. */
static int send_request(pond__catalog_rest *r, const pond_io_http_request *req, pond_io_http_response *resp,
                        pond_error *err)
{
	bool read_only = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	int rc = 0;
	for (int attempt = 0; attempt < (read_only ? READ_TRIES : 1); attempt++) {
		pond_io_http_response_dispose(resp);
		memset(resp, 0, sizeof *resp);
		resp->body_fd = -1;
		resp->max_len = RESPONSE_MAX;
		pond_io_http_failure fail = {false};
		if ((rc = pond_io_http_client_send(r->http, req, resp, &fail, err)) == 0 || !fail.retryable)
			break;
	}
	if (rc)
		pond_error_prefix(err, "REST catalog %s: %s %s", r->uri, req->method, req->url);
	return rc;
}

int pond__catalog_rest_call(pond__catalog_rest *r, const char *method, const char *path, const json_t *body,
                            json_t **out, pond_error *err)
{
	pond_buf url = POND_BUF_INIT;
	pond_buf_printf(&url, "%s/v1/%s%s", r->uri, r->prefix, path);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	const char *headers[3] = {"Content-Type: application/json", "Accept: application/json", r->auth};
	pond_io_http_request req = POND_IO_HTTP_REQUEST_INIT;
	req.method = method;
	req.url = pond_buf_cstr(&url);
	req.headers = headers;
	req.nheaders = r->auth ? 3 : 2;
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	pond_io_http_response resp;
	memset(&resp, 0, sizeof resp);
	int rc = pond_buf_ok(&url) && (!body || text) ? send_request(r, &req, &resp, err)
	                                              : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (out)
		*out = NULL;
	if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
		/* the path as the spec writes it: /v1/{prefix}/... */
		const char *shown = strstr(pond_buf_cstr(&url), "/v1/");
		rc = fail_response(r, method, shown ? shown : path, resp.status, &resp.body, err);
	}
	if (rc == 0 && out && resp.status != 204 && resp.body.len) {
		json_error_t jerr;
		if (!(*out = json_loadb(pond_buf_cstr(&resp.body), resp.body.len, 0, &jerr)))
			rc = pond_error_set(err, POND_ECORRUPT, "REST catalog %s: %s %s: the response is not JSON: %s", r->uri,
			                    method, path, jerr.text);
	}
	free(text);
	pond_buf_dispose(&url);
	pond_io_http_response_dispose(&resp);
	return rc;
}

/* The OAuth2 client-credentials exchange (RFC 6749 4.4), as Iceberg's
 * clients make it: credential is "client_id:secret" or the secret alone. */
static int fetch_token(pond__catalog_rest *r, const char *credential, pond_error *err)
{
	const char *colon = strchr(credential, ':');
	pond_buf form = POND_BUF_INIT, url = POND_BUF_INIT;
	pond_buf_puts(&form, "grant_type=client_credentials&client_id=");
	if (colon) {
		char *id = pond_strndup(credential, (size_t)(colon - credential));
		if (id)
			pond_sigv4_uri_encode(&form, id, false);
		pond_free(id);
	}
	pond_buf_puts(&form, "&client_secret=");
	pond_sigv4_uri_encode(&form, colon ? colon + 1 : credential, false);
	pond_buf_puts(&form, "&scope=catalog");
	pond_buf_printf(&url, "%s/v1/oauth/tokens", r->uri);
	const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"};
	pond_io_http_request req = POND_IO_HTTP_REQUEST_INIT;
	req.method = "POST";
	req.url = pond_buf_cstr(&url);
	req.headers = headers;
	req.nheaders = 2;
	req.body = pond_buf_cstr(&form);
	req.body_len = form.len;
	pond_io_http_response resp;
	memset(&resp, 0, sizeof resp);
	int rc = pond_buf_ok(&form) && pond_buf_ok(&url) ? send_request(r, &req, &resp, err)
	                                                 : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0 && resp.status != 200)
		rc = fail_response(r, "POST", "/v1/oauth/tokens", resp.status, &resp.body, err);
	json_t *doc = rc == 0 ? json_loadb(pond_buf_cstr(&resp.body), resp.body.len, 0, NULL) : NULL;
	const char *token = json_string_value(json_object_get(doc, "access_token"));
	if (rc == 0 && !token)
		rc = pond_error_set(err, POND_ECORRUPT, "REST catalog %s: the token response has no access_token", r->uri);
	if (rc == 0 && !(r->auth = bearer(token)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	json_decref(doc);
	pond_buf_dispose(&form);
	pond_buf_dispose(&url);
	pond_io_http_response_dispose(&resp);
	return rc;
}

/* GET /v1/config: the prefix (overrides win over defaults) and whether
 * multi-table commits are offered (a server that lists no endpoints
 * offers the spec's default set, which has none). */
static int load_config(pond__catalog_rest *r, const char *warehouse, pond_error *err)
{
	pond_buf path = POND_BUF_INIT;
	pond_buf_puts(&path, "config");
	if (warehouse) {
		pond_buf_puts(&path, "?warehouse=");
		pond_sigv4_uri_encode(&path, warehouse, false);
	}
	json_t *doc = NULL;
	int rc = pond_buf_ok(&path) ? pond__catalog_rest_call(r, "GET", pond_buf_cstr(&path), NULL, &doc, err)
	                            : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&path);
	if (rc)
		return rc;
	const char *prefix = json_string_value(json_object_get(json_object_get(doc, "overrides"), "prefix"));
	if (!prefix)
		prefix = json_string_value(json_object_get(json_object_get(doc, "defaults"), "prefix"));
	pond_free(r->prefix);
	pond_buf p = POND_BUF_INIT;
	if (prefix && *prefix)
		pond_buf_printf(&p, "%s/", prefix);
	r->prefix = pond_buf_ok(&p) ? pond_strdup(pond_buf_cstr(&p)) : NULL;
	pond_buf_dispose(&p);
	json_t *endpoints = json_object_get(doc, "endpoints");
	for (size_t i = 0; i < json_array_size(endpoints); i++) {
		const char *e = json_string_value(json_array_get(endpoints, i));
		if (e && !strcmp(e, "POST /v1/{prefix}/transactions/commit"))
			r->transactions = true;
	}
	json_decref(doc);
	return r->prefix ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond__catalog_rest_open(pond__catalog_rest **out, const char *uri, const pond_catalog_options *opts,
                            pond_error *err)
{
	pond__catalog_rest *r = pond_calloc(1, sizeof *r);
	size_t len = strlen(uri);
	while (len > 0 && uri[len - 1] == '/')
		len--;
	if (!r || !(r->uri = pond_strndup(uri, len)) || !(r->prefix = pond_strdup("")) ||
	    !(r->http = pond_io_http_client_new(10000, 60000))) {
		pond__catalog_rest_close(&r);
		return pond_error_set(err, POND_ENOMEM, "out of memory opening REST catalog %s", uri);
	}
	int rc = 0;
	if (opts->rest_token && *opts->rest_token) {
		if (!(r->auth = bearer(opts->rest_token)))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	} else if (opts->rest_credential && *opts->rest_credential) {
		rc = fetch_token(r, opts->rest_credential, err);
	}
	if (rc == 0)
		rc = load_config(r, opts->rest_warehouse, err);
	if (rc) {
		pond__catalog_rest_close(&r);
		return rc;
	}
	*out = r;
	return 0;
}

void pond__catalog_rest_close(pond__catalog_rest **rest)
{
	if (!rest || !*rest)
		return;
	pond__catalog_rest *r = *rest;
	pond_io_http_client_free(&r->http);
	pond_free(r->uri);
	pond_free(r->prefix);
	pond_free(r->auth);
	pond_free(r);
	*rest = NULL;
}
