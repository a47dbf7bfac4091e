/*
 * Namespaces of the SQL catalog. A namespace is stored as its levels joined
 * with '.', in iceberg_namespace_properties (one row per property; Java and
 * pyiceberg write exists=true for a namespace without properties) and
 * implicitly as the table_namespace of its tables. Following pyiceberg, a
 * namespace exists when either table mentions it or one of its children.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"

int pond_ns_parse(pond_ns *out, pond_arena *arena, const char *dotted, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!*dotted)
		return 0;
	const char *p = dotted;
	for (;;) {
		size_t len = strcspn(p, ".");
		if (len == 0)
			return pond_error_set(err, POND_EINVAL, "namespace \"%s\" has an empty level", dotted);
		if (out->nlevels == POND_NS_MAX_LEVELS)
			return pond_error_set(err, POND_ELIMIT, "namespace \"%s\" has more than %d levels",
			                      dotted, POND_NS_MAX_LEVELS);
		if (!(out->levels[out->nlevels++] = pond_arena_strndup(arena, p, len)))
			return pond_error_set(err, POND_ENOMEM, "out of memory parsing namespace");
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

static bool join_into(pond_buf *buf, const pond_ns *ns)
{
	for (size_t i = 0; i < ns->nlevels; i++) {
		if (i)
			pond_buf_putc(buf, '.');
		pond_buf_puts(buf, ns->levels[i]);
	}
	return pond_buf_ok(buf);
}

char *pond_ns_to_string(pond_arena *arena, const pond_ns *ns)
{
	pond_buf buf = POND_BUF_INIT;
	if (!join_into(&buf, ns)) {
		pond_buf_dispose(&buf);
		return NULL;
	}
	char *s = pond_arena_strdup(arena, pond_buf_cstr(&buf));
	pond_buf_dispose(&buf);
	return s;
}

char *pond__catalog_ns_join(const pond_ns *ns, pond_error *err)
{
	if (!ns || ns->nlevels == 0 || ns->nlevels > POND_NS_MAX_LEVELS) {
		pond_error_set(err, POND_EINVAL, "a namespace needs 1 to %d levels", POND_NS_MAX_LEVELS);
		return NULL;
	}
	for (size_t i = 0; i < ns->nlevels; i++) {
		const char *level = ns->levels[i];
		if (!level || !*level || strchr(level, '.')) {
			pond_error_set(err, POND_EINVAL, "namespace level \"%s\" is empty or contains '.'",
			               level ? level : "");
			return NULL;
		}
	}
	pond_buf buf = POND_BUF_INIT;
	if (!join_into(&buf, ns)) {
		pond_buf_dispose(&buf);
		pond_error_set(err, POND_ENOMEM, "out of memory naming a namespace");
		return NULL;
	}
	return pond_buf_detach(&buf);
}

/* 'a_b' -> 'a!_b.%': the children of a namespace for LIKE ... ESCAPE '!'. */
static char *children_pattern(const char *ns_str)
{
	pond_buf buf = POND_BUF_INIT;
	for (const char *p = ns_str; *p; p++) {
		if (*p == '!' || *p == '_' || *p == '%')
			pond_buf_putc(&buf, '!');
		pond_buf_putc(&buf, *p);
	}
	pond_buf_puts(&buf, ".%");
	if (!pond_buf_ok(&buf)) {
		pond_buf_dispose(&buf);
		return NULL;
	}
	return pond_buf_detach(&buf);
}

int pond__catalog_ns_exists(pond_catalog *cat, const char *ns_str, bool *out, pond_error *err)
{
	char *pattern = children_pattern(ns_str);
	if (!pattern)
		return pond_error_set(err, POND_ENOMEM, "out of memory checking namespace %s", ns_str);
	const char *params[] = {cat->name, ns_str, pattern};
	int rc = pond__catalog_query_any(cat,
		"SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND "
		"(namespace = ? OR namespace LIKE ? ESCAPE '!') LIMIT 1", params, 3, out, err);
	if (rc == 0 && !*out)
		rc = pond__catalog_query_any(cat,
			"SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND "
			"(table_namespace = ? OR table_namespace LIKE ? ESCAPE '!') LIMIT 1",
			params, 3, out, err);
	pond_free(pattern);
	return rc;
}

