/*
 * Schema and partition spec evolution. A schema change is a list of
 * operations (add, drop, rename, widen, reorder, nullability) replayed on a
 * copy of the current schema at each commit attempt, then committed as one
 * add-schema + set-current-schema; a partition change builds a new spec from
 * the default one and commits add-spec + set-default-spec. Both follow the
 * Iceberg spec's evolution rules: field ids are never reused (new ones come
 * from last-column-id / last-partition-id), only the spec's type promotions
 * are allowed, and v2 tables take only optional new columns. Relies on the
 * commit path (commit.c) for retries against fresh metadata.
 */
#include "table_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the change list ---------------------------------------------------------- */

typedef enum {
	OP_ADD = 1,
	OP_DROP,
	OP_RENAME,
	OP_WIDEN,
	OP_MAKE_OPTIONAL,
	OP_MAKE_REQUIRED,
	OP_MOVE_FIRST,
	OP_MOVE_BEFORE,
	OP_MOVE_AFTER,
} schema_op_kind;

typedef struct schema_op {
	schema_op_kind kind;
	const char *column;        /* the column; for add, the parent struct (NULL: top level) */
	const char *name;          /* add, rename: the new name; move before/after: the other column */
	pond_iceberg_type *type;   /* add, widen */
	bool required;             /* add */
	const char *default_json;  /* add */
	const char *doc;           /* add */
} schema_op;

struct pond_schema_change {
	pond_arena *arena;
	size_t nops, cap;
	schema_op *ops;
	bool oom; /* sticky: a failed adder makes the commit fail */
};

