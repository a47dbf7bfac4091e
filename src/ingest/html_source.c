/*
 * Web-page sources (type: html): pages fetched one at a time, politely
 * (a delay between requests to one host, a User-Agent naming pond), from
 * one URL, a URL template over a range of page numbers, or by following a
 * "next" link; rows taken from a <table> or from repeated elements chosen
 * by CSS selectors; cell text typed (numbers, percents, dates) and written
 * as NDJSON to a temporary file, loaded in one commit with the
 * incremental cursor. A selector that matches nothing, a missing column or
 * a value that does not read fails the run naming the page, the row and
 * the column, before anything is committed.
 */
#include "html.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HTML_USER_AGENT "pond/" POND_VERSION " (html source)"

/* ---- politeness ---------------------------------------------------------------------------- */

/* The host of url (after the scheme, before the path), in the arena. */
static const char *url_host(const char *url, pond_arena *a)
{
	const char *p = strstr(url, "://");
	p = p ? p + 3 : url;
	size_t n = strcspn(p, "/?#");
	return pond_arena_strndup(a, p, n);
}

static int64_t *host_slot(html_polite *p, const char *url, bool add)
{
	const char *host = url_host(url, p->arena);
	if (!host)
		return NULL;
	for (size_t i = 0; i < p->nhosts; i++)
		if (strcasecmp(p->hosts[i].host, host) == 0)
			return &p->hosts[i].last_ms;
	if (!add || !pond_arena_grow(p->arena, (void **)&p->hosts, p->nhosts, &p->cap, sizeof(*p->hosts)))
		return NULL;
	p->hosts[p->nhosts].host = host;
	p->hosts[p->nhosts].last_ms = INT64_MIN;
	return &p->hosts[p->nhosts++].last_ms;
}

void pond__html_polite_wait(html_polite *p, const char *url)
{
	int64_t *last = host_slot(p, url, false);
	if (!last || *last == INT64_MIN || p->delay_ms <= 0)
		return;
	int64_t now = p->clock.now_ms(p->clock.payload);
	if (now < *last + p->delay_ms)
		p->clock.sleep_ms(*last + p->delay_ms - now, p->clock.payload);
}

int pond__html_polite_done(html_polite *p, const char *url)
{
	int64_t *last = host_slot(p, url, true);
	if (!last)
		return POND_ENOMEM;
	*last = p->clock.now_ms(p->clock.payload);
	return 0;
}

static int64_t real_now_ms(void *payload)
{
	(void)payload;
	return pond_time_mono_ns() / 1000000;
}

/* Sleeps in slices so that a cancel (payload: the flag, may be NULL) is
 * noticed. */
static void real_sleep_ms(int64_t ms, void *payload)
{
	const volatile int *cancel = payload;
	for (int64_t left = ms; left > 0 && !(cancel && *cancel); left -= 100)
		pond_time_sleep_ms(left < 100 ? left : 100);
}

const char *pond__html_resolve_url(const char *base, const char *href, pond_arena *arena)
{
	if (!strstr(base, "://") && !strstr(href, "://")) {
		/* A saved page: a path beside it (a fragment or query dropped). */
		size_t n = strcspn(href, "#?");
		const char *slash = strrchr(base, '/');
		if (href[0] == '/' || !slash)
			return pond_arena_strndup(arena, href, n);
		return pond_arena_sprintf(arena, "%.*s%.*s", (int)(slash + 1 - base), base, (int)n, href);
	}
	CURLU *u = curl_url();
	char *out = NULL;
	const char *res = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, href, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
		res = pond_arena_strdup(arena, out);
	curl_free(out);
	curl_url_cleanup(u);
	return res;
}

/* ---- a run ----------------------------------------------------------------------------------- */

/* A column of the output: its name as a JSON key and how to type it. */
typedef struct {
	const char *name;
	const char *key;              /* "\"name\":" */
	const html_column *cfg;       /* NULL: text */
} out_column;

