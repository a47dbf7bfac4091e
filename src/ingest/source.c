/*
 * Running a defined source: dispatch by type, and the two file-based
 * types. A file source loads its path (file, glob or URL) each run; a
 * folder source loads only files it has not loaded before, keeping the set
 * of loaded names in the table's snapshot summary, so a file is picked up
 * once even when a run fails halfway (the names commit with the rows).
 */
#include "ingest_internal.h"
#include "near.h"

#include <glob.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pond_ingest_source(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                       pond_ingest_result *result, pond_error *err)
{
	static const pond_ingest_options defaults = POND_INGEST_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	if (s->type == SOURCE_FILE) {
		pond_ingest_options o = *opts;
		if (s->stall_ms > 0)
			o.stall_timeout_ms = s->stall_ms;
		if (s->timeout_ms > 0)
			o.timeout_ms = s->timeout_ms;
		return pond_ingest_file(lake, s->path, &s->read, &s->write, &o, result, err);
	}
	memset(result, 0, sizeof(*result));
	if (!(result->arena = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int64_t start = pond_time_mono_ns();
	int rc;
	switch (s->type) {
	case SOURCE_HTTP: rc = pond__ingest_run_http(lake, s, opts, result, err); break;
	case SOURCE_POSTGRES: rc = pond__ingest_run_postgres(lake, s, opts, result, err); break;
	case SOURCE_SQLITE: rc = pond__ingest_run_sqlite(lake, s, opts, result, err); break;
	case SOURCE_HTML: rc = pond__ingest_run_html(lake, s, opts, result, err); break;
	case SOURCE_NEAR_LAKE: rc = pond__ingest_run_near(lake, s, opts, result, err); break;
	case SOURCE_BIGQUERY: rc = pond__ingest_run_bigquery(lake, s, opts, result, err); break;
	default: rc = pond__ingest_run_folder(lake, s, opts, result, err); break;
	}
	result->duration_ns = pond_time_mono_ns() - start;
	if (rc && rc != POND_ECANCELED && pond__ingest_check_cancel(opts, err) != 0)
		rc = POND_ECANCELED;
	return rc;
}

/* err's message with the temporary file tmp named by the file it stands for. */
static void rename_in_error(pond_error *err, const char *tmp, const char *file)
{
	char *at = strstr(err->msg, tmp);
	if (!at)
		return;
	char fixed[POND_ERROR_MSG_MAX];
	snprintf(fixed, sizeof(fixed), "%.*s%s%s", (int)(at - err->msg), err->msg, file, at + strlen(tmp));
	snprintf(err->msg, sizeof(err->msg), "%s", fixed);
}

/* The files converted to UTF-8 from the source's encoding, in temporary
 * files (*out, in arena); none is left on failure. */
static int transcode_files(const char ***out, const char *const *files, size_t n, const pond_source *s,
                           const pond_ingest_options *opts, pond_arena *a, pond_error *err)
{
	const char **converted = pond_arena_calloc(a, n + 1, sizeof(char *));
	if (!converted)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int rc = pond__ingest_transcode(&converted[i], files[i], s->read.encoding, files[i], opts, a, err);
		if (rc) {
			for (size_t k = 0; k < i; k++)
				unlink(converted[k]);
			return rc;
		}
	}
	*out = converted;
	return 0;
}

int pond__ingest_run_folder(pond_lake *lake, const pond_source *s, const pond_ingest_options *opts,
                            pond_ingest_result *result, pond_error *err)
{
	pond_arena *a = result->arena;
	const char *state_text;
	int rc = pond_ingest_state(&state_text, lake, s->write.table, s->name, a, err);
	if (rc)
		return rc;
	json_t *state = NULL;
	if (state_text) {
		json_error_t je;
		state = json_loads(state_text, 0, &je);
	}
	json_t *seen = state ? json_object_get(state, "files") : NULL;
	if (state_text && !json_is_array(seen)) {
		json_decref(state);
		return pond_error_set(err, POND_ECORRUPT, "table %s: state of source %s has no file list: %s",
		                      s->write.table, s->name, state_text);
	}
	json_t *files = seen ? json_deep_copy(seen) : json_array();
	json_decref(state);
	glob_t g;
	memset(&g, 0, sizeof(g));
	int grc = glob(s->path, 0, NULL, &g);
	const char **fresh = pond_arena_calloc(a, g.gl_pathc + 1, sizeof(char *));
	size_t nfresh = 0;
	if (!files || !fresh) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		goto done;
	}
	if (grc != 0 && grc != GLOB_NOMATCH) {
		rc = pond_error_set(err, POND_EIO, "could not list %s", s->path);
		goto done;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		bool known = false;
		size_t j;
		json_t *f;
		json_array_foreach(files, j, f) {
			if (strcmp(json_string_value(f), g.gl_pathv[i]) == 0) {
				known = true;
				break;
			}
		}
		if (known)
			continue;
		fresh[nfresh++] = pond_arena_strdup(a, g.gl_pathv[i]);
		result->bytes += st.st_size;
	}
	if (nfresh == 0)
		goto done;  /* nothing new */
	for (size_t i = 0; i < nfresh; i++)
		json_array_append_new(files, json_string(fresh[i]));
	json_t *st = json_pack("{sO}", "files", files);
	char *text = st ? pond_json_dumps(st, false) : NULL;
	json_decref(st);
	const char *new_state = text ? pond_arena_strdup(a, text) : NULL;
	pond_free(text);
	const char **read_paths = fresh;
	if (!pond__ingest_encoding_is_utf8(s->read.encoding) &&
	    (rc = transcode_files(&read_paths, fresh, nfresh, s, opts, a, err)) != 0)
		goto done;
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT * FROM ");
	if ((rc = pond__ingest_reader_sql(&sql, read_paths, nfresh, &s->read, false, err)) == 0) {
		const char *what = nfresh == 1 ? fresh[0] : pond_arena_sprintf(a, "%s (%zu new files)", s->path, nfresh);
		ingest_load l = {.read_sql = pond_buf_cstr(&sql), .what = what, .write = &s->write,
		                 .state_key = pond__ingest_state_key(a, s->name), .state = new_state, .paths = read_paths,
		                 .npaths = nfresh, .read = &s->read, .cancel = opts->cancel};
		rc = pond__ingest_load(lake, &l, result, err);
	}
	pond_buf_dispose(&sql);
	if (read_paths != fresh) {
		for (size_t i = 0; i < nfresh; i++) {
			if (rc)
				rename_in_error(err, read_paths[i], fresh[i]);
			unlink(read_paths[i]);
		}
	}
done:
	json_decref(files);
	globfree(&g);
	return rc;
}
