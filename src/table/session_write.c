/*
 * Writes to catalog tables in SQL: CREATE TABLE (AS), INSERT INTO,
 * DELETE FROM, UPDATE, TRUNCATE, ALTER TABLE and DROP TABLE become table-layer
 * operations (Iceberg commits). Statements on anything else fall through
 * to DuckDB.
 */
#include "session_internal.h"

#include <duckdb.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
	const pond_sql_token *toks;
	size_t n, i;
	const char *text;
} cursor;

static const pond_sql_token *peek(const cursor *c)
{
	return &c->toks[c->i < c->n ? c->i : c->n];
}

static bool accept(cursor *c, const char *kw)
{
	if (c->i < c->n && pond_sql_token_is(&c->toks[c->i], kw)) {
		c->i++;
		return true;
	}
	return false;
}

static bool accept_symbol(cursor *c, char sym)
{
	const pond_sql_token *t = peek(c);
	if (c->i < c->n && t->kind == POND_TOK_SYMBOL && t->len == 1 && t->start[0] == sym) {
		c->i++;
		return true;
	}
	return false;
}

/* Reads "name" or "ns.name" into id; false when there is no name. */
static bool read_table_name(cursor *c, pond_table_ident *id, pond_arena *a)
{
	const pond_sql_token *t = peek(c);
	if (c->i >= c->n || (t->kind != POND_TOK_WORD && t->kind != POND_TOK_QUOTED))
		return false;
	const char *first = pond_sql_token_ident(t, a);
	c->i++;
	if (accept_symbol(c, '.')) {
		const pond_sql_token *u = peek(c);
		if (c->i >= c->n || (u->kind != POND_TOK_WORD && u->kind != POND_TOK_QUOTED))
			return false;
		id->ns.nlevels = 1;
		id->ns.levels[0] = first;
		id->name = pond_sql_token_ident(u, a);
		c->i++;
	} else {
		id->ns = POND_NS(POND_DEFAULT_NAMESPACE);
		id->name = first;
	}
	return id->name != NULL;
}

/* The statement's text from the current token on. */
static const char *rest(const cursor *c)
{
	return peek(c)->start;
}

/* Whether the catalog has id, found as DuckDB finds names (ignoring case
 * when that names one table); id takes the catalog's spelling. */
static bool catalog_has(pond_session *s, pond_table_ident *id, pond_arena *a, pond_error *err, int *rc)
{
	bool exists = false;
	*rc = pond_catalog_table_exists(s->lake->catalog, &id->ns, id->name, &exists, err);
	if (*rc == 0 && !exists && id->ns.nlevels == 1)
		*rc = pond__session_resolve_table(s, id, false, a, &exists, err);
	return exists;
}

/* Binds the catalog tables a query part names; returns the text to run. */
static int bind_query(pond_session *s, const char *query, pond_arena *a, const char **out, pond_error *err)
{
	return pond__session_bind(s, query, a, out, NULL, err);
}

static const char *count_text(pond_arena *a, int64_t n, const char *what)
{
	return pond_arena_sprintf(a, "%lld %s%s", (long long)n, what, n == 1 ? "" : "s");
}