typedef struct {
	const pond_source *s;
	const html_config *cfg;
	ingest_http *http;
	html_polite polite;
	FILE *out;
	int64_t rows, pages;
	out_column *cols;
	size_t ncols, capcols;
	json_t *last;                 /* the cursor the previous run committed (borrowed) */
	json_t *max;                  /* the largest cursor value seen (owned) */
	pond_buf line;
	ingest_progress progress;
	pond_arena *arena;            /* the run's */
	pond_arena *page_arena;       /* reset per page */
} html_run;

static const char *sql_type(html_type t)
{
	switch (t) {
	case HTML_INTEGER: return "BIGINT";
	case HTML_NUMBER:
	case HTML_PERCENT: return "DOUBLE";
	case HTML_DATE: return "DATE";
	case HTML_TIMESTAMP: return "TIMESTAMP";
	default: return "VARCHAR";
	}
}

static const char *type_label(html_type t)
{
	switch (t) {
	case HTML_INTEGER: return "an integer";
	case HTML_NUMBER: return "a number";
	case HTML_PERCENT: return "a percent";
	case HTML_DATE: return "a date";
	default: return "a timestamp";
	}
}

/* The output column named name (added when new). */
static int column_index(html_run *r, const char *name, const html_column *cfg, size_t *out, pond_error *err)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (strcmp(r->cols[i].name, name) == 0) {
			*out = i;
			return 0;
		}
	if (!pond_arena_grow(r->arena, (void **)&r->cols, r->ncols, &r->capcols, sizeof(*r->cols)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf key = POND_BUF_INIT;
	pond_json_quote(&key, name, strlen(name));
	pond_buf_putc(&key, ':');
	out_column *c = &r->cols[r->ncols];
	c->name = pond_arena_strdup(r->arena, name);
	c->key = pond_buf_ok(&key) ? pond_arena_strdup(r->arena, key.ptr) : NULL;
	c->cfg = cfg;
	pond_buf_dispose(&key);
	if (!c->name || !c->key)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	*out = r->ncols++;
	return 0;
}

/* A cell's text as a JSON value (in the page arena) by the column's
 * type; NULL with err set when it does not read. */
static const char *typed_value(html_run *r, const out_column *c, const char *text, pond_error *err)
{
	pond_arena *a = r->page_arena;
	if (!text || pond__html_is_null(text, r->cfg->nulls))
		return "null";
	html_type t = c->cfg ? c->cfg->type : HTML_TEXT;
	if (t == HTML_TEXT) {
		pond_buf q = POND_BUF_INIT;
		pond_json_quote(&q, text, strlen(text));
		const char *v = pond_buf_ok(&q) ? pond_arena_strdup(a, q.ptr) : NULL;
		pond_buf_dispose(&q);
		if (!v)
			pond_error_set(err, POND_ENOMEM, "out of memory");
		return v;
	}
	char num[80];
	bool pct, ok;
	if (t == HTML_DATE || t == HTML_TIMESTAMP) {
		int64_t days, us;
		ok = pond__html_parse_datetime(text, c->cfg->format, &days, &us);
		if (ok) {
			int64_t total = days * 86400000000LL + us;
			int64_t d = total >= 0 ? total / 86400000000LL : -((-total + 86400000000LL - 1) / 86400000000LL);
			int64_t rem = total - d * 86400000000LL, y;
			unsigned m, dd;
			pond_civil_from_days(t == HTML_DATE ? days : d, &y, &m, &dd);
			if (t == HTML_DATE)
				snprintf(num, sizeof(num), "\"%04lld-%02u-%02u\"", (long long)y, m, dd);
			else
				snprintf(num, sizeof(num), "\"%04lld-%02u-%02u %02d:%02d:%02d.%06d\"", (long long)y, m, dd,
				         (int)(rem / 3600000000LL), (int)(rem / 60000000 % 60), (int)(rem / 1000000 % 60),
				         (int)(rem % 1000000));
		}
	} else {
		ok = pond__html_parse_number(text, &r->cfg->number, num, sizeof(num) - 4, &pct);
		if (ok && t == HTML_INTEGER)
			ok = !strchr(num, '.') && strlen(num) <= 18;
		if (ok && t == HTML_PERCENT) {
			double v = strtod(num, NULL) / (pct ? 100.0 : 1.0);
			snprintf(num, sizeof(num), "%.15g", v);
			if (strtod(num, NULL) != v)
				snprintf(num, sizeof(num), "%.17g", v);
		}
	}
	if (!ok) {
		pond_error_set(err, POND_ECORRUPT, "cannot read \"%.60s\" as %s%s%s", text, type_label(t),
		               c->cfg->format ? " with format " : "", c->cfg->format ? c->cfg->format : "");
		return NULL;
	}
	return pond_arena_strdup(a, num);
}

/* Writes one row (vals by output column; NULL: absent) unless the
 * incremental cursor has seen it. */
static int emit_row(html_run *r, const char *const *vals, const char *url, pond_error *err)
{
	const char *cursor_field = r->cfg->cursor_field;
	if (cursor_field) {
		json_t *v = NULL;
		for (size_t i = 0; i < r->ncols; i++)
			if (strcmp(r->cols[i].name, cursor_field) == 0 && vals[i])
				v = json_loads(vals[i], JSON_DECODE_ANY, NULL);
		if (v && !json_is_null(v)) {
			if (r->last && pond__ingest_json_compare(v, r->last) <= 0) {
				json_decref(v);
				return 0;
			}
			if (!r->max || pond__ingest_json_compare(v, r->max) > 0) {
				json_decref(r->max);
				r->max = json_incref(v);
			}
		}
		json_decref(v);
	}
	pond_buf_clear(&r->line);
	pond_buf_putc(&r->line, '{');
	bool first = true;
	for (size_t i = 0; i < r->ncols; i++) {
		if (!vals[i])
			continue;
		pond_buf_puts(&r->line, first ? "" : ",");
		pond_buf_puts(&r->line, r->cols[i].key);
		pond_buf_puts(&r->line, vals[i]);
		first = false;
	}
	pond_buf_puts(&r->line, "}\n");
	if (!pond_buf_ok(&r->line))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (fwrite(r->line.ptr, 1, r->line.len, r->out) != r->line.len)
		return pond_error_set(err, POND_EIO, "could not write rows of %s to a temporary file: %m", url);
	r->rows++;
	pond__ingest_progress(&r->progress, r->rows, r->http ? pond__ingest_http_bytes(r->http) : 0, false);
	return 0;
}

/* The configured column for a table's column (by its name or header). */
static const html_column *table_column_cfg(const html_config *cfg, const char *name, const char *header)
{
	for (size_t i = 0; i < cfg->ncolumns; i++)
		if (strcmp(cfg->columns[i].name, name) == 0)
			return &cfg->columns[i];
	for (size_t i = 0; i < cfg->ncolumns; i++)
		if (header && strcasecmp(cfg->columns[i].name, header) == 0)
			return &cfg->columns[i];
	return NULL;
}

/* The page's table: by selector, or the Nth in document order. */
static int find_table(xmlNode **out, const html_run *r, htmlDocPtr doc, const char *url, pond_error *err)
{
	const html_config *cfg = r->cfg;
	if (cfg->table) {
		if ((*out = pond__css_first(cfg->table, (xmlNode *)doc)))
			return 0;
		return pond_error_set(err, POND_ECORRUPT, "%s: html_table \"%s\" matches nothing on the page", url,
		                      pond__css_text(cfg->table));
	}
	xmlNode **tables;
	pond_css *sel;
	int rc = pond__css_parse(&sel, "table", r->page_arena, err);
	if (rc)
		return rc;
	size_t n = pond__css_select(&tables, sel, (xmlNode *)doc, r->page_arena);
	if (n == (size_t)-1)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int64_t want = cfg->table_index ? cfg->table_index : 1;
	if ((int64_t)n < want)
		return pond_error_set(err, POND_ECORRUPT, "%s: html_table %lld asked for, the page has %zu table%s", url,
		                      (long long)want, n, n == 1 ? "" : "s");
	*out = tables[want - 1];
	return 0;
}

/* Checks that the configured columns are in the table's header. */
static int check_table_columns(const html_run *r, const char *const *names, const char *const *headers, size_t n,
                               const char *url, pond_error *err)
{
	for (size_t i = 0; i < r->cfg->ncolumns; i++) {
		bool found = false;
		for (size_t c = 0; c < n && !found; c++)
			found = strcmp(r->cfg->columns[i].name, names[c]) == 0 ||
			        (headers[c] && strcasecmp(r->cfg->columns[i].name, headers[c]) == 0);
		if (!found && !r->cfg->columns[i].optional)
			return pond_error_set(err, POND_ECORRUPT, "%s: the table has no column \"%s\"", url,
			                      r->cfg->columns[i].name);
	}
	return 0;
}

/* The rows of the page's table. */
static int take_table(html_run *r, htmlDocPtr doc, const char *url, pond_error *err)
{
	pond_arena *a = r->page_arena;
	xmlNode *table;
	html_grid g;
	int rc = find_table(&table, r, doc, url, err);
	if (rc || (rc = pond__html_table_grid(&g, table, a, err)) != 0)
		return rc;
	size_t first = r->cfg->header && g.nrows ? 1 : 0;
	const char **headers = pond_arena_calloc(a, g.ncols + 1, sizeof(char *));
	size_t *idx = pond_arena_calloc(a, g.ncols + 1, sizeof(size_t));
	const char **vals;
	if (!headers || !idx)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t c = 0; c < g.ncols && first; c++)
		headers[c] = g.cells[c];
	const char **names = pond__html_column_names(headers, g.ncols, a);
	if (!names)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if ((rc = check_table_columns(r, names, headers, g.ncols, url, err)) != 0)
		return rc;
	for (size_t c = 0; c < g.ncols; c++)
		if ((rc = column_index(r, names[c], table_column_cfg(r->cfg, names[c], headers[c]), &idx[c], err)) != 0)
			return rc;
	if (!(vals = pond_arena_calloc(a, r->ncols + 1, sizeof(char *))))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t row = first; row < g.nrows; row++) {
		const char *const *cells = g.cells + row * g.ncols;
		bool empty = true, repeat = first && g.is_header_row[row];
		for (size_t c = 0; c < g.ncols; c++) {
			empty &= cells[c] == NULL;
			repeat &= (cells[c] && headers[c] && strcmp(cells[c], headers[c]) == 0);
		}
		if (empty || repeat)
			continue;  /* an empty <tr>, or the header repeated down a long table */
		memset(vals, 0, r->ncols * sizeof(char *));
		for (size_t c = 0; c < g.ncols; c++)
			if (!(vals[idx[c]] = typed_value(r, &r->cols[idx[c]], cells[c], err)))
				return pond_error_prefix(err, "%s: row %zu, column \"%s\"", url, row + 1 - first, names[c]);
		if ((rc = emit_row(r, vals, url, err)) != 0)
			return rc;
	}
	return 0;
}

