/*
 * ALTER TABLE on catalog tables, as Iceberg commits. Column changes use
 * standard SQL; the Iceberg-specific forms follow Spark's Iceberg SQL:
 *   ALTER TABLE t ADD [COLUMN] c TYPE [DEFAULT v] | DROP [COLUMN] c
 *   ALTER TABLE t RENAME [COLUMN] a TO b | RENAME TO new_name
 *   ALTER TABLE t ALTER [COLUMN] c [SET DATA] TYPE type | DROP NOT NULL
 *   ALTER TABLE t ADD PARTITION FIELD day(ts) [AS name] | DROP PARTITION FIELD f
 *   ALTER TABLE t CREATE TAG|BRANCH name [AS OF VERSION id] | DROP TAG|BRANCH name
 *   ALTER TABLE t SET TBLPROPERTIES ('k' = 'v', ...) | UNSET TBLPROPERTIES ('k', ...)
 */
#include "session_internal.h"

#include <string.h>

typedef struct {
	const pond_sql_token *toks;
	size_t n, i;
} alter_cursor;

static const pond_sql_token *at(const alter_cursor *c)
{
	return &c->toks[c->i < c->n ? c->i : c->n];
}

static bool take(alter_cursor *c, const char *kw)
{
	if (c->i < c->n && pond_sql_token_is(&c->toks[c->i], kw)) {
		c->i++;
		return true;
	}
	return false;
}

static bool take_symbol(alter_cursor *c, const char *sym)
{
	const pond_sql_token *t = at(c);
	if (c->i < c->n && t->kind == POND_TOK_SYMBOL && t->len == strlen(sym) && strncmp(t->start, sym, t->len) == 0) {
		c->i++;
		return true;
	}
	return false;
}

/* A name: an identifier, "quoted", or (for tags and branches, as Spark
 * allows) a 'string'. */
static const char *take_name(alter_cursor *c, pond_arena *a)
{
	const pond_sql_token *t = at(c);
	if (c->i >= c->n)
		return NULL;
	if (t->kind == POND_TOK_STRING && t->start[0] == '\'') {
		c->i++;
		return pond_arena_strndup(a, t->start + 1, t->len - 2);
	}
	if (t->kind != POND_TOK_WORD && t->kind != POND_TOK_QUOTED)
		return NULL;
	c->i++;
	return pond_sql_token_ident(t, a);
}

/* Text from the current token up to (not including) the first top-level
 * token that is one of `stops` (or the end). */
static const char *take_text_until(alter_cursor *c, const char *const *stops, pond_arena *a)
{
	const char *start = at(c)->start;
	int depth = 0;
	while (c->i < c->n) {
		const pond_sql_token *t = at(c);
		bool stop = false;
		for (const char *const *s = stops; *s && depth == 0 && !stop; s++)
			stop = pond_sql_token_is(t, *s);
		if (stop)
			break;
		if (t->kind == POND_TOK_SYMBOL && t->start[0] == '(')
			depth++;
		if (t->kind == POND_TOK_SYMBOL && t->start[0] == ')')
			depth--;
		c->i++;
	}
	const char *end = c->i < c->n ? at(c)->start : at(c)->start;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		end--;
	return pond_arena_strndup(a, start, (size_t)(end - start));
}

/* The Iceberg type of a DuckDB type name, via DuckDB itself. */
static int iceberg_type_of(pond_session *s, const char *sql_type, pond_arena *a, pond_iceberg_type **out,
                           pond_error *err)
{
	pond_iceberg_schema *schema;
	char *q = pond_arena_sprintf(a, "SELECT CAST(NULL AS %s) AS pond_column", sql_type);
	int rc = q ? pond_engine_query_schema(s->lake->engine, q, a, &schema, err) : POND_ENOMEM;
	if (rc)
		return pond_error_prefix(err, "invalid type \"%s\"", sql_type);
	*out = schema->root->fields[0].type;
	return 0;
}

/* A default value as Iceberg's JSON single-value form, via DuckDB. */
static int default_json(pond_session *s, const char *value_sql, const char *sql_type, pond_arena *a, const char **out,
                        pond_error *err)
{
	char *text = NULL;
	char *q = pond_arena_sprintf(a, "SELECT CAST(to_json(CAST((%s) AS %s)) AS VARCHAR)", value_sql, sql_type);
	int rc = q ? pond_engine_query_string(s->lake->engine, q, &text, err) : POND_ENOMEM;
	if (rc)
		return pond_error_prefix(err, "invalid default %s", value_sql);
	*out = pond_arena_strdup(a, text ? text : "null");
	pond_free(text);
	return 0;
}

