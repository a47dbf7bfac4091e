/*
 * What the maintenance commands share: ages as users write them, the
 * tables to work on, and what a folder holds. ("Now" is
 * pond_time_policy_now_ms, which tests move with POND_NOW.)
 */
#include "pond/maintain.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int pond_maintain_parse_age(const char *text, int64_t *out_ms, pond_error *err)
{
	if (text && pond_duration_parse(text, out_ms))
		return 0;
	return pond_error_set(err, POND_EINVAL, "cannot read age \"%s\" (write e.g. 7d, 12h, 30m, 45s)",
	                      text ? text : "");
}

/* Appends the tables of ns and of every namespace below. */
static int collect(pond_table_ident **out, size_t *n, size_t *cap, pond_catalog *cat, const pond_ns *ns,
                   pond_arena *a, pond_error *err)
{
	const char **names = NULL;
	size_t count = 0;
	int rc = ns->nlevels ? pond_catalog_list_tables(cat, ns, a, &names, &count, err) : 0;
	for (size_t i = 0; i < count && rc == 0; i++) {
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 16;
			pond_table_ident *grown = pond_arena_calloc(a, ncap, sizeof(*grown));
			if (!grown)
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			if (*n)
				memcpy(grown, *out, *n * sizeof(*grown));
			*out = grown;
			*cap = ncap;
		}
		(*out)[*n].ns = *ns;
		(*out)[(*n)++].name = names[i];
	}
	pond_ns *children = NULL;
	size_t nchildren = 0;
	if (rc == 0)
		rc = pond_catalog_list_namespaces(cat, ns, a, &children, &nchildren, err);
	for (size_t i = 0; i < nchildren && rc == 0; i++)
		rc = collect(out, n, cap, cat, &children[i], a, err);
	return rc;
}

int pond_maintain_tables(pond_table_ident **out, size_t *n, pond_lake *lake, const char *table, pond_arena *arena,
                         pond_error *err)
{
	*out = NULL;
	*n = 0;
	if (table) {
		pond_table_ident *id = pond_arena_calloc(arena, 1, sizeof(*id));
		bool exists = false;
		int rc = id ? pond_table_ident_parse(id, arena, table, err)
		            : pond_error_set(err, POND_ENOMEM, "out of memory");
		if (rc == 0)
			rc = pond_catalog_table_exists(pond_lake_catalog(lake), &id->ns, id->name, &exists, err);
		if (rc == 0 && !exists)
			rc = pond_error_set(err, POND_ENOTFOUND, "table %s not found", table);
		if (rc)
			return rc;
		*out = id;
		*n = 1;
		return 0;
	}
	size_t cap = 0;
	pond_ns root = {0};
	return collect(out, n, &cap, pond_lake_catalog(lake), &root, arena, err);
}

static int measure_entry(const pond_fileio_entry *e, void *payload)
{
	pond_maintain_usage *out = payload;
	out->files++;
	out->bytes += e->size;
	return 0;
}

void pond_maintain_measure(pond_maintain_usage *out, pond_lake *lake, const pond_table *table)
{
	pond_error err = POND_ERROR_INIT;
	if (pond_table_files(lake, table, NULL, measure_entry, out, &err) != 0)
		pond_warn("could not measure the folder of %s: %s", table->metadata->location, err.msg);
}
