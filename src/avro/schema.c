/*
 * Avro schemas: parses schema JSON (Avro 1.11 "Schema Declaration") into a
 * tree of pond_avro_node allocated in the schema's arena. Named types are
 * resolved by full name with namespaces, so references (and recursion)
 * point to the same node. Iceberg's attributes are kept: field-id,
 * element-id, key-id, value-id, and the "map" logical type on arrays of
 * key/value records.
 */
#include "avro/internal.h"

#include <jansson.h>
#include <string.h>

struct pond_avro_schema {
	pond_arena *arena;
	json_t *json;
	char *text;
	pond_avro_node *root;
};

typedef struct named_type {
	const char *fullname;
	pond_avro_node *node;
	struct named_type *next;
} named_type;

typedef struct parser {
	pond_arena *arena;
	named_type *names;
	const char *what;
	pond_error *err;
} parser;

static const char *const type_names[] = {
	"null", "boolean", "int", "long", "float", "double", "bytes", "string",
	"record", "enum", "array", "map", "fixed", "union",
};

const char *pond_avro_type_name(pond_avro_type type)
{
	if ((unsigned)type < sizeof(type_names) / sizeof(type_names[0]))
		return type_names[type];
	return "unknown";
}

static int primitive_type(const char *name)
{
	for (int t = POND_AVRO_NULL; t <= POND_AVRO_STRING; t++)
		if (strcmp(name, type_names[t]) == 0)
			return t;
	return -1;
}

static int fail(parser *p, const char *fmt, const char *arg)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, arg);
	if (p->what)
		return pond_error_set(p->err, POND_EINVAL, "invalid avro schema in %s: %s", p->what, msg);
	return pond_error_set(p->err, POND_EINVAL, "invalid avro schema: %s", msg);
}

static int nomem(parser *p)
{
	return pond_error_set(p->err, POND_ENOMEM, "out of memory parsing avro schema");
}

/* Avro spec: names match [A-Za-z_][A-Za-z0-9_]*; full names are such names
 * joined by dots. */
static bool valid_name(const char *s, bool dotted)
{
	bool start = true;
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		if (dotted && c == '.' && !start) {
			start = true;
			continue;
		}
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		if (!alpha && (start || !(c >= '0' && c <= '9')))
			return false;
		start = false;
	}
	return !start;
}

static pond_avro_node *find_named(parser *p, const char *fullname)
{
	for (named_type *n = p->names; n; n = n->next)
		if (strcmp(n->fullname, fullname) == 0)
			return n->node;
	return NULL;
}

/* Full name of a named type: a dotted name is already full; otherwise the
 * namespace attribute, else the enclosing namespace. */
static const char *full_name(parser *p, const char *name, const char *ns)
{
	if (strchr(name, '.') || !ns || !*ns)
		return pond_arena_strdup(p->arena, name);
	return pond_arena_sprintf(p->arena, "%s.%s", ns, name);
}

static int get_int_attr(parser *p, json_t *obj, const char *key, int32_t *out, bool *has)
{
	json_t *v = json_object_get(obj, key);
	*has = false;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX)
		return fail(p, "attribute \"%s\" is not a 32-bit integer", key);
	*out = (int32_t)json_integer_value(v);
	*has = true;
	return 0;
}

static int parse_node(parser *p, json_t *j, const char *ns, int depth, pond_avro_node **out);

static int register_named(parser *p, json_t *j, const char *ns, pond_avro_node *node, const char **out_ns)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	if (!name)
		return fail(p, "%s type has no name", pond_avro_type_name(node->type));
	const char *own_ns = json_string_value(json_object_get(j, "namespace"));
	if (json_object_get(j, "namespace") && !own_ns && !json_is_null(json_object_get(j, "namespace")))
		return fail(p, "namespace of \"%s\" is not a string", name);
	if (own_ns)
		ns = own_ns;
	if (!valid_name(name, true) || (ns && *ns && !valid_name(ns, true)))
		return fail(p, "invalid name \"%s\"", name);
	const char *full = full_name(p, name, ns);
	if (!full)
		return nomem(p);
	if (find_named(p, full))
		return fail(p, "type \"%s\" is defined twice", full);
	named_type *n = pond_arena_alloc(p->arena, sizeof(*n));
	if (!n)
		return nomem(p);
	n->fullname = full;
	n->node = node;
	n->next = p->names;
	p->names = n;
	node->name = full;
	/* Names inside take the namespace of the full name. */
	const char *dot = strrchr(full, '.');
	*out_ns = dot ? pond_arena_strndup(p->arena, full, (size_t)(dot - full)) : "";
	return *out_ns ? 0 : nomem(p);
}