int pond_schema_change_new(pond_schema_change **out, pond_error *err)
{
	pond_schema_change *c = pond_calloc(1, sizeof(*c));
	if (!c || !(c->arena = pond_arena_new())) {
		pond_free(c);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

void pond_schema_change_free(pond_schema_change **change)
{
	if (!change || !*change)
		return;
	pond_arena_free(&(*change)->arena);
	pond_free((*change)->ops);
	pond_free(*change);
	*change = NULL;
}

static schema_op *push_op(pond_schema_change *c, schema_op_kind kind, const char *column, const char *name)
{
	if (c->oom)
		return NULL;
	if (c->nops == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		schema_op *ops = pond_reallocarray(c->ops, cap, sizeof(*ops));
		if (!ops) {
			c->oom = true;
			return NULL;
		}
		c->ops = ops;
		c->cap = cap;
	}
	schema_op *op = &c->ops[c->nops];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->column = column ? pond_arena_strdup(c->arena, column) : NULL;
	op->name = name ? pond_arena_strdup(c->arena, name) : NULL;
	if ((column && !op->column) || (name && !op->name)) {
		c->oom = true;
		return NULL;
	}
	c->nops++;
	return op;
}

int pond_schema_change_add_column(pond_schema_change *change, const char *parent, const char *name,
                                  const pond_iceberg_type *type, bool required, const char *default_json,
                                  const char *doc)
{
	if (!type || !name)
		return POND_EINVAL;
	schema_op *op = push_op(change, OP_ADD, parent, name);
	if (!op)
		return POND_ENOMEM;
	op->type = pond_iceberg_type_copy(type, change->arena);
	op->required = required;
	op->default_json = default_json ? pond_arena_strdup(change->arena, default_json) : NULL;
	op->doc = doc ? pond_arena_strdup(change->arena, doc) : NULL;
	if (!op->type || (default_json && !op->default_json) || (doc && !op->doc)) {
		change->oom = true;
		return POND_ENOMEM;
	}
	return 0;
}

static int simple_op(pond_schema_change *change, schema_op_kind kind, const char *column, const char *name)
{
	if (!column)
		return POND_EINVAL;
	return push_op(change, kind, column, name) ? 0 : POND_ENOMEM;
}

int pond_schema_change_drop_column(pond_schema_change *change, const char *column)
{
	return simple_op(change, OP_DROP, column, NULL);
}

int pond_schema_change_rename_column(pond_schema_change *change, const char *column, const char *new_name)
{
	return new_name ? simple_op(change, OP_RENAME, column, new_name) : POND_EINVAL;
}

int pond_schema_change_widen_column(pond_schema_change *change, const char *column, const pond_iceberg_type *type)
{
	if (!type)
		return POND_EINVAL;
	int rc = simple_op(change, OP_WIDEN, column, NULL);
	if (rc)
		return rc;
	schema_op *op = &change->ops[change->nops - 1];
	if (!(op->type = pond_iceberg_type_copy(type, change->arena))) {
		change->oom = true;
		return POND_ENOMEM;
	}
	return 0;
}

int pond_schema_change_make_optional(pond_schema_change *change, const char *column)
{
	return simple_op(change, OP_MAKE_OPTIONAL, column, NULL);
}

int pond_schema_change_make_required(pond_schema_change *change, const char *column)
{
	return simple_op(change, OP_MAKE_REQUIRED, column, NULL);
}

int pond_schema_change_move_first(pond_schema_change *change, const char *column)
{
	return simple_op(change, OP_MOVE_FIRST, column, NULL);
}

int pond_schema_change_move_before(pond_schema_change *change, const char *column, const char *other)
{
	return other ? simple_op(change, OP_MOVE_BEFORE, column, other) : POND_EINVAL;
}

int pond_schema_change_move_after(pond_schema_change *change, const char *column, const char *other)
{
	return other ? simple_op(change, OP_MOVE_AFTER, column, other) : POND_EINVAL;
}

/* ---- applying a schema change ------------------------------------------------- */

typedef struct evolve_state {
	pond_arena *arena;
	const char *table;                  /* the table's name, for messages */
	const pond_iceberg_metadata *md;    /* the base */
	pond_iceberg_schema *schema;        /* the copy being changed */
	int32_t last_column_id;
	pond_error *err;
} evolve_state;

static int oom(pond_error *err)
{
	return pond_error_set(err, POND_ENOMEM, "out of memory");
}

/* The index of a field in a struct by name: an exact match, else the one
 * case-insensitive match (SQL folds case, so users type "amount" for
 * "Amount"); -1 when absent or ambiguous. */
static long find_in_struct(const pond_iceberg_type *s, const char *name, size_t len)
{
	long folded = -1;
	int nfolded = 0;
	for (size_t i = 0; i < s->nfields; i++) {
		const char *f = s->fields[i].name;
		if (strlen(f) != len)
			continue;
		if (memcmp(f, name, len) == 0)
			return (long)i;
		if (strncasecmp(f, name, len) == 0) {
			folded = (long)i;
			nfolded++;
		}
	}
	return nfolded == 1 ? folded : -1;
}

/* Resolves a dotted path of struct field names to the struct holding the
 * field and its index there. A name may itself hold dots: the whole rest
 * of the path is tried first at each level. */
static bool find_path(pond_iceberg_type *root, const char *path, pond_iceberg_type **parent, size_t *index)
{
	pond_iceberg_type *s = root;
	const char *p = path;
	for (;;) {
		if (!s || s->id != POND_ICEBERG_STRUCT)
			return false;
		long i = find_in_struct(s, p, strlen(p));
		if (i >= 0) {
			*parent = s;
			*index = (size_t)i;
			return true;
		}
		const char *dot = strchr(p, '.');
		if (!dot || (i = find_in_struct(s, p, (size_t)(dot - p))) < 0)
			return false;
		s = s->fields[i].type;
		p = dot + 1;
	}
}

static int not_found(evolve_state *st, const char *column)
{
	return pond_error_set(st->err, POND_ENOTFOUND, "column \"%s\" does not exist in %s", column, st->table);
}

static pond_iceberg_field *lookup(evolve_state *st, const char *column, pond_iceberg_type **parent, size_t *index)
{
	pond_iceberg_type *p;
	size_t i;
	if (!find_path(st->schema->root, column, &p, &i)) {
		not_found(st, column);
		return NULL;
	}
	if (parent)
		*parent = p;
	if (index)
		*index = i;
	return &p->fields[i];
}

static bool type_has_id(const pond_iceberg_type *t, int32_t id)
{
	switch (t->id) {
	case POND_ICEBERG_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			if (t->fields[i].id == id || type_has_id(t->fields[i].type, id))
				return true;
		return false;
	case POND_ICEBERG_LIST:
		return t->element_id == id || type_has_id(t->element, id);
	case POND_ICEBERG_MAP:
		return t->key_id == id || t->value_id == id || type_has_id(t->key, id) || type_has_id(t->value, id);
	default:
		return false;
	}
}

static bool field_has_id(const pond_iceberg_field *f, int32_t id)
{
	return f->id == id || type_has_id(f->type, id);
}

/* Fresh ids for the fields inside a type being added: a struct's own fields
 * first, then what they hold, as Java assigns them. */
static void assign_fresh_ids(pond_iceberg_type *t, int32_t *last)
{
	switch (t->id) {
	case POND_ICEBERG_STRUCT:
		for (size_t i = 0; i < t->nfields; i++)
			t->fields[i].id = ++*last;
		for (size_t i = 0; i < t->nfields; i++)
			assign_fresh_ids(t->fields[i].type, last);
		break;
	case POND_ICEBERG_LIST:
		t->element_id = ++*last;
		assign_fresh_ids(t->element, last);
		break;
	case POND_ICEBERG_MAP:
		t->key_id = ++*last;
		t->value_id = ++*last;
		assign_fresh_ids(t->key, last);
		assign_fresh_ids(t->value, last);
		break;
	default:
		break;
	}
}

static bool is_hex(const char *s, size_t len)
{
	if (len % 2)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Checks a default value (the spec's JSON single-value form, Appendix D)
 * against the column's type; *out gets it re-serialized compactly, or NULL
 * for a JSON null (no default). */
static int check_default(evolve_state *st, const char **out, const char *column, const pond_iceberg_type *type,
                         const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
	if (!j)
		return pond_error_set(st->err, POND_EINVAL, "default for column \"%s\" of %s is not JSON: %s", column,
		                      st->table, jerr.text);
	bool ok;
	switch (type->id) {
	case POND_ICEBERG_BOOLEAN: ok = json_is_boolean(j); break;
	case POND_ICEBERG_INT:
		ok = json_is_integer(j) && json_integer_value(j) >= INT32_MIN && json_integer_value(j) <= INT32_MAX;
		break;
	case POND_ICEBERG_LONG: ok = json_is_integer(j); break;
	case POND_ICEBERG_FLOAT:
	case POND_ICEBERG_DOUBLE: ok = json_is_number(j); break;
	case POND_ICEBERG_STRING: ok = json_is_string(j); break;
	case POND_ICEBERG_BINARY: ok = json_is_string(j) && is_hex(json_string_value(j), json_string_length(j)); break;
	case POND_ICEBERG_FIXED:
		ok = json_is_string(j) && json_string_length(j) == 2 * (size_t)type->length &&
		     is_hex(json_string_value(j), json_string_length(j));
		break;
	case POND_ICEBERG_STRUCT:
		/* spec: a struct's default is null or {}, its fields keep their own */
		ok = json_is_object(j) && json_object_size(j) == 0;
		break;
	case POND_ICEBERG_LIST:
	case POND_ICEBERG_MAP: ok = false; break;
	default: {
		/* dates, times, timestamps, decimals and uuids are JSON strings */
		pond_iceberg_literal lit;
		pond_error ignored = POND_ERROR_INIT;
		ok = json_is_string(j) && pond_iceberg_literal_from_text(&lit, type, json_string_value(j), st->arena,
		                                                         &ignored) == 0;
		break;
	}
	}
	if (json_is_null(j)) {
		json_decref(j);
		*out = NULL;
		return 0;
	}
	char *dumped = ok ? pond_json_dumps(j, false) : NULL;
	json_decref(j);
	if (!ok) {
		char tname[40];
		pond_iceberg_type_format(tname, type);
		return pond_error_set(st->err, POND_EINVAL, "default %s does not fit column \"%s\" of %s (type %s)", text,
		                      column, st->table, tname);
	}
	*out = dumped ? pond_arena_strdup(st->arena, dumped) : NULL;
	pond_free(dumped);
	return *out ? 0 : oom(st->err);
}

static int op_add(evolve_state *st, const schema_op *op)
{
	pond_iceberg_type *parent = st->schema->root;
	const char *full = op->name;
	if (op->column) {
		pond_iceberg_field *pf = lookup(st, op->column, NULL, NULL);
		if (!pf)
			return st->err->code;
		full = pond_arena_sprintf(st->arena, "%s.%s", op->column, op->name);
		if (!full)
			return oom(st->err);
		if (pf->type->id != POND_ICEBERG_STRUCT)
			return pond_error_set(st->err, POND_EINVAL, "cannot add column \"%s\" to %s: \"%s\" is not a struct",
			                      full, st->table, op->column);
		parent = pf->type;
	}
	if (!op->name[0])
		return pond_error_set(st->err, POND_EINVAL, "cannot add a column with an empty name to %s", st->table);
	for (size_t i = 0; i < parent->nfields; i++)
		if (strcasecmp(parent->fields[i].name, op->name) == 0)
			return pond_error_set(st->err, POND_EEXISTS, "column \"%s\" already exists in %s", full, st->table);
	const char *def = NULL;
	int rc;
	if (op->default_json && (rc = check_default(st, &def, full, op->type, op->default_json)) != 0)
		return rc;
	if (op->required && !def)
		return pond_error_set(st->err, POND_EINVAL, "cannot add required column \"%s\" to %s without a default",
		                      full, st->table);
	/* spec: v3 brings defaults that fill a required column for old rows; in
	 * v2, readers that ignore them would find it missing */
	if (op->required && st->md->format_version < 3)
		return pond_error_set(st->err, POND_EUNSUPPORTED,
		                      "cannot add required column \"%s\" to %s: format v%d tables take only optional new "
		                      "columns",
		                      full, st->table, st->md->format_version);
	/* initial-default and write-default are v3 fields: a v2 reader ignores
	 * them and reads NULL where pond would read the default. */
	if (def && st->md->format_version < 3)
		return pond_error_set(st->err, POND_EUNSUPPORTED,
		                      "cannot add column \"%s\" to %s with a default: column defaults need Iceberg format "
		                      "v3 and the table is format v%d (add it without a default, then UPDATE the old rows)",
		                      full, st->table, st->md->format_version);
	pond_iceberg_field *fields = pond_arena_calloc(st->arena, parent->nfields + 1, sizeof(*fields));
	pond_iceberg_type *type = pond_iceberg_type_copy(op->type, st->arena);
	if (!fields || !type)
		return oom(st->err);
	if (parent->nfields)
		memcpy(fields, parent->fields, parent->nfields * sizeof(*fields));
	pond_iceberg_field *f = &fields[parent->nfields];
	f->id = ++st->last_column_id;
	assign_fresh_ids(type, &st->last_column_id);
	f->name = pond_arena_strdup(st->arena, op->name);
	f->required = op->required;
	f->type = type;
	f->doc = op->doc ? pond_arena_strdup(st->arena, op->doc) : NULL;
	if (!f->name || (op->doc && !f->doc))
		return oom(st->err);
	/* spec: initial-default fills rows written before the column existed,
	 * write-default starts equal to it */
	f->initial_default = def;
	f->write_default = def;
	parent->fields = fields;
	parent->nfields++;
	return 0;
}

/* Why a column may not go: it or a field inside it is an identifier field
 * or a source of the default partition spec or sort order. NULL when free. */
static const char *drop_blocker(evolve_state *st, const pond_iceberg_field *f)
{
	const pond_iceberg_schema *s = st->schema;
	for (size_t i = 0; i < s->nidentifier_field_ids; i++)
		if (field_has_id(f, s->identifier_field_ids[i]))
			return "it is an identifier field";
	const pond_iceberg_partition_spec *spec = pond_iceberg_metadata_default_spec(st->md);
	for (size_t i = 0; spec && i < spec->nfields; i++)
		if (spec->fields[i].transform.kind != POND_ICEBERG_VOID && field_has_id(f, spec->fields[i].source_id))
			return pond_arena_sprintf(st->arena,
			                          "the partition spec uses it (partition field \"%s\"); remove the partition "
			                          "field first",
			                          spec->fields[i].name);
	const pond_iceberg_sort_order *order = pond_iceberg_metadata_sort_order(st->md, st->md->default_sort_order_id);
	for (size_t i = 0; order && i < order->nfields; i++)
		if (field_has_id(f, order->fields[i].source_id))
			return "the table's sort order uses it";
	return NULL;
}

static int op_drop(evolve_state *st, const schema_op *op)
{
	pond_iceberg_type *parent;
	size_t i;
	pond_iceberg_field *f = lookup(st, op->column, &parent, &i);
	if (!f)
		return st->err->code;
	const char *why = drop_blocker(st, f);
	if (why)
		return pond_error_set(st->err, POND_EINVAL, "cannot drop column \"%s\" from %s: %s", op->column, st->table,
		                      why);
	if (parent == st->schema->root && parent->nfields == 1)
		return pond_error_set(st->err, POND_EINVAL, "cannot drop column \"%s\" from %s: it is the only column",
		                      op->column, st->table);
	memmove(&parent->fields[i], &parent->fields[i + 1], (parent->nfields - i - 1) * sizeof(*parent->fields));
	parent->nfields--;
	return 0;
}

static int op_rename(evolve_state *st, const schema_op *op)
{
	pond_iceberg_type *parent;
	size_t i;
	pond_iceberg_field *f = lookup(st, op->column, &parent, &i);
	if (!f)
		return st->err->code;
	if (!op->name[0])
		return pond_error_set(st->err, POND_EINVAL, "cannot rename column \"%s\" of %s to an empty name",
		                      op->column, st->table);
	/* DuckDB resolves names without case: "Amount" and "amount" would clash */
	for (size_t k = 0; k < parent->nfields; k++)
		if (k != i && strcasecmp(parent->fields[k].name, op->name) == 0)
			return pond_error_set(st->err, POND_EEXISTS,
			                      "cannot rename column \"%s\" of %s to \"%s\": column \"%s\" already exists",
			                      op->column, st->table, op->name, parent->fields[k].name);
	if (!(f->name = pond_arena_strdup(st->arena, op->name)))
		return oom(st->err);
	return 0;
}

/* spec: int -> long, float -> double, decimal(P,S) -> decimal(P',S), P' > P */
static bool can_promote(const pond_iceberg_type *from, const pond_iceberg_type *to)
{
	if (from->id == POND_ICEBERG_INT && to->id == POND_ICEBERG_LONG)
		return true;
	if (from->id == POND_ICEBERG_FLOAT && to->id == POND_ICEBERG_DOUBLE)
		return true;
	return from->id == POND_ICEBERG_DECIMAL && to->id == POND_ICEBERG_DECIMAL && from->scale == to->scale &&
	       to->precision > from->precision && to->precision <= 38;
}

static int op_widen(evolve_state *st, const schema_op *op)
{
	pond_iceberg_field *f = lookup(st, op->column, NULL, NULL);
	if (!f)
		return st->err->code;
	if (pond_iceberg_type_equal(f->type, op->type))
		return 0;
	char from[40], to[40];
	pond_iceberg_type_format(from, f->type);
	pond_iceberg_type_format(to, op->type);
	if (!pond_iceberg_type_is_primitive(f->type) || !pond_iceberg_type_is_primitive(op->type) ||
	    !can_promote(f->type, op->type))
		return pond_error_set(st->err, POND_EINVAL,
		                      "cannot change column \"%s\" in %s from %s to %s: Iceberg cannot widen that type",
		                      op->column, st->table, from, to);
	pond_iceberg_type *t = pond_iceberg_type_copy(op->type, st->arena);
	if (!t)
		return oom(st->err);
	f->type = t;
	return 0;
}

static int op_nullability(evolve_state *st, const schema_op *op)
{
	pond_iceberg_field *f = lookup(st, op->column, NULL, NULL);
	if (!f)
		return st->err->code;
	if (op->kind == OP_MAKE_REQUIRED) {
		if (f->required)
			return 0;
		return pond_error_set(st->err, POND_EINVAL,
		                      "cannot make column \"%s\" of %s required: rows already written may hold nulls",
		                      op->column, st->table);
	}
	for (size_t i = 0; f->required && i < st->schema->nidentifier_field_ids; i++)
		if (st->schema->identifier_field_ids[i] == f->id)
			return pond_error_set(st->err, POND_EINVAL,
			                      "cannot make column \"%s\" of %s optional: it is an identifier field", op->column,
			                      st->table);
	f->required = false;
	return 0;
}

static int op_move(evolve_state *st, const schema_op *op)
{
	pond_iceberg_type *parent;
	size_t from;
	if (!lookup(st, op->column, &parent, &from))
		return st->err->code;
	size_t to = 0;
	if (op->kind != OP_MOVE_FIRST) {
		pond_iceberg_type *other_parent;
		size_t other;
		if (!lookup(st, op->name, &other_parent, &other))
			return st->err->code;
		if (other_parent != parent)
			return pond_error_set(st->err, POND_EINVAL,
			                      "cannot move column \"%s\" of %s next to \"%s\": they are in different structs",
			                      op->column, st->table, op->name);
		if (other == from)
			return pond_error_set(st->err, POND_EINVAL, "cannot move column \"%s\" of %s relative to itself",
			                      op->column, st->table);
		/* the index of the other column once ours is taken out */
		size_t at = other > from ? other - 1 : other;
		to = op->kind == OP_MOVE_BEFORE ? at : at + 1;
	}
	pond_iceberg_field moved = parent->fields[from];
	memmove(&parent->fields[from], &parent->fields[from + 1], (parent->nfields - from - 1) * sizeof(moved));
	memmove(&parent->fields[to + 1], &parent->fields[to], (parent->nfields - 1 - to) * sizeof(moved));
	parent->fields[to] = moved;
	return 0;
}

static int apply_op(evolve_state *st, const schema_op *op)
{
	switch (op->kind) {
	case OP_ADD: return op_add(st, op);
	case OP_DROP: return op_drop(st, op);
	case OP_RENAME: return op_rename(st, op);
	case OP_WIDEN: return op_widen(st, op);
	case OP_MAKE_OPTIONAL:
	case OP_MAKE_REQUIRED: return op_nullability(st, op);
	default: return op_move(st, op);
	}
}

int pond_schema_change_apply(pond_iceberg_schema **out, int32_t *last_column_id, const pond_iceberg_metadata *md,
                             const pond_schema_change *change, const char *table_name, pond_arena *arena,
                             pond_error *err)
{
	if (change->oom)
		return pond_error_set(err, POND_ENOMEM, "out of memory building the schema change");
	const pond_iceberg_schema *current = pond_iceberg_metadata_current_schema(md);
	if (!current)
		return pond_error_set(err, POND_ECORRUPT, "table %s has no current schema", table_name);
	evolve_state st = {arena, table_name, md, pond_iceberg_schema_copy(current, arena), md->last_column_id, err};
	if (!st.schema)
		return oom(err);
	/* ids are never reused, even those of columns dropped long ago */
	int32_t highest = pond_iceberg_schema_highest_field_id(current);
	if (st.last_column_id < highest)
		st.last_column_id = highest;
	for (size_t i = 0; i < change->nops; i++) {
		int rc = apply_op(&st, &change->ops[i]);
		if (rc)
			return rc;
	}
	*out = st.schema;
	*last_column_id = st.last_column_id;
	return 0;
}

typedef struct schema_commit {
	const pond_schema_change *change;
	const char *table;
	int attempts;
} schema_commit;

static int build_schema(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                        size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	schema_commit *c = payload;
	pond_iceberg_schema *schema;
	int32_t last;
	c->attempts++;
	int rc = pond_schema_change_apply(&schema, &last, base, c->change, c->table, arena, err);
	if (rc && rc != POND_ENOMEM && c->attempts > 1) {
		/* It applied to the schema we saw first: someone changed it since.
		 * The commit path names the conflict. */
		err->code = POND_ECONFLICT;
		return POND_ECONFLICT;
	}
	if (rc)
		return rc;
	pond_iceberg_requirement *r = pond_arena_calloc(arena, 2, sizeof(*r));
	pond_iceberg_update *u = pond_arena_calloc(arena, 2, sizeof(*u));
	if (!r || !u)
		return oom(err);
	r[0].type = POND_ICEBERG_ASSERT_CURRENT_SCHEMA_ID;
	r[0].id = base->current_schema_id;
	r[1].type = POND_ICEBERG_ASSERT_LAST_ASSIGNED_FIELD_ID;
	r[1].id = base->last_column_id;
	u[0].action = POND_ICEBERG_ADD_SCHEMA;
	u[0].schema = schema;
	u[0].last_column_id = last;
	u[1].action = POND_ICEBERG_SET_CURRENT_SCHEMA;
	u[1].id = -1;
	*reqs = r;
	*nreqs = 2;
	*ups = u;
	*nups = 2;
	return 0;
}

int pond_table_evolve_schema(pond_lake *lake, const pond_table_ident *id, const pond_schema_change *change,
                             pond_error *err)
{
	pond_arena *a = pond_arena_new();
	schema_commit c = {change, a ? pond_table_ident_format(a, id) : NULL, 0};
	if (!c.table) {
		pond_arena_free(&a);
		return oom(err);
	}
	int rc = pond_table_commit(lake, id, build_schema, &c, NULL, NULL, err);
	pond_arena_free(&a);
	return rc;
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
	if (!def->column || !find_path(st->schema->root, def->column, &parent, &i)) {
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
		    find_path(st->schema->root, def.column, &parent, &k)) {
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
