/*
 * Schema evolution. A schema change is a list of operations (add, drop,
 * rename, widen, reorder, nullability) replayed on a copy of the current
 * schema at each commit attempt, then committed as one add-schema +
 * set-current-schema. It follows the Iceberg spec's evolution rules: field
 * ids are never reused (new ones come from last-column-id), only the spec's
 * type promotions are allowed, and v2 tables take only optional new
 * columns. Partition spec evolution is evolve_spec.c. Relies on the commit
 * path (commit.c) for retries against fresh metadata.
 */
#include "table_internal.h"

#include <ctype.h>
#include <jansson.h>
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

bool pond__schema_find_path(pond_iceberg_type *root, const char *path, pond_iceberg_type **parent, size_t *index)
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
	if (!pond__schema_find_path(st->schema->root, column, &p, &i)) {
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

/* The type at path: a column's, or with "element", "key" and "value"
 * (Iceberg's names) a list's element or a map's key or value, so that a
 * struct inside a list or map can take new fields ("items.element").
 * NULL when there is none. */
static pond_iceberg_type *find_type(pond_iceberg_type *root, const char *path)
{
	pond_iceberg_type *t = root;
	const char *p = path;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (t->id == POND_ICEBERG_LIST || t->id == POND_ICEBERG_MAP) {
			if (t->id == POND_ICEBERG_LIST && len == 7 && memcmp(p, "element", 7) == 0)
				t = t->element;
			else if (t->id == POND_ICEBERG_MAP && len == 5 && memcmp(p, "value", 5) == 0)
				t = t->value;
			else if (t->id == POND_ICEBERG_MAP && len == 3 && memcmp(p, "key", 3) == 0)
				t = t->key;
			else
				return NULL;
		} else if (t->id == POND_ICEBERG_STRUCT) {
			/* A name may hold dots: the whole rest first. */
			long i = find_in_struct(t, p, strlen(p));
			if (i >= 0)
				return t->fields[i].type;
			if (!dot || (i = find_in_struct(t, p, len)) < 0)
				return NULL;
			t = t->fields[i].type;
		} else {
			return NULL;
		}
		if (!dot)
			return t;
		p = dot + 1;
	}
}

static int op_add(evolve_state *st, const schema_op *op)
{
	pond_iceberg_type *parent = st->schema->root;
	const char *full = op->name;
	if (op->column) {
		pond_iceberg_type *pt = find_type(st->schema->root, op->column);
		if (!pt)
			return not_found(st, op->column);
		full = pond_arena_sprintf(st->arena, "%s.%s", op->column, op->name);
		if (!full)
			return oom(st->err);
		if (pt->id != POND_ICEBERG_STRUCT)
			return pond_error_set(st->err, POND_EINVAL, "cannot add column \"%s\" to %s: \"%s\" is not a struct",
			                      full, st->table, op->column);
		parent = pt;
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
