/*
 * Internals shared by the engine's files.
 */
#ifndef POND_ENGINE_INTERNAL_H
#define POND_ENGINE_INTERNAL_H

#include "pond/engine.h"

#include <duckdb.h>

struct pond_engine {
	duckdb_database db;
	duckdb_connection conn;
	duckdb_connection side;   /* spill tables' (spill.c), opened on first use */
	pond_progress_fn progress;
	void *progress_payload;
	int interrupted;  /* set by pond_engine_interrupt, cleared per statement */
};

/* Runs a prepared statement to a streaming result, reporting progress. */
int pond__engine_run_prepared(pond_engine *e, duckdb_prepared_statement stmt, pond_result **out,
                              pond_error *err);

/* Registers pond's SQL functions (pond_bucket) on the connection. */
int pond__engine_register_functions(pond_engine *e, pond_error *err);

#endif
