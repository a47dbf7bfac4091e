/*
 * Tables and views of the SQL catalog: one iceberg_tables row each, holding
 * the location of its current metadata file and of the one before. The
 * commit is Java's and pyiceberg's compare-and-swap: an UPDATE whose WHERE
 * names the metadata_location the writer started from. Views are Java's
 * JdbcCatalog rows with iceberg_type 'VIEW' (tables: 'TABLE', or NULL as
 * older rows have it); a table and a view share one name space, as the
 * primary key says. A catalog without the iceberg_type column (pyiceberg's)
 * holds no views.
 */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_internal.h"

/* What a row is: its noun in messages and its iceberg_type. */
typedef struct entry_kind {
	const char *noun;
	const char *type;
} entry_kind;

static const entry_kind TABLE_KIND = {"table", "TABLE"};
static const entry_kind VIEW_KIND = {"view", "VIEW"};

typedef struct {
	const entry_kind *kind;
	const char *ns_str;
	const char *name;
	const char *ns2_str;     /* rename target, or NULL */
	const char *name2;
	const char *location;    /* create: first; commit: new */
	const char *expected;    /* commit: the location read */
} table_op;

/* The WHERE clause's tail that keeps rows of kind. */
static const char *kind_filter(const pond_catalog *cat, const entry_kind *kind)
{
	if (kind == &TABLE_KIND)
		return pond__catalog_table_filter(cat);
	return cat->has_type_column ? " AND iceberg_type = 'VIEW'" : " AND 1 = 0";
}

static int check_name(const entry_kind *kind, const char *name, pond_error *err)
{
	if (!name || !*name)
		return pond_error_set(err, POND_EINVAL, "a %s needs a name", kind->noun);
	return 0;
}

static int missing(const entry_kind *kind, const char *ns_str, const char *name, pond_error *err)
{
	return pond_error_set(err, POND_ENOTFOUND, "%s %s.%s does not exist", kind->noun, ns_str, name);
}

typedef struct {
	bool found;
	bool view;
} taken_state;

static int taken_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	taken_state *st = payload;
	st->found = true;
	st->view = ncols > 0 && values[0] && strcmp(values[0], "VIEW") == 0;
	return 0;
}

/* POND_EEXISTS when a table or a view holds ns_str.name, naming which:
 * "doing: table a.b already exists" (doing NULL: "cannot create KIND a.b"
 * when the holder is of the other kind, else just "KIND a.b already
 * exists"). */
static int name_free(pond_catalog *cat, const entry_kind *kind, const char *ns_str, const char *name,
                     const char *doing, pond_error *err)
{
	const char *params[] = {cat->name, ns_str, name};
	taken_state st = {false, false};
	int rc = pond_catalog_query(cat, cat->has_type_column
		? "SELECT iceberg_type FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? "
		  "AND table_name = ?"
		: "SELECT NULL FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? "
		  "AND table_name = ?", params, 3, taken_row, &st, err);
	if (rc || !st.found)
		return rc;
	const char *holder = st.view ? "view" : "table";
	if (doing)
		return pond_error_set(err, POND_EEXISTS, "%s: %s %s.%s already exists", doing, holder, ns_str, name);
	if (strcmp(holder, kind->noun) == 0)
		return pond_error_set(err, POND_EEXISTS, "%s %s.%s already exists", holder, ns_str, name);
	return pond_error_set(err, POND_EEXISTS, "cannot create %s %s.%s: %s %s.%s already exists", kind->noun,
	                      ns_str, name, holder, ns_str, name);
}

static int ns_must_exist(pond_catalog *cat, const char *ns_str, pond_error *err)
{
	bool exists;
	int rc = pond__catalog_ns_exists(cat, ns_str, &exists, err);
	if (rc == 0 && !exists)
		rc = pond_error_set(err, POND_ENOTFOUND, "namespace %s does not exist", ns_str);
	return rc;
}

static int entry_exists(pond_catalog *cat, const entry_kind *kind, const char *ns_str, const char *name,
                        bool *out, pond_error *err)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? "
	         "AND table_name = ?%s", kind_filter(cat, kind));
	const char *params[] = {cat->name, ns_str, name};
	return pond__catalog_query_any(cat, sql, params, 3, out, err);
}

