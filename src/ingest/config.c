/*
 * Source definitions: sources/NAME.yml parsed into a pond_source. Every
 * error names "sources/NAME.yml:LINE"; unknown keys are refused (a typo
 * must not silently turn a setting off). ${NAME} in a value is replaced by
 * the environment variable NAME, else by NAME in .pond/secrets.yml, so
 * secrets stay out of files that are committed. See docs/ingest.md.
 */
#include "bigquery.h"
#include "html.h"
#include "ingest_internal.h"
#include "near.h"
#include "xlsx.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *what;
	const pond_yaml_node *secrets;
	pond_arena *arena;
	pond_error *err;
} parse_ctx;

static int bad(parse_ctx *c, const pond_yaml_node *n, const char *fmt, const char *a1, const char *a2)
{
	pond_error_set(c->err, POND_EINVAL, fmt, a1, a2 ? a2 : "");
	return pond_error_prefix(c->err, "%s:%d", c->what, n ? n->line : 1);
}

/* Replaces ${NAME} with the environment's or the secrets file's value. */
static int substitute(parse_ctx *c, const pond_yaml_node *n, const char *in, const char **out)
{
	if (!strstr(in, "${")) {
		*out = in;
		return 0;
	}
	pond_buf b = POND_BUF_INIT;
	const char *p = in;
	const char *open;
	while ((open = strstr(p, "${"))) {
		pond_buf_put(&b, p, (size_t)(open - p));
		const char *close = strchr(open, '}');
		if (!close) {
			pond_buf_dispose(&b);
			return bad(c, n, "unclosed \"${\" in \"%s\"", in, NULL);
		}
		char name[128];
		size_t len = (size_t)(close - open - 2);
		if (len == 0 || len >= sizeof(name)) {
			pond_buf_dispose(&b);
			return bad(c, n, "bad variable name in \"%s\"", in, NULL);
		}
		memcpy(name, open + 2, len);
		name[len] = '\0';
		const char *v = getenv(name);
		if (!v && c->secrets) {
			const pond_yaml_node *s = pond_yaml_get(c->secrets, name);
			if (s && s->kind == POND_YAML_SCALAR)
				v = s->value;
		}
		if (!v) {
			pond_buf_dispose(&b);
			return bad(c, n, "${%s} is not set (in the environment or .pond/secrets.yml)", name, NULL);
		}
		pond_buf_puts(&b, v);
		p = close + 1;
	}
	pond_buf_puts(&b, p);
	*out = pond_buf_ok(&b) ? pond_arena_strdup(c->arena, pond_buf_cstr(&b)) : NULL;
	pond_buf_dispose(&b);
	return *out ? 0 : pond_error_set(c->err, POND_ENOMEM, "out of memory");
}

static int get_str(parse_ctx *c, const pond_yaml_node *map, const char *key, const char **out)
{
	const pond_yaml_node *n = pond_yaml_get(map, key);
	if (!n || pond_yaml_is_null(n))
		return 0;
	const char *v;
	int rc = pond_yaml_string(n, &v, c->what, key, c->err);
	if (rc)
		return rc;
	return substitute(c, n, v, out);
}

static int get_int(parse_ctx *c, const pond_yaml_node *map, const char *key, int64_t min, int64_t max, int64_t *out)
{
	const pond_yaml_node *n = pond_yaml_get(map, key);
	if (!n || pond_yaml_is_null(n))
		return 0;
	int64_t v;
	int rc = pond_yaml_int(n, &v, c->what, key, c->err);
	if (rc)
		return rc;
	if (v < min || v > max)
		return pond_error_set(c->err, POND_EINVAL, "%s:%d: \"%s\" must be between %lld and %lld", c->what, n->line,
		                      key, (long long)min, (long long)max);
	*out = v;
	return 0;
}

static int get_bool(parse_ctx *c, const pond_yaml_node *map, const char *key, bool *out)
{
	const pond_yaml_node *n = pond_yaml_get(map, key);
	if (!n || pond_yaml_is_null(n))
		return 0;
	return pond_yaml_bool(n, out, c->what, key, c->err);
}

/* A sub-map (or absent); its keys checked. */
static int get_map(parse_ctx *c, const pond_yaml_node *map, const char *key, const char *const *allowed,
                   const pond_yaml_node **out)
{
	*out = NULL;
	const pond_yaml_node *n = pond_yaml_get(map, key);
	if (!n || pond_yaml_is_null(n))
		return 0;
	if (n->kind != POND_YAML_MAP)
		return bad(c, n, "\"%s\" must be a map of keys and values", key, NULL);
	int rc = allowed ? pond_yaml_check_keys(n, allowed, c->what, c->err) : 0;
	if (rc == 0)
		*out = n;
	return rc;
}

/* params: and headers: name -> value. */
static int get_kvs(parse_ctx *c, const pond_yaml_node *map, const char *key, ingest_kv **out, size_t *n)
{
	const pond_yaml_node *m;
	int rc = get_map(c, map, key, NULL, &m);
	if (rc || !m)
		return rc;
	*out = pond_arena_calloc(c->arena, m->count ? m->count : 1, sizeof(**out));
	if (!*out)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->count; i++) {
		const char *v;
		if ((rc = pond_yaml_string(m->values[i], &v, c->what, m->keys[i], c->err)) != 0 ||
		    (rc = substitute(c, m->values[i], v, &v)) != 0)
			return rc;
		(*out)[i] = (ingest_kv){m->keys[i], v};
	}
	*n = m->count;
	return 0;
}

