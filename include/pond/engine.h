/*
 * pond engine layer: the embedded DuckDB, through its C API. Opening an
 * in-memory database, running statements and scripts, streaming results
 * chunk by chunk with progress and cancellation, rendering values as text
 * or JSON, and appending rows. DuckDB's errors are translated here into
 * one-line pond errors.
 */
#ifndef POND_ENGINE_H
#define POND_ENGINE_H

#include "pond/iceberg.h"
#include "pond/util.h"

typedef struct pond_engine pond_engine;

/* DuckDB's handle types, as duckdb.h declares them: users of this header
 * need not include DuckDB's; files that call DuckDB include <duckdb.h>. */
typedef struct _duckdb_connection *duckdb_connection;
typedef struct _duckdb_logical_type *duckdb_logical_type;
typedef struct _duckdb_data_chunk *duckdb_data_chunk;
typedef struct _duckdb_vector *duckdb_vector;
typedef uint64_t idx_t;

/* Called during execution, from the executing thread, with the percentage
 * done (0-100, or -1 when DuckDB cannot tell) and the elapsed time. */
typedef void (*pond_progress_fn)(double percent, int64_t elapsed_ns, void *payload);

typedef struct pond_engine_options {
	const char *database;      /* NULL: in memory */
	const char *memory_limit;  /* e.g. "1GB"; NULL: DuckDB's default */
	int threads;               /* 0: DuckDB's default (one per core) */
	pond_progress_fn progress; /* optional */
	void *progress_payload;
} pond_engine_options;

#define POND_ENGINE_OPTIONS_INIT {NULL, NULL, 0, NULL, NULL}

int pond_engine_open(pond_engine **out, const pond_engine_options *opts, pond_error *err);
void pond_engine_close(pond_engine **engine);

/* The DuckDB version string, e.g. "v1.4.4". */
const char *pond_engine_duckdb_version(void);

/* Borrowed handles for code that needs the raw C API. */
duckdb_connection pond_engine_connection(pond_engine *engine);

/* Runs one or more statements, discarding results. */
int pond_engine_exec(pond_engine *engine, const char *sql, pond_error *err);

/* Runs a single query and returns its first column of its first row as a
 * new string (pond_free), or NULL for SQL NULL / no rows. */
int pond_engine_query_string(pond_engine *engine, const char *sql, char **out, pond_error *err);
/* Same, as an integer; *out untouched when NULL or no rows (returns 0). */
int pond_engine_query_int(pond_engine *engine, const char *sql, int64_t *out, pond_error *err);

/* Cancels the statement running on this engine; safe from another thread
 * or a signal handler. The running call fails with POND_ECANCELED. */
void pond_engine_interrupt(pond_engine *engine);

/* ---- results ------------------------------------------------------------ */

/* A streaming result: chunks are fetched on demand, so a large result is
 * never held whole. */
typedef struct pond_result pond_result;

/* Runs one statement and returns its result (possibly with zero columns for
 * statements that return nothing). */
int pond_engine_query(pond_engine *engine, const char *sql, pond_result **out, pond_error *err);

idx_t pond_result_column_count(const pond_result *result);
const char *pond_result_column_name(const pond_result *result, idx_t col);
/* Borrowed; valid while the result lives. */
duckdb_logical_type pond_result_column_type(const pond_result *result, idx_t col);
/* Fetches the next chunk into *chunk (caller destroys it with
 * duckdb_destroy_data_chunk). Returns 1 with a chunk, 0 at the end, or a
 * negative error. */
int pond_result_next(pond_result *result, duckdb_data_chunk *chunk, pond_error *err);
/* True for a query result (rows to show); false for statements that return
 * nothing or only a changed-row count. */
bool pond_result_has_rows(const pond_result *result);
/* For statements that changed rows (INSERT, COPY): the count; else 0. */
int64_t pond_result_rows_changed(const pond_result *result);
void pond_result_free(pond_result **result);

/* A script: several statements separated by ';', run one at a time. */
typedef struct pond_script pond_script;

int pond_script_open(pond_engine *engine, const char *sql, pond_script **out, pond_error *err);
/* Runs the next statement: 1 with *out set, 0 when none is left. */
int pond_script_next(pond_script *script, pond_result **out, pond_error *err);
idx_t pond_script_count(const pond_script *script);
void pond_script_free(pond_script **script);

/* ---- values -------------------------------------------------------------- */

typedef enum {
	POND_VALUE_TEXT,  /* as DuckDB's CLI shows it: 2024-01-31, [1, 2], {'a': 1} */
	POND_VALUE_JSON,  /* a JSON value: strings quoted, numbers bare, null */
} pond_value_style;

/* Appends the value at `row` of `vector` (of logical type `type`) to buf.
 * Returns false for NULL (nothing appended in text style; `null` in JSON). */
bool pond_value_format(pond_buf *buf, duckdb_vector vector, duckdb_logical_type type, idx_t row,
                       pond_value_style style);

