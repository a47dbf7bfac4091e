/*
 * pond transform layer: SQL models. A model is a file models/[FOLDER/]NAME.sql, one
 * SELECT with its settings in a leading comment (docs/models.md has the
 * grammar). Its dependencies are the tables the SELECT reads, found by
 * DuckDB's parser (json_serialize_sql), not by ref() macros. Models run in
 * dependency order, independent ones in parallel, each materialized as a
 * table (overwrite: history kept), a pond view (SQL kept in the catalog
 * database and bound by every SQL session), an incremental table (rows past
 * a watermark appended or merged on a key; the watermark is committed in
 * the snapshot summary with the rows) or an ephemeral model (inlined into
 * the SELECTs that read it). Data tests run after their model; a failing
 * error-level test stops the models downstream. Every run and test result
 * is recorded in the catalog database (pond_model_runs, pond_test_results).
 *
 * Threads: pond_transform_run opens one engine, lake and session per
 * worker; the caller's lake is used only from the calling thread, and
 * events are delivered on the calling thread.
 */
#ifndef POND_TRANSFORM_H
#define POND_TRANSFORM_H

#include "pond/table.h"
#include "pond/util.h"

/* ---- the model graph ------------------------------------------------------------ */

/* Every model, custom test, source and export of a project, parsed, with
 * dependencies extracted and the graph checked (no cycle, no unknown
 * table) and ordered. Owns its memory. */
typedef struct pond_transform_graph pond_transform_graph;

/* Reads the .sql files under ROOT/models and ROOT/tests, and the .yml files
 * of ROOT/sources and ROOT/exports, of the lake's project, and builds the graph, using the
 * lake's engine to parse SQL and its catalog to know raw tables. Errors name
 * the file and line: "models/marts/x.sql:3: unknown setting \"materialised\"",
 * "cycle: models/a.sql -> models/b.sql -> models/a.sql". */
int pond_transform_graph_load(pond_transform_graph **out, pond_lake *lake, pond_error *err);
void pond_transform_graph_free(pond_transform_graph **graph);

/* Number of models (ephemeral ones included). */
size_t pond_transform_graph_model_count(const pond_transform_graph *graph);
/* Models in dependency order (a model after everything it reads), as
 * "ns.name" strings borrowed from the graph. */
const char *pond_transform_graph_model_name(const pond_transform_graph *graph, size_t index);

typedef enum {
	POND_LINEAGE_TEXT = 0,
	POND_LINEAGE_DOT,   /* Graphviz */
	POND_LINEAGE_JSON,  /* {"nodes": [...], "edges": [...]} */
} pond_lineage_format;

/* Appends the graph from sources through models to exports. focus (a model
 * or table name; NULL: everything) keeps only its ancestors and
 * descendants. */
int pond_transform_lineage(pond_buf *out, const pond_transform_graph *graph, const char *focus,
                           pond_lineage_format format, pond_error *err);

/* ---- running ---------------------------------------------------------------------- */

typedef enum {
	POND_MODEL_OK = 0,       /* built (or, for pond test, its tests ran) */
	POND_MODEL_UP_TO_DATE,   /* skipped: same SQL, same inputs, table untouched */
	POND_MODEL_EPHEMERAL,    /* nothing to build: inlined where it is read */
	POND_MODEL_FAILED,       /* its SQL or an error-level test failed */
	POND_MODEL_BLOCKED,      /* not run: something upstream failed */
	POND_MODEL_CANCELED,     /* not run: the run was cancelled */
} pond_model_status;

typedef enum {
	POND_TEST_PASS = 0,
	POND_TEST_WARN,   /* failing rows, severity warn */
	POND_TEST_FAIL,   /* failing rows, severity error */
	POND_TEST_ERROR,  /* the test query itself failed */
} pond_test_status;

const char *pond_model_status_name(pond_model_status status);
const char *pond_test_status_name(pond_test_status status);

/* One data test's outcome. */
typedef struct pond_test_outcome {
	const char *name;       /* "unique(ticker, day)", "tests/no_gaps.sql" */
	const char *model;      /* the model it tests ("ns.t"); NULL for none */
	bool warn;              /* severity warn */
	pond_test_status status;
	int64_t failures;       /* failing rows */
	const char *sample;     /* the first failing rows (up to 5), one per line; NULL when none */
	const char *message;    /* the error for POND_TEST_ERROR */
	int64_t duration_ns;
} pond_test_outcome;