static int parse_keys(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	const pond_yaml_node *n = pond_yaml_get(root, "key");
	if (!n || pond_yaml_is_null(n))
		return 0;
	size_t count = n->kind == POND_YAML_SEQ ? n->count : 1;
	s->keys = pond_arena_calloc(c->arena, count, sizeof(char *));
	if (!s->keys)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	if (n->kind == POND_YAML_SCALAR) {
		/* "a, b" is two keys too. */
		size_t k = 0;
		char *list = pond_arena_strdup(c->arena, n->value), *save = NULL;
		s->keys = pond_arena_calloc(c->arena, strlen(n->value) + 1, sizeof(char *));
		for (char *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
			s->keys[k++] = t;
		count = k;
	} else if (n->kind == POND_YAML_SEQ) {
		for (size_t i = 0; i < n->count; i++) {
			int rc = pond_yaml_string(n->items[i], &s->keys[i], c->what, "key", c->err);
			if (rc)
				return rc;
		}
	} else {
		return bad(c, n, "\"key\" must be a column name or a list of them", NULL, NULL);
	}
	if (count == 0)
		return bad(c, n, "\"key\" names no column", NULL, NULL);
	s->write.keys = s->keys;
	s->write.nkeys = count;
	return 0;
}

/* flatten: true (every level), false, or a depth of at least 1. */
static int parse_flatten(parse_ctx *c, const pond_yaml_node *root, int *out)
{
	const pond_yaml_node *n = pond_yaml_get(root, "flatten");
	if (!n || pond_yaml_is_null(n))
		return 0;
	int64_t depth;
	bool all;
	pond_error ignored = POND_ERROR_INIT;
	if (n->kind == POND_YAML_SCALAR && !n->quoted && pond_str_to_i64(n->value, &depth)) {
		if (depth < 1 || depth > POND_FLATTEN_MAX)
			return bad(c, n, "\"flatten\" must be true, false or a depth from 1 to 1000, not %s", n->value,
			           NULL);
		*out = (int)depth;
		return 0;
	}
	if (pond_yaml_bool(n, &all, c->what, "flatten", &ignored) != 0)
		return bad(c, n, "\"flatten\" must be true, false or a depth from 1 to 1000, not %s",
		           n->kind == POND_YAML_SCALAR ? n->value : "a list or map", NULL);
	*out = all ? POND_FLATTEN_ALL : 0;
	return 0;
}

/* mode, schema and flatten: how rows go into the table. */
static int parse_write_policy(parse_ctx *c, const pond_yaml_node *root, pond_ingest_write *w)
{
	const char *mode = NULL, *schema = NULL;
	int rc;
	if ((rc = get_str(c, root, "mode", &mode)) || (rc = get_str(c, root, "schema", &schema)) ||
	    (rc = parse_flatten(c, root, &w->flatten)))
		return rc;
	if (mode && !pond_ingest_mode_parse(mode, &w->mode))
		return bad(c, pond_yaml_get(root, "mode"), "unknown mode \"%s\" (expected append, replace or merge)", mode,
		           NULL);
	if (schema && !pond_schema_policy_parse(schema, &w->schema))
		return bad(c, pond_yaml_get(root, "schema"), "unknown schema policy \"%s\" (expected evolve, freeze or discard)",
		           schema, NULL);
	return 0;
}

static int parse_write(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	int rc;
	if ((rc = get_str(c, root, "table", &s->write.table)) || (rc = parse_write_policy(c, root, &s->write)) ||
	    (rc = parse_keys(c, root, s)))
		return rc;
	if (!s->write.table)
		return pond_error_set(c->err, POND_EINVAL, "%s:1: \"table\" is missing (the table to load, e.g. raw.items)",
		                      c->what);
	pond_table_ident id;
	pond_error e2 = POND_ERROR_INIT;
	if (pond_table_ident_parse(&id, c->arena, s->write.table, &e2) != 0)
		return bad(c, pond_yaml_get(root, "table"), "bad table name: %s", e2.msg, NULL);
	if (s->write.mode == POND_INGEST_MERGE && s->write.nkeys == 0)
		return bad(c, pond_yaml_get(root, "mode"), "mode merge needs \"key\" (the column or columns that identify a row)",
		           NULL, NULL);
	return 0;
}

/* null: a string or a list of them (*out NULL-terminated, in the arena). */
static int parse_nulls(parse_ctx *c, const pond_yaml_node *root, const char *const **out, size_t *count_out)
{
	const pond_yaml_node *n = pond_yaml_get(root, "null");
	if (!n || pond_yaml_is_null(n))
		return 0;
	size_t count = n->kind == POND_YAML_SEQ ? n->count : 1;
	const char **nulls = pond_arena_calloc(c->arena, count + 1, sizeof(char *));
	if (!nulls)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		int rc = pond_yaml_string(n->kind == POND_YAML_SEQ ? n->items[i] : n, &nulls[i], c->what, "null", c->err);
		if (rc)
			return rc;
	}
	*out = nulls;
	*count_out = count;
	return 0;
}

/* The values of decimal_mark and thousands (either NULL when not given)
 * as the two characters; an error on the key that is wrong. */
static int parse_number_format(parse_ctx *c, const pond_yaml_node *root, const char *decimal, const char *thousands,
                               char *out_decimal, char *out_thousands)
{
	const char *why;
	if (pond_ingest_number_format_parse(decimal, thousands, out_decimal, out_thousands, &why))
		return 0;
	bool decimal_ok = !decimal || strcmp(decimal, ".") == 0 || strcmp(decimal, ",") == 0;
	return bad(c, pond_yaml_get(root, decimal_ok ? "thousands" : "decimal_mark"), "%s", why, NULL);
}

/* CSV columns: NAME: TYPE, or NAME: {type, format}. */
static int parse_csv_columns(parse_ctx *c, const pond_yaml_node *root, pond_ingest_read *rd)
{
	static const char *const keys[] = {"type", "format", NULL};
	const pond_yaml_node *m;
	int rc = get_map(c, root, "columns", NULL, &m);
	if (rc || !m)
		return rc;
	pond_ingest_column *cols = pond_arena_calloc(c->arena, m->count ? m->count : 1, sizeof(*cols));
	if (!cols)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->count; i++) {
		const pond_yaml_node *v = m->values[i];
		cols[i].name = m->keys[i];
		if (v->kind == POND_YAML_SCALAR)
			cols[i].type = v->value;
		else if (v->kind == POND_YAML_MAP && (rc = pond_yaml_check_keys(v, keys, c->what, c->err)) == 0 &&
		         (rc = get_str(c, v, "type", &cols[i].type)) == 0)
			rc = get_str(c, v, "format", &cols[i].format);
		else if (v->kind != POND_YAML_MAP)
			return bad(c, v, "column \"%s\" must be a type or a map of type and format", cols[i].name, NULL);
		if (rc)
			return rc;
		if (!cols[i].type)
			return bad(c, v, "column \"%s\" needs \"type\"", cols[i].name, NULL);
		pond_ingest_read one = *rd;
		one.columns = cols;
		one.ncolumns = i + 1;
		const char *why;
		if (pond__ingest_csv_check(&one, &why, c->arena) != 0)
			return bad(c, v, "%s", why ? why : "out of memory", NULL);
	}
	rd->columns = cols;
	rd->ncolumns = m->count;
	return 0;
}

/* The messy-CSV keys: skip, header_line, null, decimal_mark, thousands,
 * columns, encoding. */
static int parse_csv(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	pond_ingest_read *rd = &s->read;
	const char *decimal = NULL, *thousands = NULL;
	int64_t header_line = 0;
	int rc;
	if ((rc = get_int(c, root, "skip", 0, INT32_MAX, &rd->skip)) ||
	    (rc = get_int(c, root, "header_line", 1, INT32_MAX, &header_line)) ||
	    (rc = parse_nulls(c, root, &rd->nulls, &rd->nnulls)) ||
	    (rc = get_str(c, root, "decimal_mark", &decimal)) || (rc = get_str(c, root, "thousands", &thousands)) ||
	    (rc = get_str(c, root, "encoding", &rd->encoding)) || (rc = parse_csv_columns(c, root, rd)))
		return rc;
	if (header_line) {
		if (pond_yaml_get(root, "skip"))
			return bad(c, pond_yaml_get(root, "header_line"), "give \"skip\" or \"header_line\", not both", NULL,
			           NULL);
		if (pond_yaml_get(root, "header") && rd->header == 0)
			return bad(c, pond_yaml_get(root, "header_line"), "\"header_line\" with header: false", NULL, NULL);
		rd->skip = header_line - 1;
		rd->header = 1;
	}
	return decimal || thousands ? parse_number_format(c, root, decimal, thousands, &rd->decimal_mark, &rd->thousands)
	                            : 0;
}