/* Appends a short name for a type, as DuckDB spells it in lower case:
 * "integer", "decimal(18,3)", "varchar[]", "struct(a integer)". */
void pond_type_name(pond_buf *buf, duckdb_logical_type type);

/* True when the type is a number (aligned right, bare in JSON). */
bool pond_type_is_numeric(duckdb_logical_type type);

/* ---- appending rows ------------------------------------------------------ */

/* A thin wrapper over duckdb_appender with errors translated. */
typedef struct pond_appender pond_appender;

int pond_appender_open(pond_engine *engine, const char *schema, const char *table, pond_appender **out,
                       pond_error *err);
/* Appends one value of the current row; NULL s appends SQL NULL. Values are
 * cast by DuckDB to the column type. */
int pond_appender_text(pond_appender *app, const char *s, pond_error *err);
int pond_appender_int(pond_appender *app, int64_t v, pond_error *err);
int pond_appender_double(pond_appender *app, double v, pond_error *err);
int pond_appender_null(pond_appender *app, pond_error *err);
int pond_appender_bool(pond_appender *app, bool v, pond_error *err);
/* Days since 1970-01-01; microseconds since 1970-01-01; since midnight. */
int pond_appender_date(pond_appender *app, int32_t days, pond_error *err);
int pond_appender_timestamp(pond_appender *app, int64_t us, pond_error *err);
int pond_appender_time(pond_appender *app, int64_t us, pond_error *err);
int pond_appender_end_row(pond_appender *app, pond_error *err);
/* Flushes and closes; returns the first error if any. *app becomes NULL. */
int pond_appender_close(pond_appender **app, pond_error *err);

/* ---- data chunks in pond's binary form (chunk_codec.c) -------------------- */

/* pond's compact, versioned binary form of DuckDB data chunks (the row
 * buffer keeps small appends in it). An encoder takes chunks of one
 * result, of the given column types (the first ncols columns of each
 * chunk), and owns the bytes it makes. */
typedef struct pond_chunks_encoder pond_chunks_encoder;

int pond_chunks_encoder_new(pond_chunks_encoder **out, duckdb_logical_type *types, idx_t ncols, pond_error *err);
int pond_chunks_encoder_add(pond_chunks_encoder *enc, duckdb_data_chunk chunk, pond_error *err);
/* Rows added, bytes so far, NULLs in top-level column col. */
int64_t pond_chunks_encoder_rows(const pond_chunks_encoder *enc);
size_t pond_chunks_encoder_size(const pond_chunks_encoder *enc);
int64_t pond_chunks_encoder_nulls(const pond_chunks_encoder *enc, idx_t col);
/* Ends the stream (no chunk may follow); *bytes is borrowed from enc. */
int pond_chunks_encoder_finish(pond_chunks_encoder *enc, const void **bytes, size_t *len, pond_error *err);
void pond_chunks_encoder_free(pond_chunks_encoder **enc);

/* A decoder over bytes (borrowed: they must outlive it), which may be
 * anything: every check is made, and a bad stream is a one-line error
 * (POND_ECORRUPT; POND_EUNSUPPORTED for another version). */
typedef struct pond_chunks_decoder pond_chunks_decoder;

int pond_chunks_decoder_open(pond_chunks_decoder **out, const void *bytes, size_t len, pond_error *err);
idx_t pond_chunks_decoder_column_count(const pond_chunks_decoder *dec);
/* Borrowed; valid while the decoder lives. */
duckdb_logical_type pond_chunks_decoder_column_type(const pond_chunks_decoder *dec, idx_t col);
/* The next chunk into *chunk (the caller destroys it): 1, 0 at the end,
 * or a negative error. */
int pond_chunks_decoder_next(pond_chunks_decoder *dec, duckdb_data_chunk *chunk, pond_error *err);
void pond_chunks_decoder_free(pond_chunks_decoder **dec);

/* ---- spill tables (spill.c) ------------------------------------------------ */

/* A DuckDB table of rows held as data chunks (a streaming result's, or
 * decoded ones), made and filled on a second connection of the engine, so
 * that a result still streaming on the first one stays open. Once closed,
 * pond_spill_table names it for the engine's queries; pond_spill_free
 * drops it. */
typedef struct pond_spill pond_spill;

/* A new empty table with the schema's top-level columns (names, types). */
int pond_spill_open(pond_spill **out, pond_engine *engine, const pond_iceberg_schema *schema, pond_error *err);
/* Appends a chunk whose first columns have exactly the table's types. */
int pond_spill_chunk(pond_spill *spill, duckdb_data_chunk chunk, pond_error *err);
/* Commits the rows appended; then the table can be read. */
int pond_spill_close(pond_spill *spill, pond_error *err);
/* The table's qualified name (borrowed). */
const char *pond_spill_table(const pond_spill *spill);
void pond_spill_free(pond_spill **spill);