int pond_catalog_namespace_exists(pond_catalog *cat, const pond_ns *ns, bool *out, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_namespace_exists(cat, ns, out, err);
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	int rc = pond__catalog_ns_exists(cat, ns_str, out, err);
	pond_free(ns_str);
	return rc;
}

/* ---- create ---------------------------------------------------------------- */

typedef struct {
	const char *ns_str;
	const pond_catalog_prop *props;
	size_t nprops;
	const char *const *removals;
	size_t nremovals;
} ns_change;

static int insert_prop(pond_catalog *cat, const char *ns_str, const char *key, const char *value,
                       pond_error *err)
{
	if (!key || !*key || !value)
		return pond_error_set(err, POND_EINVAL, "namespace %s: a property needs a key and a value",
		                      ns_str);
	const char *params[] = {cat->name, ns_str, key, value};
	int rc = pond_catalog_exec(cat,
		"INSERT INTO iceberg_namespace_properties "
		"(catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)",
		params, 4, NULL, err);
	if (rc == POND_EEXISTS)
		return pond_error_set(err, rc, "namespace %s: property %s given twice", ns_str, key);
	return rc;
}

static int create_ns_tx(pond_catalog *cat, void *payload, pond_error *err)
{
	ns_change *ch = payload;
	bool exists;
	int rc = pond__catalog_ns_exists(cat, ch->ns_str, &exists, err);
	if (rc)
		return rc;
	if (exists)
		return pond_error_set(err, POND_EEXISTS, "namespace %s already exists", ch->ns_str);
	if (ch->nprops == 0)
		return insert_prop(cat, ch->ns_str, "exists", "true", err);
	for (size_t i = 0; i < ch->nprops && !rc; i++)
		rc = insert_prop(cat, ch->ns_str, ch->props[i].key, ch->props[i].value, err);
	return rc;
}

int pond_catalog_create_namespace(pond_catalog *cat, const pond_ns *ns,
                                  const pond_catalog_prop *props, size_t nprops, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_create_namespace(cat, ns, props, nprops, err);
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	ns_change ch = {ns_str, props, nprops, NULL, 0};
	int rc = pond__catalog_in_tx(cat, create_ns_tx, &ch, err);
	pond_free(ns_str);
	return rc;
}

/* ---- list -------------------------------------------------------------------- */

int pond__catalog_ns_compare(const void *a, const void *b)
{
	const pond_ns *x = a, *y = b;
	for (size_t i = 0; i < x->nlevels && i < y->nlevels; i++) {
		int c = strcmp(x->levels[i], y->levels[i]);
		if (c)
			return c;
	}
	return (x->nlevels > y->nlevels) - (x->nlevels < y->nlevels);
}