static int alter_columns(pond_session *s, alter_cursor *c, pond_arena *a, const pond_table_ident *id,
                         const char **message, pond_error *err)
{
	static const char *const type_stops[] = {"default", "not", NULL};
	const char *name = pond_table_ident_format(a, id);
	pond_schema_change *change;
	int rc = pond_schema_change_new(&change, err);
	if (rc)
		return rc;
	const char *what = NULL;
	if (take(c, "add")) {
		take(c, "column");
		const char *col = take_name(c, a);
		const char *type_text = col ? take_text_until(c, type_stops, a) : NULL;
		const char *def = NULL;
		pond_iceberg_type *type = NULL;
		if (!col || !type_text || !*type_text)
			rc = pond_error_set(err, POND_EINVAL, "expected ADD COLUMN name type in ALTER TABLE %s", name);
		if (rc == 0)
			rc = iceberg_type_of(s, type_text, a, &type, err);
		if (rc == 0 && take(c, "default"))
			rc = default_json(s, take_text_until(c, (const char *const[]){NULL}, a), type_text, a, &def, err);
		if (rc == 0)
			rc = pond_schema_change_add_column(change, NULL, col, type, false, def, NULL);
		what = pond_arena_sprintf(a, "added column %s to %s", col ? col : "?", name);
	} else if (take(c, "drop")) {
		take(c, "column");
		const char *col = take_name(c, a);
		rc = col ? pond_schema_change_drop_column(change, col)
		         : pond_error_set(err, POND_EINVAL, "expected DROP COLUMN name in ALTER TABLE %s", name);
		what = pond_arena_sprintf(a, "dropped column %s from %s", col ? col : "?", name);
	} else if (take(c, "rename")) {
		take(c, "column");
		const char *from = take_name(c, a);
		const char *to = take(c, "to") ? take_name(c, a) : NULL;
		rc = from && to ? pond_schema_change_rename_column(change, from, to)
		                : pond_error_set(err, POND_EINVAL, "expected RENAME COLUMN a TO b in ALTER TABLE %s", name);
		what = pond_arena_sprintf(a, "renamed column %s to %s in %s", from ? from : "?", to ? to : "?", name);
	} else if (take(c, "alter")) {
		take(c, "column");
		const char *col = take_name(c, a);
		if (col && take(c, "drop") && take(c, "not") && take(c, "null")) {
			rc = pond_schema_change_make_optional(change, col);
			what = pond_arena_sprintf(a, "made column %s of %s optional", col, name);
		} else if (col && (take(c, "type") || (take(c, "set") && take(c, "data") && take(c, "type")))) {
			const char *type_text = take_text_until(c, (const char *const[]){NULL}, a);
			pond_iceberg_type *type = NULL;
			rc = iceberg_type_of(s, type_text, a, &type, err);
			if (rc == 0)
				rc = pond_schema_change_widen_column(change, col, type);
			what = pond_arena_sprintf(a, "changed column %s of %s to %s", col, name, type_text);
		} else {
			rc = pond_error_set(err, POND_EINVAL, "expected ALTER COLUMN c TYPE t or DROP NOT NULL in ALTER TABLE %s",
			                    name);
		}
	} else {
		rc = pond_error_set(err, POND_EUNSUPPORTED, "unsupported ALTER TABLE on %s", name);
	}
	if (rc > 0 || (rc < 0 && err->msg[0] == '\0'))
		rc = pond_error_set(err, POND_EINVAL, "invalid ALTER TABLE on %s", name);
	if (rc == 0)
		rc = pond_table_evolve_schema(s->lake, id, change, err);
	pond_schema_change_free(&change);
	if (rc == 0)
		*message = what;
	return rc;
}