static int parse_read(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	const char *format = NULL;
	bool header = true;
	int rc;
	if ((rc = get_str(c, root, "format", &format)) || (rc = get_str(c, root, "delimiter", &s->read.delimiter)))
		return rc;
	if (format && !pond_ingest_format_parse(format, &s->read.format))
		return bad(c, pond_yaml_get(root, "format"),
		           "unknown format \"%s\" (expected csv, tsv, json, ndjson, parquet or xlsx)",
		           format, NULL);
	if (pond_yaml_get(root, "header")) {
		if ((rc = get_bool(c, root, "header", &header)) != 0)
			return rc;
		s->read.header = header;
	}
	return 0;
}

/* type: xlsx: the sheet (name or number) and the cells to read. */
static int parse_xlsx(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	int rc;
	s->read.format = POND_FORMAT_XLSX;
	if ((rc = get_str(c, root, "sheet", &s->read.sheet)) || (rc = get_str(c, root, "range", &s->read.range)))
		return rc;
	xlsx_range range;
	if (s->read.range && !pond__xlsx_range_parse(s->read.range, &range))
		return bad(c, pond_yaml_get(root, "range"), "bad range \"%s\" (expected cells such as B3:F200, B3 or B:F)",
		           s->read.range, NULL);
	return 0;
}

static int parse_auth(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	static const char *const keys[] = {"type", "token", "key", "name", "in", "username", "password", NULL};
	const pond_yaml_node *m;
	int rc = get_map(c, root, "auth", keys, &m);
	if (rc || !m)
		return rc;
	const char *type = NULL, *in = NULL, *key = NULL;
	if ((rc = get_str(c, m, "type", &type)) || (rc = get_str(c, m, "token", &s->auth_token)) ||
	    (rc = get_str(c, m, "key", &key)) || (rc = get_str(c, m, "name", &s->auth_name)) ||
	    (rc = get_str(c, m, "in", &in)) || (rc = get_str(c, m, "username", &s->auth_user)) ||
	    (rc = get_str(c, m, "password", &s->auth_password)))
		return rc;
	if (!type)
		return bad(c, m, "auth needs \"type\" (bearer, api_key or basic)", NULL, NULL);
	if (strcmp(type, "bearer") == 0) {
		s->auth = AUTH_BEARER;
		if (!s->auth_token)
			return bad(c, m, "auth type bearer needs \"token\"", NULL, NULL);
	} else if (strcmp(type, "api_key") == 0) {
		s->auth = AUTH_API_KEY;
		if (key)
			s->auth_token = key;
		if (!s->auth_token)
			return bad(c, m, "auth type api_key needs \"key\"", NULL, NULL);
		if (!s->auth_name)
			s->auth_name = "X-API-Key";
		if (in && strcmp(in, "query") == 0)
			s->auth_in_query = true;
		else if (in && strcmp(in, "header") != 0)
			return bad(c, pond_yaml_get(m, "in"), "auth \"in\" must be header or query, not \"%s\"", in, NULL);
	} else if (strcmp(type, "basic") == 0) {
		s->auth = AUTH_BASIC;
		if (!s->auth_user)
			return bad(c, m, "auth type basic needs \"username\"", NULL, NULL);
	} else {
		return bad(c, pond_yaml_get(m, "type"), "unknown auth type \"%s\" (expected bearer, api_key or basic)", type,
		           NULL);
	}
	return 0;
}

static int parse_paginate(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	static const char *const keys[] = {"type", "param", "start", "size_param", "size", "limit_param", "limit",
	                                   "path", "max_pages", NULL};
	ingest_paginate *p = &s->page;
	p->type = PAGE_NONE;
	const pond_yaml_node *m;
	int rc = get_map(c, root, "paginate", keys, &m);
	if (rc || !m)
		return rc;
	const char *type = NULL;
	if ((rc = get_str(c, m, "type", &type)) || (rc = get_str(c, m, "param", &p->param)) ||
	    (rc = get_str(c, m, "size_param", &p->size_param)) || (rc = get_str(c, m, "limit_param", &p->size_param)) ||
	    (rc = get_str(c, m, "path", &p->path)) || (rc = get_int(c, m, "start", 0, INT32_MAX, &p->start)) ||
	    (rc = get_int(c, m, "size", 1, 1000000, &p->size)) || (rc = get_int(c, m, "limit", 1, 1000000, &p->size)) ||
	    (rc = get_int(c, m, "max_pages", 1, INT32_MAX, &p->max_pages)))
		return rc;
	const pond_yaml_node *tn = pond_yaml_get(m, "type");
	if (!type)
		return bad(c, m, "paginate needs \"type\" (page_number, offset, cursor, next_url or link_header)", NULL,
		           NULL);
	if (strcmp(type, "page_number") == 0) {
		p->type = PAGE_NUMBER;
		if (!p->param)
			p->param = "page";
		if (!pond_yaml_get(m, "start"))
			p->start = 1;
	} else if (strcmp(type, "offset") == 0) {
		p->type = PAGE_OFFSET;
		if (!p->param)
			p->param = "offset";
		if (!p->size_param)
			p->size_param = "limit";
		if (!p->size)
			return bad(c, m, "paginate type offset needs \"limit\" (records per page)", NULL, NULL);
	} else if (strcmp(type, "cursor") == 0) {
		p->type = PAGE_CURSOR;
		if (!p->param)
			p->param = "cursor";
		if (!p->path)
			return bad(c, m, "paginate type cursor needs \"path\" (where the next cursor is in a page)", NULL,
			           NULL);
	} else if (strcmp(type, "next_url") == 0) {
		p->type = PAGE_NEXT_URL;
		if (!p->path)
			return bad(c, m, "paginate type next_url needs \"path\" (where the next URL is in a page)", NULL, NULL);
	} else if (strcmp(type, "link_header") == 0) {
		p->type = PAGE_LINK;
	} else if (strcmp(type, "none") != 0) {
		return bad(c, tn, "unknown pagination type \"%s\" (expected page_number, offset, cursor, next_url or "
		                  "link_header)",
		           type, NULL);
	}
	return 0;
}

/* fan_out's fetch (all | unseen) and refresh_within (a duration, with
 * unseen). */