/* Runs fn on op with ns joined into op->ns_str (and to_ns into ns2_str),
 * inside a transaction when in_tx. */
static int with_names(pond_catalog *cat, const pond_ns *ns, const char *name, const pond_ns *to_ns,
                      const char *to_name, table_op *op, pond__catalog_tx_fn fn, bool in_tx,
                      pond_error *err)
{
	int rc = check_name(op->kind, name, err);
	if (rc == 0 && to_ns)
		rc = check_name(op->kind, to_name, err);
	if (rc)
		return rc;
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	char *ns2_str = NULL;
	if (to_ns && !(ns2_str = pond__catalog_ns_join(to_ns, err))) {
		pond_free(ns_str);
		return err ? err->code : POND_EINVAL;
	}
	op->ns_str = ns_str;
	op->name = name;
	op->ns2_str = ns2_str;
	op->name2 = to_name;
	rc = in_tx ? pond__catalog_in_tx(cat, fn, op, err) : fn(cat, op, err);
	pond_free(ns2_str);
	pond_free(ns_str);
	return rc;
}

/* ---- create / register ---------------------------------------------------- */

static int create_tx(pond_catalog *cat, void *payload, pond_error *err)
{
	table_op *op = payload;
	int rc = ns_must_exist(cat, op->ns_str, err);
	if (rc || (rc = name_free(cat, op->kind, op->ns_str, op->name, NULL, err)) != 0)
		return rc;
	const char *params[] = {cat->name, op->ns_str, op->name, op->location, op->kind->type};
	rc = pond_catalog_exec(cat, cat->has_type_column
		? "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
		  "metadata_location, previous_metadata_location, iceberg_type) "
		  "VALUES (?, ?, ?, ?, NULL, ?)"
		: "INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, "
		  "metadata_location, previous_metadata_location) VALUES (?, ?, ?, ?, NULL)",
		params, cat->has_type_column ? 5 : 4, NULL, err);
	if (rc == POND_EEXISTS)
		return pond_error_set(err, rc, "%s %s.%s already exists", op->kind->noun, op->ns_str, op->name);
	return rc;
}

static int create_entry(pond_catalog *cat, const entry_kind *kind, const pond_ns *ns, const char *name,
                        const char *metadata_location, pond_error *err)
{
	if (!metadata_location || !*metadata_location)
		return pond_error_set(err, POND_EINVAL, "%s %s needs a metadata location", kind->noun,
		                      name ? name : "");
	table_op op = {.kind = kind, .location = metadata_location};
	return with_names(cat, ns, name, NULL, NULL, &op, create_tx, true, err);
}

int pond_catalog_create_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                              const char *metadata_location, pond_error *err)
{
	if (cat->rest)
		return pond_error_set(err, POND_EUNSUPPORTED, "a REST catalog creates tables from their schema, not from a "
		                      "metadata file: use pond_catalog_create_table_from");
	return create_entry(cat, &TABLE_KIND, ns, name, metadata_location, err);
}

int pond_catalog_register_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                                const char *metadata_location, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_register_table(cat, ns, name, metadata_location, err);
	return pond_catalog_create_table(cat, ns, name, metadata_location, err);
}

/* ---- load / exists / list ----------------------------------------------------- */

typedef struct {
	pond_arena *arena;
	pond_catalog_table *table;
	bool found;
} load_state;

static int load_row(int ncols, const char *const *names, const char *const *values, void *payload)
{
	load_state *st = payload;
	st->found = true;
	st->table->metadata_location = values[0] ? pond_arena_strdup(st->arena, values[0]) : NULL;
	st->table->previous_metadata_location =
		values[1] ? pond_arena_strdup(st->arena, values[1]) : NULL;
	if ((values[0] && !st->table->metadata_location) ||
	    (values[1] && !st->table->previous_metadata_location))
		return POND_ENOMEM;
	return 0;
}

