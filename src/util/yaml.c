/*
 * YAML documents into a small node tree that remembers where each node
 * was, built on libyaml's event parser. Config readers (pond.yml,
 * sources, exports) use it so their errors can name file:line:column.
 */
#include "pond/util.h"

#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH 64
/* Nodes a document may expand to, counting each alias as a copy of its
 * target: aliases nested ten deep, ten each, would otherwise make a few
 * hundred bytes into ten billion nodes for anything that walks them. */
#define YAML_MAX_EXPANDED 1000000

typedef struct anchor {
	const char *name;
	pond_yaml_node *node;
	bool complete;  /* false while its own children are being read */
	struct anchor *next;
} anchor;

typedef struct {
	yaml_parser_t parser;
	pond_arena *arena;
	const char *what;
	pond_error *err;
	anchor *anchors;
} yaml_ctx;

static int oom(yaml_ctx *c)
{
	return pond_error_set(c->err, POND_ENOMEM, "out of memory reading %s", c->what);
}

static int parser_error(yaml_ctx *c)
{
	return pond_error_set(c->err, POND_EINVAL, "%s:%zu:%zu: invalid YAML: %s", c->what,
	                      c->parser.problem_mark.line + 1, c->parser.problem_mark.column + 1,
	                      c->parser.problem ? c->parser.problem : "syntax error");
}

static int next_event(yaml_ctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev))
		return parser_error(c);
	return 0;
}

static pond_yaml_node *new_node(yaml_ctx *c, pond_yaml_kind kind, const yaml_mark_t *mark)
{
	pond_yaml_node *n = pond_arena_calloc(c->arena, 1, sizeof(*n));
	if (n) {
		n->kind = kind;
		n->line = (int)mark->line + 1;
		n->column = (int)mark->column + 1;
		n->value = "";
	}
	return n;
}

static int remember_anchor(yaml_ctx *c, const yaml_char_t *name, pond_yaml_node *node, bool complete)
{
	if (!name)
		return 0;
	anchor *a = pond_arena_alloc(c->arena, sizeof(*a));
	if (!a || !(a->name = pond_arena_strdup(c->arena, (const char *)name)))
		return oom(c);
	a->node = node;
	a->complete = complete;
	a->next = c->anchors;
	c->anchors = a;
	return 0;
}

static void complete_anchor(yaml_ctx *c, const pond_yaml_node *node)
{
	for (anchor *a = c->anchors; a; a = a->next)
		if (a->node == node)
			a->complete = true;
}

/* Adds a child's expanded size to its parent, within the limit. */
static int add_weight(yaml_ctx *c, pond_yaml_node *n, const pond_yaml_node *child)
{
	n->expanded += child->expanded;
	if (n->expanded > YAML_MAX_EXPANDED)
		return pond_error_set(c->err, POND_ELIMIT, "%s:%d:%d: aliases expand to more than %d values", c->what,
		                      child->line, child->column, YAML_MAX_EXPANDED);
	return 0;
}

/* Grows a node's arrays by one; returns the new slot's index or -1. */
static int grow(yaml_ctx *c, pond_yaml_node *n, size_t *cap)
{
	if (n->count == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		if (n->kind == POND_YAML_SEQ) {
			pond_yaml_node **items = pond_arena_calloc(c->arena, nc, sizeof(*items));
			if (!items)
				return -1;
			if (n->count)
				memcpy(items, n->items, n->count * sizeof(*items));
			n->items = items;
		} else {
			const char **keys = pond_arena_calloc(c->arena, nc, sizeof(*keys));
			pond_yaml_node **values = pond_arena_calloc(c->arena, nc, sizeof(*values));
			if (!keys || !values)
				return -1;
			if (n->count) {
				memcpy(keys, n->keys, n->count * sizeof(*keys));
				memcpy(values, n->values, n->count * sizeof(*values));
			}
			n->keys = keys;
			n->values = values;
		}
		*cap = nc;
	}
	return (int)n->count;
}