static int do_insert(pond_session *s, cursor *c, pond_arena *a, const pond_table_ident *id, const char **message,
                     pond_error *err)
{
	const char *name = pond_table_ident_format(a, id);
	/* An optional column list: the table's other columns get NULL. */
	const char *query = NULL;
	if (accept_symbol(c, '(')) {
		pond_table *t;
		int rc = pond_table_load(&t, s->lake, id, err);
		if (rc)
			return rc;
		const pond_iceberg_type *root = pond_iceberg_metadata_current_schema(t->metadata)->root;
		const char **listed = pond_arena_calloc(a, root->nfields + 1, sizeof(char *));
		size_t nlisted = 0;
		while (c->i < c->n && !accept_symbol(c, ')')) {
			if (accept_symbol(c, ','))
				continue;
			if (nlisted == root->nfields) {
				pond_table_free(&t);
				return pond_error_set(err, POND_EINVAL, "INSERT INTO %s names more columns than it has", name);
			}
			listed[nlisted++] = pond_sql_token_ident(peek(c), a);
			c->i++;
		}
		pond_buf q = POND_BUF_INIT;
		pond_buf_puts(&q, "SELECT ");
		for (size_t f = 0; f < root->nfields; f++) {
			size_t pos = 0;
			for (size_t j = 0; j < nlisted && !pos; j++)
				if (strcasecmp(listed[j], root->fields[f].name) == 0)
					pos = j + 1;
			pond_buf_printf(&q, f ? ", " : "");
			if (pos)
				pond_buf_printf(&q, "#%zu AS ", pos);
			else
				pond_buf_puts(&q, "NULL AS ");
			pond_sql_quote_ident(&q, root->fields[f].name);
		}
		for (size_t j = 0; j < nlisted; j++) {
			bool found = false;
			for (size_t f = 0; f < root->nfields && !found; f++)
				found = strcasecmp(listed[j], root->fields[f].name) == 0;
			if (!found) {
				pond_buf_dispose(&q);
				pond_table_free(&t);
				return pond_error_set(err, POND_EINVAL, "table %s has no column \"%s\"", name, listed[j]);
			}
		}
		pond_buf_printf(&q, " FROM (%s)", rest(c));
		query = pond_arena_strdup(a, pond_buf_cstr(&q));
		pond_buf_dispose(&q);
		pond_table_free(&t);
	} else {
		query = rest(c);
	}
	const char *bound;
	int rc = bind_query(s, query, a, &bound, err);
	pond_write_result r;
	if (rc == 0)
		rc = pond_table_append_query(s->lake, id, bound, NULL, &r, err);
	if (rc == 0)
		*message = pond_arena_sprintf(a, "inserted %s into %s", count_text(a, r.added_records, "row"), name);
	return rc;
}

/* The constraints of the scratch table: NOT NULL makes a required field,
 * PRIMARY KEY required identifier fields; what pond cannot enforce on
 * every write (CHECK, UNIQUE, FOREIGN KEY) or keep in a format v2 table
 * (DEFAULT) is refused rather than dropped. */
static int apply_constraints(pond_session *s, const char *name, pond_iceberg_schema *schema, pond_arena *a,
                             pond_error *err)
{
	char *list = NULL;
	int rc = pond_engine_query_string(s->lake->engine,
	                                  "SELECT string_agg(column_name, ', ') FROM duckdb_columns() WHERE database_name = "
	                                  "'temp' AND table_name = 'pond_new_table' AND column_default IS NOT NULL",
	                                  &list, err);
	if (rc == 0 && list)
		rc = pond_error_set(err, POND_EUNSUPPORTED,
		                    "cannot create %s: column defaults (on %s) need Iceberg format v3 and pond writes format "
		                    "v2 tables",
		                    name, list);
	pond_free(list);
	list = NULL;
	if (rc == 0)
		rc = pond_engine_query_string(s->lake->engine,
		                              "SELECT string_agg(constraint_type || chr(2) || array_to_string("
		                              "constraint_column_names, chr(3)), chr(1)) FROM duckdb_constraints() WHERE "
		                              "database_name = 'temp' AND table_name = 'pond_new_table'",
		                              &list, err);
	const pond_iceberg_type *root = schema->root;
	int32_t *ids = rc == 0 ? pond_arena_calloc(a, root->nfields + 1, sizeof(int32_t)) : NULL;
	if (rc == 0 && !ids)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t nids = 0;
	for (char *p = list, *next; rc == 0 && p && *p; p = next) {
		next = strchr(p, '\1');
		if (next)
			*next++ = '\0';
		char *cols = strchr(p, '\2');
		if (cols)
			*cols++ = '\0';
		bool not_null = strcmp(p, "NOT NULL") == 0, primary = strcmp(p, "PRIMARY KEY") == 0;
		if (!not_null && !primary) {
			rc = pond_error_set(err, POND_EUNSUPPORTED,
			                    "cannot create %s: pond cannot enforce %s constraints; only NOT NULL and PRIMARY "
			                    "KEY (as Iceberg identifier fields) are kept",
			                    name, p);
			break;
		}
		for (char *c = cols, *cnext; c && *c && rc == 0; c = cnext) {
			cnext = strchr(c, '\3');
			if (cnext)
				*cnext++ = '\0';
			size_t f = 0;
			while (f < root->nfields && strcmp(root->fields[f].name, c) != 0)
				f++;
			if (f == root->nfields)
				continue;
			root->fields[f].required = true;
			if (primary && nids < root->nfields)
				ids[nids++] = root->fields[f].id;
		}
	}
	pond_free(list);
	if (rc == 0 && nids) {
		schema->identifier_field_ids = ids;
		schema->nidentifier_field_ids = nids;
	}
	return rc;
}