static int load_entry(pond_catalog *cat, const entry_kind *kind, const pond_ns *ns, const char *name,
                      pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	int rc = check_name(kind, name, err);
	if (rc)
		return rc;
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	char sql[320];
	snprintf(sql, sizeof(sql),
	         "SELECT metadata_location, previous_metadata_location FROM iceberg_tables "
	         "WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?%s",
	         kind_filter(cat, kind));
	const char *params[] = {cat->name, ns_str, name};
	load_state st = {arena, out, false};
	rc = pond_catalog_query(cat, sql, params, 3, load_row, &st, err);
	if (rc == POND_ENOMEM)
		rc = pond_error_set(err, rc, "out of memory loading %s %s.%s", kind->noun, ns_str, name);
	else if (rc == 0 && !st.found)
		rc = missing(kind, ns_str, name, err);
	else if (rc == 0 && !out->metadata_location)
		rc = pond_error_set(err, POND_ECORRUPT, "%s %s.%s has no metadata location", kind->noun,
		                    ns_str, name);
	pond_free(ns_str);
	return rc;
}

int pond_catalog_load_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                            pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_load_table(cat, ns, name, arena, out, err);
	return load_entry(cat, &TABLE_KIND, ns, name, arena, out, err);
}

static int exists_entry(pond_catalog *cat, const entry_kind *kind, const pond_ns *ns, const char *name,
                        bool *out, pond_error *err)
{
	*out = false;
	int rc = check_name(kind, name, err);
	if (rc)
		return rc;
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	rc = entry_exists(cat, kind, ns_str, name, out, err);
	pond_free(ns_str);
	return rc;
}

int pond_catalog_table_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                              pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_table_exists(cat, ns, name, out, err);
	return exists_entry(cat, &TABLE_KIND, ns, name, out, err);
}

static int list_entries(pond_catalog *cat, const entry_kind *kind, const pond_ns *ns, pond_arena *arena,
                        const char ***out, size_t *count, pond_error *err)
{
	*out = NULL;
	*count = 0;
	char *ns_str = pond__catalog_ns_join(ns, err);
	if (!ns_str)
		return err ? err->code : POND_EINVAL;
	char sql[320];
	snprintf(sql, sizeof(sql),
	         "SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND "
	         "table_namespace = ?%s ORDER BY table_name", kind_filter(cat, kind));
	const char *params[] = {cat->name, ns_str};
	int rc = pond__catalog_query_strings(cat, sql, params, 2, arena, out, count, err);
	if (rc == 0 && *count == 0)
		rc = ns_must_exist(cat, ns_str, err);
	pond_free(ns_str);
	return rc;
}

int pond_catalog_list_tables(pond_catalog *cat, const pond_ns *ns, pond_arena *arena,
                             const char ***out, size_t *count, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_list_tables(cat, ns, arena, out, count, err);
	return list_entries(cat, &TABLE_KIND, ns, arena, out, count, err);
}

/* ---- drop / rename ------------------------------------------------------------ */

static int drop_fn(pond_catalog *cat, void *payload, pond_error *err)
{
	table_op *op = payload;
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? "
	         "AND table_name = ?%s", kind_filter(cat, op->kind));
	const char *params[] = {cat->name, op->ns_str, op->name};
	long changes = 0;
	int rc = pond_catalog_exec(cat, sql, params, 3, &changes, err);
	if (rc == 0 && changes == 0)
		rc = missing(op->kind, op->ns_str, op->name, err);
	return rc;
}

static int not_rest(const pond_catalog *cat, pond_error *err)
{
	return pond_error_set(err, POND_EUNSUPPORTED, "catalog %s is a SQL catalog, not a REST catalog", cat->name);
}

int pond_catalog_drop_table(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_drop_table(cat, ns, name, false, err);
	table_op op = {.kind = &TABLE_KIND};
	return with_names(cat, ns, name, NULL, NULL, &op, drop_fn, false, err);
}

int pond_catalog_purge_table(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err)
{
	if (!cat->rest)
		return not_rest(cat, err);
	return pond__catalog_rest_drop_table(cat, ns, name, true, err);
}

