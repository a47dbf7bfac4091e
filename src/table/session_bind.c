/*
 * Binding catalog tables as DuckDB views for a statement, with time travel
 * rewritten and, for a SELECT over one table, its WHERE conjuncts turned
 * into a scan filter so only files that can match are read.
 */
#include "session_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void free_views(session_view *v)
{
	while (v) {
		session_view *next = v->next;
		pond_free(v->key);
		pond_free(v->metadata_location);
		pond_free(v->buffer_signature);
		pond_fileio_free(&v->io);
		pond_free(v);
		v = next;
	}
}

/* The DuckDB view name for a reference: the table's own name, or for time
 * travel "name@v123", "name@tag", "name@t1706700000000". */
static const char *view_name(const session_ref *r, pond_arena *a)
{
	switch (r->at) {
	case SESSION_AT_SNAPSHOT: return pond_arena_sprintf(a, "%s@v%lld", r->id.name, (long long)r->at_snapshot);
	case SESSION_AT_REF: return pond_arena_sprintf(a, "%s@%s", r->id.name, r->at_ref);
	case SESSION_AT_TIME: return pond_arena_sprintf(a, "%s@t%lld", r->id.name, (long long)r->at_ms);
	default: return r->id.name;
	}
}

/* ---- binding ----------------------------------------------------------------------- */

static session_view *find_view(pond_session *s, const char *key)
{
	for (session_view *v = s->views; v; v = v->next)
		if (strcmp(v->key, key) == 0)
			return v;
	return NULL;
}

/* Records what view key was built from; takes *io (the view's SQL reads
 * the copies it holds), releasing those of the view it replaces. */
