/*
 * The small, pure parts of HTTP ingestion, kept apart so unit tests reach
 * them without a server: pagination state, RFC 5988 Link headers,
 * Retry-After (RFC 9110: delta-seconds or an HTTP date), backoff with
 * jitter, dotted JSON paths, and query strings.
 */
#include "ingest_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---- backoff and Retry-After ------------------------------------------------------------ */

int64_t pond__ingest_backoff_ms(const ingest_retry *retry, int attempt)
{
	int64_t d = retry->backoff_ms > 0 ? retry->backoff_ms : 1;
	int64_t cap = retry->max_backoff_ms > 0 ? retry->max_backoff_ms : d;
	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Jitter in [d/2, d]: retries of many clients spread out, and the
	 * delay still grows with the attempt. */
	int64_t half = d / 2;
	return half + (d - half > 0 ? pond_random_i63() % (d - half + 1) : 0);
}

int64_t pond__ingest_retry_after_ms(const char *value, int64_t now_s)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		char *end;
		long long s = strtoll(value, &end, 10);
		while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
			end++;
		if (*end || s < 0)
			return -1;
		if (s > 86400)
			s = 86400;
		return (int64_t)s * 1000;
	}
	time_t t = curl_getdate(value, NULL);
	if (t < 0)
		return -1;
	return t <= now_s ? 0 : ((int64_t)t - now_s) * 1000;
}

/* ---- Link headers ------------------------------------------------------------------------ */

/* RFC 8288: Link: <url>; rel="next"; title="x", <url2>; rel="prev last" */
const char *pond__ingest_link_next(const char *header, pond_arena *arena)
{
	if (!header)
		return NULL;
	const char *p = header;
	while (*p) {
		const char *lt = strchr(p, '<');
		if (!lt)
			return NULL;
		const char *gt = strchr(lt, '>');
		if (!gt)
			return NULL;
		/* Parameters run to the next ',' outside quotes. */
		const char *q = gt + 1;
		bool in_quotes = false, next = false;
		while (*q && (in_quotes || *q != ',')) {
			if (*q == '"')
				in_quotes = !in_quotes;
			if (!in_quotes && *q == ';') {
				q++;
				while (*q == ' ')
					q++;
				if (strncasecmp(q, "rel", 3) == 0) {
					const char *v = q + 3;
					while (*v == ' ')
						v++;
					if (*v == '=') {
						v++;
						while (*v == ' ')
							v++;
						bool quoted = *v == '"';
						if (quoted)
							v++;
						/* rel may list several types. */
						while (*v && *v != (quoted ? '"' : ';') && *v != ',') {
							while (*v == ' ')
								v++;
							const char *e = v;
							while (*e && *e != ' ' && *e != (quoted ? '"' : ';') && *e != ',')
								e++;
							if (e - v == 4 && strncasecmp(v, "next", 4) == 0)
								next = true;
							v = e;
							if (!quoted)
								break;
						}
					}
				}
				continue;
			}
			q++;
		}
		if (next)
			return pond_arena_strndup(arena, lt + 1, (size_t)(gt - lt - 1));
		p = *q ? q + 1 : q;
	}
	return NULL;
}

/* ---- JSON --------------------------------------------------------------------------------- */

json_t *pond__ingest_json_path(json_t *root, const char *path)
{
	if (!path || !*path || strcmp(path, "$") == 0)
		return root;
	const char *p = path;
	if (p[0] == '$' && p[1] == '.')
		p += 2;
	json_t *cur = root;
	while (*p && cur) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char seg[256];
		if (n == 0 || n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, seg);
		} else if (json_is_array(cur)) {
			int64_t i;
			if (!pond_str_to_i64(seg, &i) || i < 0)
				return NULL;
			cur = json_array_get(cur, (size_t)i);
		} else {
			return NULL;
		}
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *pond__ingest_json_scalar_text(const json_t *v, pond_arena *arena)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return pond_arena_strndup(arena, json_string_value(v), json_string_length(v));
	case JSON_INTEGER: return pond_arena_sprintf(arena, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL: return pond_arena_sprintf(arena, "%.17g", json_real_value(v));
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	default: return NULL;
	}
}

int pond__ingest_json_compare(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b)) {
			json_int_t x = json_integer_value(a), y = json_integer_value(b);
			return x < y ? -1 : x > y;
		}
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_string(a) && json_is_string(b)) {
		int c = strcmp(json_string_value(a), json_string_value(b));
		return c < 0 ? -1 : c > 0;
	}
	/* Mixed kinds: numbers before strings, a stable if arbitrary order. */
	return json_is_number(a) ? -1 : json_is_number(b) ? 1 : 0;
}