static int rename_tx(pond_catalog *cat, void *payload, pond_error *err)
{
	table_op *op = payload;
	bool exists;
	int rc = entry_exists(cat, op->kind, op->ns_str, op->name, &exists, err);
	if (rc == 0 && !exists)
		rc = missing(op->kind, op->ns_str, op->name, err);
	if (rc == 0)
		rc = ns_must_exist(cat, op->ns2_str, err);
	char doing[600];
	snprintf(doing, sizeof(doing), "cannot rename %.280s.%.280s", op->ns_str, op->name);
	if (rc == 0 && (strcmp(op->ns_str, op->ns2_str) != 0 || strcmp(op->name, op->name2) != 0))
		rc = name_free(cat, op->kind, op->ns2_str, op->name2, doing, err);
	if (rc)
		return rc;
	char sql[320];
	snprintf(sql, sizeof(sql),
	         "UPDATE iceberg_tables SET table_namespace = ?, table_name = ? WHERE catalog_name = ? "
	         "AND table_namespace = ? AND table_name = ?%s", kind_filter(cat, op->kind));
	const char *params[] = {op->ns2_str, op->name2, cat->name, op->ns_str, op->name};
	long changes = 0;
	rc = pond_catalog_exec(cat, sql, params, 5, &changes, err);
	if (rc == POND_EEXISTS)
		return pond_error_set(err, rc, "cannot rename %s.%s: %s.%s already exists",
		                      op->ns_str, op->name, op->ns2_str, op->name2);
	if (rc == 0 && changes == 0)
		rc = missing(op->kind, op->ns_str, op->name, err);
	return rc;
}

int pond_catalog_rename_table(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                              const pond_ns *to_ns, const char *to_name, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_rename_table(cat, from_ns, from_name, to_ns, to_name, err);
	table_op op = {.kind = &TABLE_KIND};
	return with_names(cat, from_ns, from_name, to_ns, to_name, &op, rename_tx, true, err);
}

/* ---- commit ----------------------------------------------------------------------- */

static int commit_fn(pond_catalog *cat, void *payload, pond_error *err)
{
	table_op *op = payload;
	char sql[400];
	snprintf(sql, sizeof(sql),
	         "UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? "
	         "WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? "
	         "AND metadata_location = ?%s", kind_filter(cat, op->kind));
	const char *params[] = {op->location, op->expected, cat->name, op->ns_str, op->name,
	                        op->expected};
	long changes = 0;
	int rc = pond_catalog_exec(cat, sql, params, 6, &changes, err);
	if (rc || changes == 1)
		return rc;
	bool exists;
	rc = entry_exists(cat, op->kind, op->ns_str, op->name, &exists, err);
	if (rc)
		return rc;
	if (!exists)
		return missing(op->kind, op->ns_str, op->name, err);
	return pond_error_set(err, POND_ECONFLICT,
	                      "commit conflict on %s.%s: metadata changed since it was read",
	                      op->ns_str, op->name);
}

static int commit_entry(pond_catalog *cat, const entry_kind *kind, const pond_ns *ns, const char *name,
                        const char *expected, const char *new_location, pond_error *err)
{
	if (!expected || !*expected || !new_location || !*new_location)
		return pond_error_set(err, POND_EINVAL,
		                      "a commit to %s %s needs the expected and the new metadata location",
		                      kind->noun, name ? name : "");
	table_op op = {.kind = kind, .location = new_location, .expected = expected};
	/* The UPDATE alone is the compare-and-swap; the transaction only keeps
	 * the "conflict or gone?" check on the same snapshot. SQLite's BEGIN
	 * IMMEDIATE also makes the writer wait its turn under the busy timeout
	 * instead of failing on a stale WAL snapshot. */
	return with_names(cat, ns, name, NULL, NULL, &op, commit_fn, true, err);
}

int pond_catalog_commit_table(pond_catalog *cat, const pond_ns *ns, const char *name,
                              const char *expected, const char *new_location, pond_error *err)
{
	if (cat->rest)
		return pond_error_set(err, POND_EUNSUPPORTED, "a REST catalog commits requirements and updates, not "
		                      "a metadata location: use pond_catalog_commit_tables");
	return commit_entry(cat, &TABLE_KIND, ns, name, expected, new_location, err);
}

/* ---- views ------------------------------------------------------------------------- */

/* A REST catalog's views are created and changed by requirements and
 * updates (pond_catalog_create_view_from, pond_catalog_commit_view_changes),
 * not by naming a metadata file pond wrote. */
static int rest_by_location(const pond_catalog *cat, const char *name, pond_error *err)
{
	return pond_error_set(err, POND_EUNSUPPORTED, "view %s: REST catalog %s writes its views itself: send it the "
	                      "view's changes", name ? name : "", cat->name);
}

