/*
 * HTTP API sources: pages are fetched one after another (pagination by
 * page number, offset, cursor, next URL or Link header), records selected
 * by a JSON path are written as NDJSON to a temporary file (memory holds a
 * page, never the run), optionally fanned out to a detail endpoint per id,
 * and the file is loaded in one commit together with the incremental
 * cursor's new value. A page that is not JSON fails the run before
 * anything is committed.
 */
#include "ingest_internal.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	const pond_source *s;
	FILE *out;
	int64_t rows;
	json_t *last;     /* the cursor the previous run committed; borrowed from state */
	json_t *max;      /* the largest cursor value seen (owned) */
	ingest_progress progress;
	ingest_http *http;
	pond_arena *arena;
} record_sink;

/* A record's cursor field (a dotted path into the record). */
static json_t *cursor_value(const record_sink *k, json_t *rec)
{
	return k->s->cursor_field ? pond__ingest_json_path(rec, k->s->cursor_field) : NULL;
}

static int sink_record(record_sink *k, json_t *rec, const char *url, pond_error *err)
{
	json_t *v = cursor_value(k, rec);
	if (v && !json_is_null(v)) {
		/* Servers often include the boundary record again: each record
		 * arrives once. */
		if (k->last && pond__ingest_json_compare(v, k->last) <= 0)
			return 0;
		if (!k->max || pond__ingest_json_compare(v, k->max) > 0) {
			json_decref(k->max);
			k->max = json_deep_copy(v);
		}
	}
	json_t *wrapped = NULL;
	if (!json_is_object(rec)) {
		wrapped = json_pack("{sO}", "value", rec);
		rec = wrapped;
	}
	int w = rec ? json_dumpf(rec, k->out, JSON_COMPACT) : -1;
	json_decref(wrapped);
	if (w != 0 || fputc('\n', k->out) == EOF)
		return pond_error_set(err, POND_EIO, "could not write records of %s to a temporary file: %m", url);
	k->rows++;
	pond__ingest_progress(&k->progress, k->rows, pond__ingest_http_bytes(k->http), false);
	return 0;
}

/* Records at the source's path in a parsed body: an array's items, an
 * object as one record, nothing for null or absent. */
static int sink_records(record_sink *k, json_t *records, size_t *count, const char *url, pond_error *err)
{
	*count = 0;
	if (!records || json_is_null(records))
		return 0;
	if (json_is_array(records)) {
		size_t i;
		json_t *rec;
		json_array_foreach(records, i, rec) {
			int rc = sink_record(k, rec, url, err);
			if (rc)
				return rc;
		}
		*count = json_array_size(records);
		return 0;
	}
	*count = 1;
	return sink_record(k, records, url, err);
}

typedef struct {
	record_sink *sink;
	const char *records;
} detail_ctx;

static int on_detail(const char *id, const char *url, const char *body, size_t len, void *payload, pond_error *err)
{
	detail_ctx *d = payload;
	json_error_t je;
	/* A detail may be null (HackerNews: a deleted item): no record. */
	json_t *j = json_loadb(body, len, JSON_DECODE_ANY, &je);
	if (!j)
		return pond_error_set(err, POND_ECORRUPT, "malformed response for id %s from %s: line %d: %s", id, url,
		                      je.line, je.text);
	size_t n;
	int rc = sink_records(d->sink, pond__ingest_json_path(j, d->records), &n, url, err);
	json_decref(j);
	return rc;
}

/* Reads the cursor a previous run committed ({"cursor": value}). */
int pond__ingest_read_state(json_t **state, pond_lake *lake, const pond_source *s, const char *table, pond_arena *a,
                            pond_error *err)
{
	const char *text;
	int rc = pond_ingest_state(&text, lake, table, s->name, a, err);
	*state = NULL;
	if (rc || !text)
		return rc;
	json_error_t je;
	*state = json_loads(text, 0, &je);
	if (!*state || !json_is_object(*state)) {
		json_decref(*state);
		*state = NULL;
		return pond_error_set(err, POND_ECORRUPT, "table %s: state of source %s is not a JSON object: %s", table,
		                      s->name, text);
	}
	return 0;
}

