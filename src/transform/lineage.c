/*
 * Lineage: the graph from sources (tables no model builds) through models
 * to exports and custom tests, as text, Graphviz dot or JSON. A focus
 * keeps one node with its ancestors and descendants.
 */
#include "transform_internal.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>

static const char *kind_name(const tf_node *n)
{
	switch (n->kind) {
	case TF_MODEL: return "model";
	case TF_SOURCE: return "source";
	case TF_CUSTOM_TEST: return "test";
	case TF_EXPORT: return "export";
	}
	return "node";
}

static const char *mat_text(const tf_node *n)
{
	static const char *const names[] = {"table", "view", "incremental", "ephemeral"};
	return n->kind == TF_MODEL ? names[n->mat] : NULL;
}

static void mark(const pond_transform_graph *g, int i, bool *keep, bool up)
{
	const tf_node *n = &g->nodes[i];
	size_t count = up ? n->ndeps : n->nusers;
	for (size_t k = 0; k < count; k++) {
		int j = up ? n->deps[k] : n->users[k];
		if (!keep[j]) {
			keep[j] = true;
			mark(g, j, keep, up);
		}
	}
}

/* Sources first, then models in graph order, then tests and exports. */
static size_t layout(const pond_transform_graph *g, const bool *keep, int *out)
{
	size_t n = 0;
	for (size_t i = 0; i < g->nnodes; i++)
		if (keep[i] && g->nodes[i].kind == TF_SOURCE)
			out[n++] = (int)i;
	for (size_t i = 0; i < g->norder; i++)
		if (keep[g->order[i]])
			out[n++] = g->order[i];
	for (size_t i = 0; i < g->nnodes; i++)
		if (keep[i] && (g->nodes[i].kind == TF_CUSTOM_TEST || g->nodes[i].kind == TF_EXPORT))
			out[n++] = (int)i;
	return n;
}

static void text_node(pond_buf *out, const pond_transform_graph *g, const tf_node *n, const bool *keep)
{
	pond_buf_printf(out, "%-7s %s", kind_name(n), n->name);
	if (mat_text(n))
		pond_buf_printf(out, " (%s)", mat_text(n));
	if (n->path && n->kind != TF_CUSTOM_TEST)
		pond_buf_printf(out, "  %s", n->path);
	pond_buf_putc(out, '\n');
	bool first = true;
	for (size_t k = 0; k < n->ndeps; k++) {
		if (!keep[n->deps[k]])
			continue;
		pond_buf_printf(out, "%s%s", first ? "          <- " : ", ", g->nodes[n->deps[k]].name);
		first = false;
	}
	if (!first)
		pond_buf_putc(out, '\n');
}

static void dot_quote(pond_buf *out, const char *s)
{
	pond_buf_putc(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			pond_buf_putc(out, '\\');
		pond_buf_putc(out, *s);
	}
	pond_buf_putc(out, '"');
}