static int parse_record(parser *p, json_t *j, const char *ns, int depth, pond_avro_node *node)
{
	const char *inner_ns;
	int rc = register_named(p, j, ns, node, &inner_ns);
	if (rc)
		return rc;
	json_t *fields = json_object_get(j, "fields");
	if (!json_is_array(fields))
		return fail(p, "record \"%s\" has no fields array", node->name);
	size_t n = json_array_size(fields);
	pond_avro_field *fs = pond_arena_calloc(p->arena, n ? n : 1, sizeof(*fs));
	if (!fs)
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(fields, i);
		const char *fname = json_string_value(json_object_get(f, "name"));
		if (!json_is_object(f) || !fname)
			return fail(p, "a field of record \"%s\" has no name", node->name);
		if (!valid_name(fname, false))
			return fail(p, "invalid field name \"%s\"", fname);
		for (size_t k = 0; k < i; k++)
			if (strcmp(fs[k].name, fname) == 0)
				return fail(p, "field \"%s\" appears twice", fname);
		json_t *ftype = json_object_get(f, "type");
		if (!ftype)
			return fail(p, "field \"%s\" has no type", fname);
		pond_avro_node *type;
		if ((rc = parse_node(p, ftype, inner_ns, depth + 1, &type)))
			return rc;
		if ((rc = get_int_attr(p, f, "field-id", &fs[i].field_id, &fs[i].has_field_id)))
			return rc;
		fs[i].name = fname;
		fs[i].type = type;
		fs[i].default_value = json_object_get(f, "default");
	}
	node->fields = fs;
	node->nfields = n;
	return 0;
}

static int parse_enum(parser *p, json_t *j, const char *ns, pond_avro_node *node)
{
	const char *inner_ns;
	int rc = register_named(p, j, ns, node, &inner_ns);
	if (rc)
		return rc;
	json_t *syms = json_object_get(j, "symbols");
	if (!json_is_array(syms))
		return fail(p, "enum \"%s\" has no symbols array", node->name);
	size_t n = json_array_size(syms);
	const char **s = pond_arena_calloc(p->arena, n ? n : 1, sizeof(*s));
	if (!s)
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		s[i] = json_string_value(json_array_get(syms, i));
		if (!s[i] || !valid_name(s[i], false))
			return fail(p, "enum \"%s\" has an invalid symbol", node->name);
		for (size_t k = 0; k < i; k++)
			if (strcmp(s[k], s[i]) == 0)
				return fail(p, "enum symbol \"%s\" appears twice", s[i]);
	}
	node->symbols = s;
	node->nsymbols = n;
	return 0;
}

static int parse_fixed(parser *p, json_t *j, const char *ns, pond_avro_node *node)
{
	const char *inner_ns;
	int rc = register_named(p, j, ns, node, &inner_ns);
	if (rc)
		return rc;
	json_t *size = json_object_get(j, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0 || json_integer_value(size) > INT32_MAX)
		return fail(p, "fixed \"%s\" has no valid size", node->name);
	node->size = (size_t)json_integer_value(size);
	return 0;
}

static int parse_union(parser *p, json_t *j, const char *ns, int depth, pond_avro_node *node)
{
	size_t n = json_array_size(j);
	const pond_avro_node **b = pond_arena_calloc(p->arena, n ? n : 1, sizeof(*b));
	if (!b)
		return nomem(p);
	for (size_t i = 0; i < n; i++) {
		pond_avro_node *branch;
		int rc = parse_node(p, json_array_get(j, i), ns, depth + 1, &branch);
		if (rc)
			return rc;
		if (branch->type == POND_AVRO_UNION)
			return fail(p, "%s", "a union directly inside a union");
		/* Spec: no two branches of the same type, except named types with
		 * different names. */
		for (size_t k = 0; k < i; k++) {
			if (b[k]->type != branch->type)
				continue;
			if (!b[k]->name || !branch->name || strcmp(b[k]->name, branch->name) == 0)
				return fail(p, "union has two branches of type %s", pond_avro_type_name(branch->type));
		}
		b[i] = branch;
	}
	node->branches = b;
	node->nbranches = n;
	return 0;
}