const char *pond__ingest_cursor_state(json_t *max, json_t *last, pond_arena *a)
{
	json_t *st = json_pack("{sO}", "cursor", max ? max : last ? last : json_null());
	char *t = st ? pond_json_dumps(st, false) : NULL;
	const char *text = t ? pond_arena_strdup(a, t) : NULL;
	pond_free(t);
	json_decref(st);
	return text;
}

/* The initial cursor from the YAML: a number when it reads as one. */
static json_t *initial_cursor(const char *text)
{
	int64_t n;
	if (!text)
		return NULL;
	if (pond_str_to_i64(text, &n))
		return json_integer(n);
	return json_string(text);
}

/* The parameters every page request carries (*out, in the sink's arena):
 * the source's, an API key, the cursor the last run reached. */
static int fixed_params(const record_sink *k, ingest_kv **out, size_t *nout, pond_error *err)
{
	const pond_source *s = k->s;
	ingest_kv *params = pond_arena_calloc(k->arena, s->nparams + 4, sizeof(*params));
	if (!params)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t nparams = 0;
	for (size_t i = 0; i < s->nparams; i++)
		params[nparams++] = s->params[i];
	if (s->auth == AUTH_API_KEY && s->auth_in_query)
		params[nparams++] = (ingest_kv){s->auth_name, s->auth_token};
	if (s->cursor_param && k->last) {
		const char *v = pond__ingest_json_scalar_text(k->last, k->arena);
		if (v)
			params[nparams++] = (ingest_kv){s->cursor_param, v};
	}
	*out = params;
	*nout = nparams;
	return 0;
}

/* The URL of the pager's next page, in the sink's arena: the next URL the
 * last page gave, else the source's URL with the fixed parameters and the
 * pager's. */
