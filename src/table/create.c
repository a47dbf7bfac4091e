/*
 * Creating, dropping and re-configuring tables.
 */
#include "table_internal.h"

#include <stdio.h>
#include <string.h>

int pond__table_ensure_namespace(pond_lake *lake, const pond_table_ident *id, pond_error *err)
{
	bool ns_exists = false;
	int rc = pond_catalog_namespace_exists(lake->catalog, &id->ns, &ns_exists, err);
	/* Parents first: a.b needs a. */
	for (size_t depth = 1; rc == 0 && !ns_exists && depth <= id->ns.nlevels; depth++) {
		pond_ns prefix = id->ns;
		prefix.nlevels = depth;
		rc = pond_catalog_create_namespace(lake->catalog, &prefix, NULL, 0, err);
		if (rc == POND_EEXISTS) {
			pond_error_clear(err);
			rc = 0;
		}
	}
	return rc;
}

/* Stages id in a REST catalog from md (replaced by the server's staged
 * metadata, whose location *location gets). */
static int stage_rest(pond_iceberg_metadata **md, const char **location, pond_lake *lake, const pond_table_ident *id,
                      pond_arena *a, pond_error *err)
{
	pond_catalog_table row;
	int rc = pond_catalog_create_table_from(lake->catalog, &id->ns, id->name, *md, true, a, &row, err);
	pond_iceberg_metadata *staged = NULL;
	if (rc == 0)
		rc = pond_iceberg_metadata_parse(&staged, row.metadata_json, strlen(row.metadata_json), id->name, err);
	if (rc == 0 && !staged->location)
		rc = pond_error_set(err, POND_ECORRUPT, "REST catalog %s staged table %s without a location",
		                    pond_catalog_rest_uri(lake->catalog), id->name);
	if (rc) {
		pond_iceberg_metadata_free(&staged);
		return rc;
	}
	pond_iceberg_metadata_free(md);
	*md = staged;
	*location = staged->location;
	return 0;
}

/* Creates a REST catalog's table from next (its first snapshot
 * included): assert-create and the updates that make next, then hook on
 * the state database. */
static int commit_create_rest(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_metadata *next,
                              const pond__commit_hook *hook, pond_arena *a, pond_error *err)
{
	pond_iceberg_commit *c = NULL;
	int rc = pond_iceberg_metadata_diff(&c, NULL, next, err);
	pond_catalog_commit commit = {&id->ns, id->name, c};
	if (rc == 0)
		rc = pond_catalog_commit_tables(lake->catalog, &commit, 1, a, NULL, err);
	pond_iceberg_commit_free(&c);
	if (rc == POND_EEXISTS || rc == POND_ECONFLICT) {
		pond_error_prefix(err, "commit conflict on %s: another writer created it first", pond_table_ident_format(a, id));
		return err->code = POND_ECONFLICT;
	}
	if (rc == 0 && hook && hook->fn)
		rc = pond__table_rest_hook(lake, hook, err);
	return rc;
}

int pond__table_stage(pond_table **out, pond_lake *lake, const pond_table_ident *id,
                      const pond_iceberg_schema *schema, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	pond_table *t = a ? pond_arena_calloc(a, 1, sizeof(*t)) : NULL;
	if (!t) {
		pond_arena_free(&a);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	const char *location = NULL;
	int rc = pond_table_default_location(lake, id, a, &location, err);
	if (rc == 0)
		rc = pond__table_ensure_namespace(lake, id, err);
	if (rc == 0)
		rc = pond_iceberg_metadata_create(&t->metadata, schema, NULL, NULL, location, NULL, 0, err);
	/* A REST catalog stages the table and chooses its location. */
	if (rc == 0 && pond_catalog_is_rest(lake->catalog))
		rc = stage_rest(&t->metadata, &location, lake, id, a, err);
	/* The write puts its files under these before the table exists (an
	 * object store has no folders to make). */
	const char *dir = rc == 0 ? pond_arena_sprintf(a, "%s/metadata", location) : NULL;
	if (rc == 0 && !dir)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0 && !pond_project_is_s3(location))
		rc = pond_mkdirs(dir, err);
	if (rc) {
		pond_iceberg_metadata_free(&t->metadata);
		pond_arena_free(&a);
		return rc;
	}
	t->arena = a;
	t->ident.ns = id->ns;
	for (size_t i = 0; i < id->ns.nlevels; i++)
		t->ident.ns.levels[i] = pond_arena_strdup(a, id->ns.levels[i]);
	t->ident.name = pond_arena_strdup(a, id->name);
	*out = t;
	return 0;
}

/* Registers the new table's first metadata file, with hook in the same
 * transaction. */
static int register_table(pond_lake *lake, const pond_table_ident *id, const char *path, const pond__commit_hook *hook,
                          pond_error *err)
{
	if (!hook || !hook->fn)
		return pond_catalog_create_table(lake->catalog, &id->ns, id->name, path, err);
	int rc = pond_catalog_tx_begin(lake->catalog, err);
	if (rc)
		return rc;
	if ((rc = pond_catalog_create_table(lake->catalog, &id->ns, id->name, path, err)) == 0 &&
	    (rc = hook->fn(lake->catalog, hook->payload, err)) == 0)
		return pond_catalog_tx_commit(lake->catalog, err);
	pond_catalog_tx_rollback(lake->catalog);
	return rc;
}