/* Spec "Logical Types": an invalid logical type is ignored, the node keeps
 * its underlying type. */
static void apply_logical(pond_avro_node *node, json_t *j)
{
	const char *lt = node->logical_name;
	pond_avro_type t = node->type;
	if (strcmp(lt, "decimal") == 0 && (t == POND_AVRO_BYTES || t == POND_AVRO_FIXED)) {
		json_t *prec = json_object_get(j, "precision"), *scale = json_object_get(j, "scale");
		json_int_t pv = json_is_integer(prec) ? json_integer_value(prec) : 0;
		json_int_t sv = scale ? (json_is_integer(scale) ? json_integer_value(scale) : -1) : 0;
		if (pv <= 0 || pv > INT32_MAX || sv < 0 || sv > pv)
			return;
		/* A fixed of n bytes holds at most floor(log10(2^(8n-1)-1)) digits. */
		if (t == POND_AVRO_FIXED && node->size < 64) {
			double maxv = 1;
			for (size_t i = 0; i < node->size * 8 - (node->size ? 1 : 0); i++)
				maxv *= 2;
			double tens = 1;
			for (json_int_t i = 0; i < pv; i++)
				tens *= 10;
			if (node->size == 0 || tens > maxv)
				return;
		}
		node->precision = (int)pv;
		node->scale = (int)sv;
		node->logical = POND_AVRO_LOGICAL_DECIMAL;
	} else if (strcmp(lt, "uuid") == 0 && (t == POND_AVRO_STRING || (t == POND_AVRO_FIXED && node->size == 16))) {
		node->logical = POND_AVRO_LOGICAL_UUID;
	} else if (strcmp(lt, "date") == 0 && t == POND_AVRO_INT) {
		node->logical = POND_AVRO_LOGICAL_DATE;
	} else if (strcmp(lt, "time-millis") == 0 && t == POND_AVRO_INT) {
		node->logical = POND_AVRO_LOGICAL_TIME_MILLIS;
	} else if (strcmp(lt, "time-micros") == 0 && t == POND_AVRO_LONG) {
		node->logical = POND_AVRO_LOGICAL_TIME_MICROS;
	} else if (strcmp(lt, "timestamp-millis") == 0 && t == POND_AVRO_LONG) {
		node->logical = POND_AVRO_LOGICAL_TIMESTAMP_MILLIS;
	} else if (strcmp(lt, "timestamp-micros") == 0 && t == POND_AVRO_LONG) {
		node->logical = POND_AVRO_LOGICAL_TIMESTAMP_MICROS;
	} else if (strcmp(lt, "local-timestamp-millis") == 0 && t == POND_AVRO_LONG) {
		node->logical = POND_AVRO_LOGICAL_LOCAL_TIMESTAMP_MILLIS;
	} else if (strcmp(lt, "local-timestamp-micros") == 0 && t == POND_AVRO_LONG) {
		node->logical = POND_AVRO_LOGICAL_LOCAL_TIMESTAMP_MICROS;
	} else if (strcmp(lt, "duration") == 0 && t == POND_AVRO_FIXED && node->size == 12) {
		node->logical = POND_AVRO_LOGICAL_DURATION;
	} else if (strcmp(lt, "map") == 0 && t == POND_AVRO_ARRAY && node->items &&
	           node->items->type == POND_AVRO_RECORD && node->items->nfields == 2 &&
	           strcmp(node->items->fields[0].name, "key") == 0 &&
	           strcmp(node->items->fields[1].name, "value") == 0) {
		/* Iceberg spec "Avro": maps with non-string keys are arrays of
		 * records k<key-id>_v<value-id> {key, value}. */
		const pond_avro_field *kf = &node->items->fields[0], *vf = &node->items->fields[1];
		node->logical = POND_AVRO_LOGICAL_ICEBERG_MAP;
		node->keys = kf->type;
		node->values = vf->type;
		if (kf->has_field_id) {
			node->key_id = kf->field_id;
			node->has_key_id = true;
		}
		if (vf->has_field_id) {
			node->value_id = vf->field_id;
			node->has_value_id = true;
		}
	}
}