/* CREATE TABLE name (column definitions): DuckDB parses the definitions
 * into a scratch table whose schema, with its constraints, becomes the
 * Iceberg schema. */
static int schema_from_definitions(pond_session *s, const char *name, const char *defs, pond_arena *a,
                                   pond_iceberg_schema **out, pond_error *err)
{
	pond_buf q = POND_BUF_INIT;
	pond_buf_printf(&q, "CREATE OR REPLACE TEMP TABLE pond_new_table %s", defs);
	int rc = pond_engine_exec(s->lake->engine, pond_buf_cstr(&q), err);
	pond_buf_dispose(&q);
	if (rc == 0)
		rc = pond_engine_query_schema(s->lake->engine, "SELECT * FROM temp.pond_new_table", a, out, err);
	if (rc == 0)
		rc = apply_constraints(s, name, *out, a, err);
	pond_error ignored = POND_ERROR_INIT;
	pond_engine_exec(s->lake->engine, "DROP TABLE IF EXISTS temp.pond_new_table", &ignored);
	return rc;
}

/* Whether rows of schema `from` can be written to a table of schema `to`
 * as they are: the same column names and types, in order. */
static bool same_columns(const pond_iceberg_schema *from, const pond_iceberg_schema *to)
{
	if (from->root->nfields != to->root->nfields)
		return false;
	bool same = true;
	for (size_t i = 0; i < from->root->nfields && same; i++) {
		pond_buf ta = POND_BUF_INIT, tb = POND_BUF_INIT;
		pond_engine_iceberg_type_sql(&ta, from->root->fields[i].type);
		pond_engine_iceberg_type_sql(&tb, to->root->fields[i].type);
		same = strcasecmp(from->root->fields[i].name, to->root->fields[i].name) == 0 && pond_buf_ok(&ta) &&
		       pond_buf_ok(&tb) && strcmp(pond_buf_cstr(&ta), pond_buf_cstr(&tb)) == 0;
		pond_buf_dispose(&ta);
		pond_buf_dispose(&tb);
	}
	return same;
}

/* CREATE OR REPLACE TABLE id AS query over an existing table, which the
 * query may read: one "overwrite" commit that keeps the table's history
 * (and, when the query read the table, fails with a conflict if another
 * writer committed since). With other columns the query's schema becomes
 * the table's in the same commit, unpartitioned; with the same columns the
 * partition spec stays. Either way NOT NULL goes: a table made by a query
 * has no constraints, as in DuckDB. */
static int replace_from_query(pond_session *s, const pond_table_ident *id, const pond_iceberg_schema *schema,
                              const char *query, pond_arena *a, const char **message, pond_error *err)
{
	const char *name = pond_table_ident_format(a, id);
	pond_table *t;
	int rc = pond_table_load(&t, s->lake, id, err);
	if (rc)
		return rc;
	const pond_iceberg_schema *current = pond_iceberg_metadata_current_schema(t->metadata);
	bool same = same_columns(schema, current);
	pond_schema_change *relax = NULL;
	for (size_t i = 0; same && rc == 0 && i < current->root->nfields; i++)
		if (current->root->fields[i].required && (relax || (rc = pond_schema_change_new(&relax, err)) == 0))
			rc = pond_schema_change_make_optional(relax, current->root->fields[i].name);
	pond_table_free(&t);
	pond_write_result r = {0};
	if (rc == 0) {
		pond_write_options o = POND_WRITE_OPTIONS_INIT;
		o.has_read_snapshot = pond__session_read_snapshot(s, id, &o.read_snapshot_id, &o.read_buffer);
		o.schema_change = relax;
		o.replace_schema = same ? NULL : schema;
		rc = pond_table_overwrite_query(s->lake, id, query, NULL, &o, &r, err);
	}
	pond_schema_change_free(&relax);
	if (rc == 0)
		*message = pond_arena_sprintf(a, "replaced %s with %s", name, count_text(a, r.added_records, "row"));
	return rc;
}