static int parse_fetch(parse_ctx *c, const pond_yaml_node *m, pond_source *s)
{
	const char *fetch = NULL, *refresh = NULL;
	int rc;
	if ((rc = get_str(c, m, "fetch", &fetch)) || (rc = get_str(c, m, "refresh_within", &refresh)))
		return rc;
	if (fetch && strcmp(fetch, "unseen") != 0 && strcmp(fetch, "all") != 0)
		return bad(c, pond_yaml_get(m, "fetch"), "fan_out \"fetch\" is all or unseen, not \"%s\"", fetch, NULL);
	s->fetch_unseen = fetch && strcmp(fetch, "unseen") == 0;
	if (!refresh)
		return 0;
	if (!s->fetch_unseen)
		return bad(c, pond_yaml_get(m, "refresh_within"), "fan_out \"refresh_within\" needs fetch: unseen", NULL,
		           NULL);
	if (!pond_duration_parse(refresh, &s->refresh_ms) || s->refresh_ms == 0)
		return bad(c, pond_yaml_get(m, "refresh_within"),
		           "fan_out \"refresh_within\" is a duration such as 3d or 12h, not \"%s\"", refresh, NULL);
	return 0;
}

/* retry: {max_attempts, backoff_ms, max_backoff_ms} over the defaults. */
static int parse_retry(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	static const char *const retry_keys[] = {"max_attempts", "backoff_ms", "max_backoff_ms", NULL};
	ingest_retry retry = INGEST_RETRY_INIT;
	const pond_yaml_node *m;
	s->retry = retry;
	int rc = get_map(c, root, "retry", retry_keys, &m);
	if (rc || !m)
		return rc;
	int64_t attempts = retry.max_attempts, backoff = retry.backoff_ms, max_backoff = retry.max_backoff_ms;
	if ((rc = get_int(c, m, "max_attempts", 1, 100, &attempts)) ||
	    (rc = get_int(c, m, "backoff_ms", 1, 3600000, &backoff)) ||
	    (rc = get_int(c, m, "max_backoff_ms", 1, 3600000, &max_backoff)))
		return rc;
	s->retry = (ingest_retry){(int)attempts, (int)backoff, (int)max_backoff};
	return 0;
}

static int parse_http(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	static const char *const inc_keys[] = {"field", "param", "initial", NULL};
	static const char *const rate_keys[] = {"requests_per_second", NULL};
	static const char *const fan_keys[] = {"url", "id", "records", "parallel", "fetch", "refresh_within", NULL};
	int rc;
	int64_t timeout = 60;
	if ((rc = get_str(c, root, "url", &s->url)) || (rc = get_str(c, root, "method", &s->method)) ||
	    (rc = get_kvs(c, root, "params", &s->params, &s->nparams)) ||
	    (rc = get_kvs(c, root, "headers", &s->headers, &s->nheaders)) || (rc = get_str(c, root, "records", &s->records)) ||
	    (rc = get_int(c, root, "timeout", 1, 86400, &timeout)) || (rc = parse_auth(c, root, s)) ||
	    (rc = parse_paginate(c, root, s)))
		return rc;
	s->timeout_ms = timeout * 1000;
	if (!s->url)
		return pond_error_set(c->err, POND_EINVAL, "%s:1: \"url\" is missing (the API endpoint)", c->what);
	if (!pond_str_starts_with(s->url, "http://") && !pond_str_starts_with(s->url, "https://"))
		return bad(c, pond_yaml_get(root, "url"), "\"url\" must start with http:// or https://", NULL, NULL);
	if (!s->method)
		s->method = "GET";
	if (strcmp(s->method, "GET") != 0 && strcmp(s->method, "POST") != 0)
		return bad(c, pond_yaml_get(root, "method"), "unknown method \"%s\" (expected GET or POST)", s->method, NULL);
	/* body: a JSON document written as YAML text, for POST. */
	const pond_yaml_node *body = pond_yaml_get(root, "body");
	if (body && !pond_yaml_is_null(body)) {
		if (body->kind != POND_YAML_SCALAR)
			return bad(c, body, "\"body\" must be JSON text (use a | block)", NULL, NULL);
		if ((rc = substitute(c, body, body->value, &s->body)) != 0)
			return rc;
		json_t *j;
		pond_error e2 = POND_ERROR_INIT;
		if (pond_json_parse(&j, s->body, strlen(s->body), "body", &e2) != 0)
			return bad(c, body, "\"body\" is not JSON: %s", e2.msg, NULL);
		json_decref(j);
	}
	const pond_yaml_node *m;
	if ((rc = get_map(c, root, "incremental", inc_keys, &m)) != 0)
		return rc;
	if (m) {
		if ((rc = get_str(c, m, "field", &s->cursor_field)) || (rc = get_str(c, m, "param", &s->cursor_param)) ||
		    (rc = get_str(c, m, "initial", &s->cursor_initial)))
			return rc;
		if (!s->cursor_field)
			return bad(c, m, "incremental needs \"field\" (the record field whose last value is kept)", NULL, NULL);
	}
	if ((rc = get_map(c, root, "rate_limit", rate_keys, &m)) != 0)
		return rc;
	if (m) {
		const pond_yaml_node *n = pond_yaml_get(m, "requests_per_second");
		if (n) {
			char *end;
			double v = n->kind == POND_YAML_SCALAR ? strtod(n->value, &end) : 0;
			if (n->kind != POND_YAML_SCALAR || *end || !(v > 0) || v > 100000)
				return bad(c, n, "\"requests_per_second\" must be a number above 0", NULL, NULL);
			s->requests_per_second = v;
		}
	}
	if ((rc = parse_retry(c, root, s)) != 0 || (rc = get_map(c, root, "fan_out", fan_keys, &m)) != 0)
		return rc;
	if (m) {
		int64_t parallel = 8;
		if ((rc = get_str(c, m, "url", &s->detail_url)) || (rc = get_str(c, m, "id", &s->detail_id)) ||
		    (rc = get_str(c, m, "records", &s->detail_records)) ||
		    (rc = get_int(c, m, "parallel", 1, 64, &parallel)))
			return rc;
		if (!s->detail_url || !strstr(s->detail_url, "{id}"))
			return bad(c, m, "fan_out needs \"url\" with {id} where each id goes", NULL, NULL);
		s->parallel = (int)parallel;
		if ((rc = parse_fetch(c, m, s)) != 0)
			return rc;
	}
	return 0;
}

/* incremental: {field, initial} on a column (databases, web pages). */
static int parse_column_cursor(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	static const char *const inc_keys[] = {"field", "initial", NULL};
	const pond_yaml_node *m;
	int rc = get_map(c, root, "incremental", inc_keys, &m);
	if (rc || !m)
		return rc;
	if ((rc = get_str(c, m, "field", &s->cursor_field)) || (rc = get_str(c, m, "initial", &s->cursor_initial)))
		return rc;
	if (!s->cursor_field)
		return bad(c, m, "incremental needs \"field\" (the column whose last value is kept)", NULL, NULL);
	return 0;
}

