/*
 * pond ingest layer: bringing outside data into tables. One-off loads of
 * files and URLs (CSV, TSV, JSON, NDJSON, Parquet, xlsx; gzip and zstd), defined
 * sources in sources/NAME.yml (files, HTTP APIs with pagination, retries,
 * rate limits, incremental cursors and fan-out, PostgreSQL, SQLite, landing
 * folders), schema policies for new fields, and source state (cursors,
 * files seen) kept in the snapshot summary of the commit that loaded the
 * data, so a load and its state become visible together or not at all.
 * Relies on the table layer for commits and on DuckDB's readers for parsing.
 */
#ifndef POND_INGEST_H
#define POND_INGEST_H

#include "pond/table.h"
#include "pond/util.h"

/* How rows reach the table. */
typedef enum {
	POND_INGEST_APPEND = 0,  /* add the rows */
	POND_INGEST_REPLACE,     /* the table holds only the new rows */
	POND_INGEST_MERGE,       /* upsert on key columns */
} pond_ingest_mode;

/* What happens to a field the table does not have. */
typedef enum {
	POND_SCHEMA_EVOLVE = 0,  /* add a column (needs table schema evolution) */
	POND_SCHEMA_FREEZE,      /* reject the load, naming the field */
	POND_SCHEMA_DISCARD,     /* drop the field */
} pond_schema_policy;

/* Input formats; AUTO picks by file extension (after .gz/.zst), then by
 * HTTP content type, then CSV. */
typedef enum {
	POND_FORMAT_AUTO = 0,
	POND_FORMAT_CSV,
	POND_FORMAT_TSV,
	POND_FORMAT_JSON,    /* a JSON array of objects (or one object per line) */
	POND_FORMAT_NDJSON,
	POND_FORMAT_PARQUET,
	POND_FORMAT_XLSX,    /* an Excel workbook: one sheet (pond_ingest_read's sheet, range, header) */
} pond_ingest_format;

/* Reads "append", "replace", "merge" etc.; false for an unknown name. */
bool pond_ingest_mode_parse(const char *name, pond_ingest_mode *out);
bool pond_schema_policy_parse(const char *name, pond_schema_policy *out);
bool pond_ingest_format_parse(const char *name, pond_ingest_format *out);
const char *pond_ingest_mode_name(pond_ingest_mode mode);

/* Called now and then while records arrive: rows so far, bytes read so far
 * and the time since the load started. */
typedef void (*pond_ingest_progress_fn)(int64_t rows, int64_t bytes, int64_t elapsed_ns, void *payload);

/* How a load writes: shared by one-off loads and sources. */
typedef struct pond_ingest_write {
	const char *table;             /* "ns.t" */
	pond_ingest_mode mode;
	const char *const *keys;       /* merge keys */
	size_t nkeys;
	pond_schema_policy schema;
	/* Struct columns become a__b columns this many levels deep (1: a's
	 * fields; POND_FLATTEN_ALL: every level); lists and maps stay. 0: none. */
	int flatten;
	/* CSV: "ns.t" to keep the good rows and put the lines that do not
	 * parse (ragged, wrong type) in this table, with their file and line
	 * number, committed right after the rows. NULL: a bad line fails the
	 * load. */
	const char *rejects;
} pond_ingest_write;

#define POND_INGEST_WRITE_INIT {NULL, POND_INGEST_APPEND, NULL, 0, POND_SCHEMA_EVOLVE, 0, NULL}
/* flatten: true, every level; a depth given is at most POND_FLATTEN_MAX. */
#define POND_FLATTEN_ALL 1000000
#define POND_FLATTEN_MAX 1000

/* How a file is read (one-off loads and file sources). Unset values leave
 * DuckDB's auto-detection in charge. */
typedef struct pond_ingest_read {
	pond_ingest_format format;
	const char *delimiter;         /* CSV: one character (or "\t") */
	int header;                    /* CSV: -1 auto, 0 no, 1 yes; xlsx: -1 and 1 yes */
	const char *sheet;             /* xlsx: a sheet's name or 1-based index; NULL: the first */
	const char *range;             /* xlsx: cells such as "B3:F200", "B3" or "B:F"; NULL: all with values */
	/* CSV: lines dropped before the header (titles, "Exported on ...");
	 * errors keep the file's own line numbers. */
	int64_t skip;
	const char *const *nulls;      /* CSV: strings read as NULL; NULL: the reader's default (empty fields) */
	size_t nnulls;
	/* CSV: how numbers are written; 0: not set (text stays text). With
	 * decimal_mark set, text columns whose every value is a number so
	 * written load as numbers. */
	char decimal_mark;             /* '.' or ',' */
	char thousands;                /* with decimal_mark: , . ' or space; '\0' none */
	const struct pond_ingest_column *columns;  /* CSV: types and formats of some columns */
	size_t ncolumns;
	const char *encoding;          /* CSV: any name iconv knows; NULL: UTF-8 */
} pond_ingest_read;

#define POND_INGEST_READ_INIT {POND_FORMAT_AUTO, NULL, -1, NULL, NULL, 0, NULL, 0, 0, 0, NULL, 0, NULL}

/* A CSV column read as a given type; date and timestamp columns with a
 * DuckDB strptime format ("%d.%m.%Y"). */
typedef struct pond_ingest_column {
	const char *name;
	const char *type;              /* text, long, double, boolean, date or timestamp */
	const char *format;            /* date, timestamp: required */
} pond_ingest_column;

/* Checks how numbers are written, as the html source and CSV take it:
 * decimal "." or "," (NULL: "."), thousands one of , . ' or a space, or ""
 * for none (NULL: the other of . and ,). false, with *why in a static
 * message, when they cannot be. */