int pond__table_commit_create(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_metadata *md,
                              pond_table_commit_fn build, void *payload, const pond__commit_hook *hook,
                              pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_iceberg_requirement *reqs = NULL;
	pond_iceberg_update *ups = NULL;
	size_t nreqs = 0, nups = 0;
	pond_iceberg_metadata *next = NULL;
	const char *path = NULL;
	int rc = build ? build(md, a, &reqs, &nreqs, &ups, &nups, payload, err) : 0;
	pond_iceberg_apply_options aopts = POND_ICEBERG_APPLY_OPTIONS_INIT;
	pond_fileio *io = NULL;
	if (rc == 0)
		rc = pond_iceberg_metadata_apply(&next, md, reqs, nreqs, ups, nups, &aopts, err);
	bool rest = pond_catalog_is_rest(lake->catalog);
	if (rc == 0 && rest)
		rc = commit_create_rest(lake, id, next, hook, a, err);
	if (rc == 0 && !rest)
		rc = pond_lake_fileio(lake, next->location, &io, err);
	if (rc == 0 && !rest)
		rc = pond__table_write_metadata(io, next, NULL, a, &path, err);
	if (rc == 0 && !rest) {
		/* The catalog's insert is the compare-and-swap: the table and its
		 * first snapshot appear together, or not at all. */
		rc = register_table(lake, id, path, hook, err);
		if (rc) {
			pond__table_remove_file(io, path);
			if (rc == POND_EEXISTS)
				rc = pond_error_set(err, POND_ECONFLICT, "commit conflict on %s: another writer created it first",
				                    pond_table_ident_format(a, id));
		}
	}
	pond_fileio_free(&io);
	pond_iceberg_metadata_free(&next);
	pond_arena_free(&a);
	return rc;
}

int pond_table_create(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_schema *schema,
                      const pond_iceberg_partition_spec *spec, const pond_iceberg_kv *properties,
                      size_t nproperties, pond_table **out, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *name = pond_table_ident_format(a, id);
	bool exists = false;
	int rc = pond_catalog_table_exists(lake->catalog, &id->ns, id->name, &exists, err);
	if (rc == 0 && exists)
		rc = pond_error_set(err, POND_EEXISTS, "table %s already exists", name);
	if (rc == 0)
		rc = pond__table_ensure_namespace(lake, id, err);
	pond_iceberg_metadata *md = NULL;
	const char *location = NULL, *path = NULL;
	if (rc == 0)
		rc = pond_table_default_location(lake, id, a, &location, err);
	if (rc == 0)
		rc = pond_iceberg_metadata_create(&md, schema, spec, NULL, location, properties, nproperties, err);
	pond_fileio *io = NULL;
	bool rest = pond_catalog_is_rest(lake->catalog);
	if (rc == 0 && rest) {
		/* The server writes the first metadata file, where it chooses. */
		pond_catalog_table row;
		rc = pond_catalog_create_table_from(lake->catalog, &id->ns, id->name, md, false, a, &row, err);
	}
	if (rc == 0 && !rest)
		rc = pond_lake_fileio(lake, location, &io, err);
	if (rc == 0 && !rest)
		rc = pond__table_write_metadata(io, md, NULL, a, &path, err);
	if (rc == 0 && !rest) {
		rc = pond_catalog_create_table(lake->catalog, &id->ns, id->name, path, err);
		if (rc)
			pond__table_remove_file(io, path);  /* lost a race to create it: our file is unused */
	}
	pond_fileio_free(&io);
	pond_iceberg_metadata_free(&md);
	if (rc == 0 && out)
		rc = pond_table_load(out, lake, id, err);
	pond_arena_free(&a);
	return rc;
}

typedef struct {
	const pond_iceberg_kv *set;
	size_t nset;
	const char *const *remove;
	size_t nremove;
} properties_change;

static int build_properties(const pond_iceberg_metadata *base, pond_arena *arena, pond_iceberg_requirement **reqs,
                            size_t *nreqs, pond_iceberg_update **ups, size_t *nups, void *payload, pond_error *err)
{
	(void)base; (void)reqs; (void)nreqs;
	properties_change *c = payload;
	pond_iceberg_update *u = pond_arena_calloc(arena, 2, sizeof(*u));
	if (!u)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t n = 0;
	if (c->nset) {
		u[n].action = POND_ICEBERG_SET_PROPERTIES;
		u[n].properties = c->set;
		u[n++].nproperties = c->nset;
	}
	if (c->nremove) {
		u[n].action = POND_ICEBERG_REMOVE_PROPERTIES;
		u[n].removals = c->remove;
		u[n++].nremovals = c->nremove;
	}
	*ups = u;
	*nups = n;
	return 0;
}

int pond_table_set_properties(pond_lake *lake, const pond_table_ident *id, const pond_iceberg_kv *set,
                              size_t nset, const char *const *remove, size_t nremove, pond_error *err)
{
	properties_change c = {set, nset, remove, nremove};
	return pond_table_commit(lake, id, build_properties, &c, NULL, NULL, err);
}
