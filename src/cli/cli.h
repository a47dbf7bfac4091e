/*
 * The pond command line: the command table, shared option handling and the
 * result renderer. Each command lives in its own file and registers one
 * entry in commands.c.
 */
#ifndef POND_CLI_H
#define POND_CLI_H

#include <stdio.h>

#include "pond/engine.h"
#include "pond/table.h"
#include "pond/util.h"


/* Exit codes, as DESIGN.md promises. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

typedef struct cli_command {
	const char *name;
	const char *summary;  /* one line for `pond --help` */
	const char *help;     /* full text for `pond help NAME` / `NAME --help` */
	int (*run)(int argc, char **argv);  /* argv[0] is the command name */
} cli_command;

/* Each command's entry, defined in its own file. */
extern const cli_command cli_sql_command;
extern const cli_command cli_demo_command;
extern const cli_command cli_help_command;
extern const cli_command cli_init_command;
extern const cli_command cli_tables_command;
extern const cli_command cli_show_command;
extern const cli_command cli_history_command;
extern const cli_command cli_rollback_command;
extern const cli_command cli_flush_command;
extern const cli_command cli_compact_command;
extern const cli_command cli_generate_command;

/* Generated data sets (generate.c). markets: prices.csv, fx.csv,
 * dividends.csv and holdings.csv in dir. taxi: NYC yellow-taxi trips. */
int cli_generate_markets(const char *dir, int64_t *price_rows, pond_error *err);
int cli_generate_taxi(const char *path, int64_t rows, bool ndjson, uint64_t seed, pond_error *err);
extern const cli_command cli_inspect_command;
extern const cli_command cli_ingest_command;
extern const cli_command cli_run_command, cli_runs_command, cli_logs_command, cli_schedule_command;
extern const cli_command cli_transform_command, cli_test_command, cli_lineage_command;
extern const cli_command cli_export_command;
extern const cli_command cli_serve_command;
extern const cli_command cli_backup_command, cli_restore_command;
extern const cli_command cli_expire_command, cli_orphans_command, cli_maintain_command, cli_archive_command;
extern const cli_command cli_s3_command;

/* "1.5 MB": bytes for people (render.c). */
void cli_human_bytes(char out[32], int64_t b);

/* The table (commands.c); ends with NULL. */
extern const cli_command *const cli_commands[];
const cli_command *cli_find_command(const char *name);

/* Prints "pond CMD: message" and the help hint; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) POND_PRINTF(2, 3);
/* Prints "pond: error message" (one line); returns EXIT_FAIL. */
int cli_fail(const pond_error *err);
/* Prints a command's help to stdout; returns EXIT_OK. */
int cli_print_help(const cli_command *cmd);
/* True when argv holds --help or -h before a "--". */
int cli_wants_help(int argc, char **argv);

/* ---- projects ---- */

/* The folder given with --project DIR (anywhere on the command line), or
 * NULL: then the project is found from the current folder upwards. */
extern const char *cli_project_dir;

/* Finds the project and opens its lake (engine borrowed; NULL: the lake
 * opens its own). POND_ENOTFOUND says how to create a project. */
int cli_open_project(pond_project **project, pond_lake **lake, pond_engine *engine, pond_error *err);
void cli_close_project(pond_project **project, pond_lake **lake);

/* Prints a table's metadata md, read from its metadata file path (pond
 * inspect, pond show): as JSON or text, with or without its manifest and
 * file lists. io (borrowed, the table's: remap set) reads its files. */
int cli_print_metadata(pond_fileio *io, const char *path, const pond_iceberg_metadata *md,
                       const pond_scan_options *opts, bool as_json, bool with_files, pond_error *err);

/* Files a command writes into a project (pond init's example, the demo),
 * by path relative to the project folder; folders are created. */
typedef struct cli_file {
	const char *path;
	const char *text;
} cli_file;

int cli_write_files(const char *dir, const cli_file *files, size_t n, pond_error *err);

/* ---- pipelines ---- */

#include "pond/pipeline.h"

/* Prints a pipeline run's progress line by line (payload: a FILE *, NULL
 * for stdout); pond run, pond schedule and pond demo use it. */
void cli_print_run_event(const pond_run_event *e, void *payload);