static int parse_node(yaml_ctx *c, yaml_event_t *ev, int depth, pond_yaml_node **out);

/* Parses items or pairs until the closing event. */
static int parse_children(yaml_ctx *c, pond_yaml_node *n, int depth)
{
	size_t cap = 0;
	yaml_event_type_t end = n->kind == POND_YAML_SEQ ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
	for (;;) {
		yaml_event_t ev;
		int rc = next_event(c, &ev);
		if (rc)
			return rc;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		pond_yaml_node *child;
		const char *key = NULL;
		if (n->kind == POND_YAML_MAP) {
			if (ev.type != YAML_SCALAR_EVENT) {
				rc = pond_error_set(c->err, POND_EINVAL, "%s:%zu:%zu: map keys must be plain values",
				                    c->what, ev.start_mark.line + 1, ev.start_mark.column + 1);
				yaml_event_delete(&ev);
				return rc;
			}
			key = pond_arena_strndup(c->arena, (const char *)ev.data.scalar.value, ev.data.scalar.length);
			int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
			yaml_event_delete(&ev);
			if (!key)
				return oom(c);
			for (size_t i = 0; i < n->count; i++)
				if (strcmp(n->keys[i], key) == 0)
					return pond_error_set(c->err, POND_EINVAL, "%s:%d:%d: duplicate key \"%s\"",
					                      c->what, line, col, key);
			if ((rc = next_event(c, &ev)) != 0)
				return rc;
		}
		rc = parse_node(c, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
		if ((rc = add_weight(c, n, child)) != 0)
			return rc;
		int slot = grow(c, n, &cap);
		if (slot < 0)
			return oom(c);
		if (n->kind == POND_YAML_SEQ) {
			n->items[slot] = child;
		} else {
			n->keys[slot] = key;
			n->values[slot] = child;
		}
		n->count++;
	}
}

static int parse_node(yaml_ctx *c, yaml_event_t *ev, int depth, pond_yaml_node **out)
{
	if (depth > YAML_MAX_DEPTH)
		return pond_error_set(c->err, POND_ELIMIT, "%s:%zu: nested deeper than %d levels", c->what,
		                      ev->start_mark.line + 1, YAML_MAX_DEPTH);
	pond_yaml_node *n;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (!(n = new_node(c, POND_YAML_SCALAR, &ev->start_mark)))
			return oom(c);
		n->value = pond_arena_strndup(c->arena, (const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!n->value)
			return oom(c);
		n->expanded = 1;
		n->quoted = ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		            ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
		            ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		            ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
		*out = n;
		return remember_anchor(c, ev->data.scalar.anchor, n, true);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		if (!(n = new_node(c, seq ? POND_YAML_SEQ : POND_YAML_MAP, &ev->start_mark)))
			return oom(c);
		n->expanded = 1;
		int rc = remember_anchor(c, seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor, n, false);
		if (rc == 0)
			rc = parse_children(c, n, depth);
		complete_anchor(c, n);
		*out = n;
		return rc;
	}
	case YAML_ALIAS_EVENT:
		for (anchor *a = c->anchors; a; a = a->next) {
			if (strcmp(a->name, (const char *)ev->data.alias.anchor) != 0)
				continue;
			/* An alias inside the node it names would make the tree a
			 * cycle that every reader walks forever. */
			if (!a->complete)
				return pond_error_set(c->err, POND_EINVAL, "%s:%zu:%zu: alias \"*%s\" refers to a node that contains it",
				                      c->what, ev->start_mark.line + 1, ev->start_mark.column + 1, a->name);
			*out = a->node;
			return 0;
		}
		return pond_error_set(c->err, POND_EINVAL, "%s:%zu:%zu: unknown alias \"*%s\"", c->what,
		                      ev->start_mark.line + 1, ev->start_mark.column + 1, ev->data.alias.anchor);
	default:
		return pond_error_set(c->err, POND_EINVAL, "%s:%zu: unexpected YAML event", c->what,
		                      ev->start_mark.line + 1);
	}
}

