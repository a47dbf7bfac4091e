/*
 * pond's differential tester: random schemas, partition specs, evolution
 * and DML run on a pond catalog table (through pond's SQL session) and on
 * a native table of an in-memory DuckDB; every query must return the same
 * multiset of rows on both. Deterministic from a seed. See docs/testing.md.
 *
 * gen.c builds a case (a list of steps) from a seed, run.c runs steps on
 * both sides and compares, main.c drives cases, shrinks a failing one to
 * a minimal script, and runs the concurrency mode (conc.c).
 */
#ifndef POND_DIFFTEST_H
#define POND_DIFFTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pond/table.h"

/* ---- feature switches ------------------------------------------------------ */

/* Each switch turns on a family of generated statements; known_bugs.h
 * turns off the ones that still find open bugs in `make test`. */
typedef enum {
	DT_F_FRACTIONAL_FILTERS,   /* float/double/decimal literals with a fraction in filters */
	DT_F_IS_NOT_NULL,          /* IS NOT NULL predicates */
	DT_F_NESTED_FILTERS,       /* filters on list/struct/map columns */
	DT_F_PARTITION_EVOLUTION,  /* partition fields added/dropped after rows exist */
	DT_F_REPLACE_SELF,         /* CREATE OR REPLACE t AS SELECT ... FROM t */
	DT_F_NOT_NULL,             /* NOT NULL columns */
	DT_F_DEFAULTS,             /* ADD COLUMN ... DEFAULT */
	DT_F_CONCURRENT_UPDATES,   /* concurrent copy-on-write UPDATEs */
	DT_F_FLOAT_PARTITIONS,     /* identity partitions on float/double columns */
	DT_F_NESTED_TYPES,         /* list/struct/map columns at all */
	DT_F_MERGE,              /* MERGE (pond_table_merge_query) */
	DT_F_ROLLBACK,           /* rollback to a tag */
	DT_F_TIME_TRAVEL,          /* AT (VERSION => 'tag') queries */
	DT_F_EVOLUTION,          /* add/rename/drop/widen columns */
	DT_F_TRUNCATE_DECIMAL_BINARY, /* truncate[W] partitions on decimal and binary columns */
	DT_F_WIDE_DECIMAL_PARTITIONS, /* identity partitions on decimal(19..38, s) */
	DT_F_BINARY_PARTITIONS,   /* identity partitions on blob columns */
	DT_F_NULL_IDENTITY_VALUES, /* NULLs in identity-partitioned columns */
	DT_F_TRUNCATE_INT_EXTREMES, /* INT/BIGINT min and max in truncate-partitioned columns */
	DT_F_WIDEN_PARTITIONED,   /* widening a column a partition field uses */
	DT_F_HOUR_FAR_FUTURE,     /* 9999-12-31 23:59:59.999999 in hour-partitioned columns */
	DT_F_NAN_VALUES,          /* NaN among float/double values at all */
	DT_F_NAN_IDENTITY_VALUES, /* NaN in identity-partitioned float/double columns */
	DT_F_NEGATIVE_ZERO,       /* -0.0 among float/double values */
	DT_F_NESTED_UPDATE_VALUES, /* UPDATE ... SET c = {...} (commas inside the value) */
	DT_NFEATURES
} dt_feature;

extern const char *const dt_feature_names[DT_NFEATURES];
extern bool dt_features[DT_NFEATURES];

/* ---- random numbers (splitmix64: the same stream everywhere) ---------------- */

typedef struct dt_rng {
	uint64_t state;
} dt_rng;

uint64_t dt_rand(dt_rng *r);
/* Uniform in [0, n). */
int dt_below(dt_rng *r, int n);
/* True with probability pct/100. */
bool dt_chance(dt_rng *r, int pct);

/* ---- cases --------------------------------------------------------------------- */

typedef enum {
	DT_WRITE,     /* pond text on the session, native text on DuckDB (NULL: nothing) */
	DT_QUERY,     /* both must return the same multiset (or both fail) */
	DT_TLP,       /* pond: count(*) = count(p) + count(not p) + count(p is null); aux: p */
	DT_PRUNE,     /* pond: files pruning skipped hold no row matching aux */
	DT_MERGE,     /* pond: merge aux (a query) on id; native: delete + insert */
	DT_ROLLBACK,  /* pond: roll main back to tag aux; native: restore the tag's copy */
} dt_step_kind;

typedef struct dt_step {
	dt_step_kind kind;
	char *pond;    /* SQL for pond's session */
	char *native;  /* SQL for the native DuckDB (may equal pond) */
	char *aux;     /* predicate, merge source or tag name */
} dt_step;

typedef struct dt_case {
	uint64_t seed;
	size_t n, cap;
	dt_step *steps;
} dt_case;

/* Builds the case of a seed (steps malloc'd; free with dt_case_free). */
void dt_generate(dt_case *out, uint64_t seed);
void dt_case_free(dt_case *c);
/* Prints the steps as a SQL script for `pond sql` (non-SQL steps as
 * comments that say what they do). */
void dt_case_print(FILE *f, const dt_case *c, const bool *keep);

/* ---- running ---------------------------------------------------------------------- */

typedef struct dt_runner {
	pond_project *project;
	pond_lake *lake;
	pond_session *session;
	pond_engine *native;
	bool verbose;
	long files_skipped;  /* by pruning, each checked to hold no matching row */
} dt_runner;

int dt_runner_open(dt_runner *r, const char *dir, pond_error *err);
void dt_runner_close(dt_runner *r);

/* Runs the steps of c that keep[] selects (NULL: all) on fresh tables.
 * Returns the index of the first step whose outcome differs, or -1; the
 * difference is described in why (may be NULL). *checks counts steps
 * checked. */
long dt_run_case(dt_runner *r, const dt_case *c, const bool *keep, char *why, size_t whylen, long *checks);

/* ---- concurrency mode (conc.c) ------------------------------------------------------ */

/* Several processes write to one table of a project whose catalog is
 * catalog_uri (NULL: SQLite); afterwards the table must equal a serial
 * order of the statements that reported success. Returns 0 when it does,
 * else 1 with the reason printed. */
int dt_concurrency(const char *dir, const char *catalog_uri, uint64_t seed, int procs, int stmts, long *checks);

#endif
