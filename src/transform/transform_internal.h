/*
 * Internals of the transform layer, shared by the files of src/transform: the graph
 * of models, tests, sources and exports, and the pieces a run is made of.
 */
#ifndef POND_TRANSFORM_INTERNAL_H
#define POND_TRANSFORM_INTERNAL_H

#include "pond/transform.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { TF_TABLE = 0, TF_VIEW, TF_INCREMENTAL, TF_EPHEMERAL } tf_mat;
typedef enum { TF_MERGE = 0, TF_APPEND } tf_strategy;
typedef enum { TF_MODEL = 0, TF_SOURCE, TF_CUSTOM_TEST, TF_EXPORT } tf_kind;

/* A data test: a query returning the failing rows. */
typedef struct tf_test {
	const char *name;    /* "unique(ticker, day)" or "tests/x.sql" */
	const char *sql;     /* the failing-rows query */
	bool warn;           /* severity warn */
	int line;
} tf_test;

/* A table a SELECT reads, where it is named in the text. */
typedef struct tf_ref {
	const char *name;    /* "ns.t" */
	pond_table_ident id;
	size_t offset, len;  /* the name's text in the SQL */
	bool has_alias;
	int line;
	int node;            /* resolved: index into graph->nodes */
} tf_ref;

typedef struct tf_node {
	tf_kind kind;
	const char *name;       /* "ns.t"; an export's file name */
	pond_table_ident id;
	const char *path;       /* relative to the project: models/x.sql; NULL for a catalog-only table */
	/* models and custom tests */
	const char *text;       /* the file */
	const char *sql;        /* the SELECT (file text, trailing ';' dropped) */
	const char *expanded;   /* sql with ephemeral models inlined */
	tf_mat mat;
	tf_strategy strategy;
	const char **keys;
	size_t nkeys;
	const char *watermark;
	const char **partition_by;
	size_t npartition_by;
	const char **tags;
	size_t ntags;
	const char *description;
	const char **column_names, **column_docs;
	size_t ncolumns;
	tf_test *tests;
	size_t ntests;
	const char *attach;     /* custom test: the model named by "model:" */
	const char **queries;   /* export: the sql: of its sheets (tables are refs) */
	size_t nqueries;
	tf_ref *refs;
	size_t nrefs;
	int *deps;              /* distinct nodes read */
	size_t ndeps;
	int *users;             /* models, tests and exports reading this one */
	size_t nusers;
	uint64_t hash;          /* file text and the ephemerals inlined */
	char hash_hex[17];
	int order;              /* position in graph->order; -1 for non-models */
} tf_node;

struct pond_transform_graph {
	pond_arena *arena;
	const pond_project *project;
	tf_node *nodes;
	size_t nnodes, cap;
	int *order;            /* model nodes, dependencies first */
	size_t norder;
	const char *default_ns;
	int threads;           /* pond.yml models.threads; 0: unset */
	const char *default_mat;
};

/* model.c: the settings comment and the data tests of a model file. */
int pond__transform_parse_settings(pond_transform_graph *g, tf_node *node, bool custom_test, pond_error *err);

/* deps.c: the tables a SELECT reads, found by DuckDB's parser; errors
 * name path and line. refs in arena. */
int pond__transform_sql_refs(pond_engine *engine, const char *sql, const char *path, pond_arena *a, tf_ref **out,
                             size_t *n, pond_error *err);
/* 1-based line of a byte offset. */
int pond__transform_line_of(const char *text, size_t offset);

/* graph.c */
int pond__transform_find_node(const pond_transform_graph *g, const char *name);
bool pond__transform_is_model(const tf_node *n);

/* select.c: marks selected models (ephemeral ones too). prev_hash gives a
 * model's last successful hash, NULL when never built (state:modified). */
int pond__transform_select(const pond_transform_graph *g, const pond_transform_options *opts,
                           const char *const *prev_hash, bool *selected, pond_error *err);

/* state.c: pond's tables in the catalog database. */
int pond__transform_state_init(pond_catalog *cat, pond_error *err);
typedef struct tf_prev_run {
	const char *hash;
	const char *inputs;
	int64_t snapshot_id;
} tf_prev_run;
/* The last successful run of each model (indexed like g->nodes). */
int pond__transform_state_last_runs(pond_catalog *cat, const pond_transform_graph *g, pond_arena *a, tf_prev_run *out,
                       pond_error *err);
int pond__transform_state_record_model(pond_catalog *cat, const char *run_id, const tf_node *node,
                                       const pond_model_outcome *m, int64_t started_ms, const char *inputs,
                                       pond_error *err);
int pond__transform_state_record_test(pond_catalog *cat, const char *run_id, const pond_test_outcome *t,
                                      pond_error *err);
bool pond__transform_state_has_runs(pond_catalog *cat, const char *model);

/* build.c: one model's materialization, on a worker's lake and session. */
typedef struct tf_worker {
	pond_lake *lake;
	pond_session *session;
	const pond_transform_graph *graph;
} tf_worker;

/* The fingerprint of what node reads: "ns.t@snapshot" per table, through
 * views and ephemeral models. */
int pond__transform_inputs(tf_worker *w, const tf_node *node, pond_arena *a, const char **out, pond_error *err);
int pond__transform_build(tf_worker *w, const tf_node *node, bool full_refresh, pond_arena *a, pond_model_outcome *m,
             pond_error *err);

/* publish.c: a view model's Iceberg view, created or given the model's
 * current SQL and schema; and removed when the model is no view (no view
 * is no error). */
int pond__transform_publish_view(tf_worker *w, const tf_node *n, pond_arena *a, pond_error *err);
int pond__transform_unpublish_view(tf_worker *w, const tf_node *n, pond_error *err);

/* datatest.c: runs one test on the worker's session. */
void pond__transform_run_test(tf_worker *w, const tf_test *test, const char *model, pond_arena *a,
                              pond_test_outcome *out);
/* A statement bound by the session and run on its engine. */
int pond__transform_query(tf_worker *w, const char *sql, pond_arena *a, pond_result **out, pond_error *err);
int pond__transform_query_int(tf_worker *w, const char *sql, pond_arena *a, int64_t *out, pond_error *err);

/* Quoted "ns"."t" into buf. */
void pond__transform_quote_table(pond_buf *buf, const pond_table_ident *id);

#endif