/* ---- Iceberg types and Parquet writing ------------------------------------ */

/* Appends the DuckDB SQL type for an Iceberg type: "BIGINT",
 * "DECIMAL(10,2)", "STRUCT(\"a\" INTEGER)", "VARCHAR[]", "MAP(K, V)". */
void pond_engine_iceberg_type_sql(pond_buf *buf, const pond_iceberg_type *type);

/* Maps a DuckDB type to an Iceberg type, allocating in arena; nested field
 * ids are taken from *next_id (incremented). `column` names the column in
 * errors: "column \"span\": interval has no Iceberg type". */
int pond_engine_type_to_iceberg(pond_iceberg_type **out, duckdb_logical_type type, int32_t *next_id,
                                const char *column, pond_arena *arena, pond_error *err);

/* The Iceberg schema of a query's result (fresh field ids from 1), as a
 * CREATE TABLE AS needs. */
int pond_engine_query_schema(pond_engine *engine, const char *select_sql, pond_arena *arena,
                             pond_iceberg_schema **out, pond_error *err);

/* Statistics of one column of a written file, by Iceberg field id. Min and
 * max are DuckDB's text for the value, NULL when not known. */
typedef struct pond_written_column {
	int32_t field_id;
	int64_t null_count;   /* -1: unknown */
	int64_t column_size;  /* bytes; -1: unknown */
	const char *min;
	const char *max;
} pond_written_column;

/* One Parquet file written by pond_engine_write_parquet. */
typedef struct pond_written_file {
	const char *path;
	int64_t record_count;
	int64_t file_size;
	size_t ncolumns;
	pond_written_column *columns;
	/* Per partition column (in the options' order): the value's text, or
	 * NULL for a null partition value. */
	const char **partition_values;
} pond_written_file;

typedef struct pond_parquet_write_options {
	const char *dir;              /* target folder; created if missing */
	int64_t target_file_size;     /* bytes; 0: one file per thread/partition */
	const char *compression;      /* NULL: zstd */
	size_t npartitions;           /* partition columns computed per row */
	const char *const *partition_names; /* column names (folder names) */
	const char *const *partition_exprs; /* SQL over the schema's columns */
} pond_parquet_write_options;

#define POND_PARQUET_WRITE_OPTIONS_INIT {NULL, 0, NULL, 0, NULL, NULL}

/* Writes the rows of select_sql (whose columns are the schema's top-level
 * fields, by name) as Parquet files carrying the schema's field ids into
 * opts->dir, with unique names, split by the partition expressions. Returns
 * the files written with their statistics (allocated in arena). Files are
 * new; nothing existing is changed. */
int pond_engine_write_parquet(pond_engine *engine, const char *select_sql, const pond_iceberg_schema *schema,
                              const pond_parquet_write_options *opts, pond_arena *arena,
                              pond_written_file **files, size_t *nfiles, pond_error *err);

/* ---- SQL text ----------------------------------------------------------------- */

typedef enum {
	POND_TOK_END = 0,
	POND_TOK_WORD,      /* identifier or keyword: select, ns, t */
	POND_TOK_QUOTED,    /* "quoted identifier" */
	POND_TOK_STRING,    /* 'string literal' (also E'...', $$...$$) */
	POND_TOK_NUMBER,
	POND_TOK_SYMBOL,    /* one punctuation character, or => :: etc. */
	POND_TOK_SEMICOLON,
	POND_TOK_UNTERMINATED, /* a string, identifier or comment left open */
} pond_sql_token_kind;

typedef struct pond_sql_token {
	pond_sql_token_kind kind;
	const char *start;  /* into the text */
	size_t len;
} pond_sql_token;

/* Reads the next token at *cursor (skipping space and comments) and
 * advances it. Returns false at the end of the text. */
bool pond_sql_next_token(const char **cursor, pond_sql_token *tok);
/* True when a WORD token is the keyword kw (ASCII, any case). */
bool pond_sql_token_is(const pond_sql_token *tok, const char *kw);
/* The identifier a WORD or QUOTED token names, unquoted ("a""b" -> a"b;
 * words as written), allocated in arena. */
char *pond_sql_token_ident(const pond_sql_token *tok, pond_arena *arena);
/* True when text ends a statement: its last token is ';' and nothing is
 * left open. The shell reads lines until this holds. */
bool pond_sql_is_complete(const char *text);
/* Splits a script into statements at ';' outside strings and comments.
 * Statements are trimmed copies in arena, without the ';'; empty ones are
 * skipped. */
int pond_sql_split(const char *script, pond_arena *arena, char ***out, size_t *count, pond_error *err);

/* ---- errors ---------------------------------------------------------------- */

/* Turns a DuckDB message (which may span lines, with a LINE n: and caret
 * marker) into one line with "(line L, column C)" appended. */
int pond_engine_error(pond_error *err, const char *duckdb_message);

#endif
