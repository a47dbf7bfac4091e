/*
 * BigQuery sources (type: bigquery): a query, or a whole table, read
 * through the REST API. The service-account key signs an assertion that
 * the key's token_uri exchanges for an access token (kept until a minute
 * before it expires); jobs.query starts the query and getQueryResults
 * waits for it and pages through its rows. Each page's rows are written
 * as NDJSON to a temporary file as they arrive (memory holds one page),
 * typed by the result's schema (bigquery_value.c), and loaded in one
 * commit with the incremental cursor, the way database sources are.
 * Requests retry on 429 and 5xx with the http source's policy; an error
 * answer's message is shown in one line naming the source.
 */
#include "bigquery.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long getQueryResults may wait for a job on the server, per call;
 * below the client's request timeout. */
#define BQ_WAIT_MS 10000
/* Ask for a new token this long before the old one expires. */
#define BQ_TOKEN_MARGIN_MS 60000

typedef struct {
	const pond_source *s;
	const bq_config *cfg;
	const pond_ingest_options *opts;
	bq_key key;
	const char *project;
	ingest_http *auth;                /* token requests */
	ingest_http *api;                 /* BigQuery requests, with the current token */
	int64_t token_expiry_ms;          /* monotonic */
	int64_t requests, retries, bytes; /* of API clients already replaced */
	bq_field *fields;
	size_t nfields;
	bool have_schema;
	FILE *out;
	const char *path;
	int64_t rows, pages;
	pond_buf line;
	ingest_progress progress;
	pond_arena *arena;
} bq_run;

static int64_t mono_ms(void)
{
	return pond_time_mono_ns() / 1000000;
}

/* Rewrites a failed request's error as "SOURCE: could not ACTION: 400: the
 * server's message" when the answer has one. */
static int request_failed(bq_run *r, int rc, const ingest_response *resp, const char *action, pond_error *err)
{
	if (rc == POND_ECANCELED)
		return rc;
	const char *msg = resp->status >= 400 ? pond__bq_error_message(resp->body.ptr, resp->body.len, r->arena) : NULL;
	if (msg)
		return pond_error_set(err, rc, "%s: could not %s: %ld: %s", r->s->what, action, resp->status, msg);
	return pond_error_prefix(err, "%s", r->s->what);
}

/* A client for the source's retries and timeouts; with a bearer token
 * when token is not NULL. */
static int new_client(ingest_http **out, bq_run *r, const char *token, pond_error *err)
{
	pond_source *copy = pond_arena_memdup(r->arena, r->s, sizeof(*r->s));
	if (!copy)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	copy->headers = NULL;
	copy->nheaders = 0;
	copy->auth = token ? AUTH_BEARER : AUTH_NONE;
	copy->auth_token = token;
	/* A body marks requests as JSON; the token's form goes without it. */
	copy->body = token ? "{}" : NULL;
	int rc = pond__ingest_http_new(out, copy, err);
	if (rc == 0) {
		pond__ingest_http_set_cancel(*out, r->opts->cancel);
		if (r->s->stall_ms == 0 && r->opts->stall_timeout_ms > 0)
			pond__ingest_http_set_stall(*out, r->opts->stall_timeout_ms);
	}
	return rc;
}

/* An access token, new when there is none or the last is about to
 * expire; the API client carries it. */
static int ensure_token(bq_run *r, pond_error *err)
{
	if (r->api && mono_ms() < r->token_expiry_ms - BQ_TOKEN_MARGIN_MS)
		return 0;
	char *assertion = NULL;
	int rc = pond__bq_assertion(&assertion, &r->key, (int64_t)time(NULL), err);
	if (rc)
		return pond_error_prefix(err, "%s: key_file", r->s->what);
	pond_buf form = POND_BUF_INIT;
	/* The assertion is base64url and dots: nothing to escape. */
	pond_buf_printf(&form, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s",
	                assertion);
	pond_free(assertion);
	ingest_response resp;
	memset(&resp, 0, sizeof(resp));
	json_t *answer = NULL;
	if (!pond_buf_ok(&form))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	else if ((rc = pond__ingest_http_request(r->auth, r->key.token_uri, "POST", pond_buf_cstr(&form), NULL, &resp,
	                                         err)) != 0)
		rc = request_failed(r, rc, &resp,
		                    pond_arena_sprintf(r->arena, "get an access token from %s", r->key.token_uri), err);
	pond_buf_dispose(&form);
	const char *token = NULL;
	json_int_t expires = 3600;
	if (rc == 0) {
		json_error_t je;
		answer = json_loadb(resp.body.ptr ? resp.body.ptr : "", resp.body.len, 0, &je);
		token = json_string_value(json_object_get(answer, "access_token"));
		if (json_is_integer(json_object_get(answer, "expires_in")))
			expires = json_integer_value(json_object_get(answer, "expires_in"));
		if (!token || !*token)
			rc = pond_error_set(err, POND_ECORRUPT, "%s: %s answered without an access_token", r->s->what,
			                    r->key.token_uri);
	}
	if (rc == 0 && !(token = pond_arena_strdup(r->arena, token)))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	json_decref(answer);
	pond__ingest_response_reset(&resp);
	if (rc)
		return rc;
	if (r->api) {
		r->requests += pond__ingest_http_requests(r->api);
		r->retries += pond__ingest_http_retries(r->api);
		r->bytes += pond__ingest_http_bytes(r->api);
		pond__ingest_http_free(&r->api);
	}
	r->token_expiry_ms = mono_ms() + (int64_t)expires * 1000;
	return new_client(&r->api, r, token, err);
}

