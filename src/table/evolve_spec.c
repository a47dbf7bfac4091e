/*
 * Partition spec evolution, and partition fields as users write them
 * ("day(ts)", "bucket(16, id)", "region"). A partition change builds a new
 * spec from the default one and commits add-spec + set-default-spec,
 * following the Iceberg spec's rules: an equivalent field of an earlier
 * spec keeps its id, new ones continue from last-partition-id. Columns
 * resolve as in schema changes (pond__schema_find_path, evolve.c); relies
 * on the commit path (commit.c) for retries against fresh metadata.
 */
#include "table_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int oom(pond_error *err)
{
	return pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* ---- partition fields as text ------------------------------------------------- */

typedef struct term_lexer {
	const char *text, *p;
	pond_arena *arena;
	pond_error *err;
} term_lexer;

static void skip_space(term_lexer *lx)
{
	while (isspace((unsigned char)*lx->p))
		lx->p++;
}

static int term_error(term_lexer *lx, const char *what)
{
	return pond_error_set(lx->err, POND_EINVAL, "cannot read partition field \"%.200s\": %s", lx->text, what);
}

/* An identifier (letters, digits, _ and dots for nested columns) or a
 * "quoted" one; *quoted says which. NULL with the error set when neither. */
static const char *read_ident(term_lexer *lx, bool *quoted)
{
	skip_space(lx);
	*quoted = *lx->p == '"';
	if (*quoted) {
		pond_buf b = POND_BUF_INIT;
		const char *p = lx->p + 1;
		for (;; p++) {
			if (!*p) {
				pond_buf_dispose(&b);
				term_error(lx, "unterminated quoted name");
				return NULL;
			}
			if (*p == '"' && p[1] == '"')
				p++;
			else if (*p == '"')
				break;
			pond_buf_putc(&b, *p);
		}
		lx->p = p + 1;
		const char *s = pond_arena_strdup(lx->arena, pond_buf_cstr(&b));
		bool ok = pond_buf_ok(&b) && s && b.len > 0;
		pond_buf_dispose(&b);
		if (!ok)
			term_error(lx, "empty quoted name");
		return ok ? s : NULL;
	}
	const char *start = lx->p;
	while (isalnum((unsigned char)*lx->p) || *lx->p == '_' || *lx->p == '.')
		lx->p++;
	if (lx->p == start || isdigit((unsigned char)*start)) {
		term_error(lx, "expected a column name");
		return NULL;
	}
	return pond_arena_strndup(lx->arena, start, (size_t)(lx->p - start));
}

static bool read_punct(term_lexer *lx, char c)
{
	skip_space(lx);
	if (*lx->p != c)
		return false;
	lx->p++;
	return true;
}

static const struct {
	const char *name;
	pond_iceberg_transform_kind kind;
} term_functions[] = {
	{"identity", POND_ICEBERG_IDENTITY}, {"bucket", POND_ICEBERG_BUCKET}, {"truncate", POND_ICEBERG_TRUNCATE},
	{"year", POND_ICEBERG_YEAR},         {"years", POND_ICEBERG_YEAR},    {"month", POND_ICEBERG_MONTH},
	{"months", POND_ICEBERG_MONTH},      {"day", POND_ICEBERG_DAY},       {"days", POND_ICEBERG_DAY},
	{"date", POND_ICEBERG_DAY},          {"hour", POND_ICEBERG_HOUR},     {"hours", POND_ICEBERG_HOUR},
	{"date_hour", POND_ICEBERG_HOUR},    {"void", POND_ICEBERG_VOID},
};

/* The arguments of bucket/truncate (a width and a column, in either order,
 * as Spark and Trino write them) or of the one-column transforms. */
static int read_arguments(term_lexer *lx, pond_partition_field_def *out)
{
	bool takes_width = out->transform.kind == POND_ICEBERG_BUCKET || out->transform.kind == POND_ICEBERG_TRUNCATE;
	int64_t width = -1;
	for (int arg = 0; arg < 2; arg++) {
		skip_space(lx);
		if (isdigit((unsigned char)*lx->p)) {
			char *end;
			long long n = strtoll(lx->p, &end, 10);
			lx->p = end;
			if (!takes_width || width >= 0)
				return term_error(lx, "unexpected number");
			if (n <= 0 || n > INT32_MAX)
				return term_error(lx, "the width must be a positive 32-bit integer");
			width = n;
		} else {
			bool quoted;
			if (out->column)
				return term_error(lx, "expected one column");
			if (!(out->column = read_ident(lx, &quoted)))
				return lx->err->code;
		}
		if (!takes_width || !read_punct(lx, ','))
			break;
	}
	if (!read_punct(lx, ')'))
		return term_error(lx, "expected \")\"");
	if (!out->column)
		return term_error(lx, "expected a column name");
	if (takes_width && width < 0)
		return term_error(lx, out->transform.kind == POND_ICEBERG_BUCKET ? "bucket needs a number of buckets"
		                                                                 : "truncate needs a width");
	out->transform.param = takes_width ? (int32_t)width : 0;
	return 0;
}

int pond_partition_field_parse(pond_partition_field_def *out, const char *text, pond_arena *arena, pond_error *err)
{
	term_lexer lx = {text, text, arena, err};
	bool quoted;
	memset(out, 0, sizeof(*out));
	const char *first = read_ident(&lx, &quoted);
	if (!first)
		return err->code;
	if (!quoted && read_punct(&lx, '(')) {
		for (size_t i = 0; i < sizeof(term_functions) / sizeof(term_functions[0]); i++)
			if (strcasecmp(first, term_functions[i].name) == 0)
				out->transform.kind = term_functions[i].kind;
		if (!out->transform.kind)
			return pond_error_set(err, POND_EINVAL, "cannot read partition field \"%.200s\": unknown transform \"%s\"",
			                      text, first);
		int rc = read_arguments(&lx, out);
		if (rc)
			return rc;
	} else {
		out->column = first;
		out->transform.kind = POND_ICEBERG_IDENTITY;
	}
	skip_space(&lx);
	if (strncasecmp(lx.p, "as", 2) == 0 && isspace((unsigned char)lx.p[2])) {
		lx.p += 2;
		if (!(out->name = read_ident(&lx, &quoted)))
			return err->code;
	}
	skip_space(&lx);
	if (*lx.p)
		return term_error(&lx, pond_arena_sprintf(arena, "unexpected \"%.40s\"", lx.p));
	return 0;
}

/* "day(ts)", "bucket(16, id)", "region" for identity: the form users write. */
static const char *term_text(pond_arena *a, pond_iceberg_transform t, const char *column)
{
	for (size_t i = 0; i < sizeof(term_functions) / sizeof(term_functions[0]); i++)
		if (term_functions[i].kind == t.kind) {
			if (t.kind == POND_ICEBERG_IDENTITY)
				return column;
			if (t.kind == POND_ICEBERG_BUCKET || t.kind == POND_ICEBERG_TRUNCATE)
				return pond_arena_sprintf(a, "%s(%d, %s)", term_functions[i].name, (int)t.param, column);
			return pond_arena_sprintf(a, "%s(%s)", term_functions[i].name, column);
		}
	return column;
}

/* Java's names for new partition fields (BaseUpdatePartitionSpec), so
 * tables evolved by pond and by Spark look alike. */
static const char *default_field_name(pond_arena *a, pond_iceberg_transform t, const char *column)
{
	switch (t.kind) {
	case POND_ICEBERG_IDENTITY: return column;
	case POND_ICEBERG_BUCKET: return pond_arena_sprintf(a, "%s_bucket_%d", column, (int)t.param);
	case POND_ICEBERG_TRUNCATE: return pond_arena_sprintf(a, "%s_trunc_%d", column, (int)t.param);
	case POND_ICEBERG_YEAR: return pond_arena_sprintf(a, "%s_year", column);
	case POND_ICEBERG_MONTH: return pond_arena_sprintf(a, "%s_month", column);
	case POND_ICEBERG_DAY: return pond_arena_sprintf(a, "%s_day", column);
	case POND_ICEBERG_HOUR: return pond_arena_sprintf(a, "%s_hour", column);
	default: return pond_arena_sprintf(a, "%s_null", column);
	}
}

/* ---- partition spec evolution ------------------------------------------------- */

typedef struct partition_op {
	bool remove;
	pond_partition_field_def field; /* add */
	const char *name;               /* remove: a field name, or a term such as "day(ts)" */
} partition_op;

typedef struct spec_state {
	pond_arena *arena;
	const char *table;
	const pond_iceberg_metadata *md;
	const pond_iceberg_schema *schema;
	size_t nfields;
	pond_iceberg_partition_field *fields; /* room for every op */
	int32_t last_partition_id;
	pond_error *err;
} spec_state;

/* Resolves a term's column in the current schema; NULL with the error set. */
static const pond_iceberg_field *term_source(spec_state *st, const pond_partition_field_def *def, const char *term)
{
	pond_iceberg_type *parent;
	size_t i;
	if (!def->column || !pond__schema_find_path(st->schema->root, def->column, &parent, &i)) {
		pond_error_set(st->err, POND_ENOTFOUND, "column \"%s\" does not exist in %s", def->column ? def->column : "",
		               st->table);
		return NULL;
	}
	const pond_iceberg_field *f = &parent->fields[i];
	char tname[40];
	pond_iceberg_type_format(tname, f->type);
	if (!pond_iceberg_type_is_primitive(f->type) || !pond_iceberg_transform_accepts(def->transform, f->type)) {
		char tr[32];
		pond_iceberg_transform_format(tr, def->transform);
		pond_error_set(st->err, POND_EINVAL, "cannot partition %s by %s: %s does not take column \"%s\" of type %s",
		               st->table, term, tr, def->column, tname);
		return NULL;
	}
	return f;
}

static int spec_add(spec_state *st, const pond_partition_field_def *def)
{
	const char *term = term_text(st->arena, def->transform, def->column ? def->column : "");
	const pond_iceberg_field *src = term_source(st, def, term);
	if (!src)
		return st->err->code;
	/* the column's name as the schema spells it, dotted when nested */
	pond_buf path = POND_BUF_INIT;
	const char *column = def->column;
	if (pond_iceberg_schema_field_name(&path, st->schema, src->id) && pond_buf_ok(&path))
		column = pond_arena_strdup(st->arena, pond_buf_cstr(&path));
	pond_buf_dispose(&path);
	const char *name = def->name ? def->name : column ? default_field_name(st->arena, def->transform, column) : NULL;
	if (!term || !name)
		return oom(st->err);
	for (size_t i = 0; i < st->nfields; i++) {
		const pond_iceberg_partition_field *pf = &st->fields[i];
		if (pf->source_id == src->id && pf->transform.kind == def->transform.kind &&
		    pf->transform.param == def->transform.param)
			return pond_error_set(st->err, POND_EEXISTS, "%s is already partitioned by %s", st->table, term);
		if (strcmp(pf->name, name) == 0)
			return pond_error_set(st->err, POND_EEXISTS, "%s already has a partition field named \"%s\"", st->table,
			                      name);
	}
	/* Java's rule: a partition field may share a column's name only when it
	 * is the identity of that column */
	const pond_iceberg_field *clash = pond_iceberg_schema_find_name(st->schema, name);
	if (clash && !(def->transform.kind == POND_ICEBERG_IDENTITY && clash->id == src->id))
		return pond_error_set(st->err, POND_EINVAL, "cannot name partition field \"%s\" of %s after another column",
		                      name, st->table);
	/* spec: an equivalent field of any earlier spec keeps its id; new ones
	 * continue from last-partition-id */
	int32_t field_id = 0;
	for (size_t s = 0; s < st->md->nspecs && !field_id; s++)
		for (size_t i = 0; i < st->md->specs[s]->nfields && !field_id; i++) {
			const pond_iceberg_partition_field *old = &st->md->specs[s]->fields[i];
			if (old->source_id == src->id && old->transform.kind == def->transform.kind &&
			    old->transform.param == def->transform.param && strcmp(old->name, name) == 0)
				field_id = old->field_id;
		}
	for (size_t i = 0; field_id && i < st->nfields; i++)
		if (st->fields[i].field_id == field_id)
			field_id = 0;
	if (!field_id)
		field_id = ++st->last_partition_id;
	st->fields[st->nfields++] = (pond_iceberg_partition_field){src->id, field_id, name, def->transform};
	return 0;
}

static int spec_remove(spec_state *st, const char *text)
{
	long found = -1;
	for (size_t i = 0; i < st->nfields && found < 0; i++)
		if (strcmp(st->fields[i].name, text) == 0)
			found = (long)i;
	if (found < 0) {
		/* or the term that made it: "day(ts)" */
		pond_partition_field_def def;
		pond_error ignored = POND_ERROR_INIT;
		pond_iceberg_type *parent;
		size_t k;
		if (pond_partition_field_parse(&def, text, st->arena, &ignored) == 0 &&
		    pond__schema_find_path(st->schema->root, def.column, &parent, &k)) {
			for (size_t i = 0; i < st->nfields && found < 0; i++)
				if (st->fields[i].source_id == parent->fields[k].id &&
				    st->fields[i].transform.kind == def.transform.kind &&
				    st->fields[i].transform.param == def.transform.param)
					found = (long)i;
		}
	}
	if (found < 0)
		return pond_error_set(st->err, POND_ENOTFOUND, "%s has no partition field \"%s\"", st->table, text);
	/* spec: v2 drops the field from the new spec; its id stays retired
	 * (v1 tables would need a void transform, but pond writes v2) */
	memmove(&st->fields[found], &st->fields[found + 1], (st->nfields - (size_t)found - 1) * sizeof(*st->fields));
	st->nfields--;
	return 0;
}

typedef struct spec_commit {
	const char *table;
	bool replace;
	size_t nops;
	const partition_op *ops;
	int attempts;
} spec_commit;

static int build_spec(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                      size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	spec_commit *c = payload;
	const pond_iceberg_partition_spec *cur = pond_iceberg_metadata_default_spec(base);
	spec_state st = {arena, c->table, base, pond_iceberg_metadata_current_schema(base), 0, NULL,
	                 base->last_partition_id, err};
	c->attempts++;
	if (!cur || !st.schema)
		return pond_error_set(err, POND_ECORRUPT, "table %s has no default partition spec or schema", c->table);
	if (st.last_partition_id < POND_ICEBERG_PARTITION_FIELD_START - 1)
		st.last_partition_id = POND_ICEBERG_PARTITION_FIELD_START - 1;
	for (size_t s = 0; s < base->nspecs; s++) {
		int32_t hi = pond_iceberg_partition_spec_highest_field_id(base->specs[s]);
		if (hi > st.last_partition_id)
			st.last_partition_id = hi;
	}
	st.fields = pond_arena_calloc(arena, cur->nfields + c->nops + 1, sizeof(*st.fields));
	pond_iceberg_partition_spec *spec = pond_arena_calloc(arena, 1, sizeof(*spec));
	if (!st.fields || !spec)
		return oom(err);
	if (!c->replace && cur->nfields) {
		memcpy(st.fields, cur->fields, cur->nfields * sizeof(*st.fields));
		st.nfields = cur->nfields;
	}
	int rc = 0;
	for (size_t i = 0; i < c->nops && !rc; i++)
		rc = c->ops[i].remove ? spec_remove(&st, c->ops[i].name) : spec_add(&st, &c->ops[i].field);
	if (rc && rc != POND_ENOMEM && c->attempts > 1)
		err->code = rc = POND_ECONFLICT; /* it applied to the spec we saw first */
	if (rc)
		return rc;
	spec->nfields = st.nfields;
	spec->fields = st.fields;
	pond_iceberg_requirement *r = pond_arena_calloc(arena, 2, sizeof(*r));
	pond_iceberg_update *u = pond_arena_calloc(arena, 2, sizeof(*u));
	if (!r || !u)
		return oom(err);
	r[0].type = POND_ICEBERG_ASSERT_DEFAULT_SPEC_ID;
	r[0].id = base->default_spec_id;
	r[1].type = POND_ICEBERG_ASSERT_LAST_ASSIGNED_PARTITION_ID;
	r[1].id = base->last_partition_id;
	u[0].action = POND_ICEBERG_ADD_SPEC;
	u[0].spec = spec;
	u[1].action = POND_ICEBERG_SET_DEFAULT_SPEC;
	u[1].id = -1;
	*reqs = r;
	*nreqs = 2;
	*ups = u;
	*nups = 2;
	return 0;
}

static int commit_spec(pond_lake *lake, const pond_table_ident *id, bool replace, const partition_op *ops,
                       size_t nops, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	spec_commit c = {a ? pond_table_ident_format(a, id) : NULL, replace, nops, ops, 0};
	if (!c.table) {
		pond_arena_free(&a);
		return oom(err);
	}
	int rc = pond_table_commit(lake, id, build_spec, &c, NULL, NULL, err);
	pond_arena_free(&a);
	return rc;
}

int pond_table_add_partition_field(pond_lake *lake, const pond_table_ident *id, const pond_partition_field_def *field,
                                   pond_error *err)
{
	partition_op op = {false, *field, NULL};
	return commit_spec(lake, id, false, &op, 1, err);
}

int pond_table_remove_partition_field(pond_lake *lake, const pond_table_ident *id, const char *field,
                                      pond_error *err)
{
	partition_op op = {true, {NULL, {0, 0}, NULL}, field};
	return commit_spec(lake, id, false, &op, 1, err);
}

int pond_table_replace_partition_spec(pond_lake *lake, const pond_table_ident *id,
                                      const pond_partition_field_def *fields, size_t nfields, pond_error *err)
{
	partition_op *ops = nfields ? pond_calloc(nfields, sizeof(*ops)) : NULL;
	if (nfields && !ops)
		return oom(err);
	for (size_t i = 0; i < nfields; i++)
		ops[i].field = fields[i];
	int rc = commit_spec(lake, id, true, ops, nfields, err);
	pond_free(ops);
	return rc;
}
