/*
 * Binding catalog tables as DuckDB views for a statement, with time travel
 * rewritten and, for a SELECT over one table, its WHERE conjuncts turned
 * into a scan filter so only files that can match are read.
 */
#include "session_internal.h"

#include <string.h>
#include <strings.h>

static void free_views(session_view *v)
{
	while (v) {
		session_view *next = v->next;
		pond_free(v->key);
		pond_free(v->metadata_location);
		pond_free(v);
		v = next;
	}
}

/* The DuckDB view name for a reference: the table's own name, or for time
 * travel "name@v123", "name@tag", "name@t1706700000000". */
static const char *view_name(const session_ref *r, pond_arena *a)
{
	switch (r->at) {
	case SESSION_AT_SNAPSHOT: return pond_arena_sprintf(a, "%s@v%lld", r->id.name, (long long)r->at_snapshot);
	case SESSION_AT_REF: return pond_arena_sprintf(a, "%s@%s", r->id.name, r->at_ref);
	case SESSION_AT_TIME: return pond_arena_sprintf(a, "%s@t%lld", r->id.name, (long long)r->at_ms);
	default: return r->id.name;
	}
}

/* ---- WHERE clause to scan filter ------------------------------------------------ */

static const char *constant_text(const json_t *node, pond_arena *a)
{
	const char *cls = json_string_value(json_object_get(node, "class"));
	if (cls && strcmp(cls, "CAST") == 0)
		node = json_object_get(node, "child");
	cls = json_string_value(json_object_get(node, "class"));
	if (!cls || strcmp(cls, "CONSTANT") != 0)
		return NULL;
	const json_t *value = json_object_get(node, "value");
	if (json_is_true(json_object_get(value, "is_null")))
		return NULL;
	const json_t *v = json_object_get(value, "value");
	if (json_is_string(v))
		return pond_arena_strdup(a, json_string_value(v));
	if (json_is_integer(v))
		return pond_arena_sprintf(a, "%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return pond_arena_sprintf(a, "%.17g", json_real_value(v));
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	return NULL;
}

/* The schema field a COLUMN_REF names, if it is one of the table's. */
static const pond_iceberg_field *column_field(const json_t *node, const pond_iceberg_schema *schema,
                                              const char *alias)
{
	const char *cls = json_string_value(json_object_get(node, "class"));
	if (!cls || strcmp(cls, "COLUMN_REF") != 0)
		return NULL;
	const json_t *names = json_object_get(node, "column_names");
	size_t n = json_array_size(names);
	if (n == 0 || n > 2)
		return NULL;
	if (n == 2 && (!alias || strcasecmp(json_string_value(json_array_get(names, 0)), alias) != 0))
		return NULL;
	const char *col = json_string_value(json_array_get(names, n - 1));
	const pond_iceberg_type *root = schema->root;
	for (size_t i = 0; col && i < root->nfields; i++)
		if (strcasecmp(root->fields[i].name, col) == 0)
			return &root->fields[i];
	return NULL;
}

static bool literal_for(pond_iceberg_literal *out, const pond_iceberg_field *f, const json_t *node, pond_arena *a)
{
	const char *text = constant_text(node, a);
	pond_error ignored = POND_ERROR_INIT;
	return text && pond_iceberg_type_is_primitive(f->type) &&
	       pond_iceberg_literal_from_text(out, f->type, text, a, &ignored) == 0;
}

static pond_expr_op compare_op(const char *type, bool flipped)
{
	static const struct { const char *name; pond_expr_op op, flipped; } ops[] = {
		{"COMPARE_EQUAL", POND_EXPR_EQ, POND_EXPR_EQ},
		{"COMPARE_NOTEQUAL", POND_EXPR_NE, POND_EXPR_NE},
		{"COMPARE_LESSTHAN", POND_EXPR_LT, POND_EXPR_GT},
		{"COMPARE_LESSTHANOREQUALTO", POND_EXPR_LE, POND_EXPR_GE},
		{"COMPARE_GREATERTHAN", POND_EXPR_GT, POND_EXPR_LT},
		{"COMPARE_GREATERTHANOREQUALTO", POND_EXPR_GE, POND_EXPR_LE},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(type, ops[i].name) == 0)
			return flipped ? ops[i].flipped : ops[i].op;
	return 0;
}

/* A filter implied by node (a WHERE clause), or NULL when none can be
 * derived. Only conjuncts pond understands are kept: dropping one only
 * makes the filter weaker, never wrong. */
static pond_expr *to_expr(const json_t *node, const pond_iceberg_schema *schema, const char *alias, pond_arena *a)
{
	const char *type = json_string_value(json_object_get(node, "type"));
	if (!type)
		return NULL;
	if (strcmp(type, "CONJUNCTION_AND") == 0) {
		pond_expr *acc = NULL;
		const json_t *children = json_object_get(node, "children");
		for (size_t i = 0; i < json_array_size(children); i++) {
			pond_expr *e = to_expr(json_array_get(children, i), schema, alias, a);
			if (e)
				acc = acc ? pond_expr_and(a, acc, e) : e;
		}
		return acc;
	}
	if (strcmp(type, "COMPARE_BETWEEN") == 0) {
		const pond_iceberg_field *f = column_field(json_object_get(node, "input"), schema, alias);
		pond_iceberg_literal lo, hi;
		if (!f || !literal_for(&lo, f, json_object_get(node, "lower"), a) ||
		    !literal_for(&hi, f, json_object_get(node, "upper"), a))
			return NULL;
		return pond_expr_and(a, pond_expr_compare(a, POND_EXPR_GE, f->name, lo),
		                     pond_expr_compare(a, POND_EXPR_LE, f->name, hi));
	}
	if (strcmp(type, "COMPARE_IN") == 0) {
		const json_t *children = json_object_get(node, "children");
		size_t n = json_array_size(children);
		const pond_iceberg_field *f = column_field(json_array_get(children, 0), schema, alias);
		if (!f || n < 2)
			return NULL;
		pond_iceberg_literal *values = pond_arena_calloc(a, n - 1, sizeof(*values));
		for (size_t i = 1; values && i < n; i++)
			if (!literal_for(&values[i - 1], f, json_array_get(children, i), a))
				return NULL;
		return values ? pond_expr_in(a, f->name, values, n - 1, false) : NULL;
	}
	if (strcmp(type, "OPERATOR_IS_NULL") == 0 || strcmp(type, "OPERATOR_IS_NOT_NULL") == 0) {
		const pond_iceberg_field *f = column_field(json_array_get(json_object_get(node, "children"), 0), schema, alias);
		if (!f)
			return NULL;
		return type[12] == 'N' ? pond_expr_is_null(a, f->name) : pond_expr_not_null(a, f->name);
	}
	if (strncmp(type, "COMPARE_", 8) == 0) {
		const json_t *l = json_object_get(node, "left"), *r = json_object_get(node, "right");
		bool flipped = false;
		const pond_iceberg_field *f = column_field(l, schema, alias);
		if (!f) {
			f = column_field(r, schema, alias);
			const json_t *tmp = l;
			l = r;
			r = tmp;
			flipped = true;
		}
		pond_expr_op op = compare_op(type, flipped);
		pond_iceberg_literal v;
		if (!f || !op || !literal_for(&v, f, r, a))
			return NULL;
		return pond_expr_compare(a, op, f->name, v);
	}
	return NULL;
}

/* The filter a single-table SELECT puts on the table: its FROM must be the
 * table itself (no joins), so every WHERE conjunct is about its rows. */
static pond_expr *statement_filter(pond_session *s, const char *statement, const session_ref *ref,
                                   const char *schema_name, const char *view, const pond_iceberg_schema *schema,
                                   pond_arena *a)
{
	pond_buf q = POND_BUF_INIT;
	pond_buf_puts(&q, "SELECT json_serialize_sql(");
	pond_sql_quote_literal(&q, statement);
	pond_buf_putc(&q, ')');
	char *json_text = NULL;
	pond_error ignored = POND_ERROR_INIT;
	int rc = pond_buf_ok(&q) ? pond_engine_query_string(s->lake->engine, pond_buf_cstr(&q), &json_text, &ignored) : -1;
	pond_buf_dispose(&q);
	if (rc || !json_text)
		return NULL;
	/* DuckDB writes unknown positions as 2^64-1, which jansson refuses as
	 * out of range; they carry nothing the filter needs. */
	for (char *p = json_text; (p = strstr(p, "18446744073709551615")) != NULL;)
		memcpy(p, "-1                  ", 20);
	json_t *doc = json_loads(json_text, 0, NULL);
	pond_free(json_text);
	pond_expr *e = NULL;
	const json_t *stmts = json_object_get(doc, "statements");
	if (json_array_size(stmts) == 1) {
		const json_t *node = json_object_get(json_array_get(stmts, 0), "node");
		const json_t *from = json_object_get(node, "from_table");
		const char *ftype = json_string_value(json_object_get(from, "type"));
		const char *fschema = json_string_value(json_object_get(from, "schema_name"));
		const char *fname = json_string_value(json_object_get(from, "table_name"));
		const char *alias = json_string_value(json_object_get(from, "alias"));
		bool same_schema = fschema && (strcasecmp(fschema, schema_name) == 0 ||
		                               (fschema[0] == '\0' && strcmp(schema_name, POND_DEFAULT_NAMESPACE) == 0));
		if (ftype && strcmp(ftype, "BASE_TABLE") == 0 && same_schema && fname && strcasecmp(fname, view) == 0) {
			e = to_expr(json_object_get(node, "where_clause"), schema, alias && *alias ? alias : fname, a);
		}
	}
	(void)ref;
	json_decref(doc);
	return e;
}

/* ---- binding ----------------------------------------------------------------------- */

static session_view *find_view(pond_session *s, const char *key)
{
	for (session_view *v = s->views; v; v = v->next)
		if (strcmp(v->key, key) == 0)
			return v;
	return NULL;
}

static int remember_view(pond_session *s, const char *key, const char *location, bool pruned, size_t files,
                         int64_t snapshot_id, pond_error *err)
{
	session_view *v = find_view(s, key);
	if (!v) {
		if (!(v = pond_calloc(1, sizeof(*v))) || !(v->key = pond_strdup(key))) {
			pond_free(v);
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		v->next = s->views;
		s->views = v;
	}
	pond_free(v->metadata_location);
	v->metadata_location = pond_strdup(location);
	v->pruned = pruned;
	v->files = files;
	v->snapshot_id = snapshot_id;
	v->generation = s->generation;
	return v->metadata_location ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

static int bind_ref(pond_session *s, const char *statement, const session_ref *r, bool use_filter, pond_arena *a,
                    size_t *files_kept, pond_error *err)
{
	if (r->id.ns.nlevels != 1)
		return pond_error_set(err, POND_EUNSUPPORTED, "nested namespaces cannot be queried in SQL yet");
	const char *schema_name = r->id.ns.levels[0];
	const char *view = view_name(r, a);
	const char *key = pond_arena_sprintf(a, "%s\x1f%s", schema_name, view);
	pond_table *t;
	int rc = pond_table_load(&t, s->lake, &r->id, err);
	if (rc)
		return rc;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	switch (r->at) {
	case SESSION_AT_SNAPSHOT: so.has_snapshot_id = true; so.snapshot_id = r->at_snapshot; break;
	case SESSION_AT_REF: so.ref = r->at_ref; break;
	case SESSION_AT_TIME: so.has_as_of = true; so.as_of_ms = r->at_ms; break;
	default: break;
	}
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(t->metadata);
	if (use_filter && schema)
		so.filter = statement_filter(s, statement, r, schema_name, view, schema, a);
	if (pond_log_enabled(POND_LOG_DEBUG)) {
		pond_buf f = POND_BUF_INIT;
		if (so.filter)
			pond_expr_format(&f, so.filter);
		pond_debug("binding %s.%s with filter: %s", schema_name, view, so.filter ? pond_buf_cstr(&f) : "none");
		pond_buf_dispose(&f);
	}
	session_view *cached = find_view(s, key);
	if (cached && !cached->pruned && !so.filter && strcmp(cached->metadata_location, t->metadata_location) == 0) {
		if (files_kept)
			*files_kept += cached->files;
		cached->generation = s->generation;
		pond_table_free(&t);
		return 0;
	}
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ");
	pond_sql_quote_ident(&sql, schema_name);
	pond_buf_puts(&sql, "; CREATE OR REPLACE VIEW ");
	pond_sql_quote_ident(&sql, schema_name);
	pond_buf_putc(&sql, '.');
	pond_sql_quote_ident(&sql, view);
	pond_buf_puts(&sql, " AS ");
	size_t kept = 0;
	rc = pond__scan_sql(&sql, s->lake->engine, t->metadata, t->metadata_location, &so, &kept, err);
	if (rc == 0 && files_kept)
		*files_kept += kept;
	if (rc == 0)
		rc = pond_buf_ok(&sql) ? pond_engine_exec(s->lake->engine, pond_buf_cstr(&sql), err)
		                       : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = remember_view(s, key, t->metadata_location, so.filter != NULL, kept,
		                   r->at == SESSION_AT_NONE ? t->metadata->current_snapshot_id : POND_ICEBERG_NO_SNAPSHOT,
		                   err);
	if (rc && rc != POND_ENOMEM)
		pond_error_prefix(err, "%s", pond_table_ident_format(a, &r->id));
	pond_buf_dispose(&sql);
	pond_table_free(&t);
	return rc;
}

static bool is_select(const pond_sql_token *toks, size_t n)
{
	return n > 0 && (pond_sql_token_is(&toks[0], "select") || pond_sql_token_is(&toks[0], "with") ||
	                 pond_sql_token_is(&toks[0], "from"));
}

int pond__session_bind(pond_session *s, const char *statement, pond_arena *a, const char **rewritten,
                       size_t *files_kept, pond_error *err)
{
	pond_sql_token *toks;
	size_t n, nrefs;
	session_ref *refs;
	int rc = pond__session_tokens(statement, a, &toks, &n, err);
	if (s->view_depth == 0)
		s->generation++;
	if (rc == 0)
		rc = pond__session_find_refs(s, toks, n, a, &refs, &nrefs, err);
	if (rc)
		return rc;
	/* Rewrite time travel references to their views' names. */
	pond_buf out = POND_BUF_INIT;
	const char *copied = statement;
	for (size_t i = 0; i < nrefs; i++) {
		if (refs[i].at == SESSION_AT_NONE)
			continue;
		pond_buf_put(&out, copied, (size_t)(refs[i].start - copied));
		pond_sql_quote_ident(&out, refs[i].id.ns.levels[0]);
		pond_buf_putc(&out, '.');
		pond_sql_quote_ident(&out, view_name(&refs[i], a));
		copied = refs[i].end;
	}
	pond_buf_puts(&out, copied);
	const char *text = pond_buf_ok(&out) ? pond_arena_strdup(a, pond_buf_cstr(&out)) : NULL;
	pond_buf_dispose(&out);
	if (!text)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* Inside a pond view no filter applies: the DuckDB view of a table
	 * must show all its rows to whatever else reads it. */
	bool single = s->view_depth == 0 && nrefs == 1 && is_select(toks, n) && !refs[0].view_sql;
	for (size_t i = 0; i < nrefs && rc == 0; i++)
		rc = refs[i].view_sql ? pond__session_bind_view(s, &refs[i], a, err)
		                      : bind_ref(s, text, &refs[i], single, a, files_kept, err);
	*rewritten = text;
	return rc;
}

int pond_session_prepare(pond_session *s, const char *statement, pond_arena *a, const char **rewritten,
                         size_t *files_kept, pond_error *err)
{
	*files_kept = 0;
	return pond__session_bind(s, statement, a, rewritten, files_kept, err);
}

int pond_session_run(pond_session *s, const char *statement, pond_arena *a, pond_result **result, const char **message,
                     pond_error *err)
{
	*result = NULL;
	*message = NULL;
	bool handled = false;
	int rc = pond__session_write(s, statement, a, &handled, message, err);
	if (rc || handled)
		return rc;
	const char *text;
	if ((rc = pond__session_bind(s, statement, a, &text, NULL, err)) != 0)
		return rc;
	return pond_engine_query(s->lake->engine, text, result, err);
}

bool pond__session_read_snapshot(pond_session *s, const pond_table_ident *id, int64_t *snapshot_id)
{
	if (id->ns.nlevels != 1)
		return false;
	char key[1024];
	snprintf(key, sizeof key, "%s\x1f%s", id->ns.levels[0], id->name);
	session_view *v = find_view(s, key);
	if (!v || v->generation != s->generation)
		return false;
	*snapshot_id = v->snapshot_id;
	return true;
}

void pond__session_free_views(pond_session *s)
{
	free_views(s->views);
	s->views = NULL;
}