static int parse_complex(parser *p, json_t *j, const char *ns, int depth, pond_avro_node **out)
{
	json_t *tj = json_object_get(j, "type");
	const char *tname = json_string_value(tj);
	if (!tj)
		return fail(p, "%s", "an object without \"type\"");
	if (!tname) {
		/* {"type": {...}} or {"type": [...]}: the inner schema. */
		return parse_node(p, tj, ns, depth + 1, out);
	}
	int prim = primitive_type(tname);
	pond_avro_node *node = NULL;
	int rc = 0;
	if (prim < 0 && strcmp(tname, "record") != 0 && strcmp(tname, "error") != 0 && strcmp(tname, "enum") != 0 &&
	    strcmp(tname, "array") != 0 && strcmp(tname, "map") != 0 && strcmp(tname, "fixed") != 0) {
		/* {"type": "SomeNamedType"}: a reference. */
		return parse_node(p, tj, ns, depth + 1, out);
	}
	node = pond_arena_calloc(p->arena, 1, sizeof(*node));
	if (!node)
		return nomem(p);
	node->json = j;
	if (prim >= 0) {
		node->type = (pond_avro_type)prim;
	} else if (strcmp(tname, "record") == 0 || strcmp(tname, "error") == 0) {
		node->type = POND_AVRO_RECORD;
		rc = parse_record(p, j, ns, depth, node);
	} else if (strcmp(tname, "enum") == 0) {
		node->type = POND_AVRO_ENUM;
		rc = parse_enum(p, j, ns, node);
	} else if (strcmp(tname, "fixed") == 0) {
		node->type = POND_AVRO_FIXED;
		rc = parse_fixed(p, j, ns, node);
	} else if (strcmp(tname, "array") == 0) {
		node->type = POND_AVRO_ARRAY;
		json_t *items = json_object_get(j, "items");
		if (!items)
			return fail(p, "%s", "array without \"items\"");
		pond_avro_node *it;
		if ((rc = parse_node(p, items, ns, depth + 1, &it)))
			return rc;
		node->items = it;
		rc = get_int_attr(p, j, "element-id", &node->element_id, &node->has_element_id);
	} else {
		node->type = POND_AVRO_MAP;
		json_t *values = json_object_get(j, "values");
		if (!values)
			return fail(p, "%s", "map without \"values\"");
		pond_avro_node *v;
		if ((rc = parse_node(p, values, ns, depth + 1, &v)))
			return rc;
		node->values = v;
		if ((rc = get_int_attr(p, j, "key-id", &node->key_id, &node->has_key_id)))
			return rc;
		rc = get_int_attr(p, j, "value-id", &node->value_id, &node->has_value_id);
	}
	if (rc)
		return rc;
	json_t *lt = json_object_get(j, "logicalType");
	if (json_is_string(lt)) {
		node->logical_name = json_string_value(lt);
		apply_logical(node, j);
	}
	*out = node;
	return 0;
}

static int parse_node(parser *p, json_t *j, const char *ns, int depth, pond_avro_node **out)
{
	if (depth > POND_AVRO_MAX_DEPTH)
		return fail(p, "%s", "nested too deeply");
	if (json_is_string(j)) {
		const char *name = json_string_value(j);
		int prim = primitive_type(name);
		if (prim >= 0) {
			pond_avro_node *node = pond_arena_calloc(p->arena, 1, sizeof(*node));
			if (!node)
				return nomem(p);
			node->type = (pond_avro_type)prim;
			node->json = j;
			*out = node;
			return 0;
		}
		pond_avro_node *ref = NULL;
		if (!strchr(name, '.') && ns && *ns) {
			char *full = pond_arena_sprintf(p->arena, "%s.%s", ns, name);
			if (!full)
				return nomem(p);
			ref = find_named(p, full);
		}
		if (!ref)
			ref = find_named(p, name);
		if (!ref)
			return fail(p, "unknown type \"%s\"", name);
		*out = ref;
		return 0;
	}
	if (json_is_array(j)) {
		pond_avro_node *node = pond_arena_calloc(p->arena, 1, sizeof(*node));
		if (!node)
			return nomem(p);
		node->type = POND_AVRO_UNION;
		node->json = j;
		*out = node;
		return parse_union(p, j, ns, depth, node);
	}
	if (json_is_object(j))
		return parse_complex(p, j, ns, depth, out);
	return fail(p, "%s", "a schema is not a string, object or array");
}