/* ---- URLs ---------------------------------------------------------------------------------- */

int pond__ingest_url_with_params(pond_buf *out, const char *url, const ingest_kv *params, size_t nparams,
                                 pond_error *err)
{
	pond_buf_puts(out, url);
	bool has_query = strchr(url, '?') != NULL;
	for (size_t i = 0; i < nparams; i++) {
		char *k = curl_easy_escape(NULL, params[i].name, 0);
		char *v = curl_easy_escape(NULL, params[i].value, 0);
		if (!k || !v) {
			curl_free(k);
			curl_free(v);
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		pond_buf_printf(out, "%c%s=%s", has_query ? '&' : '?', k, v);
		has_query = true;
		curl_free(k);
		curl_free(v);
	}
	return pond_buf_ok(out) ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* ---- pagination ------------------------------------------------------------------------------ */

void pond__ingest_pager_init(ingest_pager *p, const ingest_paginate *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->number = cfg->type == PAGE_NUMBER ? cfg->start : 0;
	p->offset = cfg->type == PAGE_OFFSET ? cfg->start : 0;
}

size_t pond__ingest_pager_params(const ingest_pager *p, ingest_kv out[2], pond_arena *arena)
{
	const ingest_paginate *c = p->cfg;
	size_t n = 0;
	if (p->next_url)
		return 0;
	switch (c->type) {
	case PAGE_NUMBER:
		out[n++] = (ingest_kv){c->param, pond_arena_sprintf(arena, "%" PRId64, p->number)};
		break;
	case PAGE_OFFSET:
		out[n++] = (ingest_kv){c->param, pond_arena_sprintf(arena, "%" PRId64, p->offset)};
		break;
	case PAGE_CURSOR:
		if (p->cursor)
			out[n++] = (ingest_kv){c->param, p->cursor};
		break;
	default:
		break;
	}
	if (c->type != PAGE_NONE && c->size_param && c->size > 0)
		out[n++] = (ingest_kv){c->size_param, pond_arena_sprintf(arena, "%" PRId64, c->size)};
	return n;
}

/* Resolves a possibly relative next URL against the page's URL. */
static const char *resolve_url(const char *base, const char *ref, pond_arena *arena)
{
	if (strstr(ref, "://"))
		return pond_arena_strdup(arena, ref);
	CURLU *u = curl_url();
	char *full = NULL;
	const char *out = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
		out = pond_arena_strdup(arena, full);
	curl_free(full);
	curl_url_cleanup(u);
	return out;
}

int pond__ingest_pager_advance(ingest_pager *p, size_t nrecords, json_t *body, const char *link,
                               const char *page_url, pond_arena *arena, pond_error *err)
{
	const ingest_paginate *c = p->cfg;
	p->page++;
	int64_t max_pages = c->max_pages > 0 ? c->max_pages : 100000;
	if (p->page >= max_pages) {
		p->done = true;
		return 0;
	}
	switch (c->type) {
	case PAGE_NONE:
		p->done = true;
		break;
	case PAGE_NUMBER:
		p->done = nrecords == 0;
		p->number++;
		break;
	case PAGE_OFFSET: {
		/* A short page is the last one; so is an empty one. */
		int64_t step = c->size > 0 ? c->size : (int64_t)nrecords;
		p->done = nrecords == 0 || (c->size > 0 && (int64_t)nrecords < c->size);
		p->offset += step;
		break;
	}
	case PAGE_CURSOR: {
		json_t *v = pond__ingest_json_path(body, c->path);
		const char *next = v ? pond__ingest_json_scalar_text(v, arena) : NULL;
		if (!next || !*next || nrecords == 0 || (p->cursor && strcmp(next, p->cursor) == 0)) {
			p->done = true;
			break;
		}
		p->cursor = next;
		break;
	}
	case PAGE_NEXT_URL:
	case PAGE_LINK: {
		const char *next = NULL;
		if (c->type == PAGE_LINK) {
			next = pond__ingest_link_next(link, arena);
		} else {
			json_t *v = pond__ingest_json_path(body, c->path);
			next = json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
		}
		if (!next || nrecords == 0) {
			p->done = true;
			break;
		}
		const char *full = resolve_url(page_url, next, arena);
		if (!full)
			return pond_error_set(err, POND_ECORRUPT, "%s: next page URL \"%s\" is not a URL", page_url, next);
		if (strcmp(full, page_url) == 0) {
			p->done = true;  /* a server pointing at the same page again */
			break;
		}
		p->next_url = full;
		break;
	}
	}
	return 0;
}
