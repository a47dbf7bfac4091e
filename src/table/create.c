/*
 * Creating, dropping and re-configuring tables.
 */
#include "table_internal.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>

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
	bool ns_exists = false;
	if (rc == 0)
		rc = pond_catalog_namespace_exists(lake->catalog, &id->ns, &ns_exists, err);
	if (rc == 0 && !ns_exists) {
		/* Parents first: a.b needs a. */
		for (size_t depth = 1; depth <= id->ns.nlevels && rc == 0; depth++) {
			pond_ns prefix = id->ns;
			prefix.nlevels = depth;
			rc = pond_catalog_create_namespace(lake->catalog, &prefix, NULL, 0, err);
			if (rc == POND_EEXISTS)
				rc = 0;
		}
	}
	pond_iceberg_metadata *md = NULL;
	const char *location = NULL, *path = NULL;
	if (rc == 0) {
		char *ns = pond_ns_to_string(a, &id->ns);
		pond_buf loc = POND_BUF_INIT;
		pond_buf_printf(&loc, "%s", lake->project->warehouse);
		for (size_t i = 0; i < id->ns.nlevels; i++)
			pond_buf_printf(&loc, "/%s", id->ns.levels[i]);
		pond_buf_printf(&loc, "/%s", id->name);
		location = pond_arena_strdup(a, pond_buf_cstr(&loc));
		pond_buf_dispose(&loc);
		if (!ns || !location)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = pond_iceberg_metadata_create(&md, schema, spec, NULL, location, properties, nproperties, err);
	if (rc == 0)
		rc = pond__table_write_metadata(md, NULL, a, &path, err);
	if (rc == 0) {
		rc = pond_catalog_create_table(lake->catalog, &id->ns, id->name, path, err);
		if (rc)
			remove(path);  /* lost a race to create it: our file is unused */
	}
	pond_iceberg_metadata_free(&md);
	if (rc == 0 && out)
		rc = pond_table_load(out, lake, id, err);
	pond_arena_free(&a);
	return rc;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

int pond_table_drop(pond_lake *lake, const pond_table_ident *id, bool purge, pond_error *err)
{
	pond_table *t = NULL;
	int rc = purge ? pond_table_load(&t, lake, id, err) : 0;
	if (rc && rc != POND_ENOMEM) {
		/* Not in the catalog, or its metadata cannot be read (missing,
		 * corrupt): unregistering decides which. A broken table must be
		 * droppable; without its metadata its files are not known, so
		 * they stay for pond orphans. */
		pond_error load_err = *err;
		pond_error_clear(err);
		if ((rc = pond_catalog_drop_table(lake->catalog, &id->ns, id->name, err)) == 0) {
			pond_arena *a = pond_arena_new();
			const char *name = a ? pond_table_ident_format(a, id) : NULL;
			pond_warn("dropped %s without removing its files, its metadata is unreadable: %s",
			          name ? name : id->name, load_err.msg);
			pond_arena_free(&a);
		}
		return rc;
	}
	if (rc == 0)
		rc = pond_catalog_drop_table(lake->catalog, &id->ns, id->name, err);
	/* Files go only after the catalog no longer points at them. */
	if (rc == 0 && t && t->metadata->location && pond_file_exists(t->metadata->location) &&
	    nftw(t->metadata->location, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		rc = pond_error_set(err, POND_EIO, "dropped the table but could not remove all of %s",
		                    t->metadata->location);
	pond_table_free(&t);
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