/* ---- rendering results ---- */

typedef enum {
	CLI_FORMAT_TABLE,     /* boxes, aligned, truncated to the terminal */
	CLI_FORMAT_PLAIN,     /* tab-separated with a header, no decoration */
	CLI_FORMAT_CSV,
	CLI_FORMAT_TSV,
	CLI_FORMAT_JSON,
	CLI_FORMAT_NDJSON,
	CLI_FORMAT_MARKDOWN,
} cli_format;

/* Parses a --format name; false if unknown. */
int cli_format_parse(const char *name, cli_format *out);
const char *cli_format_names(void);

typedef struct cli_render_options {
	cli_format format;
	FILE *out;
	int width;       /* terminal width for the table format */
	int max_rows;    /* table format: rows shown before eliding the middle */
	int color;       /* dim NULLs and the footer */
} cli_render_options;

/* Writes every row of a result. Returns 0 or a negative error (a failed
 * fetch or write); *rows gets the row count. */
int cli_render(pond_result *result, const cli_render_options *opts, int64_t *rows, pond_error *err);

/* ---- progress ---- */

/* A progress callback for pond_engine_options: draws a bar on stderr when
 * it is a terminal and the query has run for over a second. */
void cli_progress(double percent, int64_t elapsed_ns, void *payload);
/* Erases the bar if one was drawn. */
void cli_progress_clear(void);

/* ---- commands that work table by table (each_table.c) ---- */

typedef struct json_t json_t;

/* One command's work: prepare (may be NULL) once the project is open and
 * the tables are listed, a check up front whose error ends the command;
 * then, for each table, run (its error printed, the next table goes on)
 * and, when it succeeded, report: the table's line on stdout, or with out
 * (--json) its object appended to out. */
typedef struct cli_table_job {
	int (*prepare)(void *payload, pond_lake *lake, pond_error *err);
	int (*run)(void *payload, pond_lake *lake, const pond_table_ident *id, pond_error *err);
	void (*report)(void *payload, const char *table, json_t *out);
	void *payload;
} cli_table_job;

/* Opens the project and runs job over the tables named (each must exist;
 * none: every table of the catalog), with SIGINT and SIGTERM setting
 * cli_cancel_flag() (checked between tables; jobs pass it on as their
 * cancel option); with as_json, prints the reports as one JSON array at
 * the end. Returns the command's exit code. */
int cli_table_command(const char *const *tables, size_t ntables, bool as_json, const cli_table_job *job);

/* ---- SIGINT: cancel the running query, not the program ---- */

void cli_sigint_install(pond_engine *engine);
/* The same, for long jobs: SIGINT (and SIGTERM when sigterm_too) sets the
 * cancel flag and interrupts the engine's statement; engine NULL restores
 * the default handlers. */
void cli_cancel_install(pond_engine *engine, bool sigterm_too);
/* The flag the handler sets, for the layers' cancel options. */
const volatile int *cli_cancel_flag(void);
/* Set when Ctrl-C arrived since the last call; clears it. */
int cli_sigint_take(void);

/* ---- the shared SQL runner (one-shot and shell) ---- */

typedef struct cli_sql_session {
	pond_engine *engine;
	pond_session *session;  /* in a project: catalog tables and writes */
	pond_lake *lake;        /* in a project: for listing its tables */
	cli_render_options render;
	int timer;  /* print elapsed time after each statement */
	const char *script;  /* the file the statements come from (errors say file:line:column); may be NULL */
} cli_sql_session;

/* Runs a script of statements, rendering every result that has rows.
 * Errors print one line on stderr. Returns 0 when all statements ran. */
int cli_sql_run(cli_sql_session *s, const char *sql);
/* The SQL that lists the catalog's tables (namespace, name) and DuckDB's
 * own, for SHOW TABLES and .tables; in arena. Catalog tables are bound on
 * use, so DuckDB's SHOW TABLES alone does not see them. */
int cli_sql_tables_query(cli_sql_session *s, pond_arena *a, const char **out, pond_error *err);
/* The interactive shell over an open session. Returns an exit code. */
int cli_shell(cli_sql_session *s);
/* Opens the engine with the CLI's progress bar. */
int cli_engine_open(pond_engine **out, pond_error *err);

#endif