static int parse_database(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	int rc;
	if ((rc = get_str(c, root, "database", &s->connection)) || (rc = get_str(c, root, "query", &s->query)) ||
	    (rc = get_str(c, root, "from", &s->source_table)))
		return rc;
	if (!s->connection)
		return pond_error_set(c->err, POND_EINVAL, "%s:1: \"database\" is missing (%s)", c->what,
		                      s->type == SOURCE_POSTGRES ? "a postgresql:// URL" : "a SQLite file");
	if (!s->query == !s->source_table)
		return pond_error_set(c->err, POND_EINVAL, "%s:1: give either \"query\" or \"from\" (a table to read)",
		                      c->what);
	return parse_column_cursor(c, root, s);
}

/* ---- bigquery ------------------------------------------------------------------------ */

static int parse_bigquery(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	bq_config *b = pond_arena_calloc(c->arena, 1, sizeof(*b));
	if (!b)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	s->bigquery = b;
	b->page_size = BQ_DEFAULT_PAGE_SIZE;
	int64_t timeout = BQ_DEFAULT_TIMEOUT_MS / 1000;
	int rc;
	if ((rc = get_str(c, root, "key_file", &b->key_file)) || (rc = get_str(c, root, "project", &b->project)) ||
	    (rc = get_str(c, root, "query", &b->query)) || (rc = get_str(c, root, "from", &b->from)) ||
	    (rc = get_str(c, root, "location", &b->location)) || (rc = get_str(c, root, "endpoint", &b->endpoint)) ||
	    (rc = get_int(c, root, "page_size", 1, 100000, &b->page_size)) ||
	    (rc = get_int(c, root, "timeout", 1, 86400, &timeout)) || (rc = parse_retry(c, root, s)) ||
	    (rc = parse_column_cursor(c, root, s)))
		return rc;
	s->timeout_ms = timeout * 1000;
	if (!b->key_file)
		return pond_error_set(
		        c->err, POND_EINVAL,
		        "%s:1: \"key_file\" is missing (a service account's JSON key, e.g. ${BQ_KEY_FILE})", c->what);
	if (!b->query == !b->from)
		return pond_error_set(c->err, POND_EINVAL,
		                      "%s:1: give either \"query\" or \"from\" (a table: dataset.table)", c->what);
	if (b->from && !pond__bq_table_name_ok(b->from))
		return bad(c, pond_yaml_get(root, "from"),
		           "\"from\" is dataset.table or project.dataset.table, not \"%s\"", b->from, NULL);
	if (s->cursor_field && !pond__bq_plain_name(s->cursor_field))
		return bad(c, pond_yaml_get(root, "incremental"), "bad incremental field \"%s\"", s->cursor_field,
		           NULL);
	const char *key;
	rc = pond__bq_config_check(b, &key, c->arena, c->err);
	if (rc == POND_EINVAL && strcmp(key, "project") == 0)
		return bad(c, pond_yaml_get(root, key), "bad project \"%s\"", b->project, NULL);
	if (rc == POND_EINVAL)
		return bad(c, pond_yaml_get(root, key), "\"endpoint\" must start with http:// or https://", NULL, NULL);
	return rc;
}

/* ---- html ---------------------------------------------------------------------------- */

static int parse_html_type(parse_ctx *c, const pond_yaml_node *n, const char *type, html_type *out)
{
	static const struct { const char *name; html_type t; } types[] = {
		{"text", HTML_TEXT},     {"string", HTML_TEXT},     {"integer", HTML_INTEGER}, {"int", HTML_INTEGER},
		{"number", HTML_NUMBER}, {"double", HTML_NUMBER},   {"percent", HTML_PERCENT}, {"date", HTML_DATE},
		{"timestamp", HTML_TIMESTAMP},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0) {
			*out = types[i].t;
			return 0;
		}
	return bad(c, n, "unknown column type \"%s\" (expected text, integer, number, percent, date or timestamp)", type,
	           NULL);
}

/* A rows column's "selector @attr" (either part may be missing). */
static int parse_html_spec(parse_ctx *c, const pond_yaml_node *n, html_column *col)
{
	const char *at = strrchr(col->spec, '@');
	const char *sel_end = at ? at : col->spec + strlen(col->spec);
	if (at && !at[1])
		return bad(c, n, "\"%s\": expected an attribute name after \"@\"", col->spec, NULL);
	col->attr = at ? pond_arena_strdup(c->arena, at + 1) : NULL;
	while (sel_end > col->spec && sel_end[-1] == ' ')
		sel_end--;
	const char *sel = pond_arena_strndup(c->arena, col->spec, (size_t)(sel_end - col->spec));
	if (!sel || !*sel)
		return 0;  /* the row itself */
	pond_error e2 = POND_ERROR_INIT;
	if (pond__css_parse(&col->select, sel, c->arena, &e2) != 0)
		return bad(c, n, "column \"%s\": %s", col->name, e2.msg);
	return 0;
}

/* columns: NAME: "selector @attr" | TYPE (table), or a map of select,
 * type, format, optional. */
static int parse_html_columns(parse_ctx *c, const pond_yaml_node *root, html_config *h)
{
	static const char *const keys[] = {"select", "type", "format", "optional", NULL};
	const pond_yaml_node *m;
	int rc = get_map(c, root, "columns", NULL, &m);
	if (rc || !m)
		return rc;
	if (!(h->columns = pond_arena_calloc(c->arena, m->count ? m->count : 1, sizeof(*h->columns))))
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < m->count; i++) {
		html_column *col = &h->columns[h->ncolumns++];
		const pond_yaml_node *v = m->values[i];
		const char *type = NULL;
		col->name = m->keys[i];
		if (v->kind == POND_YAML_SCALAR) {
			*(h->rows ? &col->spec : &type) = v->value;
		} else if (v->kind == POND_YAML_MAP) {
			if ((rc = pond_yaml_check_keys(v, keys, c->what, c->err)) || (rc = get_str(c, v, "select", &col->spec)) ||
			    (rc = get_str(c, v, "type", &type)) || (rc = get_str(c, v, "format", &col->format)) ||
			    (rc = get_bool(c, v, "optional", &col->optional)))
				return rc;
		} else {
			return bad(c, v, "column \"%s\" must be a selector, a type or a map", col->name, NULL);
		}
		if (type && (rc = parse_html_type(c, v, type, &col->type)) != 0)
			return rc;
		if ((col->type == HTML_DATE || col->type == HTML_TIMESTAMP) && !col->format)
			return bad(c, v, "column \"%s\" needs \"format\" (e.g. \"%%Y-%%m-%%d\")", col->name, NULL);
		if (h->rows && !col->spec)
			return bad(c, v, "column \"%s\" needs \"select\" (a selector in the row, @attr for an attribute)",
			           col->name, NULL);
		if (h->rows && (rc = parse_html_spec(c, v, col)) != 0)
			return rc;
	}
	return 0;
}