static void dot(pond_buf *out, const pond_transform_graph *g, const int *nodes, size_t n, const bool *keep)
{
	pond_buf_puts(out, "digraph lineage {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
	for (size_t i = 0; i < n; i++) {
		const tf_node *x = &g->nodes[nodes[i]];
		static const char *const shapes[] = {"box", "cylinder", "note", "folder"};
		pond_buf_puts(out, "  ");
		dot_quote(out, x->name);
		pond_buf_printf(out, " [shape=%s%s];\n", shapes[x->kind],
		                x->kind == TF_MODEL && x->mat == TF_VIEW        ? ", style=dashed"
		                : x->kind == TF_MODEL && x->mat == TF_EPHEMERAL ? ", style=dotted"
		                                                                : "");
	}
	for (size_t i = 0; i < n; i++) {
		const tf_node *x = &g->nodes[nodes[i]];
		for (size_t k = 0; k < x->ndeps; k++) {
			if (!keep[x->deps[k]])
				continue;
			pond_buf_puts(out, "  ");
			dot_quote(out, g->nodes[x->deps[k]].name);
			pond_buf_puts(out, " -> ");
			dot_quote(out, x->name);
			pond_buf_puts(out, ";\n");
		}
	}
	pond_buf_puts(out, "}\n");
}

static json_t *strings(const char *const *items, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

static int json_out(pond_buf *out, const pond_transform_graph *g, const int *nodes, size_t n, const bool *keep,
                    pond_error *err)
{
	json_t *doc = json_object(), *jn = json_array(), *je = json_array();
	for (size_t i = 0; i < n; i++) {
		const tf_node *x = &g->nodes[nodes[i]];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(x->name));
		json_object_set_new(o, "kind", json_string(kind_name(x)));
		json_object_set_new(o, "path", x->path ? json_string(x->path) : json_null());
		if (x->kind == TF_MODEL) {
			json_object_set_new(o, "materialized", json_string(mat_text(x)));
			json_object_set_new(o, "tags", strings(x->tags, x->ntags));
			json_object_set_new(o, "description", x->description ? json_string(x->description) : json_null());
			json_t *cols = json_object();
			for (size_t c = 0; c < x->ncolumns; c++)
				json_object_set_new(cols, x->column_names[c], json_string(x->column_docs[c]));
			json_object_set_new(o, "columns", cols);
			json_t *tests = json_array();
			for (size_t t = 0; t < x->ntests; t++) {
				json_t *to = json_object();
				json_object_set_new(to, "test", json_string(x->tests[t].name));
				json_object_set_new(to, "severity", json_string(x->tests[t].warn ? "warn" : "error"));
				json_array_append_new(tests, to);
			}
			json_object_set_new(o, "tests", tests);
			json_object_set_new(o, "hash", json_string(x->hash_hex));
		}
		json_array_append_new(jn, o);
		for (size_t k = 0; k < x->ndeps; k++) {
			if (!keep[x->deps[k]])
				continue;
			json_t *e = json_object();
			json_object_set_new(e, "from", json_string(g->nodes[x->deps[k]].name));
			json_object_set_new(e, "to", json_string(x->name));
			json_array_append_new(je, e);
		}
	}
	json_object_set_new(doc, "nodes", jn);
	json_object_set_new(doc, "edges", je);
	char *text = pond_json_dumps(doc, true);
	json_decref(doc);
	if (!text)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_puts(out, text);
	pond_buf_putc(out, '\n');
	pond_free(text);
	return 0;
}

int pond_transform_lineage(pond_buf *out, const pond_transform_graph *g, const char *focus,
                           pond_lineage_format format, pond_error *err)
{
	bool *keep = pond_calloc(g->nnodes + 1, sizeof(bool));
	int *nodes = pond_calloc(g->nnodes + 1, sizeof(int));
	int rc = keep && nodes ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0 && focus) {
		int f = pond__transform_find_node(g, focus);
		for (size_t i = 0; f < 0 && i < g->nnodes; i++)
			if ((g->nodes[i].kind == TF_MODEL && !strchr(focus, '.') && strcasecmp(g->nodes[i].id.name, focus) == 0) ||
			    (g->nodes[i].path && strcmp(g->nodes[i].path, focus) == 0))
				f = (int)i;
		if (f < 0)
			rc = pond_error_set(err, POND_ENOTFOUND, "no model or table %s in the graph", focus);
		else {
			keep[f] = true;
			mark(g, f, keep, true);
			mark(g, f, keep, false);
		}
	} else if (rc == 0) {
		for (size_t i = 0; i < g->nnodes; i++)
			keep[i] = true;
	}
	size_t n = rc == 0 ? layout(g, keep, nodes) : 0;
	if (rc == 0) {
		if (format == POND_LINEAGE_DOT)
			dot(out, g, nodes, n, keep);
		else if (format == POND_LINEAGE_JSON)
			rc = json_out(out, g, nodes, n, keep, err);
		else
			for (size_t i = 0; i < n; i++)
				text_node(out, g, &g->nodes[nodes[i]], keep);
	}
	if (rc == 0 && !pond_buf_ok(out))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_free(keep);
	pond_free(nodes);
	return rc;
}
