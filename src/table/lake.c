/*
 * Lakes (open projects) and table names. A lake's storage (S3 client,
 * object cache) is storage.c.
 */
#include "table_internal.h"

#include <jansson.h>

#include <string.h>

int pond_lake_open(pond_lake **out, const pond_project *project, pond_engine *engine, pond_error *err)
{
	pond_lake *l = pond_calloc(1, sizeof(*l));
	if (!l)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	l->project = project;
	int rc = pond_project_open_catalog(&l->catalog, project, err);
	if (rc == 0 && !engine) {
		rc = pond_engine_open(&l->owned_engine, NULL, err);
		engine = l->owned_engine;
	}
	if (rc) {
		pond_lake_close(&l);
		return rc;
	}
	l->engine = engine;
	*out = l;
	return 0;
}

int pond_lake_open_catalog(pond_lake **out, const pond_project *project, pond_catalog *catalog, pond_error *err)
{
	pond_lake *l = pond_calloc(1, sizeof(*l));
	if (!l)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	l->project = project;
	l->catalog = catalog;
	l->borrowed_catalog = true;
	*out = l;
	return 0;
}

int pond__lake_engine(pond_lake *lake, pond_error *err)
{
	if (lake->engine)
		return 0;
	int rc = pond_engine_open(&lake->owned_engine, NULL, err);
	lake->engine = lake->owned_engine;
	return rc;
}

void pond__lake_release(pond_lake *lake)
{
	pond__lake_storage_close(lake);
	for (size_t i = 0; i < POND__LAKE_METADATA_KEPT; i++) {
		pond_free(lake->md_json[i].location);
		json_decref(lake->md_json[i].json);
		lake->md_json[i].location = NULL;
		lake->md_json[i].json = NULL;
	}
}

void pond_lake_close(pond_lake **lake)
{
	if (!lake || !*lake)
		return;
	pond__lake_release(*lake);
	if (!(*lake)->borrowed_catalog)
		pond_catalog_close(&(*lake)->catalog);
	pond_engine_close(&(*lake)->owned_engine);
	pond_free(*lake);
	*lake = NULL;
}

pond_catalog *pond_lake_catalog(pond_lake *lake)
{
	return lake->catalog;
}

pond_engine *pond_lake_engine(pond_lake *lake)
{
	return lake->engine;
}

const pond_project *pond_lake_project(const pond_lake *lake)
{
	return lake->project;
}

int pond_table_ident_parse(pond_table_ident *out, pond_arena *arena, const char *text, pond_error *err)
{
	const char *dot = strrchr(text, '.');
	const char *name = dot ? dot + 1 : text;
	if (*name == '\0')
		return pond_error_set(err, POND_EINVAL, "invalid table name \"%s\"", text);
	if (!dot) {
		out->ns = POND_NS(POND_DEFAULT_NAMESPACE);
	} else {
		char *ns_text = pond_arena_strndup(arena, text, (size_t)(dot - text));
		if (!ns_text)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		int rc = pond_ns_parse(&out->ns, arena, ns_text, err);
		if (rc)
			return pond_error_prefix(err, "invalid table name \"%s\"", text);
	}
	out->name = pond_arena_strdup(arena, name);
	return out->name ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

char *pond_table_ident_format(pond_arena *arena, const pond_table_ident *id)
{
	char *ns = pond_ns_to_string(arena, &id->ns);
	return ns ? pond_arena_sprintf(arena, "%s.%s", ns, id->name) : NULL;
}