int pond_catalog_list_namespaces(pond_catalog *cat, const pond_ns *parent, pond_arena *arena,
                                 pond_ns **out, size_t *count, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_list_namespaces(cat, parent, arena, out, count, err);
	*out = NULL;
	*count = 0;
	size_t depth = parent ? parent->nlevels : 0;
	const char **names = NULL;
	size_t nnames = 0;
	int rc;
	if (depth == 0) {
		const char *params[] = {cat->name, cat->name};
		rc = pond__catalog_query_strings(cat,
			"SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ? UNION "
			"SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?",
			params, 2, arena, &names, &nnames, err);
	} else {
		char *ns_str = pond__catalog_ns_join(parent, err);
		if (!ns_str)
			return err ? err->code : POND_EINVAL;
		char *pattern = children_pattern(ns_str);
		bool exists = false;
		rc = pattern ? pond__catalog_ns_exists(cat, ns_str, &exists, err)
		             : pond_error_set(err, POND_ENOMEM, "out of memory listing namespaces");
		if (rc == 0 && !exists)
			rc = pond_error_set(err, POND_ENOTFOUND, "namespace %s does not exist", ns_str);
		if (rc == 0) {
			const char *params[] = {cat->name, pattern, cat->name, pattern};
			rc = pond__catalog_query_strings(cat,
				"SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ? "
				"AND namespace LIKE ? ESCAPE '!' UNION "
				"SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ? "
				"AND table_namespace LIKE ? ESCAPE '!'",
				params, 4, arena, &names, &nnames, err);
		}
		pond_free(pattern);
		pond_free(ns_str);
	}
	if (rc)
		return rc;
	pond_ns *list = nnames ? pond_arena_calloc(arena, nnames, sizeof(*list)) : NULL;
	if (nnames && !list)
		return pond_error_set(err, POND_ENOMEM, "out of memory listing namespaces");
	size_t n = 0;
	for (size_t i = 0; i < nnames; i++) {
		pond_ns child;
		/* A level may come out empty from a foreign catalog ("a..b"); such
		 * rows are skipped rather than failing the whole listing. */
		pond_error perr = POND_ERROR_INIT;
		rc = pond_ns_parse(&child, arena, names[i], &perr);
		if (rc == POND_ENOMEM)
			return pond_error_set(err, rc, "%s", perr.msg);
		if (rc || child.nlevels <= depth)
			continue;
		bool under = true;
		for (size_t l = 0; l < depth && under; l++)
			under = strcmp(child.levels[l], parent->levels[l]) == 0;
		if (!under)
			continue;
		child.nlevels = depth + 1;
		bool dup = false;
		for (size_t j = 0; j < n && !dup; j++)
			dup = pond__catalog_ns_compare(&list[j], &child) == 0;
		if (!dup)
			list[n++] = child;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), pond__catalog_ns_compare);
	*out = list;
	*count = n;
	return 0;
}

/* ---- properties ------------------------------------------------------------ */

typedef struct {
	pond_arena *arena;
	pond_catalog_prop *items;
	size_t count, cap;
} prop_list;

static int collect_prop(int ncols, const char *const *names, const char *const *values,
                        void *payload)
{
	prop_list *list = payload;
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;
		pond_catalog_prop *items = pond_arena_alloc(list->arena, cap * sizeof(*items));
		if (!items)
			return POND_ENOMEM;
		if (list->count)
			memcpy(items, list->items, list->count * sizeof(*items));
		list->items = items;
		list->cap = cap;
	}
	pond_catalog_prop *p = &list->items[list->count];
	p->key = pond_arena_strdup(list->arena, values[0] ? values[0] : "");
	p->value = pond_arena_strdup(list->arena, values[1] ? values[1] : "");
	if (!p->key || !p->value)
		return POND_ENOMEM;
	list->count++;
	return 0;
}

int pond_catalog_load_namespace_properties(pond_catalog *cat, const pond_ns *ns, pond_arena *arena,
                                           pond_catalog_prop **out, size_t *count, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_load_namespace_properties(cat, ns, arena, out, count, err);
	*out = NULL;
	*count = 0;
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	bool exists;
	int rc = pond__catalog_ns_exists(cat, ns_str, &exists, err);
	if (rc == 0 && !exists)
		rc = pond_error_set(err, POND_ENOTFOUND, "namespace %s does not exist", ns_str);
	if (rc == 0) {
		prop_list list = {arena, NULL, 0, 0};
		const char *params[] = {cat->name, ns_str};
		rc = pond_catalog_query(cat,
			"SELECT property_key, property_value FROM iceberg_namespace_properties "
			"WHERE catalog_name = ? AND namespace = ? ORDER BY property_key",
			params, 2, collect_prop, &list, err);
		if (rc == POND_ENOMEM)
			rc = pond_error_set(err, rc, "out of memory loading namespace %s", ns_str);
		if (rc == 0) {
			*out = list.items;
			*count = list.count;
		}
	}
	pond_free(ns_str);
	return rc;
}