static int parse_html_selector(parse_ctx *c, const pond_yaml_node *root, const char *key, pond_css **out)
{
	const char *text = NULL;
	int rc = get_str(c, root, key, &text);
	if (rc || !text)
		return rc;
	pond_error e2 = POND_ERROR_INIT;
	if (pond__css_parse(out, text, c->arena, &e2) != 0)
		return bad(c, pond_yaml_get(root, key), "\"%s\": %s", key, e2.msg);
	return 0;
}

/* How numbers are written (decimal_mark, thousands) and the null strings. */
static int parse_html_values(parse_ctx *c, const pond_yaml_node *root, html_config *h)
{
	const char *decimal = NULL, *thousands = NULL;
	int rc;
	if ((rc = get_str(c, root, "decimal_mark", &decimal)) || (rc = get_str(c, root, "thousands", &thousands)))
		return rc;
	if ((rc = parse_number_format(c, root, decimal, thousands, &h->number.decimal, &h->number.thousands)) != 0)
		return rc;
	size_t nnulls = 0;
	return parse_nulls(c, root, &h->nulls, &nnulls);
}

/* Which pages: url (with {page} and pages: {from, to, step}), next,
 * max_pages, delay. */
static int parse_html_pages(parse_ctx *c, const pond_yaml_node *root, html_config *h)
{
	static const char *const page_keys[] = {"from", "to", "step", NULL};
	const char *delay = NULL;
	const pond_yaml_node *m;
	int rc;
	h->max_pages = 100;
	h->delay_ms = 1000;
	if ((rc = get_str(c, root, "url", &h->url)) || (rc = parse_html_selector(c, root, "next", &h->next)) ||
	    (rc = get_int(c, root, "max_pages", 1, 1000000, &h->max_pages)) || (rc = get_str(c, root, "delay", &delay)) ||
	    (rc = get_map(c, root, "pages", page_keys, &m)))
		return rc;
	if (!h->url)
		return pond_error_set(c->err, POND_EINVAL, "%s:1: \"url\" is missing (the page)", c->what);
	if (delay && !pond_duration_parse(delay, &h->delay_ms))
		return bad(c, pond_yaml_get(root, "delay"), "\"delay\" is a duration such as 1s or 500ms, not \"%s\"", delay,
		           NULL);
	if (!m && strstr(h->url, "{page}"))
		return bad(c, pond_yaml_get(root, "url"), "\"url\" has {page}: give \"pages\" ({from: 1, to: 10})", NULL,
		           NULL);
	if (m) {
		h->range = true;
		h->range_step = 1;
		if ((rc = get_int(c, m, "from", INT32_MIN, INT32_MAX, &h->range_from)) ||
		    (rc = get_int(c, m, "to", INT32_MIN, INT32_MAX, &h->range_to)) ||
		    (rc = get_int(c, m, "step", INT32_MIN, INT32_MAX, &h->range_step)))
			return rc;
		if (!pond_yaml_get(m, "from") || !pond_yaml_get(m, "to") || h->range_step == 0)
			return bad(c, m, "\"pages\" needs \"from\" and \"to\" (and a step other than 0)", NULL, NULL);
		if (!strstr(h->url, "{page}"))
			return bad(c, pond_yaml_get(root, "url"), "with \"pages\", \"url\" needs {page} where the number goes",
			           NULL, NULL);
		if (h->next)
			return bad(c, m, "give \"pages\" or \"next\", not both", NULL, NULL);
	}
	return 0;
}

static int parse_html(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	html_config *h = pond_arena_calloc(c->arena, 1, sizeof(*h));
	if (!h)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	s->html = h;
	h->header = true;
	int64_t timeout = 60;
	const pond_yaml_node *tn = pond_yaml_get(root, "html_table");
	int rc;
	if ((rc = parse_html_pages(c, root, h)) || (rc = parse_html_selector(c, root, "rows", &h->rows)) ||
	    (rc = get_bool(c, root, "header", &h->header)) || (rc = parse_html_columns(c, root, h)) ||
	    (rc = parse_html_values(c, root, h)) || (rc = get_kvs(c, root, "headers", &s->headers, &s->nheaders)) ||
	    (rc = get_int(c, root, "timeout", 1, 86400, &timeout)) || (rc = parse_retry(c, root, s)) ||
	    (rc = parse_column_cursor(c, root, s)))
		return rc;
	h->cursor_field = s->cursor_field;
	s->url = h->url;
	s->timeout_ms = timeout * 1000;
	if (tn && h->rows)
		return bad(c, tn, "give \"html_table\" or \"rows\", not both", NULL, NULL);
	if (h->rows && h->ncolumns == 0)
		return bad(c, pond_yaml_get(root, "rows"), "\"rows\" needs \"columns\" (name: selector in the row)", NULL, NULL);
	if (tn && tn->kind == POND_YAML_SCALAR && !tn->quoted && pond_str_to_i64(tn->value, &h->table_index)) {
		if (h->table_index < 1)
			return bad(c, tn, "\"html_table\" counts from 1 (the first table on the page)", NULL, NULL);
	} else if ((rc = parse_html_selector(c, root, "html_table", &h->table)) != 0) {
		return rc;
	}
	return 0;
}

/* type: near_lake's tables: `table` is a namespace (near: near.blocks,
 * near.transactions, near.receipts) or a table name whose name becomes a
 * prefix (raw.near: raw.near_blocks, ...). Merge keys are each table's
 * own, never given. */
static int parse_near_tables(parse_ctx *c, const pond_yaml_node *root, pond_source *s, near_config *n)
{
	const char *table = NULL;
	int rc;
	if ((rc = get_str(c, root, "table", &table)) || (rc = parse_write_policy(c, root, &s->write)))
		return rc;
	if (!table)
		return pond_error_set(c->err, POND_EINVAL,
		                      "%s:1: \"table\" is missing (a namespace such as near, for near.blocks, "
		                      "near.transactions and near.receipts)", c->what);
	if (pond_yaml_get(root, "key"))
		return bad(c, pond_yaml_get(root, "key"),
		           "a near_lake source has its own keys (height, hash, block_height + receipt_id): leave out \"key\"",
		           NULL, NULL);
	const char *dot = strchr(table, '.');
	pond_buf label = POND_BUF_INIT;
	for (int t = 0; t < NEAR_NTABLES; t++) {
		pond_ingest_write *w = &n->writes[t];
		*w = s->write;
		w->table = dot ? pond_arena_sprintf(c->arena, "%s_%s", table, pond__near_table_suffix[t])
		               : pond_arena_sprintf(c->arena, "%s.%s", table, pond__near_table_suffix[t]);
		w->keys = (const char **)pond__near_keys[t];
		w->nkeys = w->mode == POND_INGEST_MERGE ? pond__near_nkeys[t] : 0;
		pond_table_ident id;
		pond_error e2 = POND_ERROR_INIT;
		if (!w->table || pond_table_ident_parse(&id, c->arena, w->table, &e2) != 0) {
			pond_buf_dispose(&label);
			return bad(c, pond_yaml_get(root, "table"), "bad table name: %s", w->table ? e2.msg : "out of memory",
			           NULL);
		}
		pond_buf_printf(&label, "%s%s", t ? ", " : "", w->table);
	}
	n->label = pond_buf_ok(&label) ? pond_arena_strdup(c->arena, pond_buf_cstr(&label)) : NULL;
	pond_buf_dispose(&label);
	s->write = n->writes[NEAR_BLOCKS];
	return n->label ? 0 : pond_error_set(c->err, POND_ENOMEM, "out of memory");
}

