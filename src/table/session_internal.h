/*
 * Internals of SQL sessions, shared by session*.c.
 */
#ifndef POND_SESSION_INTERNAL_H
#define POND_SESSION_INTERNAL_H

#include "table_internal.h"

typedef enum {
	SESSION_AT_NONE = 0,
	SESSION_AT_SNAPSHOT,  /* VERSION => 123 */
	SESSION_AT_REF,       /* VERSION => 'tag' */
	SESSION_AT_TIME,      /* TIMESTAMP => '...' */
} session_at;

/* A catalog table named in a statement. */
typedef struct session_ref {
	pond_table_ident id;
	const char *start, *end;  /* its text, AT clause included */
	session_at at;
	int64_t at_snapshot;
	const char *at_ref;
	int64_t at_ms;
	const char *view_sql;     /* a pond view (session_views.c): its SELECT */
} session_ref;

/* A view bound in DuckDB for a catalog table. */
typedef struct session_view {
	char *key;                /* "schema\\x1fview" */
	char *metadata_location;  /* what it was built from */
	bool pruned;              /* built for one statement's filter */
	size_t files;             /* data files it reads */
	int64_t snapshot_id;      /* the snapshot it reads (current-table views) */
	char *buffer_signature;   /* and the buffered rows ("" for none) */
	unsigned generation;      /* the statement that bound it last */
	pond_fileio *io;          /* holds the local copies of S3 files it reads */
	struct session_view *next;
} session_view;

struct pond_session {
	pond_lake *lake;
	pond_arena *arena;
	session_view *views;      /* malloc'd, freed at close */
	int view_depth;           /* pond views being bound, inside each other */
	bool has_views_table;     /* pond_views was seen in the catalog database */
	unsigned generation;      /* counts top-level binds: which views a statement read */
};

int pond__session_tokens(const char *text, pond_arena *a, pond_sql_token **out, size_t *n, pond_error *err);
int pond__session_find_refs(pond_session *s, const pond_sql_token *toks, size_t n, pond_arena *a, session_ref **out,
                            size_t *nrefs, pond_error *err);
/* Binds the tables a statement names and returns the text to run. */
int pond__session_bind(pond_session *s, const char *statement, pond_arena *a, const char **rewritten,
                       size_t *files_kept, pond_error *err);
/* Whether the statement bound last read the current state of table id
 * (directly or through a pond view), and at which snapshot
 * (POND_ICEBERG_NO_SNAPSHOT: it was empty). */
bool pond__session_read_snapshot(pond_session *s, const pond_table_ident *id, int64_t *snapshot_id,
                                 const char **buffer_signature);
/* Carries out a write to a catalog table; *handled false when the
 * statement is not one. */
void pond__session_free_views(pond_session *s);
/* Finds a table the catalog does not know by id's exact name as DuckDB
 * finds names: ignoring case when that names one table (id then takes the
 * catalog's spelling, strings in a). With report_missing, a name in one of
 * pond's namespaces that names no table is an error listing its tables. */
int pond__session_resolve_table(pond_session *s, pond_table_ident *id, bool report_missing, pond_arena *a,
                                bool *exists, pond_error *err);
/* The scan filter a single-table SELECT puts on view (schema_name.view,
 * reading schema): the WHERE conjuncts pond can prune with; NULL when none. */
pond_expr *pond__session_filter(pond_session *s, const char *statement, const char *schema_name, const char *view,
                                const pond_iceberg_schema *schema, pond_arena *a);
/* The same from a parsed WHERE clause (json_serialize_sql's form). */
pond_expr *pond__session_where_filter(const json_t *node, const pond_iceberg_schema *schema, const char *alias,
                                      pond_arena *a);
/* A constant of a parsed statement (json_serialize_sql's form) as a literal
 * of type, as DuckDB compares a column of that type with it; false when it
 * is not a constant or has no exact literal of that type. */
bool pond__session_constant_literal(pond_iceberg_literal *out, const pond_iceberg_type *type, const json_t *node,
                                    pond_arena *a);
/* ALTER TABLE id ... with toks[i] the first token after the table name. */
int pond__session_alter(pond_session *s, const pond_sql_token *toks, size_t n, size_t i, pond_arena *a,
                        const pond_table_ident *id, const char **message, pond_error *err);
/* A pond view's SELECT (*sql NULL when id is not a view). */
int pond__session_view_sql(pond_session *s, const pond_table_ident *id, pond_arena *a, const char **sql,
                           pond_error *err);
/* Binds what a pond view reads and defines it in DuckDB. */
int pond__session_bind_view(pond_session *s, const session_ref *r, pond_arena *a, pond_error *err);
int pond__session_write(pond_session *s, const char *statement, pond_arena *a, bool *handled, const char **message,
                        pond_error *err);

#endif