/* ('k' = 'v', ...) or ('k', ...) */
static int property_list(alter_cursor *c, bool with_values, pond_arena *a, pond_iceberg_kv **out, size_t *n,
                         pond_error *err)
{
	if (!take_symbol(c, "("))
		return pond_error_set(err, POND_EINVAL, "expected ( after TBLPROPERTIES");
	pond_iceberg_kv *kv = pond_arena_calloc(a, c->n + 1, sizeof(*kv));
	size_t count = 0;
	while (kv && c->i < c->n && !take_symbol(c, ")")) {
		if (take_symbol(c, ","))
			continue;
		const pond_sql_token *k = at(c);
		if (k->kind != POND_TOK_STRING)
			return pond_error_set(err, POND_EINVAL, "expected a quoted property name in TBLPROPERTIES");
		kv[count].key = pond_arena_strndup(a, k->start + 1, k->len - 2);
		c->i++;
		if (with_values) {
			const pond_sql_token *v = take_symbol(c, "=") ? at(c) : NULL;
			if (!v || v->kind != POND_TOK_STRING)
				return pond_error_set(err, POND_EINVAL, "expected 'name' = 'value' in TBLPROPERTIES");
			kv[count].value = pond_arena_strndup(a, v->start + 1, v->len - 2);
			c->i++;
		}
		count++;
	}
	*out = kv;
	*n = count;
	return kv ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond__session_alter(pond_session *s, const pond_sql_token *toks, size_t n, size_t i, pond_arena *a,
                        const pond_table_ident *id, const char **message, pond_error *err)
{
	alter_cursor c = {toks, n, i};
	const char *name = pond_table_ident_format(a, id);
	int rc;
	size_t mark = c.i;
	if (take(&c, "add") && take(&c, "partition") && take(&c, "field")) {
		pond_partition_field_def def;
		const char *text = take_text_until(&c, (const char *const[]){NULL}, a);
		if ((rc = pond_partition_field_parse(&def, text, a, err)) == 0 &&
		    (rc = pond_table_add_partition_field(s->lake, id, &def, err)) == 0)
			*message = pond_arena_sprintf(a, "added partition field %s to %s", text, name);
		return rc;
	}
	c.i = mark;
	if (take(&c, "drop") && take(&c, "partition") && take(&c, "field")) {
		const char *field = take_text_until(&c, (const char *const[]){NULL}, a);
		if ((rc = pond_table_remove_partition_field(s->lake, id, field, err)) == 0)
			*message = pond_arena_sprintf(a, "dropped partition field %s from %s", field, name);
		return rc;
	}
	c.i = mark;
	if (take(&c, "create") || take(&c, "drop")) {
		bool create = pond_sql_token_is(&toks[mark], "create");
		bool tag = take(&c, "tag");
		if (tag || take(&c, "branch")) {
			const char *ref = take_name(&c, a);
			int64_t snapshot = -1;
			if (create && take(&c, "as") && take(&c, "of") && take(&c, "version")) {
				const pond_sql_token *v = at(&c);
				char *num = pond_arena_strndup(a, v->start, v->len);
				if (!num || !pond_str_to_i64(num, &snapshot))
					return pond_error_set(err, POND_EINVAL, "expected a snapshot id after AS OF VERSION");
			}
			if (!ref)
				return pond_error_set(err, POND_EINVAL, "expected a %s name in ALTER TABLE %s", tag ? "tag" : "branch",
				                      name);
			rc = create ? (tag ? pond_table_create_tag(s->lake, id, ref, snapshot, NULL, err)
			                   : pond_table_create_branch(s->lake, id, ref, snapshot, NULL, err))
			            : (tag ? pond_table_drop_tag(s->lake, id, ref, err)
			                   : pond_table_drop_branch(s->lake, id, ref, err));
			if (rc == 0)
				*message = pond_arena_sprintf(a, "%s %s %s on %s", create ? "created" : "dropped",
				                              tag ? "tag" : "branch", ref, name);
			return rc;
		}
		c.i = mark;
	}
	if (take(&c, "set") && take(&c, "tblproperties")) {
		pond_iceberg_kv *kv;
		size_t nkv;
		if ((rc = property_list(&c, true, a, &kv, &nkv, err)) == 0 &&
		    (rc = pond_table_set_properties(s->lake, id, kv, nkv, NULL, 0, err)) == 0)
			*message = pond_arena_sprintf(a, "set %zu propert%s on %s", nkv, nkv == 1 ? "y" : "ies", name);
		return rc;
	}
	c.i = mark;
	if (take(&c, "unset") && take(&c, "tblproperties")) {
		pond_iceberg_kv *kv;
		size_t nkv;
		if ((rc = property_list(&c, false, a, &kv, &nkv, err)) != 0)
			return rc;
		const char **keys = pond_arena_calloc(a, nkv + 1, sizeof(char *));
		for (size_t k = 0; keys && k < nkv; k++)
			keys[k] = kv[k].key;
		if ((rc = pond_table_set_properties(s->lake, id, NULL, 0, keys, nkv, err)) == 0)
			*message = pond_arena_sprintf(a, "unset %zu propert%s on %s", nkv, nkv == 1 ? "y" : "ies", name);
		return rc;
	}
	c.i = mark;
	if (take(&c, "rename") && take(&c, "to")) {
		pond_table_ident to;
		const char *first = take_name(&c, a);
		if (!first)
			return pond_error_set(err, POND_EINVAL, "expected a new name after RENAME TO");
		if (take_symbol(&c, ".")) {
			to.ns.nlevels = 1;
			to.ns.levels[0] = first;
			to.name = take_name(&c, a);
		} else {
			to.ns = id->ns;
			to.name = first;
		}
		if (!to.name)
			return pond_error_set(err, POND_EINVAL, "expected a new name after RENAME TO");
		if ((rc = pond_table_rename(s->lake, id, &to, err)) == 0)
			*message = pond_arena_sprintf(a, "renamed %s to %s", name, pond_table_ident_format(a, &to));
		return rc;
	}
	c.i = mark;
	return alter_columns(s, &c, a, id, message, err);
}
