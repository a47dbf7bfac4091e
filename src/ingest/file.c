/*
 * One-off loads: `pond ingest FILE_OR_URL --table ns.t`. Local files and
 * globs go straight to DuckDB's readers (which read gzip and zstd), xlsx
 * workbooks to pond's own reader (xlsx_load.c); http(s)
 * URLs are downloaded first with libcurl, streaming to a temporary file,
 * because DuckDB's httpfs extension is not available offline.
 */
#include "ingest_internal.h"
#include "xlsx.h"

#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_url(const char *s)
{
	return pond_str_starts_with(s, "http://") || pond_str_starts_with(s, "https://");
}

int pond_ingest_file(pond_lake *lake, const char *input, const pond_ingest_read *read, const pond_ingest_write *write,
                     const pond_ingest_options *opts, pond_ingest_result *result, pond_error *err)
{
	static const pond_ingest_options defaults = POND_INGEST_OPTIONS_INIT;
	if (!opts)
		opts = &defaults;
	memset(result, 0, sizeof(*result));
	if (!(result->arena = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_arena *a = result->arena;
	int64_t start = pond_time_mono_ns();
	const char *path = input;
	const char *tmp = NULL;
	int rc = 0;
	pond_ingest_read rd = *read;
	if (is_url(input)) {
		int64_t bytes = 0;
		rc = pond__ingest_download(&tmp, &bytes, input, rd.format, opts, a, err);
		if (rc == 0)
			rc = pond__ingest_check_cancel(opts, err);
		if (rc)
			goto done;
		result->bytes = bytes;
		result->requests = 1;
		path = tmp;
		/* The download's name carries the format the URL or its
		 * content type implied. */
		if (rd.format == POND_FORMAT_AUTO)
			rd.format = pond__ingest_format_from_name(tmp);
	} else if (strpbrk(input, "*?[")) {
		glob_t g;
		int grc = glob(input, 0, NULL, &g);
		if (grc == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				struct stat st;
				if (stat(g.gl_pathv[i], &st) == 0)
					result->bytes += st.st_size;
			}
			if (rd.format == POND_FORMAT_AUTO && g.gl_pathc)
				rd.format = pond__ingest_format_from_name(g.gl_pathv[0]);
		}
		globfree(&g);
		if (grc != 0) {
			rc = pond_error_set(err, POND_ENOTFOUND, "no files match %s", input);
			goto done;
		}
	} else {
		struct stat st;
		if (stat(input, &st) != 0) {
			rc = pond_error_set(err, POND_ENOTFOUND, "could not open %s: %m", input);
			goto done;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = pond_error_set(err, POND_EINVAL, "%s is a folder: give a file or a glob (%s/*.csv)", input, input);
			goto done;
		}
		result->bytes = st.st_size;
		/* A name that says nothing ("/etc/passwd") is not taken for
		 * CSV on trust, unless the CSV options say it is. */
		if (rd.format == POND_FORMAT_AUTO && pond__ingest_format_from_name(input) == POND_FORMAT_AUTO &&
		    !rd.encoding && !rd.skip && (rc = pond__ingest_sniff_format(&rd.format, input, a, err)) != 0)
			goto done;
	}
	if (!pond__ingest_encoding_is_utf8(rd.encoding)) {
		if (strpbrk(input, "*?[")) {
			rc = pond_error_set(err, POND_EUNSUPPORTED, "%s: an encoding is converted one file at a time (not "
			                    "for a glob: define a folder source)", input);
			goto done;
		}
		/* The converted copy is CSV (or TSV) whatever its name. */
		if (rd.format == POND_FORMAT_AUTO)
			rd.format = pond__ingest_format_from_name(tmp ? tmp : input);
		if (rd.format != POND_FORMAT_TSV)
			rd.format = POND_FORMAT_CSV;
		const char *converted;
		if ((rc = pond__ingest_transcode(&converted, path, rd.encoding, input, opts, a, err)) != 0)
			goto done;
		if (tmp)
			unlink(tmp);
		path = tmp = converted;
	}
	if ((rd.format == POND_FORMAT_AUTO ? pond__ingest_format_from_name(path) : rd.format) == POND_FORMAT_XLSX &&
	    !strpbrk(input, "*?[")) {
		rc = pond__ingest_xlsx(lake, path, input, &rd, write, opts, result, err);
		goto done;
	}
	pond_buf reader = POND_BUF_INIT;
	pond_buf_puts(&reader, "SELECT * FROM ");
	const char *paths[1] = {path};
	if ((rc = pond__ingest_reader_sql(&reader, paths, 1, &rd, false, err)) == 0) {
		ingest_load l = {.read_sql = pond_buf_cstr(&reader), .what = input, .tmp_path = tmp, .write = write,
		                 .paths = paths, .npaths = 1, .read = &rd, .cancel = opts->cancel};
		rc = pond__ingest_load(lake, &l, result, err);
	}
	pond_buf_dispose(&reader);
done:
	/* A load the user stopped fails as stopped, whatever the engine or
	 * libcurl made of the interruption. */
	if (rc && rc != POND_ECANCELED && pond__ingest_check_cancel(opts, err) != 0)
		rc = POND_ECANCELED;
	if (tmp)
		unlink(tmp);
	result->duration_ns = pond_time_mono_ns() - start;
	return rc;
}