static int do_create(pond_session *s, cursor *c, pond_arena *a, bool or_replace, const char **message,
                     pond_error *err)
{
	bool if_not_exists = false;
	if (accept(c, "if")) {
		if (!accept(c, "not") || !accept(c, "exists"))
			return pond_error_set(err, POND_EINVAL, "expected IF NOT EXISTS");
		if_not_exists = true;
	}
	pond_table_ident id;
	if (!read_table_name(c, &id, a))
		return pond_error_set(err, POND_EINVAL, "expected a table name after CREATE TABLE");
	const char *name = pond_table_ident_format(a, &id);
	int rc;
	bool exists = catalog_has(s, &id, a, err, &rc);
	if (rc)
		return rc;
	if (exists && if_not_exists) {
		*message = pond_arena_sprintf(a, "table %s already exists", name);
		return 0;
	}
	if (exists && !or_replace)
		return pond_error_set(err, POND_EEXISTS, "table %s already exists", name);
	pond_iceberg_schema *schema;
	const char *query = NULL;
	if (accept(c, "as")) {
		if ((rc = bind_query(s, rest(c), a, &query, err)) != 0 ||
		    (rc = pond_engine_query_schema(s->lake->engine, query, a, &schema, err)) != 0)
			return rc;
	} else if (peek(c)->kind == POND_TOK_SYMBOL && peek(c)->start[0] == '(') {
		if ((rc = schema_from_definitions(s, name, rest(c), a, &schema, err)) != 0)
			return rc;
	} else {
		return pond_error_set(err, POND_EINVAL, "expected AS query or (columns) after CREATE TABLE %s", name);
	}
	pond_write_result r = {0};
	if (query && !exists) {
		/* The table and its rows are one commit: a failed or killed CTAS
		 * leaves no empty table behind, and can simply be run again. */
		pond_write_options wo = POND_WRITE_OPTIONS_INIT;
		wo.create_schema = schema;
		if ((rc = pond_table_append_query(s->lake, &id, query, &wo, &r, err)) != 0)
			return rc;
		*message = pond_arena_sprintf(a, "created %s with %s", name, count_text(a, r.added_records, "row"));
		return 0;
	}
	if (exists && query)
		return replace_from_query(s, &id, schema, query, a, message, err);
	/* CREATE [OR REPLACE] TABLE t (columns): an empty table. Replacing
	 * one is a commit that empties it under the new schema (unpartitioned),
	 * so the table is never missing and keeps its history. */
	if (exists) {
		pond_buf q = POND_BUF_INIT;
		pond_buf_puts(&q, "SELECT ");
		for (size_t i = 0; i < schema->root->nfields; i++) {
			pond_buf_puts(&q, i ? ", NULL AS " : "NULL AS ");
			pond_sql_quote_ident(&q, schema->root->fields[i].name);
		}
		pond_buf_puts(&q, " WHERE false");
		pond_write_options o = POND_WRITE_OPTIONS_INIT;
		o.replace_schema = schema;
		rc = pond_buf_ok(&q) ? pond_table_overwrite_query(s->lake, &id, pond_buf_cstr(&q), NULL, &o, &r, err)
		                     : pond_error_set(err, POND_ENOMEM, "out of memory");
		pond_buf_dispose(&q);
	} else {
		rc = pond_table_create(s->lake, &id, schema, NULL, NULL, 0, NULL, err);
	}
	if (rc)
		return rc;
	*message = pond_arena_sprintf(a, "created %s", name);
	return 0;
}