static int next_page_url(const char **out, const record_sink *k, const ingest_pager *pager, const ingest_kv *params,
                         size_t nparams, pond_error *err)
{
	pond_arena *a = k->arena;
	pond_buf url = POND_BUF_INIT;
	ingest_kv pp[2];
	size_t npp = pond__ingest_pager_params(pager, pp, a);
	int rc = 0;
	if (pager->next_url) {
		pond_buf_puts(&url, pager->next_url);
	} else {
		ingest_kv *all = pond_arena_calloc(a, nparams + 2, sizeof(*all));
		if (!all) {
			pond_buf_dispose(&url);
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		memcpy(all, params, nparams * sizeof(*all));
		memcpy(all + nparams, pp, npp * sizeof(*all));
		rc = pond__ingest_url_with_params(&url, k->s->url, all, nparams + npp, err);
	}
	*out = rc == 0 ? pond_arena_strdup(a, pond_buf_cstr(&url)) : NULL;
	pond_buf_dispose(&url);
	return rc;
}

/* A page's body as JSON (*out, the caller's to release); a body that is
 * not fails, naming the page. */
static int parse_page(json_t **out, const record_sink *k, const ingest_pager *pager, const char *page_url,
                      const ingest_response *resp, pond_error *err)
{
	const pond_source *s = k->s;
	json_error_t je;
	*out = json_loadb(resp->body.ptr ? resp->body.ptr : "", resp->body.len, JSON_DECODE_ANY, &je);
	if (*out)
		return 0;
	/* A login or error page says what it is better than a parser. */
	size_t hn = resp->body.len < 4096 ? resp->body.len : 4096;
	const char *why = pond__ingest_body_mismatch(resp->content_type, (const unsigned char *)resp->body.ptr,
	                                             resp->body.ptr ? hn : 0, POND_FORMAT_JSON, k->arena);
	if (why)
		return pond_error_set(err, POND_ECORRUPT, "page %lld of %s (%s): %ld %s", (long long)pager->page + 1, s->url,
		                      page_url, resp->status, why);
	return pond_error_set(err, POND_ECORRUPT, "malformed page %lld of %s (%s): line %d, column %d: %s",
	                      (long long)pager->page + 1, s->url, page_url, je.line, je.column, je.text);
}

/* One page's records: into the sink or, with a detail endpoint, their ids
 * into ids. *n gets how many records the page held. */
static int take_page(record_sink *k, const ingest_pager *pager, json_t *body, json_t *ids, const char *page_url,
                     size_t *n, pond_error *err)
{
	const pond_source *s = k->s;
	json_t *records = pond__ingest_json_path(body, s->records);
	*n = 0;
	if (records && !json_is_null(records) && !json_is_array(records) && s->records && strcmp(s->records, "$")) {
		/* A path that names something other than a list of records. */
		if (!json_is_object(records))
			return pond_error_set(err, POND_ECORRUPT, "page %lld of %s: \"%s\" is not a list of records",
			                      (long long)pager->page + 1, s->url, s->records);
	}
	if (!s->detail_url)
		return sink_records(k, records, n, page_url, err);
	/* Fan-out: the list holds ids (or items with an id field). */
	int rc = 0;
	size_t i;
	json_t *item;
	if (json_is_array(records))
		json_array_foreach(records, i, item) {
			json_t *idv = s->detail_id ? pond__ingest_json_path(item, s->detail_id) : item;
			if (!idv || !pond__ingest_json_scalar_text(idv, k->arena)) {
				rc = pond_error_set(err, POND_ECORRUPT, "page %lld of %s: item %zu has no id",
				                    (long long)pager->page + 1, s->url, i);
				break;
			}
			/* With a cursor, ids are the cursor: skip what the
			 * last run loaded before fetching details. */
			if (s->cursor_field && k->last && pond__ingest_json_compare(idv, k->last) <= 0)
				continue;
			json_array_append(ids, idv);
		}
	*n = json_is_array(records) ? json_array_size(records) : 0;
	return rc;
}

/* Fetches the pages one after another, as the pager goes, into the sink
 * (or their ids into ids). */
static int fetch_pages(record_sink *k, const ingest_kv *params, size_t nparams, json_t *ids, pond_error *err)
{
	const pond_source *s = k->s;
	ingest_pager pager;
	pond__ingest_pager_init(&pager, &s->page);
	ingest_response resp;
	memset(&resp, 0, sizeof(resp));
	int rc = 0;
	while (!pager.done && rc == 0) {
		const char *page_url = NULL;
		json_t *body;
		size_t n = 0;
		if ((rc = next_page_url(&page_url, k, &pager, params, nparams, err)) != 0 ||
		    (rc = pond__ingest_http_request(k->http, page_url, s->method, s->body, NULL, &resp, err)) != 0 ||
		    (rc = parse_page(&body, k, &pager, page_url, &resp, err)) != 0)
			break;
		rc = take_page(k, &pager, body, ids, page_url, &n, err);
		if (rc == 0)
			rc = pond__ingest_pager_advance(&pager, n, body, resp.link, page_url, k->arena, err);
		json_decref(body);
	}
	pond__ingest_response_reset(&resp);
	return rc;
}

/* Fetches the detail of each id the pages gave into the sink. */
static int fetch_details(record_sink *k, json_t *ids, pond_error *err)
{
	size_t nids = json_array_size(ids);
	const char **texts = pond_arena_calloc(k->arena, nids, sizeof(*texts));
	if (!texts)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < nids; i++)
		texts[i] = pond__ingest_json_scalar_text(json_array_get(ids, i), k->arena);
	detail_ctx d = {k, k->s->detail_records};
	return pond__ingest_http_fan_out(k->http, k->s->detail_url, texts, nids, k->s->parallel, on_detail, &d, err);
}

/* Loads the records written to path in one commit, with the cursor's new
 * value as the source's state and, with a seen-set (may be NULL), the ids
 * fetched recorded as seen. */