/* One API request; *out is its parsed answer (the caller json_decref's it). */
static int api_call(bq_run *r, const char *url, const char *method, const char *body, const char *action, json_t **out,
                    pond_error *err)
{
	*out = NULL;
	ingest_response resp;
	memset(&resp, 0, sizeof(resp));
	int rc;
	for (int attempt = 1;; attempt++) {
		if ((rc = ensure_token(r, err)) != 0)
			return rc;
		rc = pond__ingest_http_request(r->api, url, method, body, NULL, &resp, err);
		/* A token refused before its time (revoked, a clock ahead of
		 * ours): once more with a new one. */
		if (rc == 0 || resp.status != 401 || attempt == 2)
			break;
		r->token_expiry_ms = 0;
	}
	if (rc)
		rc = request_failed(r, rc, &resp, action, err);
	else if ((rc = pond_json_parse(out, resp.body.ptr ? resp.body.ptr : "", resp.body.len, url, err)) != 0 ||
	         !json_is_object(*out))
		rc = rc ? pond_error_prefix(err, "%s: could not %s", r->s->what, action)
		        : pond_error_set(err, POND_ECORRUPT, "%s: could not %s: the answer is not a JSON object",
		                         r->s->what, action);
	pond__ingest_response_reset(&resp);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

bool pond__bq_key_is_json(const char *key_file)
{
	return key_file[strspn(key_file, " \t\r\n")] == '{';
}

bool pond__bq_plain_name(const char *name)
{
	return name && *name && !strpbrk(name, "`\\\n\r");
}

bool pond__bq_table_name_ok(const char *from)
{
	const char *dot = strchr(from, '.');
	const char *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	if (!pond__bq_plain_name(from) || strpbrk(from, " \t") || !dot || dot == from || !dot[1] || dot[1] == '.')
		return false;
	return !dot2 || (dot2[1] && !strchr(dot2 + 1, '.'));
}

int pond__bq_config_check(bq_config *b, const char **bad, pond_arena *arena, pond_error *err)
{
	*bad = NULL;
	/* The project goes into the API's URL paths as it is. */
	if (b->project && (!pond__bq_plain_name(b->project) || strpbrk(b->project, "/?"))) {
		*bad = "project";
		return POND_EINVAL;
	}
	const char *endpoint = b->endpoint ? b->endpoint : BQ_DEFAULT_ENDPOINT;
	if (!pond_str_starts_with(endpoint, "http://") && !pond_str_starts_with(endpoint, "https://")) {
		*bad = "endpoint";
		return POND_EINVAL;
	}
	size_t n = strlen(endpoint);
	while (n > 0 && endpoint[n - 1] == '/')
		n--;
	if (!(b->endpoint = pond_arena_strndup(arena, endpoint, n)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return 0;
}

/* A BigQuery string literal: quotes, backslashes and line breaks escaped. */
static void bq_quote_string(pond_buf *out, const char *s)
{
	pond_buf_putc(out, '\'');
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			pond_buf_putc(out, '\\');
		if (*s == '\n')
			pond_buf_puts(out, "\\n");
		else if (*s == '\r')
			pond_buf_puts(out, "\\r");
		else
			pond_buf_putc(out, *s);
	}
	pond_buf_putc(out, '\'');
}

static void bq_quote_ident(pond_buf *out, const char *s)
{
	pond_buf_putc(out, '`');
	for (; *s; s++) {
		if (*s == '`' || *s == '\\')
			pond_buf_putc(out, '\\');
		pond_buf_putc(out, *s);
	}
	pond_buf_putc(out, '`');
}

/* The query the job runs: the source's query or its table, with rows
 * above the cursor only when it has one. */
static int job_query(pond_buf *q, const bq_run *r, json_t *cursor, pond_error *err)
{
	const char *field = r->s->cursor_field;
	pond_buf base = POND_BUF_INIT;
	if (r->cfg->query) {
		pond_buf_puts(&base, r->cfg->query);
	} else {
		/* dataset.table in the source's project, or project.dataset.table */
		bool qualified = strchr(strchr(r->cfg->from, '.') + 1, '.') != NULL;
		const char *table =
		        qualified ? r->cfg->from : pond_arena_sprintf(r->arena, "%s.%s", r->project, r->cfg->from);
		pond_buf_puts(&base, "SELECT * FROM ");
		bq_quote_ident(&base, table ? table : "");
	}
	if (field && cursor) {
		pond_buf_printf(q, "SELECT * FROM (%s) AS q WHERE ", pond_buf_cstr(&base));
		bq_quote_ident(q, field);
		pond_buf_puts(q, " > ");
		if (json_is_integer(cursor))
			pond_buf_printf(q, "%lld", (long long)json_integer_value(cursor));
		else if (json_is_real(cursor))
			pond_buf_printf(q, "%.17g", json_real_value(cursor));
		else if (json_is_string(cursor))
			bq_quote_string(q, json_string_value(cursor));
		else
			pond_buf_puts(q, json_is_true(cursor) ? "TRUE" : "FALSE");
	} else {
		pond_buf_puts(q, pond_buf_cstr(&base));
	}
	bool ok = pond_buf_ok(&base) && pond_buf_ok(q);
	pond_buf_dispose(&base);
	return ok ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* A complete answer's rows, written to the NDJSON file. */
static int take_rows(bq_run *r, json_t *answer, pond_error *err)
{
	if (!r->have_schema) {
		const json_t *schema = json_object_get(answer, "schema");
		int rc = schema ? pond__bq_schema_parse(&r->fields, &r->nfields, schema, r->arena, err)
		                : pond_error_set(err, POND_ECORRUPT,
		                                 "the answer has no schema (is the query a SELECT?)");
		if (rc)
			return pond_error_prefix(err, "%s", r->s->what);
		r->have_schema = true;
	}
	r->pages++;
	const json_t *rows = json_object_get(answer, "rows");
	for (size_t i = 0; i < json_array_size(rows); i++) {
		pond_buf_clear(&r->line);
		int rc = pond__bq_row(&r->line, r->fields, r->nfields, json_array_get(rows, i), err);
		if (rc)
			return pond_error_prefix(err, "%s: row %lld (page %lld)", r->s->what, (long long)(r->rows + 1),
			                         (long long)r->pages);
		pond_buf_putc(&r->line, '\n');
		if (!pond_buf_ok(&r->line))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		if (fwrite(r->line.ptr, 1, r->line.len, r->out) != r->line.len)
			return pond_error_set(err, POND_EIO, "could not write %s: %m", r->path);
		r->rows++;
	}
	pond__ingest_progress(&r->progress, r->rows, r->bytes + pond__ingest_http_bytes(r->api), false);
	return 0;
}

/* Runs the job and writes every row of its result. */
static int run_job(bq_run *r, json_t *cursor, pond_error *err)
{
	const bq_config *cfg = r->cfg;
	pond_buf q = POND_BUF_INIT, url = POND_BUF_INIT;
	json_t *answer = NULL;
	const char *base =
	        pond_arena_sprintf(r->arena, "%s/bigquery/v2/projects/%s/queries", cfg->endpoint, r->project);
	int rc = job_query(&q, r, cursor, err);
	if (rc == 0 && !base)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0) {
		json_t *req = json_pack("{sssbsIsI}", "query", pond_buf_cstr(&q), "useLegacySql", 0, "maxResults",
		                        (json_int_t)cfg->page_size, "timeoutMs", (json_int_t)BQ_WAIT_MS);
		if (req && cfg->location)
			json_object_set_new(req, "location", json_string(cfg->location));
		char *body = req ? pond_json_dumps(req, false) : NULL;
		json_decref(req);
		rc = body ? api_call(r, base, "POST", body, "run the query", &answer, err)
		          : pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_free(body);
	}
	/* getQueryResults' URL and the parameters every call repeats */
	const char *job_url = NULL, *location = cfg->location, *last_token = NULL;
	const char *size = pond_arena_sprintf(r->arena, "%lld", (long long)cfg->page_size);
	const char *wait_ms = pond_arena_sprintf(r->arena, "%d", BQ_WAIT_MS);
	if (rc == 0) {
		const json_t *ref = json_object_get(answer, "jobReference");
		const char *id = json_string_value(json_object_get(ref, "jobId"));
		const char *loc = json_string_value(json_object_get(ref, "location"));
		char *escaped = id ? curl_easy_escape(NULL, id, 0) : NULL;
		if (escaped)
			job_url = pond_arena_sprintf(r->arena, "%s/%s", base, escaped);
		curl_free(escaped);
		if (loc)
			location = pond_arena_strdup(r->arena, loc);
		if ((id && !job_url) || (loc && !location) || !size || !wait_ms)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	int64_t total = -1;
	while (rc == 0) {
		if ((rc = pond__ingest_check_cancel(r->opts, err)) != 0)
			break;
		const char *page_token = NULL;
		if (json_is_true(json_object_get(answer, "jobComplete"))) {
			if ((rc = take_rows(r, answer, err)) != 0)
				break;
			int64_t n;
			const json_t *tr = json_object_get(answer, "totalRows");
			if (json_is_string(tr) && pond_str_to_i64(json_string_value(tr), &n))
				total = n;
			else if (json_is_integer(tr))
				total = json_integer_value(tr);
			page_token = json_string_value(json_object_get(answer, "pageToken"));
			if (!page_token || !*page_token)
				break;
			if (last_token && strcmp(last_token, page_token) == 0) {
				rc = pond_error_set(err, POND_ECORRUPT, "%s: the result repeats page token \"%s\"",
				                    r->s->what, page_token);
				break;
			}
			last_token = page_token = pond_arena_strdup(r->arena, page_token);
		}
		if (!job_url) {
			rc = pond_error_set(err, POND_ECORRUPT, "%s: the answer to the query has no jobReference.jobId",
			                    r->s->what);
			break;
		}
		/* getQueryResults: the next page, or the job's end awaited. */
		ingest_kv params[4];
		size_t np = 0;
		if (page_token)
			params[np++] = (ingest_kv){"pageToken", page_token};
		if (location)
			params[np++] = (ingest_kv){"location", location};
		params[np++] = (ingest_kv){"maxResults", size};
		params[np++] = (ingest_kv){"timeoutMs", wait_ms};
		json_decref(answer);
		answer = NULL;
		pond_buf_clear(&url);
		if ((rc = pond__ingest_url_with_params(&url, job_url, params, np, err)) != 0)
			break;
		rc = api_call(r, pond_buf_cstr(&url), "GET", NULL, "read the query's results", &answer, err);
	}
	if (rc == 0 && total >= 0 && total != r->rows)
		rc = pond_error_set(err, POND_ECORRUPT, "%s: the query's result has %lld rows, %lld were read",
		                    r->s->what, (long long)total, (long long)r->rows);
	json_decref(answer);
	pond_buf_dispose(&q);
	pond_buf_dispose(&url);
	return rc;
}

/* The service-account key: the key_file's JSON (or the value itself when
 * it is JSON, as from a secret). */
static int read_key(bq_run *r, pond_error *err)
{
	const char *kf = r->cfg->key_file;
	if (pond__bq_key_is_json(kf))
		return pond__bq_key_parse(&r->key, kf, strlen(kf),
		                          pond_arena_sprintf(r->arena, "%s: key_file", r->s->what), r->arena, err);
	char *text;
	size_t len;
	int rc = pond_file_read(&text, &len, kf, 1 << 20, err);
	if (rc)
		return pond_error_prefix(err, "%s: key_file", r->s->what);
	rc = pond__bq_key_parse(&r->key, text, len, kf, r->arena, err);
	pond_free(text);
	return rc;
}

/* Loads the rows written to the NDJSON file in one commit. */
static int load_rows(pond_lake *lake, bq_run *r, pond_ingest_result *result, pond_error *err)
{
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT ");
	pond__bq_select(&sql, r->fields, r->nfields);
	pond_buf_puts(&sql, " FROM read_ndjson(");
	pond_sql_quote_literal(&sql, r->path);
	pond_buf_puts(&sql, ", maximum_object_size = 134217728, columns = {");
	for (size_t i = 0; i < r->nfields; i++) {
		pond_buf_puts(&sql, i ? ", " : "");
		pond_sql_quote_literal(&sql, r->fields[i].name);
		pond_buf_puts(&sql, ": ");
		pond_buf type = POND_BUF_INIT;
		pond__bq_duck_type(&type, &r->fields[i]);
		pond_sql_quote_literal(&sql, pond_buf_ok(&type) ? pond_buf_cstr(&type) : "");
		if (!pond_buf_ok(&type))
			sql.oom = true;
		pond_buf_dispose(&type);
	}
	pond_buf_puts(&sql, "})");
	int rc = pond_buf_ok(&sql) ? pond__ingest_load_tmp(lake, r->s, pond_buf_cstr(&sql), r->s->what, r->path,
	                                                   r->opts, result, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&sql);
	return rc;
}

int pond__ingest_run_bigquery(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                              pond_ingest_result *result, pond_error *err)
{
	bq_run r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.cfg = s->bigquery;
	r.opts = opts;
	r.arena = result->arena;
	r.progress.opts = opts;
	r.progress.start_ns = pond_time_mono_ns();
	json_t *cursor = NULL;
	int rc;
	if ((rc = read_key(&r, err)) != 0 || (rc = pond__ingest_column_cursor(&cursor, lake, s, r.arena, err)) != 0)
		goto done;
	r.project = r.cfg->project ? r.cfg->project : r.key.project_id;
	if ((rc = new_client(&r.auth, &r, NULL, err)) != 0 ||
	    (rc = pond__ingest_tmpfile(&r.out, &r.path, opts->tmpdir, ".ndjson", r.arena, err)) != 0 ||
	    (rc = run_job(&r, cursor, err)) != 0)
		goto done;
	if (fflush(r.out) != 0) {
		rc = pond_error_set(err, POND_EIO, "could not write %s: %m", r.path);
		goto done;
	}
	result->requests = r.requests + pond__ingest_http_requests(r.auth) + pond__ingest_http_requests(r.api);
	result->retries = r.retries + pond__ingest_http_retries(r.auth) + pond__ingest_http_retries(r.api);
	result->bytes = r.bytes + pond__ingest_http_bytes(r.auth) + pond__ingest_http_bytes(r.api);
	pond__ingest_progress(&r.progress, r.rows, result->bytes, true);
	if (r.rows > 0) /* else nothing new: nothing to commit */
		rc = load_rows(lake, &r, result, err);
	result->rows = r.rows;
done:
	if (r.out)
		fclose(r.out);
	if (r.path)
		unlink(r.path);
	json_decref(cursor);
	pond_buf_dispose(&r.line);
	pond__ingest_http_free(&r.auth);
	pond__ingest_http_free(&r.api);
	return rc;
}

int pond_source_bigquery(pond_source **out, const char *what, const char *key_file, const char *project,
                         const char *location, const char *endpoint, const pond_ingest_write *write,
                         pond_arena *arena, pond_error *err)
{
	pond_source *s = pond_arena_calloc(arena, 1, sizeof(*s));
	bq_config *b = pond_arena_calloc(arena, 1, sizeof(*b));
	if (!s || !b)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!key_file)
		return pond_error_set(err, POND_EINVAL, "--bigquery needs --key-file (a service account's JSON key)");
	/* Two or three dotted parts, no space: a table; else a query. */
	bool table = pond__bq_table_name_ok(what);
	*b = (bq_config){.key_file = key_file, .project = project, .query = table ? NULL : what,
	                 .from = table ? what : NULL, .location = location, .page_size = BQ_DEFAULT_PAGE_SIZE,
	                 .endpoint = endpoint};
	const char *bad;
	int rc = pond__bq_config_check(b, &bad, arena, err);
	if (rc == POND_EINVAL && strcmp(bad, "project") == 0)
		return pond_error_set(err, rc, "bad --gcp-project \"%s\"", project);
	if (rc == POND_EINVAL)
		return pond_error_set(err, rc, "--endpoint must start with http:// or https://");
	if (rc)
		return rc;
	ingest_retry retry = INGEST_RETRY_INIT;
	*s = (pond_source){.name = "bigquery", .what = "bigquery", .type = SOURCE_BIGQUERY, .type_name = "bigquery",
	                   .write = *write, .retry = retry, .timeout_ms = BQ_DEFAULT_TIMEOUT_MS, .bigquery = b};
	*out = s;
	return 0;
}
