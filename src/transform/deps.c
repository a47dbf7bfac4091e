/*
 * The tables a SELECT reads, found by DuckDB's own parser: the statement is
 * serialized with json_serialize_sql and every BASE_TABLE node of the tree
 * is a table read, except names of common table expressions and file
 * paths ('data/x.csv'). Each reference keeps its position in the text so
 * an ephemeral model can be inlined there and an error can name the line.
 */
#include "transform_internal.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

int pond__transform_line_of(const char *text, size_t offset)
{
	int line = 1;
	for (size_t i = 0; i < offset && text[i]; i++)
		line += text[i] == '\n';
	return line;
}

typedef struct {
	const char **ctes;
	size_t nctes, cap_ctes;
	const json_t **tables;
	size_t ntables, cap_tables;
	bool oom;
} walk_state;

static void push(const void ***arr, size_t *n, size_t *cap, const void *v, bool *oom)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		const void **bigger = pond_reallocarray((void *)*arr, c, sizeof(void *));
		if (!bigger) {
			*oom = true;
			return;
		}
		*arr = bigger;
		*cap = c;
	}
	(*arr)[(*n)++] = v;
}

static void walk(const json_t *node, walk_state *st, int depth)
{
	if (depth > 200)
		return;
	if (json_is_array(node)) {
		size_t i;
		const json_t *v;
		json_array_foreach(node, i, v)
			walk(v, st, depth + 1);
		return;
	}
	if (!json_is_object(node))
		return;
	const char *type = json_string_value(json_object_get(node, "type"));
	if (type && strcmp(type, "BASE_TABLE") == 0)
		push((const void ***)&st->tables, &st->ntables, &st->cap_tables, node, &st->oom);
	const json_t *map = json_object_get(json_object_get(node, "cte_map"), "map");
	size_t i;
	const json_t *entry;
	json_array_foreach(map, i, entry) {
		const char *key = json_string_value(json_object_get(entry, "key"));
		if (key)
			push((const void ***)&st->ctes, &st->nctes, &st->cap_ctes, key, &st->oom);
	}
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)node, k, v)
		if (json_is_object(v) || json_is_array(v))
			walk(v, st, depth + 1);
}

static bool is_cte(const walk_state *st, const char *name)
{
	for (size_t i = 0; i < st->nctes; i++)
		if (strcasecmp(st->ctes[i], name) == 0)
			return true;
	return false;
}

/* The length of the name written at text+offset: name(.name)*. */
static size_t name_length(const char *text, size_t offset)
{
	const char *p = text + offset, *end = p;
	pond_sql_token t;
	bool want_name = true;
	const char *cursor = p;
	while (pond_sql_next_token(&cursor, &t)) {
		if (want_name && (t.kind == POND_TOK_WORD || t.kind == POND_TOK_QUOTED || t.kind == POND_TOK_STRING)) {
			end = t.start + t.len;
			want_name = false;
		} else if (!want_name && t.kind == POND_TOK_SYMBOL && t.len == 1 && t.start[0] == '.') {
			want_name = true;
		} else {
			break;
		}
	}
	return (size_t)(end - p);
}

int pond__transform_sql_refs(pond_engine *engine, const char *sql, const char *path, pond_arena *a, tf_ref **out,
                             size_t *n, pond_error *err)
{
	*out = NULL;
	*n = 0;
	pond_buf q = POND_BUF_INIT;
	pond_buf_puts(&q, "SELECT json_serialize_sql(");
	pond_sql_quote_literal(&q, sql);
	pond_buf_putc(&q, ')');
	char *text = NULL;
	int rc = pond_buf_ok(&q) ? pond_engine_query_string(engine, pond_buf_cstr(&q), &text, err)
	                         : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&q);
	if (rc)
		return pond_error_prefix(err, "%s", path);
	if (!text)
		return pond_error_set(err, POND_ESQL, "%s: DuckDB could not parse the SQL", path);
	/* DuckDB writes unknown positions as 2^64-1, which jansson refuses. */
	for (char *p = text; (p = strstr(p, "18446744073709551615")) != NULL;)
		memcpy(p, "-1                  ", 20);
	json_t *doc = json_loads(text, 0, NULL);
	pond_free(text);
	if (!doc)
		return pond_error_set(err, POND_ECORRUPT, "%s: DuckDB's parse tree could not be read", path);
	walk_state st;
	memset(&st, 0, sizeof(st));
	const json_t *stmts = json_object_get(doc, "statements");
	if (json_is_true(json_object_get(doc, "error"))) {
		const char *msg = json_string_value(json_object_get(doc, "error_message"));
		const char *pos = json_string_value(json_object_get(doc, "position"));
		int64_t at = 0;
		int line = pos && pond_str_to_i64(pos, &at) && at >= 0 ? pond__transform_line_of(sql, (size_t)at) : 1;
		rc = pond_error_set(err, POND_ESQL, "%s:%d: %s", path, line, msg ? msg : "the SQL does not parse");
	} else if (json_array_size(stmts) != 1) {
		rc = pond_error_set(err, POND_EINVAL, "%s: a model is one SELECT statement, found %zu", path,
		                    json_array_size(stmts));
	} else {
		walk(stmts, &st, 0);
		if (st.oom)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	tf_ref *refs = rc == 0 ? pond_arena_calloc(a, st.ntables + 1, sizeof(*refs)) : NULL;
	if (rc == 0 && !refs)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t count = 0;
	size_t sql_len = strlen(sql);
	for (size_t i = 0; rc == 0 && i < st.ntables; i++) {
		const json_t *t = st.tables[i];
		const char *schema = json_string_value(json_object_get(t, "schema_name"));
		const char *name = json_string_value(json_object_get(t, "table_name"));
		const char *alias = json_string_value(json_object_get(t, "alias"));
		json_int_t loc = json_integer_value(json_object_get(t, "query_location"));
		if (!name || !*name)
			continue;
		bool bare = !schema || !*schema;
		if (bare && (is_cte(&st, name) || strchr(name, '.') || strchr(name, '/')))
			continue;  /* a CTE, or a file DuckDB reads by name */
		if (!bare && (strcasecmp(schema, "information_schema") == 0 || strcasecmp(schema, "pg_catalog") == 0 ||
		              strcasecmp(schema, "temp") == 0))
			continue;
		tf_ref *r = &refs[count++];
		r->id.ns.nlevels = 1;
		r->id.ns.levels[0] = pond_arena_strdup(a, bare ? POND_DEFAULT_NAMESPACE : schema);
		r->id.name = pond_arena_strdup(a, name);
		r->name = pond_table_ident_format(a, &r->id);
		r->has_alias = alias && *alias;
		r->node = -1;
		if (loc >= 0 && (size_t)loc < sql_len) {
			r->offset = (size_t)loc;
			r->len = name_length(sql, r->offset);
			r->line = pond__transform_line_of(sql, r->offset);
		} else {
			r->offset = SIZE_MAX;
			r->line = 1;
		}
		if (!r->name || !r->id.ns.levels[0])
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	pond_free(st.ctes);
	pond_free(st.tables);
	json_decref(doc);
	if (rc)
		return rc;
	*out = refs;
	*n = count;
	return 0;
}