static int load_records(pond_lake *lake, const record_sink *k, const char *path, ingest_seen *seen,
                        const pond_ingest_options *opts, pond_ingest_result *result, pond_error *err)
{
	const pond_source *s = k->s;
	pond_arena *a = k->arena;
	const char *state_text = s->cursor_field ? pond__ingest_cursor_state(k->max, k->last, a) : NULL;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT * FROM read_json(");
	pond_sql_quote_literal(&sql, path);
	pond_buf_puts(&sql, ", format = 'newline_delimited', sample_size = -1, maximum_object_size = 134217728)");
	ingest_load l = {.read_sql = pond_buf_cstr(&sql), .what = s->url, .tmp_path = path, .write = &s->write,
	                 .state_key = pond__ingest_state_key(a, s->name), .state = state_text, .cancel = opts->cancel,
	                 .on_commit = seen ? pond__ingest_seen_record : NULL, .on_commit_payload = seen};
	int rc = pond_buf_ok(&sql) ? pond__ingest_load(lake, &l, result, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	result->rows = k->rows;
	pond_buf_dispose(&sql);
	return rc;
}

int pond__ingest_run_http(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                          pond_ingest_result *result, pond_error *err)
{
	pond_arena *a = result->arena;
	json_t *state = NULL, *initial = NULL;
	ingest_http *http = NULL;
	record_sink k;
	memset(&k, 0, sizeof(k));
	k.s = s;
	k.arena = a;
	k.progress.opts = opts;
	k.progress.start_ns = pond_time_mono_ns();
	const char *path = NULL;
	json_t *ids = json_array();
	ingest_seen seen;
	memset(&seen, 0, sizeof(seen));
	int rc = pond__ingest_read_state(&state, lake, s, s->write.table, a, err);
	if (rc)
		goto done;
	k.last = state ? json_object_get(state, "cursor") : NULL;
	if (!k.last && s->cursor_initial)
		k.last = initial = initial_cursor(s->cursor_initial);
	if ((rc = pond__ingest_http_new(&http, s, err)) != 0)
		goto done;
	pond__ingest_http_set_cancel(http, opts->cancel);
	if (s->stall_ms == 0 && opts->stall_timeout_ms > 0)
		pond__ingest_http_set_stall(http, opts->stall_timeout_ms);
	k.http = http;
	if ((rc = pond__ingest_tmpfile(&k.out, &path, opts->tmpdir, ".ndjson", a, err)) != 0)
		goto done;
	ingest_kv *params = NULL;
	size_t nparams = 0;
	if (!ids)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = fixed_params(&k, &params, &nparams, err);
	if (rc == 0)
		rc = fetch_pages(&k, params, nparams, ids, err);
	if (rc == 0 && s->detail_url && s->fetch_unseen) {
		seen.source = s->name;
		if ((rc = pond_time_policy_now_ms(&seen.now_ms, err)) == 0 &&
		    (rc = pond__ingest_seen_plan(lake, s, ids, &seen, a, err)) == 0) {
			result->fanout_new = seen.nnew;
			result->fanout_refreshed = seen.nrefresh;
			result->fanout_unchanged = seen.nunchanged;
			json_decref(ids);
			ids = json_incref(seen.fetch);
		}
	}
	if (rc == 0 && s->detail_url && json_array_size(ids))
		rc = fetch_details(&k, ids, err);
	if (rc)
		goto done;
	if (fflush(k.out) != 0) {
		rc = pond_error_set(err, POND_EIO, "could not write %s: %m", path);
		goto done;
	}
	pond__ingest_progress(&k.progress, k.rows, pond__ingest_http_bytes(http), true);
	result->rows = k.rows;
	result->requests = pond__ingest_http_requests(http);
	result->retries = pond__ingest_http_retries(http);
	result->bytes = pond__ingest_http_bytes(http);
	if (k.rows > 0)  /* else nothing new: nothing to commit */
		rc = load_records(lake, &k, path, seen.fetch ? &seen : NULL, opts, result, err);
done:
	if (k.out)
		fclose(k.out);
	if (path)
		unlink(path);
	json_decref(k.max);
	json_decref(state);
	json_decref(initial);
	json_decref(ids);
	pond__ingest_seen_dispose(&seen);
	pond__ingest_http_free(&http);
	return rc;
}