/* type: near_lake: the bucket (by network or name), the heights, and the
 * S3 settings of the bucket's server, with the names and meaning of
 * pond.yml's storage settings. */
static int parse_near(parse_ctx *c, const pond_yaml_node *root, pond_source *s)
{
	near_config *n = pond_arena_calloc(c->arena, 1, sizeof(*n));
	if (!n)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	s->near = n;
	pond_s3_settings defaults = POND_S3_SETTINGS_INIT;
	n->s3 = defaults;
	n->max_blocks = NEAR_MAX_BLOCKS_DEFAULT;
	const char *network = NULL;
	bool path_style = false;
	int rc;
	if ((rc = parse_near_tables(c, root, s, n)) || (rc = get_str(c, root, "network", &network)) ||
	    (rc = get_str(c, root, "bucket", &n->bucket)) ||
	    (rc = get_int(c, root, "start_height", 0, INT64_MAX / 2, &n->start_height)) ||
	    (rc = get_int(c, root, "max_blocks", 1, 10000000, &n->max_blocks)) ||
	    (rc = get_str(c, root, "endpoint", &n->s3.endpoint)) || (rc = get_str(c, root, "region", &n->s3.region)) ||
	    (rc = get_str(c, root, "profile", &n->s3.profile)) || (rc = get_bool(c, root, "path_style", &path_style)) ||
	    (rc = get_str(c, root, "access_key_id_env", &n->s3.access_key_id_env)) ||
	    (rc = get_str(c, root, "secret_access_key_env", &n->s3.secret_access_key_env)) ||
	    (rc = get_str(c, root, "session_token_env", &n->s3.session_token_env)))
		return rc;
	if (pond_yaml_get(root, "path_style"))
		n->s3.path_style = path_style ? 1 : 0;
	if (network && n->bucket)
		return bad(c, pond_yaml_get(root, "bucket"), "give \"network\" or \"bucket\", not both", NULL, NULL);
	if (network) {
		if (strcmp(network, "mainnet") != 0 && strcmp(network, "testnet") != 0)
			return bad(c, pond_yaml_get(root, "network"), "unknown network \"%s\" (expected mainnet or testnet)",
			           network, NULL);
		n->bucket = pond_arena_sprintf(c->arena, "near-lake-data-%s", network);
		/* NEAR's buckets are in Frankfurt, and the reader pays. */
		if (!n->s3.region)
			n->s3.region = "eu-central-1";
		n->requester_pays = true;
	}
	if (!n->bucket)
		return pond_error_set(c->err, POND_EINVAL,
		                      "%s:1: \"network\" is missing (mainnet or testnet; or \"bucket\": the bucket's name)",
		                      c->what);
	if (!pond_yaml_get(root, "start_height"))
		return pond_error_set(c->err, POND_EINVAL, "%s:1: \"start_height\" is missing (the first block to load)",
		                      c->what);
	return get_bool(c, root, "requester_pays", &n->requester_pays);
}