/* One model's outcome in a run. */
typedef struct pond_model_outcome {
	const char *name;         /* "ns.t" */
	const char *path;         /* "models/ns/t.sql" */
	const char *materialized; /* "table", "view", "incremental", "ephemeral" */
	pond_model_status status;
	int64_t snapshot_id;      /* the commit made; 0: none */
	int64_t rows;             /* rows written (incremental: the increment) */
	int64_t duration_ns;
	const char *message;      /* why it failed, was blocked or skipped; NULL when ok */
	size_t ntests;
	pond_test_outcome *tests;
} pond_model_outcome;

/* What a run did; everything lives in arena (pond_transform_result_dispose). */
typedef struct pond_transform_result {
	pond_arena *arena;
	const char *run_id;       /* the key of the run's rows in pond_model_runs */
	size_t nmodels;           /* selected models, in the order they finished */
	pond_model_outcome *models;
	size_t ntests;            /* tests not tied to one model (custom tests) */
	pond_test_outcome *tests;
	int ok, up_to_date, failed, blocked;          /* models */
	int tests_passed, tests_warned, tests_failed; /* errors count as failed */
	int64_t duration_ns;
} pond_transform_result;

void pond_transform_result_dispose(pond_transform_result *result);
/* The result as JSON (caller json_decref's). */
json_t *pond_transform_result_to_json(const pond_transform_result *result);

/* Progress, delivered on the thread that called run or test. */
typedef enum {
	POND_TRANSFORM_MODEL_START,  /* model set */
	POND_TRANSFORM_MODEL_END,    /* model set, with its tests */
} pond_transform_event_kind;

typedef struct pond_transform_event {
	pond_transform_event_kind kind;
	const pond_model_outcome *model;  /* borrowed for the call */
	size_t index, total;              /* 1-based position among the selected models */
} pond_transform_event;

typedef void (*pond_transform_event_fn)(const pond_transform_event *event, void *payload);

typedef struct pond_transform_options {
	/* Selectors, each a union of comma-joined intersections: "marts.x",
	 * "x", "+x" (with ancestors), "x+" (with descendants), "tag:daily",
	 * "path:marts/", "state:modified" (SQL or settings changed since the
	 * last successful run, or never run), "marts.x,tag:daily". None: all. */
	const char *const *select;
	size_t nselect;
	const char *const *exclude;
	size_t nexclude;
	bool full_refresh;   /* incremental models rebuilt from scratch */
	bool force;          /* build models even when up to date */
	int threads;         /* 0: pond.yml models.threads, else one per core */
	pond_transform_event_fn on_event;
	void *payload;
	/* When it becomes non-zero, no further model starts; those not
	 * started are POND_MODEL_CANCELED. */
	const volatile int *cancel;
} pond_transform_options;

#define POND_TRANSFORM_OPTIONS_INIT {NULL, 0, NULL, 0, false, false, 0, NULL, NULL, NULL}

/* Builds the selected models in dependency order, independent ones in
 * parallel, each followed by its tests; records every model run and test
 * result in the catalog database. result is filled (and must be disposed)
 * whether or not the call succeeds. Returns 0 when every selected model
 * built and no error-level test failed; POND_ERROR with a summary ("1
 * model failed, 2 blocked") when some did (result says which); another
 * negative code, before anything ran, for a bad project (a model file, a
 * cycle, a selector matching nothing). */
int pond_transform_run(pond_lake *lake, const pond_transform_options *opts, pond_transform_result *result,
                       pond_error *err);

/* Runs the data tests of the selected models (and the custom tests that
 * read them) against the tables as they are, without building anything.
 * Returns as pond_transform_run; full_refresh and force are ignored. */
int pond_transform_test(pond_lake *lake, const pond_transform_options *opts, pond_transform_result *result,
                        pond_error *err);

/* Parses, selects and orders without running: *order gets the selected
 * models' names in the order a run would start them (arena). For
 * --dry-run and benchmarks. */
int pond_transform_plan(pond_lake *lake, const pond_transform_options *opts, pond_arena *arena,
                        const char ***order, size_t *count, pond_error *err);

#endif