/* The WHERE condition's text, or "true" when there is none. */
static const char *condition(cursor *c, pond_arena *a)
{
	if (c->i >= c->n)
		return "true";
	if (accept(c, "where"))
		return pond_arena_strdup(a, rest(c));
	return NULL;
}

/* Binds the catalog tables a WHERE condition names (its subqueries) and
 * returns its text to run. */
static int bind_condition(pond_session *s, const char *cond, pond_arena *a, const char **out, pond_error *err)
{
	static const char prefix[] = "SELECT 1 FROM __pond_d WHERE ";
	const char *q = pond_arena_sprintf(a, "%s%s", prefix, cond);
	const char *bound;
	if (!q)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = bind_query(s, q, a, &bound, err);
	if (rc == 0)
		*out = bound + sizeof prefix - 1;
	return rc;
}

static int do_delete(pond_session *s, cursor *c, pond_arena *a, const pond_table_ident *id, const char **message,
                     pond_error *err)
{
	const char *cond = condition(c, a);
	if (!cond)
		return pond_error_set(err, POND_EINVAL, "expected WHERE or the end of the statement after DELETE FROM %s",
		                      pond_table_ident_format(a, id));
	pond_write_result r;
	const char *bound = NULL;
	int rc = bind_condition(s, cond, a, &bound, err);
	if (rc == 0)
		rc = pond_table_delete_where(s->lake, id, bound, NULL, &r, err);
	if (rc == 0)
		*message = pond_arena_sprintf(a, "deleted %s from %s", count_text(a, r.matched_records, "row"),
		                              pond_table_ident_format(a, id));
	return rc;
}

/* UPDATE t SET a = x, b = y WHERE cond: the matching rows are replaced by
 * their updated selves in one commit (overwrite by filter). */
static int do_update(pond_session *s, cursor *c, pond_arena *a, const pond_table_ident *id, const char **message,
                     pond_error *err)
{
	const char *name = pond_table_ident_format(a, id);
	if (!accept(c, "set"))
		return pond_error_set(err, POND_EINVAL, "expected SET after UPDATE %s", name);
	pond_table *t;
	int rc = pond_table_load(&t, s->lake, id, err);
	if (rc)
		return rc;
	const pond_iceberg_type *root = pond_iceberg_metadata_current_schema(t->metadata)->root;
	const char **assigned = pond_arena_calloc(a, root->nfields, sizeof(char *));
	/* Parse "col = expr" pairs, splitting at commas outside brackets. */
	while (rc == 0 && c->i < c->n && !pond_sql_token_is(peek(c), "where")) {
		const char *col = pond_sql_token_ident(peek(c), a);
		c->i++;
		if (!accept_symbol(c, '=')) {
			rc = pond_error_set(err, POND_EINVAL, "expected = after %s in UPDATE %s", col, name);
			break;
		}
		const char *start = rest(c);
		int depth = 0;
		while (c->i < c->n) {
			const pond_sql_token *tk = peek(c);
			if (depth == 0 && (pond_sql_token_is(tk, "where") || (tk->kind == POND_TOK_SYMBOL && tk->start[0] == ',')))
				break;
			/* Brackets nest: (f(a, b)), lists [1, 2], structs {'a': 1, 'b': 2}. */
			if (tk->kind == POND_TOK_SYMBOL && strchr("([{", tk->start[0]))
				depth++;
			if (tk->kind == POND_TOK_SYMBOL && strchr(")]}", tk->start[0]))
				depth--;
			c->i++;
		}
		const char *expr = pond_arena_strndup(a, start, (size_t)(rest(c) - start));
		accept_symbol(c, ',');
		size_t f = 0;
		while (f < root->nfields && strcasecmp(root->fields[f].name, col) != 0)
			f++;
		if (f == root->nfields)
			rc = pond_error_set(err, POND_EINVAL, "table %s has no column \"%s\"", name, col);
		else
			assigned[f] = expr;
	}
	const char *cond = rc == 0 ? condition(c, a) : NULL;
	if (rc == 0 && !cond)
		rc = pond_error_set(err, POND_EINVAL, "expected WHERE after the assignments of UPDATE %s", name);
	/* The updated rows: a SELECT over exactly the rows that match, which
	 * the write reads from the files it rewrites (pond_table_update_where). */
	pond_buf q = POND_BUF_INIT;
	if (rc == 0) {
		pond_buf_puts(&q, "SELECT ");
		for (size_t f = 0; f < root->nfields; f++) {
			if (f)
				pond_buf_puts(&q, ", ");
			if (assigned[f])
				pond_buf_printf(&q, "(%s) AS ", assigned[f]);
			pond_sql_quote_ident(&q, root->fields[f].name);
		}
		pond_buf_puts(&q, " FROM __pond_d");
	}
	const char *updated = NULL, *bound_cond = NULL;
	pond_write_result r;
	if (rc == 0)
		rc = bind_query(s, pond_buf_cstr(&q), a, &updated, err);
	if (rc == 0)
		rc = bind_condition(s, cond, a, &bound_cond, err);
	if (rc == 0)
		rc = pond_table_update_where(s->lake, id, updated, bound_cond, NULL, &r, err);
	if (rc == 0)
		*message = pond_arena_sprintf(a, "updated %s in %s", count_text(a, r.matched_records, "row"), name);
	pond_buf_dispose(&q);
	pond_table_free(&t);
	return rc;
}

