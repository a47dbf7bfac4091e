/*
 * Internals shared by the table layer's files.
 */
#ifndef POND_TABLE_INTERNAL_H
#define POND_TABLE_INTERNAL_H

#include "pond/table.h"

struct pond_lake {
	const pond_project *project;
	pond_catalog *catalog;
	pond_engine *engine;
	pond_engine *owned_engine;  /* set when the lake opened its own */
};

/* Writes metadata as the table's next metadata file (NNNNN-uuid.metadata.json
 * under LOCATION/metadata, numbered after `previous`); returns its path in
 * arena. */
int pond__table_write_metadata(const pond_iceberg_metadata *md, const char *previous, pond_arena *arena,
                               const char **out_path, pond_error *err);

#endif