int pond_catalog_create_view(pond_catalog *cat, const pond_ns *ns, const char *name,
                             const char *metadata_location, pond_error *err)
{
	if (cat->rest)
		return rest_by_location(cat, name, err);
	if (!cat->has_type_column)
		return pond_error_set(err, POND_EUNSUPPORTED,
		                      "cannot create view %s: this catalog's iceberg_tables has no iceberg_type "
		                      "column (a pyiceberg catalog), so it cannot hold views", name ? name : "");
	return create_entry(cat, &VIEW_KIND, ns, name, metadata_location, err);
}

int pond_catalog_load_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_arena *arena,
                           pond_catalog_table *out, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_load_view(cat, ns, name, arena, out, err);
	return load_entry(cat, &VIEW_KIND, ns, name, arena, out, err);
}

int pond_catalog_view_exists(pond_catalog *cat, const pond_ns *ns, const char *name, bool *out,
                             pond_error *err)
{
	*out = false;
	if (cat->rest)
		return pond__catalog_rest_view_exists(cat, ns, name, out, err);
	return exists_entry(cat, &VIEW_KIND, ns, name, out, err);
}

int pond_catalog_list_views(pond_catalog *cat, const pond_ns *ns, pond_arena *arena, const char ***out,
                            size_t *count, pond_error *err)
{
	*out = NULL;
	*count = 0;
	if (cat->rest)
		return pond__catalog_rest_list_views(cat, ns, arena, out, count, err);
	return list_entries(cat, &VIEW_KIND, ns, arena, out, count, err);
}

int pond_catalog_drop_view(pond_catalog *cat, const pond_ns *ns, const char *name, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_drop_view(cat, ns, name, err);
	table_op op = {.kind = &VIEW_KIND};
	return with_names(cat, ns, name, NULL, NULL, &op, drop_fn, false, err);
}

int pond_catalog_rename_view(pond_catalog *cat, const pond_ns *from_ns, const char *from_name,
                             const pond_ns *to_ns, const char *to_name, pond_error *err)
{
	if (cat->rest)
		return pond__catalog_rest_rename_view(cat, from_ns, from_name, to_ns, to_name, err);
	table_op op = {.kind = &VIEW_KIND};
	return with_names(cat, from_ns, from_name, to_ns, to_name, &op, rename_tx, true, err);
}

int pond_catalog_commit_view(pond_catalog *cat, const pond_ns *ns, const char *name, const char *expected,
                             const char *new_location, pond_error *err)
{
	if (cat->rest)
		return rest_by_location(cat, name, err);
	return commit_entry(cat, &VIEW_KIND, ns, name, expected, new_location, err);
}

int pond_catalog_create_view_from(pond_catalog *cat, const pond_ns *ns, const char *name, const json_t *updates,
                                  pond_arena *arena, pond_catalog_table *out, pond_error *err)
{
	if (!cat->rest)
		return not_rest(cat, err);
	return pond__catalog_rest_create_view_from(cat, ns, name, updates, arena, out, err);
}

int pond_catalog_commit_view_changes(pond_catalog *cat, const pond_ns *ns, const char *name,
                                     const json_t *requirements, const json_t *updates, pond_arena *arena,
                                     pond_catalog_table *out, pond_error *err)
{
	if (!cat->rest)
		return not_rest(cat, err);
	return pond__catalog_rest_commit_view(cat, ns, name, requirements, updates, arena, out, err);
}

/* ---- tables in a REST catalog ------------------------------------------------------ */

int pond_catalog_create_table_from(pond_catalog *cat, const pond_ns *ns, const char *name,
                                   const pond_iceberg_metadata *md, bool stage, pond_arena *arena,
                                   pond_catalog_table *out, pond_error *err)
{
	if (!cat->rest)
		return not_rest(cat, err);
	return pond__catalog_rest_create_table_from(cat, ns, name, md, stage, arena, out, err);
}

int pond_catalog_commit_tables(pond_catalog *cat, const pond_catalog_commit *commits, size_t n, pond_arena *arena,
                               pond_catalog_table *out, pond_error *err)
{
	if (!cat->rest)
		return not_rest(cat, err);
	return pond__catalog_rest_commit_tables(cat, commits, n, arena, out, err);
}