int pond_source_parse(pond_source **out, const char *name, const char *text, size_t len, const char *what,
                      const pond_yaml_node *secrets, pond_arena *arena, pond_error *err)
{
	static const char *const common[] = {"type", "table", "mode", "key", "schema", "flatten", "description"};
	static const char *const file_keys[] = {"path",          "format",  "delimiter", "header",       "stall_timeout",
	                                        "timeout",       "rejects", "skip",      "header_line",  "null",
	                                        "decimal_mark",  "thousands", "columns", "encoding"};
	static const char *const http_keys[] = {"url",         "method",  "params",     "headers", "body",
	                                        "auth",        "records", "paginate",   "incremental",
	                                        "rate_limit",  "retry",   "timeout",    "fan_out",
	                                        "stall_timeout"};
	static const char *const db_keys[] = {"database", "query", "from", "incremental"};
	static const char *const html_keys[] = {"url",      "html_table",   "header",    "rows",      "columns",
	                                        "next",     "pages",        "max_pages", "delay",     "decimal_mark",
	                                        "thousands", "null",        "incremental", "headers", "retry",
	                                        "timeout",  "stall_timeout"};
	static const char *const xlsx_keys[] = {"path", "sheet", "range", "header", "stall_timeout", "timeout"};
	static const char *const near_keys[] = {"network",  "bucket",     "start_height",      "max_blocks",
	                                        "requester_pays", "endpoint", "region",         "profile",
	                                        "path_style", "access_key_id_env", "secret_access_key_env",
	                                        "session_token_env", "stall_timeout"};
	static const char *const bigquery_keys[] = {"key_file", "project",  "query",        "from",
	                                            "location", "endpoint", "page_size",    "incremental",
	                                            "retry",    "timeout",  "stall_timeout"};
	parse_ctx c = {what, secrets, arena, err};
	pond_yaml_node *root;
	int rc = pond_yaml_parse(&root, text, len, what, arena, err);
	if (rc)
		return rc;
	if (root->kind != POND_YAML_MAP)
		return pond_error_set(err, POND_EINVAL, "%s:%d: expected a map of keys and values", what, root->line);
	pond_source *s = pond_arena_calloc(arena, 1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	s->name = pond_arena_strdup(arena, name);
	s->what = what;
	pond_ingest_write w = POND_INGEST_WRITE_INIT;
	pond_ingest_read r = POND_INGEST_READ_INIT;
	s->write = w;
	s->read = r;
	const char *type = NULL;
	if ((rc = get_str(&c, root, "type", &type)) != 0)
		return rc;
	if (!type)
		return pond_error_set(err, POND_EINVAL,
		                      "%s:1: \"type\" is missing (file, folder, xlsx, http, html, postgres, sqlite, "
		                      "bigquery or near_lake)",
		                      what);
	const char *const *extra;
	size_t nextra;
	if (strcmp(type, "file") == 0 || strcmp(type, "folder") == 0) {
		s->type = type[1] == 'i' ? SOURCE_FILE : SOURCE_FOLDER;
		extra = file_keys;
		nextra = sizeof(file_keys) / sizeof(file_keys[0]);
	} else if (strcmp(type, "xlsx") == 0) {
		s->type = SOURCE_FILE;
		extra = xlsx_keys;
		nextra = sizeof(xlsx_keys) / sizeof(xlsx_keys[0]);
	} else if (strcmp(type, "http") == 0) {
		s->type = SOURCE_HTTP;
		extra = http_keys;
		nextra = sizeof(http_keys) / sizeof(http_keys[0]);
	} else if (strcmp(type, "html") == 0) {
		s->type = SOURCE_HTML;
		extra = html_keys;
		nextra = sizeof(html_keys) / sizeof(html_keys[0]);
	} else if (strcmp(type, "near_lake") == 0) {
		s->type = SOURCE_NEAR_LAKE;
		extra = near_keys;
		nextra = sizeof(near_keys) / sizeof(near_keys[0]);
	} else if (strcmp(type, "bigquery") == 0) {
		s->type = SOURCE_BIGQUERY;
		extra = bigquery_keys;
		nextra = sizeof(bigquery_keys) / sizeof(bigquery_keys[0]);
	} else if (strcmp(type, "postgres") == 0 || strcmp(type, "sqlite") == 0) {
		s->type = type[0] == 'p' ? SOURCE_POSTGRES : SOURCE_SQLITE;
		extra = db_keys;
		nextra = sizeof(db_keys) / sizeof(db_keys[0]);
	} else {
		return bad(&c, pond_yaml_get(root, "type"),
		           "unknown source type \"%s\" (expected file, folder, xlsx, http, html, postgres, sqlite, "
		           "bigquery or near_lake)",
		           type, NULL);
	}
	s->type_name = pond_arena_strdup(arena, type);
	size_t ncommon = sizeof(common) / sizeof(common[0]);
	const char **allowed = pond_arena_calloc(arena, ncommon + nextra + 1, sizeof(char *));
	if (!allowed)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	memcpy(allowed, common, sizeof(common));
	memcpy(allowed + ncommon, extra, nextra * sizeof(char *));
	if ((rc = pond_yaml_check_keys(root, allowed, what, err)) != 0 ||
	    (s->type != SOURCE_NEAR_LAKE && (rc = parse_write(&c, root, s)) != 0))
		return rc;
	switch (s->type) {
	case SOURCE_FILE:
	case SOURCE_FOLDER:
		if ((rc = get_str(&c, root, "path", &s->path)) || (rc = parse_read(&c, root, s)) ||
		    (extra == file_keys && (rc = parse_csv(&c, root, s)) != 0) ||
		    (rc = get_str(&c, root, "rejects", &s->write.rejects)) ||
		    (extra == xlsx_keys && (rc = parse_xlsx(&c, root, s)) != 0))
			return rc;
		if (s->type == SOURCE_FILE) {
			/* A URL's download: no overall limit unless given. */
			int64_t timeout = 0;
			if ((rc = get_int(&c, root, "timeout", 1, 604800, &timeout)) != 0)
				return rc;
			s->timeout_ms = timeout * 1000;
		}
		if (!s->path)
			return pond_error_set(err, POND_EINVAL, "%s:1: \"path\" is missing (%s)", what,
			                      extra == xlsx_keys         ? "an .xlsx file or URL"
			                      : s->type == SOURCE_FILE ? "a file, glob or URL"
			                                               : "a glob such as landing/*.csv");
		break;
	case SOURCE_HTTP:
		rc = parse_http(&c, root, s);
		break;
	case SOURCE_HTML:
		rc = parse_html(&c, root, s);
		break;
	case SOURCE_NEAR_LAKE:
		rc = parse_near(&c, root, s);
		break;
	case SOURCE_BIGQUERY:
		rc = parse_bigquery(&c, root, s);
		break;
	default:
		rc = parse_database(&c, root, s);
		break;
	}
	if (rc)
		return rc;
	int64_t stall = 0;
	if ((rc = get_int(&c, root, "stall_timeout", 1, 86400, &stall)) != 0)
		return rc;
	s->stall_ms = stall * 1000;
	*out = s;
	return 0;
}

/* A source's files are relative to the project, wherever pond runs from
 * (a pipeline step, the server, another folder). */
static const char *project_path(const char *path, const char *root, pond_arena *arena)
{
	if (!path || path[0] == '/' || strstr(path, "://"))
		return path;
	return pond_arena_sprintf(arena, "%s/%s", root, path);
}

static int resolve_paths(pond_source *s, const char *root, pond_arena *arena, pond_error *err)
{
	if (s->type == SOURCE_FILE || s->type == SOURCE_FOLDER)
		s->path = project_path(s->path, root, arena);
	else if (s->type == SOURCE_SQLITE)
		s->connection = project_path(s->connection, root, arena);
	else if (s->type == SOURCE_HTML && !pond_str_starts_with(s->html->url, "http://") &&
	         !pond_str_starts_with(s->html->url, "https://"))
		s->url = s->html->url = project_path(s->html->url, root, arena);  /* a saved page */
	else if (s->type == SOURCE_BIGQUERY && !pond__bq_key_is_json(s->bigquery->key_file) &&
	         !(s->bigquery->key_file = project_path(s->bigquery->key_file, root, arena)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return (s->type == SOURCE_FILE || s->type == SOURCE_FOLDER ? s->path : "ok") &&
	               (s->type != SOURCE_SQLITE || s->connection)
	           ? 0
	           : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond_source_load(pond_source **out, const char *root, const char *name, pond_arena *arena, pond_error *err)
{
	for (const char *p = name; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return pond_error_set(err, POND_EINVAL, "bad source name \"%s\" (letters, digits, _ and -)", name);
	const char *path = pond_arena_sprintf(arena, "%s/sources/%s.yml", root, name);
	const char *what = pond_arena_sprintf(arena, "sources/%s.yml", name);
	if (!path || !what)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!pond_file_exists(path))
		return pond_error_set(err, POND_ENOTFOUND, "no source %s: %s does not exist", name, what);
	const pond_yaml_node *secrets = NULL;
	const char *secrets_path = pond_arena_sprintf(arena, "%s/.pond/secrets.yml", root);
	char *text;
	size_t len;
	int rc;
	if (secrets_path && pond_file_exists(secrets_path)) {
		if ((rc = pond_file_read(&text, &len, secrets_path, 1 << 20, err)) != 0)
			return rc;
		pond_yaml_node *sn;
		rc = pond_yaml_parse(&sn, text, len, ".pond/secrets.yml", arena, err);
		pond_free(text);
		if (rc)
			return rc;
		if (sn->kind != POND_YAML_MAP)
			return pond_error_set(err, POND_EINVAL, ".pond/secrets.yml:%d: expected a map of names to values",
			                      sn->line);
		secrets = sn;
	}
	if ((rc = pond_file_read(&text, &len, path, 1 << 20, err)) != 0)
		return rc;
	rc = pond_source_parse(out, name, text, len, what, secrets, arena, err);
	pond_free(text);
	if (rc == 0)
		rc = resolve_paths(*out, root, arena, err);
	return rc;
}

const char *pond_source_name(const pond_source *s) { return s->name; }
const char *pond_source_type(const pond_source *s) { return s->type_name; }
const char *pond_source_table(const pond_source *s) { return s->near ? s->near->label : s->write.table; }