int pond_yaml_parse(pond_yaml_node **out, const char *text, size_t len, const char *what, pond_arena *arena,
                    pond_error *err)
{
	yaml_ctx c = {.arena = arena, .what = what, .err = err};
	if (!yaml_parser_initialize(&c.parser))
		return oom(&c);
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)text, len);
	pond_yaml_node *root = NULL;
	int rc = 0;
	bool in_doc = false;
	for (;;) {
		yaml_event_t ev;
		if ((rc = next_event(&c, &ev)) != 0)
			break;
		yaml_event_type_t type = ev.type;
		if (type == YAML_DOCUMENT_START_EVENT) {
			if (root || in_doc)
				rc = pond_error_set(err, POND_EINVAL, "%s:%zu: only one YAML document is allowed", what,
				                    ev.start_mark.line + 1);
			in_doc = true;
		} else if (type == YAML_DOCUMENT_END_EVENT) {
			in_doc = false;
		} else if (type != YAML_STREAM_START_EVENT && type != YAML_STREAM_END_EVENT) {
			rc = parse_node(&c, &ev, 0, &root);
		}
		yaml_event_delete(&ev);
		if (rc || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&c.parser);
	if (rc)
		return rc;
	if (!root || (root->kind == POND_YAML_SCALAR && pond_yaml_is_null(root))) {
		yaml_mark_t start = {0, 0, 0};
		if (!(root = new_node(&c, POND_YAML_MAP, &start)))
			return oom(&c);
	}
	*out = root;
	return 0;
}

const pond_yaml_node *pond_yaml_get(const pond_yaml_node *map, const char *key)
{
	if (!map || map->kind != POND_YAML_MAP)
		return NULL;
	for (size_t i = 0; i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->values[i];
	return NULL;
}

bool pond_yaml_is_null(const pond_yaml_node *n)
{
	if (!n || n->kind != POND_YAML_SCALAR || n->quoted)
		return false;
	return n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
	       strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

static int want(const pond_yaml_node *n, const char *what, const char *key, const char *type, pond_error *err)
{
	return pond_error_set(err, POND_EINVAL, "%s:%d:%d: \"%s\" must be %s", what, n->line, n->column, key, type);
}

int pond_yaml_string(const pond_yaml_node *n, const char **out, const char *what, const char *key, pond_error *err)
{
	if (n->kind != POND_YAML_SCALAR)
		return want(n, what, key, "a single value", err);
	*out = n->value;
	return 0;
}

int pond_yaml_int(const pond_yaml_node *n, int64_t *out, const char *what, const char *key, pond_error *err)
{
	if (n->kind != POND_YAML_SCALAR || !pond_str_to_i64(n->value, out))
		return want(n, what, key, "a whole number", err);
	return 0;
}

int pond_yaml_bool(const pond_yaml_node *n, bool *out, const char *what, const char *key, pond_error *err)
{
	static const char *yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
	static const char *no[] = {"false", "False", "FALSE", "no", "No", "off", "Off"};
	if (n->kind == POND_YAML_SCALAR && !n->quoted) {
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcmp(n->value, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcmp(n->value, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	return want(n, what, key, "true or false", err);
}

int pond_yaml_check_keys(const pond_yaml_node *map, const char *const *allowed, const char *what, pond_error *err)
{
	if (!map || map->kind != POND_YAML_MAP)
		return pond_error_set(err, POND_EINVAL, "%s:%d:%d: expected a map of keys and values", what,
		                      map ? map->line : 1, map ? map->column : 1);
	for (size_t i = 0; i < map->count; i++) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, map->keys[i]) == 0;
		if (!ok)
			return pond_error_set(err, POND_EINVAL, "%s:%d: unknown key \"%s\"", what, map->values[i]->line,
			                      map->keys[i]);
	}
	return 0;
}
