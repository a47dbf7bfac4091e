/*
 * Iceberg views of a lake: view metadata files (iceberg layer) written
 * under the view's location, named as tables' are, and the catalog's view
 * rows (iceberg_type 'VIEW') swapped to them. A change is the REST
 * catalog's model: requirements and updates applied to the current
 * metadata, a new file, and a compare-and-swap of the catalog row; a lost
 * swap is retried against fresh metadata. The transform layer publishes
 * its `materialized: view` models here (pond_view_iceberg_publish); the
 * REST catalog's views endpoints call the rest. When the lake's catalog
 * is itself a REST catalog, its server writes the files: a change is sent
 * as the requirements and updates (the catalog's create_view_from and
 * commit_view_changes) and the metadata comes back in the answer. What
 * pond itself binds in SQL sessions is the pond view (views.c), which
 * these never touch.
 */
#include "table_internal.h"

#include <jansson.h>
#include <string.h>

/* Attempts of a commit that keeps losing its swap to other writers. */
#define VIEW_COMMIT_ATTEMPTS 10
/* A view metadata file bigger than this is refused. */
#define VIEW_MAX_BYTES ((size_t)64 << 20)

int pond_view_iceberg_load(pond_lake *lake, const pond_table_ident *id, pond_arena *arena, pond_iceberg_view **out,
                           const char **location, pond_error *err)
{
	*out = NULL;
	pond_catalog_table row;
	int rc = pond_catalog_load_view(lake->catalog, &id->ns, id->name, arena, &row, err);
	if (rc)
		return rc;
	if (row.metadata_json) {
		/* a REST catalog answers with the metadata itself */
		rc = pond_iceberg_view_parse(out, row.metadata_json, strlen(row.metadata_json), row.metadata_location, err);
		if (rc == 0 && location)
			*location = row.metadata_location;
		return rc;
	}
	pond_fileio *io = NULL;
	char *text = NULL;
	size_t len = 0;
	if ((rc = pond_lake_fileio(lake, row.metadata_location, &io, err)) == 0)
		rc = pond_fileio_read(io, row.metadata_location, &text, &len, VIEW_MAX_BYTES, err);
	if (rc == 0)
		rc = pond_iceberg_view_parse(out, text, len, row.metadata_location, err);
	pond_free(text);
	pond_fileio_free(&io);
	if (rc == 0 && location)
		*location = row.metadata_location;
	return rc;
}

/* Writes view as the next metadata file after previous (NULL: the first). */
static int write_view(pond_lake *lake, const pond_iceberg_view *view, const char *previous, pond_arena *arena,
                      const char **path, pond_error *err)
{
	char *text = NULL;
	pond_fileio *io = NULL;
	const char *location = pond_iceberg_view_location(view);
	int rc = pond_iceberg_view_serialize(&text, view, false, err);
	if (rc == 0)
		rc = pond_lake_fileio(lake, location, &io, err);
	if (rc == 0)
		rc = pond__table_write_metadata_text(io, location, text, previous, arena, path, err);
	pond_free(text);
	pond_fileio_free(&io);
	return rc;
}

static void remove_file(pond_lake *lake, const char *path)
{
	pond_fileio *io = NULL;
	pond_error ignored = POND_ERROR_INIT;
	if (path && pond_lake_fileio(lake, path, &io, &ignored) == 0)
		pond__table_remove_file(io, path);
	pond_fileio_free(&io);
}

static int create_view(pond_lake *lake, const pond_table_ident *id, const json_t *requirements, const json_t *updates,
                       pond_arena *arena, pond_iceberg_view **out, const char **location, pond_error *err)
{
	bool exists = false;
	int rc = pond_catalog_view_exists(lake->catalog, &id->ns, id->name, &exists, err);
	if (rc == 0 && exists)
		rc = pond_error_set(err, POND_EEXISTS, "view %s already exists", pond_table_ident_format(arena, id));
	if (rc == 0)
		rc = pond_iceberg_view_apply(out, NULL, requirements, updates, pond_time_now_ms(), err);
	if (rc == 0)
		rc = write_view(lake, *out, NULL, arena, location, err);
	if (rc == 0 && (rc = pond_catalog_create_view(lake->catalog, &id->ns, id->name, *location, err)) != 0)
		remove_file(lake, *location);
	if (rc)
		pond_iceberg_view_free(out);
	return rc;
}

/* One attempt at replacing: *lost when another writer swapped first. */
static int replace_once(pond_lake *lake, const pond_table_ident *id, const json_t *requirements, const json_t *updates,
                        pond_arena *arena, pond_iceberg_view **out, const char **location, bool *lost, pond_error *err)
{
	pond_iceberg_view *base = NULL;
	const char *expected;
	pond_catalog_table row;
	*lost = false;
	int rc = pond_view_iceberg_load(lake, id, arena, &base, &expected, err);
	if (rc == 0)
		rc = pond_catalog_load_view(lake->catalog, &id->ns, id->name, arena, &row, err);
	if (rc == 0)
		rc = pond_iceberg_view_apply(out, base, requirements, updates, pond_time_now_ms(), err);
	bool same = rc == 0 && json_equal((json_t *)pond_iceberg_view_json(base), (json_t *)pond_iceberg_view_json(*out));
	pond_iceberg_view_free(&base);
	if (rc || same) {
		/* nothing changed: no new file, the current one stays */
		*location = expected;
		return rc;
	}
	if ((rc = write_view(lake, *out, expected, arena, location, err)) == 0 &&
	    (rc = pond_catalog_commit_view(lake->catalog, &id->ns, id->name, expected, *location, err)) != 0) {
		remove_file(lake, *location);
		*lost = rc == POND_ECONFLICT;
	}
	/* pond keeps a view's current and previous metadata files */
	if (rc == 0 && row.previous_metadata_location && strcmp(row.previous_metadata_location, expected) != 0)
		remove_file(lake, row.previous_metadata_location);
	if (rc)
		pond_iceberg_view_free(out);
	return rc;
}

