/*
 * Internals of the NEAR Lake source (type: near_lake): the rows taken
 * from a block's block.json and shard_N.json objects (near_rows.c) and
 * the run that lists heights in the bucket, fetches the objects a block at
 * a time and loads three tables (near_lake.c). Unit tests reach the row
 * builders and the height parser through this header.
 */
#ifndef POND_INGEST_NEAR_H
#define POND_INGEST_NEAR_H

#include <stdio.h>

#include <jansson.h>

#include "ingest_internal.h"
#include "pond/io.h"

typedef enum { NEAR_BLOCKS, NEAR_TRANSACTIONS, NEAR_RECEIPTS, NEAR_NTABLES } near_table;

/* A near_lake source's settings, parsed from its YAML. */
typedef struct near_config {
	const char *bucket;
	bool requester_pays;
	int64_t start_height;        /* the first height a new source loads */
	int64_t max_blocks;          /* heights per run */
	pond_s3_settings s3;         /* endpoint, region, profile, credentials' variables */
	pond_ingest_write writes[NEAR_NTABLES];   /* a table each, the source's mode and schema policy */
	const char *label;           /* "near.blocks, near.transactions, near.receipts" */
} near_config;

#define NEAR_MAX_BLOCKS_DEFAULT 1000

/* The table names NEAR_BLOCKS.. get under `table: base`: NS.blocks ...
 * for a namespace, NS.T_blocks ... for a table name NS.T. */
extern const char *const pond__near_table_suffix[NEAR_NTABLES];
/* The merge keys of each table. */
extern const char *const *const pond__near_keys[NEAR_NTABLES];
extern const size_t pond__near_nkeys[NEAR_NTABLES];
/* The columns of each table as a DuckDB read_json columns struct
 * ("{'height': 'BIGINT', ...}"): the documented schemas. */
extern const char *const pond__near_columns[NEAR_NTABLES];

/* What a block's shard rows repeat from the block. */
typedef struct near_block {
	int64_t height;
	const char *hash;         /* in the caller's arena */
	const char *timestamp;    /* ISO-8601 UTC with microseconds, in the caller's arena */
	size_t nchunks;           /* shard_0.json .. shard_{nchunks-1}.json */
} near_block;

/* Reads a block.json (parsed) whose object name is `what` and that the
 * listing found at height `height`; fills *b and, when out is not NULL,
 * writes the block's row to out as one NDJSON line. A field that is
 * missing or of the wrong type is an error naming what and the field. */
int pond__near_block_row(FILE *out, near_block *b, const json_t *block, int64_t height, const char *what,
                         pond_arena *arena, pond_error *err);
/* Writes the rows of a shard_N.json (parsed) of block b: transactions to
 * tx and receipts to rx as NDJSON lines (either may be NULL: not wanted),
 * counting them in *ntx and *nrx. */
int pond__near_shard_rows(FILE *tx, FILE *rx, int64_t *ntx, int64_t *nrx, const near_block *b, const json_t *shard,
                          const char *what, pond_arena *arena, pond_error *err);
/* The height a listing's common prefix names ("000000000012/" is 12);
 * false for anything else. */
bool pond__near_height_prefix(const char *prefix, int64_t *height);
/* A timestamp in nanoseconds since the epoch as ISO-8601 UTC to the
 * microsecond, as pond_time_format_us writes it
 * ("2024-01-02T03:04:05.123456Z"); out holds 40 bytes. */
void pond__near_timestamp(char out[40], int64_t ns);

int pond__ingest_run_near(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                          pond_ingest_result *result, pond_error *err);

#endif