int pond_avro_schema_from_json(pond_avro_schema **out, json_t *json, const char *what, pond_error *err)
{
	*out = NULL;
	pond_avro_schema *s = pond_calloc(1, sizeof(*s));
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory parsing avro schema");
	s->arena = pond_arena_new();
	s->text = pond_json_dumps(json, false);
	if (!s->arena || !s->text) {
		pond_avro_schema_free(&s);
		return pond_error_set(err, POND_ENOMEM, "out of memory parsing avro schema");
	}
	s->json = json_incref(json);
	parser p = {s->arena, NULL, what, err};
	int rc = parse_node(&p, json, "", 0, &s->root);
	if (rc) {
		pond_avro_schema_free(&s);
		return rc;
	}
	*out = s;
	return 0;
}

int pond_avro_schema_parse(pond_avro_schema **out, const char *json_text, size_t len, const char *what,
                           pond_error *err)
{
	*out = NULL;
	json_error_t jerr;
	/* A schema may be a bare JSON string ("long"), so decode any value. */
	json_t *json = json_loadb(json_text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!json)
		return pond_error_set(err, POND_EINVAL, "invalid avro schema in %s: %d:%d: %s",
		                      what ? what : "(text)", jerr.line, jerr.column, jerr.text);
	int rc = pond_avro_schema_from_json(out, json, what, err);
	json_decref(json);
	return rc;
}

void pond_avro_schema_free(pond_avro_schema **schema)
{
	if (!schema || !*schema)
		return;
	pond_avro_schema *s = *schema;
	pond_arena_free(&s->arena);
	pond_free(s->text);
	if (s->json)
		json_decref(s->json);
	pond_free(s);
	*schema = NULL;
}

const pond_avro_node *pond_avro_schema_root(const pond_avro_schema *schema)
{
	return schema->root;
}

const char *pond_avro_schema_json(const pond_avro_schema *schema)
{
	return schema->text;
}

const pond_avro_field *pond_avro_node_field_by_id(const pond_avro_node *record, int32_t field_id, size_t *index)
{
	if (!record || record->type != POND_AVRO_RECORD)
		return NULL;
	for (size_t i = 0; i < record->nfields; i++) {
		if (record->fields[i].has_field_id && record->fields[i].field_id == field_id) {
			if (index)
				*index = i;
			return &record->fields[i];
		}
	}
	return NULL;
}

const pond_avro_field *pond_avro_node_field_by_name(const pond_avro_node *record, const char *name, size_t *index)
{
	if (!record || record->type != POND_AVRO_RECORD || !name)
		return NULL;
	for (size_t i = 0; i < record->nfields; i++) {
		if (strcmp(record->fields[i].name, name) == 0) {
			if (index)
				*index = i;
			return &record->fields[i];
		}
	}
	return NULL;
}

/* Guards against recursive records: a record that contains itself is never
 * zero-size in practice, and depth bounds the walk. */
static bool zero_size(const pond_avro_node *node, int depth)
{
	if (depth > POND_AVRO_MAX_DEPTH)
		return false;
	switch (node->type) {
	case POND_AVRO_NULL:
		return true;
	case POND_AVRO_FIXED:
		return node->size == 0;
	case POND_AVRO_RECORD:
		for (size_t i = 0; i < node->nfields; i++)
			if (!zero_size(node->fields[i].type, depth + 1))
				return false;
		return true;
	default:
		return false;
	}
}

bool pond__avro_node_zero_size(const pond_avro_node *node)
{
	return zero_size(node, 0);
}