/* The view a REST catalog answered with (its LoadViewResult in row). */
static int rest_answer(const pond_catalog_table *row, pond_iceberg_view **out, const char **location, pond_error *err)
{
	*location = row->metadata_location;
	return pond_iceberg_view_parse(out, row->metadata_json, strlen(row->metadata_json), row->metadata_location, err);
}

/* A change sent to a REST catalog, which applies it to its current
 * metadata itself: a lost race is its 409, retried as a SQL catalog's
 * lost swap is. */
static int rest_commit(pond_lake *lake, const pond_table_ident *id, bool create, const json_t *requirements,
                       const json_t *updates, pond_arena *arena, pond_iceberg_view **out, const char **location,
                       pond_error *err)
{
	pond_catalog_table row;
	int rc;
	if (create)
		rc = pond_catalog_create_view_from(lake->catalog, &id->ns, id->name, updates, arena, &row, err);
	else {
		rc = POND_ECONFLICT;
		for (int attempt = 0; rc == POND_ECONFLICT && attempt < VIEW_COMMIT_ATTEMPTS; attempt++)
			rc = pond_catalog_commit_view_changes(lake->catalog, &id->ns, id->name, requirements, updates, arena,
			                                      &row, err);
	}
	return rc ? rc : rest_answer(&row, out, location, err);
}

int pond_view_iceberg_commit(pond_lake *lake, const pond_table_ident *id, bool create, const json_t *requirements,
                             const json_t *updates, pond_arena *arena, pond_iceberg_view **out, const char **location,
                             pond_error *err)
{
	*out = NULL;
	if (pond_catalog_is_rest(lake->catalog))
		return rest_commit(lake, id, create, requirements, updates, arena, out, location, err);
	if (create)
		return create_view(lake, id, requirements, updates, arena, out, location, err);
	bool lost = true;
	int rc = 0;
	for (int attempt = 0; lost && attempt < VIEW_COMMIT_ATTEMPTS; attempt++)
		rc = replace_once(lake, id, requirements, updates, arena, out, location, &lost, err);
	return rc;
}

int pond_view_iceberg_drop(pond_lake *lake, const pond_table_ident *id, bool purge, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	if (!arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_catalog_table row = {0};
	/* A REST catalog's files are its server's to delete. */
	purge = purge && !pond_catalog_is_rest(lake->catalog);
	int rc = purge ? pond_catalog_load_view(lake->catalog, &id->ns, id->name, arena, &row, err) : 0;
	if (rc == 0)
		rc = pond_catalog_drop_view(lake->catalog, &id->ns, id->name, err);
	if (rc == 0 && purge) {
		remove_file(lake, row.metadata_location);
		remove_file(lake, row.previous_metadata_location);
	}
	pond_arena_free(&arena);
	return rc;
}

int pond_view_iceberg_rename(pond_lake *lake, const pond_table_ident *from, const pond_table_ident *to,
                             pond_error *err)
{
	return pond_catalog_rename_view(lake->catalog, &from->ns, from->name, &to->ns, to->name, err);
}

int pond_view_iceberg_publish(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_view_definition *def,
                              pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	if (!arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	bool exists = false;
	const char *where = NULL, *written;
	int rc = pond_catalog_view_exists(lake->catalog, &id->ns, id->name, &exists, err);
	/* A new view's location: a REST catalog's server chooses it. */
	if (rc == 0 && !exists && (rc = pond__table_ensure_namespace(lake, id, err)) == 0 &&
	    !pond_catalog_is_rest(lake->catalog))
		rc = pond_table_default_location(lake, id, arena, &where, err);
	json_t *updates = rc == 0 ? pond_iceberg_view_define_updates(def, where) : NULL;
	if (rc == 0 && !updates)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_iceberg_view *view = NULL;
	if (rc == 0)
		rc = pond_view_iceberg_commit(lake, id, !exists, NULL, updates, arena, &view, &written, err);
	json_decref(updates);
	pond_iceberg_view_free(&view);
	pond_arena_free(&arena);
	return rc;
}

/* Appends the views of ns and of every namespace below it. */
static int list_under(pond_catalog *cat, const pond_ns *ns, pond_arena *a, pond_table_ident **out, size_t *n,
                      size_t *cap, pond_error *err)
{
	const char **names = NULL;
	size_t count = 0;
	int rc = ns->nlevels ? pond_catalog_list_views(cat, ns, a, &names, &count, err) : 0;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		if (!pond_arena_grow(a, (void **)out, *n, cap, sizeof(**out)))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		(*out)[(*n)++] = (pond_table_ident){*ns, names[i]};
	}
	pond_ns *children = NULL;
	size_t nchildren = 0;
	if (rc == 0)
		rc = pond_catalog_list_namespaces(cat, ns, a, &children, &nchildren, err);
	for (size_t i = 0; rc == 0 && i < nchildren; i++)
		rc = list_under(cat, &children[i], a, out, n, cap, err);
	return rc;
}

int pond_view_iceberg_list(pond_catalog *catalog, const pond_ns *parent, pond_arena *arena, pond_table_ident **out,
                           size_t *count, pond_error *err)
{
	pond_ns root = {0};
	size_t cap = 0;
	*out = NULL;
	*count = 0;
	return list_under(catalog, parent ? parent : &root, arena, out, count, &cap, err);
}