static int remember_view(pond_session *s, const char *key, const char *location, bool pruned, size_t files,
                         int64_t snapshot_id, const char *buffer_signature, pond_fileio **io, pond_error *err)
{
	session_view *v = find_view(s, key);
	if (!v) {
		if (!(v = pond_calloc(1, sizeof(*v))) || !(v->key = pond_strdup(key))) {
			pond_free(v);
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		v->next = s->views;
		s->views = v;
	}
	pond_fileio_free(&v->io);
	v->io = *io;
	*io = NULL;
	pond_free(v->metadata_location);
	pond_free(v->buffer_signature);
	v->metadata_location = pond_strdup(location);
	v->buffer_signature = pond_strdup(buffer_signature);
	v->pruned = pruned;
	v->files = files;
	v->snapshot_id = snapshot_id;
	v->generation = s->generation;
	return v->metadata_location && v->buffer_signature ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

static int bind_ref(pond_session *s, const char *statement, const session_ref *r, bool use_filter, pond_arena *a,
                    size_t *files_kept, pond_error *err)
{
	if (r->id.ns.nlevels != 1)
		return pond_error_set(err, POND_EUNSUPPORTED, "nested namespaces cannot be queried in SQL yet");
	const char *schema_name = r->id.ns.levels[0];
	const char *view = view_name(r, a);
	const char *key = pond_arena_sprintf(a, "%s\x1f%s", schema_name, view);
	pond_table *t;
	int rc = pond_table_load(&t, s->lake, &r->id, err);
	if (rc)
		return rc;
	pond_scan_options so = POND_SCAN_OPTIONS_INIT;
	switch (r->at) {
	case SESSION_AT_SNAPSHOT: so.has_snapshot_id = true; so.snapshot_id = r->at_snapshot; break;
	case SESSION_AT_REF: so.ref = r->at_ref; break;
	case SESSION_AT_TIME: so.has_as_of = true; so.as_of_ms = r->at_ms; break;
	default: break;
	}
	const pond_iceberg_schema *schema = pond_iceberg_metadata_current_schema(t->metadata);
	if (use_filter && schema)
		so.filter = pond__session_filter(s, statement, schema_name, view, schema, a);
	if (pond_log_enabled(POND_LOG_DEBUG)) {
		pond_buf f = POND_BUF_INIT;
		if (so.filter)
			pond_expr_format(&f, so.filter);
		pond_debug("binding %s.%s with filter: %s", schema_name, view, so.filter ? pond_buf_cstr(&f) : "none");
		pond_buf_dispose(&f);
	}
	/* The buffered rows are part of what the view reads: a view is reused
	 * only while both the metadata and the buffer are as they were. */
	pond__buffer buffered;
	pond_scan_task *extra;
	pond_table *fresh;
	rc = pond__scan_buffer(&buffered, &extra, &fresh, s->lake, t, &so, a, err);
	if (fresh) {
		pond_table_free(&t);
		t = fresh;
	}
	const char *state = rc == 0 ? pond_arena_sprintf(a, "%s%s", t->metadata_location, buffered.signature) : NULL;
	if (!state) {
		pond_table_free(&t);
		return rc ? rc : pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	session_view *cached = find_view(s, key);
	if (cached && !cached->pruned && !so.filter && strcmp(cached->metadata_location, state) == 0) {
		if (files_kept)
			*files_kept += cached->files;
		cached->generation = s->generation;
		pond_table_free(&t);
		return 0;
	}
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "CREATE SCHEMA IF NOT EXISTS ");
	pond_sql_quote_ident(&sql, schema_name);
	pond_buf_puts(&sql, "; CREATE OR REPLACE VIEW ");
	pond_sql_quote_ident(&sql, schema_name);
	pond_buf_putc(&sql, '.');
	pond_sql_quote_ident(&sql, view);
	pond_buf_puts(&sql, " AS ");
	size_t kept = 0;
	pond_fileio *io = NULL;
	rc = pond__table_fileio(s->lake, t->metadata, t->metadata_location, &io, err);
	if (rc == 0)
		rc = pond__scan_sql(&sql, s->lake->engine, t->metadata, io, &so, extra, buffered.ntasks, &kept, err);
	if (rc == 0 && files_kept)
		*files_kept += kept;
	if (rc == 0)
		pond_debug("view of %s.%s: %s", schema_name, view, pond_buf_cstr(&sql));
	if (rc == 0)
		rc = pond_buf_ok(&sql) ? pond_engine_exec(s->lake->engine, pond_buf_cstr(&sql), err)
		                       : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = remember_view(s, key, state, so.filter != NULL, kept,
		                   r->at == SESSION_AT_NONE ? t->metadata->current_snapshot_id : POND_ICEBERG_NO_SNAPSHOT,
		                   buffered.signature, &io, err);
	if (rc && rc != POND_ENOMEM)
		pond_error_prefix(err, "%s", pond_table_ident_format(a, &r->id));
	pond_fileio_free(&io);
	pond_buf_dispose(&sql);
	pond_table_free(&t);
	return rc;
}

static bool is_select(const pond_sql_token *toks, size_t n)
{
	return n > 0 && (pond_sql_token_is(&toks[0], "select") || pond_sql_token_is(&toks[0], "with") ||
	                 pond_sql_token_is(&toks[0], "from"));
}

int pond__session_bind(pond_session *s, const char *statement, pond_arena *a, const char **rewritten,
                       size_t *files_kept, pond_error *err)
{
	pond_sql_token *toks;
	size_t n, nrefs;
	session_ref *refs;
	int rc = pond__session_tokens(statement, a, &toks, &n, err);
	if (s->view_depth == 0)
		s->generation++;
	if (rc == 0)
		rc = pond__session_find_refs(s, toks, n, a, &refs, &nrefs, err);
	if (rc)
		return rc;
	/* Rewrite time travel references to their views' names. */
	pond_buf out = POND_BUF_INIT;
	const char *copied = statement;
	for (size_t i = 0; i < nrefs; i++) {
		if (refs[i].at == SESSION_AT_NONE)
			continue;
		pond_buf_put(&out, copied, (size_t)(refs[i].start - copied));
		pond_sql_quote_ident(&out, refs[i].id.ns.levels[0]);
		pond_buf_putc(&out, '.');
		pond_sql_quote_ident(&out, view_name(&refs[i], a));
		copied = refs[i].end;
	}
	pond_buf_puts(&out, copied);
	const char *text = pond_buf_ok(&out) ? pond_arena_strdup(a, pond_buf_cstr(&out)) : NULL;
	pond_buf_dispose(&out);
	if (!text)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	/* Inside a pond view no filter applies: the DuckDB view of a table
	 * must show all its rows to whatever else reads it. */
	bool single = s->view_depth == 0 && nrefs == 1 && is_select(toks, n) && !refs[0].view_sql;
	for (size_t i = 0; i < nrefs && rc == 0; i++)
		rc = refs[i].view_sql ? pond__session_bind_view(s, &refs[i], a, err)
		                      : bind_ref(s, text, &refs[i], single, a, files_kept, err);
	*rewritten = text;
	return rc;
}

int pond_session_prepare(pond_session *s, const char *statement, pond_arena *a, const char **rewritten,
                         size_t *files_kept, pond_error *err)
{
	*files_kept = 0;
	return pond__session_bind(s, statement, a, rewritten, files_kept, err);
}

int pond_session_run(pond_session *s, const char *statement, pond_arena *a, pond_result **result, const char **message,
                     pond_error *err)
{
	*result = NULL;
	*message = NULL;
	bool handled = false;
	int rc = pond__session_write(s, statement, a, &handled, message, err);
	if (rc || handled)
		return rc;
	const char *text;
	if ((rc = pond__session_bind(s, statement, a, &text, NULL, err)) != 0)
		return rc;
	return pond_engine_query(s->lake->engine, text, result, err);
}

bool pond__session_read_snapshot(pond_session *s, const pond_table_ident *id, int64_t *snapshot_id,
                                 const char **buffer_signature)
{
	if (id->ns.nlevels != 1)
		return false;
	char key[1024];
	snprintf(key, sizeof key, "%s\x1f%s", id->ns.levels[0], id->name);
	session_view *v = find_view(s, key);
	if (!v || v->generation != s->generation)
		return false;
	*snapshot_id = v->snapshot_id;
	*buffer_signature = v->buffer_signature;
	return true;
}

void pond__session_free_views(pond_session *s)
{
	free_views(s->views);
	s->views = NULL;
}