int pond__session_write(pond_session *s, const char *statement, pond_arena *a, bool *handled, const char **message,
                        pond_error *err)
{
	*handled = false;
	pond_sql_token *toks;
	size_t n;
	int rc = pond__session_tokens(statement, a, &toks, &n, err);
	if (rc)
		return rc;
	cursor c = {toks, n, 0, statement};
	pond_table_ident id;
	if (accept(&c, "create")) {
		bool or_replace = accept(&c, "or") && accept(&c, "replace");
		if (accept(&c, "temp") || accept(&c, "temporary") || !accept(&c, "table"))
			return 0;  /* DuckDB's own (temporary) objects */
		*handled = true;
		return do_create(s, &c, a, or_replace, message, err);
	}
	if (accept(&c, "insert")) {
		if (!accept(&c, "into") || !read_table_name(&c, &id, a) || !catalog_has(s, &id, a, err, &rc))
			return rc;
		*handled = true;
		return do_insert(s, &c, a, &id, message, err);
	}
	if (accept(&c, "delete")) {
		if (!accept(&c, "from") || !read_table_name(&c, &id, a) || !catalog_has(s, &id, a, err, &rc))
			return rc;
		*handled = true;
		return do_delete(s, &c, a, &id, message, err);
	}
	if (accept(&c, "truncate")) {
		accept(&c, "table");
		if (!read_table_name(&c, &id, a) || !catalog_has(s, &id, a, err, &rc))
			return rc;
		*handled = true;
		return do_delete(s, &c, a, &id, message, err);
	}
	if (accept(&c, "update")) {
		if (!read_table_name(&c, &id, a) || !catalog_has(s, &id, a, err, &rc))
			return rc;
		*handled = true;
		return do_update(s, &c, a, &id, message, err);
	}
	if (accept(&c, "alter")) {
		if (!accept(&c, "table") || !read_table_name(&c, &id, a) || !catalog_has(s, &id, a, err, &rc))
			return rc;
		*handled = true;
		return pond__session_alter(s, toks, n, c.i, a, &id, message, err);
	}
	if (accept(&c, "drop") && accept(&c, "table")) {
		bool if_exists = accept(&c, "if") && accept(&c, "exists");
		if (!read_table_name(&c, &id, a))
			return 0;
		bool exists = catalog_has(s, &id, a, err, &rc);
		if (rc || (!exists && !if_exists))
			return rc;  /* not ours: DuckDB reports it */
		*handled = true;
		const char *name = pond_table_ident_format(a, &id);
		if (!exists) {
			*message = pond_arena_sprintf(a, "table %s does not exist", name);
			return 0;
		}
		rc = pond_table_drop(s->lake, &id, true, err);
		if (rc == 0)
			*message = pond_arena_sprintf(a, "dropped %s", name);
		return rc;
	}
	return 0;
}