static int update_props_tx(pond_catalog *cat, void *payload, pond_error *err)
{
	ns_change *ch = payload;
	bool exists;
	int rc = pond__catalog_ns_exists(cat, ch->ns_str, &exists, err);
	if (rc == 0 && !exists)
		rc = pond_error_set(err, POND_ENOTFOUND, "namespace %s does not exist", ch->ns_str);
	const char *sql = "DELETE FROM iceberg_namespace_properties "
	                  "WHERE catalog_name = ? AND namespace = ? AND property_key = ?";
	for (size_t i = 0; rc == 0 && i < ch->nremovals; i++) {
		const char *params[] = {cat->name, ch->ns_str, ch->removals[i]};
		rc = pond_catalog_exec(cat, sql, params, 3, NULL, err);
	}
	for (size_t i = 0; rc == 0 && i < ch->nprops; i++) {
		const char *params[] = {cat->name, ch->ns_str, ch->props[i].key};
		rc = pond_catalog_exec(cat, sql, params, 3, NULL, err);
		if (rc == 0)
			rc = insert_prop(cat, ch->ns_str, ch->props[i].key, ch->props[i].value, err);
	}
	return rc;
}

int pond_catalog_update_namespace_properties(pond_catalog *cat, const pond_ns *ns,
                                             const char *const *removals, size_t nremovals,
                                             const pond_catalog_prop *updates, size_t nupdates,
                                             pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_update_namespace_properties(cat, ns, removals, nremovals, updates, nupdates,
		                                                      err);
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	ns_change ch = {ns_str, updates, nupdates, removals, nremovals};
	int rc = pond__catalog_in_tx(cat, update_props_tx, &ch, err);
	pond_free(ns_str);
	return rc;
}

/* ---- drop -------------------------------------------------------------------- */

static int drop_ns_tx(pond_catalog *cat, void *payload, pond_error *err)
{
	ns_change *ch = payload;
	bool exists, busy = false;
	int rc = pond__catalog_ns_exists(cat, ch->ns_str, &exists, err);
	if (rc)
		return rc;
	if (!exists)
		return pond_error_set(err, POND_ENOTFOUND, "namespace %s does not exist", ch->ns_str);
	char *pattern = children_pattern(ch->ns_str);
	if (!pattern)
		return pond_error_set(err, POND_ENOMEM, "out of memory dropping namespace %s", ch->ns_str);
	/* Any table in it or below it, or any child namespace, keeps it. */
	const char *params[] = {cat->name, ch->ns_str, pattern};
	rc = pond__catalog_query_any(cat,
		"SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND "
		"(table_namespace = ? OR table_namespace LIKE ? ESCAPE '!') LIMIT 1",
		params, 3, &busy, err);
	if (rc == 0 && !busy) {
		const char *cparams[] = {cat->name, pattern};
		rc = pond__catalog_query_any(cat,
			"SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND "
			"namespace LIKE ? ESCAPE '!' LIMIT 1", cparams, 2, &busy, err);
	}
	pond_free(pattern);
	if (rc)
		return rc;
	if (busy)
		return pond_error_set(err, POND_EINVAL, "namespace %s is not empty", ch->ns_str);
	const char *dparams[] = {cat->name, ch->ns_str};
	return pond_catalog_exec(cat,
		"DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?",
		dparams, 2, NULL, err);
}

int pond_catalog_drop_namespace(pond_catalog *cat, const pond_ns *ns, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_drop_namespace(cat, ns, err);
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	ns_change ch = {ns_str, NULL, 0, NULL, 0};
	int rc = pond__catalog_in_tx(cat, drop_ns_tx, &ch, err);
	pond_free(ns_str);
	return rc;
}