/* One column's text in a row: the selected element's text or attribute
 * (links resolved against the page); NULL when absent. */
static const char *row_cell(const html_column *col, xmlNode *row, const char *url, pond_arena *a)
{
	xmlNode *el = col->select ? pond__css_first(col->select, row) : row;
	if (!el)
		return NULL;
	if (!col->attr)
		return pond__html_text(el, false, a);
	xmlChar *v = xmlGetProp(el, BAD_CAST col->attr);
	const char *out = NULL;
	bool link = strcasecmp(col->attr, "href") == 0 || strcasecmp(col->attr, "src") == 0;
	if (v && link && pond_str_starts_with(url, "http"))
		out = pond__html_resolve_url(url, (const char *)v, a);
	else if (v)
		out = pond_arena_strdup(a, (const char *)v);
	xmlFree(v);
	return out;
}

/* The rows of repeated elements the rows selector picks. */
static int take_rows(html_run *r, htmlDocPtr doc, const char *url, pond_error *err)
{
	pond_arena *a = r->page_arena;
	xmlNode **rows;
	size_t n = pond__css_select(&rows, r->cfg->rows, (xmlNode *)doc, a);
	if (n == (size_t)-1)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (n == 0)
		return pond_error_set(err, POND_ECORRUPT, "%s: rows \"%s\" matches nothing on the page", url,
		                      pond__css_text(r->cfg->rows));
	const char **vals = pond_arena_calloc(a, r->ncols + 1, sizeof(char *));
	if (!vals)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < r->ncols; c++) {
			const html_column *col = r->cols[c].cfg;
			const char *text = row_cell(col, rows[i], url, a);
			if (!text && !col->optional)
				return pond_error_set(err, POND_ECORRUPT, "%s: row %zu, column \"%s\": \"%s\" matches nothing in the row",
				                      url, i + 1, col->name, col->spec);
			if (!(vals[c] = typed_value(r, &r->cols[c], text, err)))
				return pond_error_prefix(err, "%s: row %zu, column \"%s\"", url, i + 1, col->name);
		}
		int rc = emit_row(r, vals, url, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Fetches url (http(s), else a file) politely into body. */
static int fetch_page(html_run *r, const char *url, ingest_response *resp, pond_error *err)
{
	pond__ingest_response_reset(resp);
	if (!pond_str_starts_with(url, "http://") && !pond_str_starts_with(url, "https://")) {
		char *text;
		size_t len;
		int rc = pond_file_read(&text, &len, url, (size_t)1 << 30, err);
		if (rc == 0) {
			pond_buf_put(&resp->body, text, len);
			pond_free(text);
		}
		return rc;
	}
	pond__html_polite_wait(&r->polite, url);
	int rc = pond__ingest_http_request(r->http, url, "GET", NULL, NULL, resp, err);
	if (pond__html_polite_done(&r->polite, url) != 0 && rc == 0)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	return rc;
}

/* One page: fetched, parsed, its rows taken; *next gets the next link
 * (NULL: none). */
static int take_page(html_run *r, const char *url, ingest_response *resp, const char **next, pond_error *err)
{
	htmlDocPtr doc = NULL;
	*next = NULL;
	int rc = fetch_page(r, url, resp, err);
	if (rc == 0)
		rc = pond__html_parse(&doc, resp->body.ptr ? resp->body.ptr : "", resp->body.len, resp->content_type, url,
		                      err);
	if (rc == 0)
		rc = r->cfg->rows ? take_rows(r, doc, url, err) : take_table(r, doc, url, err);
	if (rc == 0 && r->cfg->next) {
		xmlNode *link = pond__css_first(r->cfg->next, (xmlNode *)doc);
		xmlChar *href = link ? xmlGetProp(link, BAD_CAST "href") : NULL;
		if (href && *href) {
			*next = pond__html_resolve_url(url, (const char *)href, r->arena);
			if (!*next)
				rc = pond_error_set(err, POND_ECORRUPT, "%s: cannot resolve the next link \"%s\"", url,
				                    (const char *)href);
		}
		xmlFree(href);
	}
	r->pages++;
	xmlFreeDoc(doc);
	return rc;
}

/* The URL of page number n of a template over a range. */
static const char *range_url(const char *tmpl, int64_t n, pond_arena *a)
{
	pond_buf b = POND_BUF_INIT;
	const char *p = tmpl, *m;
	while ((m = strstr(p, "{page}"))) {
		pond_buf_put(&b, p, (size_t)(m - p));
		pond_buf_printf(&b, "%lld", (long long)n);
		p = m + 6;
	}
	pond_buf_puts(&b, p);
	const char *out = pond_buf_ok(&b) ? pond_arena_strdup(a, b.ptr) : NULL;
	pond_buf_dispose(&b);
	return out;
}

/* Every page of the run, as the configuration says. */
static int take_pages(html_run *r, const pond_ingest_options *opts, pond_error *err)
{
	const html_config *cfg = r->cfg;
	ingest_response resp;
	memset(&resp, 0, sizeof(resp));
	const char **seen = NULL;
	size_t nseen = 0, capseen = 0;
	int64_t n = cfg->range_from;
	const char *url = cfg->range ? range_url(cfg->url, n, r->arena) : cfg->url;
	int rc = 0;
	while (url && rc == 0 && r->pages < cfg->max_pages) {
		if ((rc = pond__ingest_check_cancel(opts, err)) != 0)
			break;
		if (!pond_arena_grow(r->arena, (void **)&seen, nseen, &capseen, sizeof(*seen))) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		seen[nseen++] = url;
		pond_arena_reset(r->page_arena);
		const char *next;
		if ((rc = take_page(r, url, &resp, &next, err)) != 0)
			break;
		if (cfg->range) {
			n += cfg->range_step;
			url = (cfg->range_step > 0 ? n <= cfg->range_to : n >= cfg->range_to) ? range_url(cfg->url, n, r->arena)
			                                                                      : NULL;
		} else {
			url = next;
			/* A link back to a page already read ends the run. */
			for (size_t i = 0; url && i < nseen; i++)
				if (strcmp(seen[i], url) == 0)
					url = NULL;
		}
	}
	if (rc == 0 && url && r->pages >= cfg->max_pages)
		pond_warn("%s: stopped after max_pages (%lld) pages; %s not read", r->s->what, (long long)cfg->max_pages, url);
	pond__ingest_response_reset(&resp);
	return rc;
}

/* Loads the rows written to path in one commit, with the cursor's new
 * value as the source's state. */
static int load_rows(pond_lake *lake, html_run *r, const char *path, const pond_ingest_options *opts,
                     pond_ingest_result *result, pond_error *err)
{
	const pond_source *s = r->s;
	pond_arena *a = r->arena;
	const char *state_text = r->cfg->cursor_field ? pond__ingest_cursor_state(r->max, r->last, a) : NULL;
	/* read_ndjson with the columns and types given: nothing is guessed,
	 * a text column stays text whatever it holds. */
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT * FROM read_ndjson(");
	pond_sql_quote_literal(&sql, path);
	pond_buf_puts(&sql, ", maximum_object_size = 134217728, columns = {");
	for (size_t i = 0; i < r->ncols; i++) {
		pond_buf_puts(&sql, i ? ", " : "");
		pond_sql_quote_literal(&sql, r->cols[i].name);
		pond_buf_printf(&sql, ": '%s'", sql_type(r->cols[i].cfg ? r->cols[i].cfg->type : HTML_TEXT));
	}
	pond_buf_puts(&sql, "})");
	ingest_load l = {.read_sql = pond_buf_cstr(&sql), .what = r->cfg->url, .tmp_path = path, .write = &s->write,
	                 .state_key = pond__ingest_state_key(a, s->name), .state = state_text, .cancel = opts->cancel};
	int rc = pond_buf_ok(&sql) ? pond__ingest_load(lake, &l, result, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	result->rows = r->rows;
	pond_buf_dispose(&sql);
	return rc;
}

/* The run's HTTP client: the source's headers and retries, pond's
 * User-Agent unless the source gives one. */
static int open_client(html_run *r, const pond_ingest_options *opts, pond_error *err)
{
	const pond_source *s = r->s;
	pond_source *copy = pond_arena_memdup(r->arena, s, sizeof(*s));
	ingest_kv *headers = pond_arena_calloc(r->arena, s->nheaders + 2, sizeof(*headers));
	if (!copy || !headers)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	bool has_agent = false, has_accept = false;
	for (size_t i = 0; i < s->nheaders; i++) {
		headers[i] = s->headers[i];
		has_agent |= strcasecmp(s->headers[i].name, "User-Agent") == 0;
		has_accept |= strcasecmp(s->headers[i].name, "Accept") == 0;
	}
	copy->headers = headers;
	copy->nheaders = s->nheaders;
	if (!has_agent)
		headers[copy->nheaders++] = (ingest_kv){"User-Agent", HTML_USER_AGENT};
	if (!has_accept)  /* a server that negotiates must not answer JSON */
		headers[copy->nheaders++] = (ingest_kv){"Accept", "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"};
	int rc = pond__ingest_http_new(&r->http, copy, err);
	if (rc == 0) {
		pond__ingest_http_set_cancel(r->http, opts->cancel);
		if (s->stall_ms == 0 && opts->stall_timeout_ms > 0)
			pond__ingest_http_set_stall(r->http, opts->stall_timeout_ms);
	}
	return rc;
}

/* The output columns of a rows source, in the order configured. */
static int rows_columns(html_run *r, pond_error *err)
{
	for (size_t i = 0; r->cfg->rows && i < r->cfg->ncolumns; i++) {
		size_t idx;
		int rc = column_index(r, r->cfg->columns[i].name, &r->cfg->columns[i], &idx, err);
		if (rc)
			return rc;
	}
	return 0;
}

int pond__ingest_run_html(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                          pond_ingest_result *result, pond_error *err)
{
	html_run r;
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.cfg = s->html;
	r.arena = result->arena;
	r.progress.opts = opts;
	r.progress.start_ns = pond_time_mono_ns();
	r.polite = (html_polite){{real_now_ms, real_sleep_ms, (void *)opts->cancel}, s->html->delay_ms, NULL, 0, 0,
	                         result->arena};
	json_t *state = NULL, *initial = NULL;
	const char *path = NULL;
	int rc;
	if (!(r.page_arena = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if ((rc = pond__ingest_read_state(&state, lake, s, s->write.table, r.arena, err)) != 0)
		goto done;
	r.last = state ? json_object_get(state, "cursor") : NULL;
	if (!r.last && s->cursor_initial)
		r.last = initial = json_loads(s->cursor_initial, JSON_DECODE_ANY, NULL);
	if (!r.last && s->cursor_initial)
		r.last = initial = json_string(s->cursor_initial);
	if ((rc = open_client(&r, opts, err)) != 0 || (rc = rows_columns(&r, err)) != 0 ||
	    (rc = pond__ingest_tmpfile(&r.out, &path, opts->tmpdir, ".ndjson", r.arena, err)) != 0 ||
	    (rc = take_pages(&r, opts, err)) != 0)
		goto done;
	if (fflush(r.out) != 0) {
		rc = pond_error_set(err, POND_EIO, "could not write %s: %m", path);
		goto done;
	}
	pond__ingest_progress(&r.progress, r.rows, pond__ingest_http_bytes(r.http), true);
	result->rows = r.rows;
	result->requests = pond__ingest_http_requests(r.http);
	result->retries = pond__ingest_http_retries(r.http);
	result->bytes = pond__ingest_http_bytes(r.http);
	if (r.rows > 0)  /* else nothing new: nothing to commit */
		rc = load_rows(lake, &r, path, opts, result, err);
done:
	if (r.out)
		fclose(r.out);
	if (path)
		unlink(path);
	json_decref(r.max);
	json_decref(state);
	json_decref(initial);
	pond_buf_dispose(&r.line);
	pond__ingest_http_free(&r.http);
	pond_arena_free(&r.page_arena);
	return rc;
}

int pond_source_html(pond_source **out, const char *url, const char *select, const pond_ingest_write *write,
                     pond_arena *arena, pond_error *err)
{
	pond_source *s = pond_arena_calloc(arena, 1, sizeof(*s));
	html_config *h = pond_arena_calloc(arena, 1, sizeof(*h));
	if (!s || !h)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	ingest_retry retry = INGEST_RETRY_INIT;
	*s = (pond_source){.name = "html", .what = url, .type = SOURCE_HTML, .type_name = "html", .write = *write,
	                   .url = url, .retry = retry, .timeout_ms = 60000, .html = h};
	*h = (html_config){.url = url, .max_pages = 1, .delay_ms = 1000, .header = true, .number = {'.', ','}};
	if (select && pond_str_to_i64(select, &h->table_index)) {
		if (h->table_index < 1)
			return pond_error_set(err, POND_EINVAL, "--select %s: tables count from 1", select);
	} else if (select) {
		int rc = pond__css_parse(&h->table, select, arena, err);
		if (rc)
			return rc;
	}
	*out = s;
	return 0;
}