bool pond_ingest_number_format_parse(const char *decimal, const char *thousands, char *out_decimal,
                                     char *out_thousands, const char **why);
/* The DuckDB type of a column type name (text, long, double, boolean,
 * date, timestamp); NULL when unknown. */
const char *pond_ingest_column_sql_type(const char *type);

/* A schema change a load made or refused. */
typedef struct pond_ingest_change {
	const char *kind;    /* "create", "add", "discard" */
	const char *column;  /* NULL for "create" */
	const char *type;    /* the column's type, e.g. "long" */
} pond_ingest_change;

/* What a load did; strings live in the result's arena, freed by
 * pond_ingest_result_dispose. */
typedef struct pond_ingest_result {
	pond_arena *arena;
	int64_t snapshot_id;     /* 0: nothing committed */
	int64_t rows;            /* records read from the source */
	int64_t added_records;   /* as the table layer reports them */
	int64_t deleted_records; /* rows in the files the commit rewrote or removed */
	int64_t replaced_records;  /* rows the load replaced (merge: same key; replace: every old row) */
	/* A fan-out with fetch: unseen: ids fetched for the first time, fetched
	 * again (refresh_within), and left alone. */
	int64_t fanout_new, fanout_refreshed, fanout_unchanged;
	int64_t bytes;           /* bytes read (files, downloads, HTTP bodies) */
	int64_t requests;        /* HTTP requests made, retries included */
	int64_t retries;
	int64_t rejected;        /* lines put in write->rejects */
	int64_t error_cells;     /* xlsx: error cells (#N/A, #DIV/0!, ...) loaded as NULL */
	int64_t duration_ns;
	bool created;            /* the table was created by this load */
	bool buffered;           /* the rows went to the table's row buffer (no snapshot yet) */
	size_t nchanges;
	pond_ingest_change *changes;
	const char *state;       /* the source state committed, as JSON; NULL when none */
} pond_ingest_result;

void pond_ingest_result_dispose(pond_ingest_result *result);
/* The result as a JSON object (caller json_decref's). */
json_t *pond_ingest_result_to_json(const pond_ingest_result *result);

typedef struct pond_ingest_options {
	pond_ingest_progress_fn progress;  /* optional */
	void *progress_payload;
	const char *tmpdir;                /* NULL: $TMPDIR or /tmp */
	/* When set and it becomes non-zero (e.g. from a SIGINT handler), a
	 * run stops between requests or rows with POND_ECANCELED and commits
	 * nothing. The load itself is cancelled through the engine. */
	const volatile int *cancel;
	/* Downloads and HTTP requests: fail when no byte arrives for this
	 * long (0: 60 s), and, when set, when a download takes longer than
	 * timeout_ms in all (0: no overall limit for downloads). A source's
	 * own stall_timeout / timeout keys take precedence. */
	int64_t stall_timeout_ms;
	int64_t timeout_ms;
} pond_ingest_options;

#define POND_INGEST_OPTIONS_INIT {NULL, NULL, NULL, NULL, 0, 0}

/* Loads a file, a glob or an http(s) URL into a table in one commit. The
 * table is created from the inferred schema when missing. A parse error
 * names the file and line and commits nothing. result is filled (and must
 * be disposed) whether or not the load succeeds. */
int pond_ingest_file(pond_lake *lake, const char *input, const pond_ingest_read *read, const pond_ingest_write *write,
                     const pond_ingest_options *opts, pond_ingest_result *result, pond_error *err);

/* ---- defined sources -------------------------------------------------------- */

typedef struct pond_source pond_source;

/* Reads ROOT/sources/NAME.yml. ${ENV} in values comes from the environment,
 * else from ROOT/.pond/secrets.yml (a map of names to values). Errors name
 * "sources/NAME.yml:LINE". The source lives in arena. */
int pond_source_load(pond_source **out, const char *root, const char *name, pond_arena *arena, pond_error *err);
/* Parses a source's YAML text; what names it in errors, secrets (may be
 * NULL) is a parsed secrets map. */
int pond_source_parse(pond_source **out, const char *name, const char *text, size_t len, const char *what,
                      const pond_yaml_node *secrets, pond_arena *arena, pond_error *err);
/* A one-off web-page source: the <table> chosen by select (a CSS selector,
 * or a 1-based index; NULL: the first) on the page at url (http(s) or a
 * saved file), loaded as write says. Lives in arena. */
int pond_source_html(pond_source **out, const char *url, const char *select, const pond_ingest_write *write,
                     pond_arena *arena, pond_error *err);
/* A one-off BigQuery source: what is a query, or a table as dataset.table
 * or project.dataset.table (no spaces); key_file a service account's key
 * (a path, or its JSON); project, location and endpoint may be NULL (the
 * key's project, BigQuery's default location, Google's API). Loaded as
 * write says. Lives in arena. */
int pond_source_bigquery(pond_source **out, const char *what, const char *key_file, const char *project,
                         const char *location, const char *endpoint, const pond_ingest_write *write,
                         pond_arena *arena, pond_error *err);
/* The source's name, type ("http", ...) and target table; borrowed. */
const char *pond_source_name(const pond_source *source);
const char *pond_source_type(const pond_source *source);
const char *pond_source_table(const pond_source *source);

/* Runs a source: fetches what is new since the state of the table's last
 * load from this source, and loads it with the new state in one commit. */
int pond_ingest_source(pond_lake *lake, const pond_source *source, const pond_ingest_options *opts,
                       pond_ingest_result *result, pond_error *err);

/* The state a source last committed to its table (JSON text in arena), or
 * NULL when there is none or the table does not exist. */
int pond_ingest_state(const char **out, pond_lake *lake, const char *table, const char *source, pond_arena *arena,
                      pond_error *err);

#endif
