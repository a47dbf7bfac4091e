/*
 * Keeping DuckDB's CSV sniffer honest. Left alone, the sniffer reads a
 * ragged file as one column named after the header, or skips to the last
 * run of consistent lines, and a load "succeeds" with mangled rows. So the
 * delimiter comes from the first line (or the user), the reader starts at
 * line 1, and when the sniffer still gives up, a strict pass over the file
 * with the first line's field count finds the line that is wrong and says
 * so: "file:17: expected 18 columns, found 19". Files without a known
 * extension are sniffed here: JSON, Parquet, or text whose first line has
 * a delimiter; anything else asks for --format. Relies on zlib and libzstd
 * to read the start of compressed files.
 */
#include "ingest_internal.h"

#include <glob.h>
#include <inttypes.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* The first bytes of a file, decompressed when it is gzip or zstd. */
static int file_head(char *buf, size_t cap, size_t *n, const char *path, pond_error *err)
{
	*n = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return pond_error_set(err, POND_EIO, "could not open %s: %m", path);
	unsigned char raw[1 << 16];
	size_t got = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	if (got >= 4 && raw[0] == 0x28 && raw[1] == 0xb5 && raw[2] == 0x2f && raw[3] == 0xfd) {
		ZSTD_DStream *z = ZSTD_createDStream();
		if (!z)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		ZSTD_initDStream(z);
		ZSTD_inBuffer in = {raw, got, 0};
		ZSTD_outBuffer out = {buf, cap, 0};
		while (in.pos < in.size && out.pos < out.size) {
			size_t r = ZSTD_decompressStream(z, &out, &in);
			if (ZSTD_isError(r) || r == 0)
				break;
		}
		*n = out.pos;
		ZSTD_freeDStream(z);
		return 0;
	}
	if (got >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		gzFile g = gzopen(path, "rb");
		if (!g)
			return pond_error_set(err, POND_EIO, "could not open %s: %m", path);
		int r = gzread(g, buf, (unsigned)cap);
		gzclose(g);
		*n = r > 0 ? (size_t)r : 0;
		return 0;
	}
	*n = got < cap ? got : cap;
	memcpy(buf, raw, *n);
	return 0;
}

void pond__ingest_csv_first_line(const char *head, size_t n, char delim, ingest_csv_line *out)
{
	static const char candidates[] = {',', ';', '\t', '|'};
	size_t counts[4] = {0};
	size_t forced = 0;
	bool quoted = false;
	size_t i = 0;
	if (n >= 3 && (unsigned char)head[0] == 0xef && (unsigned char)head[1] == 0xbb && (unsigned char)head[2] == 0xbf)
		i = 3;
	for (; i < n; i++) {
		char c = head[i];
		if (c == '"')
			quoted = !quoted;
		if (quoted)
			continue;
		if (c == '\n' || c == '\r')
			break;
		for (size_t k = 0; k < 4; k++)
			counts[k] += c == candidates[k];
		forced += delim && c == delim;
	}
	if (delim) {
		out->delim = delim;
		out->nfields = forced + 1;
		out->found = forced > 0;
		return;
	}
	size_t best = 0;
	for (size_t k = 1; k < 4; k++)
		if (counts[k] > counts[best])
			best = k;
	out->found = counts[best] > 0;
	out->delim = out->found ? candidates[best] : ',';
	out->nfields = counts[best] + 1;
}

/* A path of the input: the file, or a glob's first match (in arena). */
static const char *first_file(const char *path, pond_arena *a)
{
	if (!strpbrk(path, "*?["))
		return path;
	glob_t g;
	const char *first = NULL;
	if (glob(path, 0, NULL, &g) == 0 && g.gl_pathc)
		first = pond_arena_strdup(a, g.gl_pathv[0]);
	globfree(&g);
	return first;
}

int pond__ingest_csv_dialect(ingest_csv_line *out, const char *path, const pond_ingest_read *read, pond_arena *a,
                             pond_error *err)
{
	char forced = 0;
	if (read->delimiter)
		forced = strcmp(read->delimiter, "\\t") == 0 ? '\t' : read->delimiter[0];
	else if (read->format == POND_FORMAT_TSV)
		forced = '\t';
	memset(out, 0, sizeof(*out));
	const char *file = first_file(path, a);
	if (!file) {
		out->delim = forced ? forced : ',';
		out->nfields = 1;
		return 0;
	}
	char head[1 << 16];
	size_t n;
	int rc = file_head(head, sizeof(head), &n, file, err);
	if (rc)
		return rc;
	/* The first line is the one after the lines read skips (and after
	 * a byte order mark). */
	size_t at = n >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	for (int64_t k = 0; k < read->skip && at < n; k++) {
		const char *nl = memchr(head + at, '\n', n - at);
		at = nl ? (size_t)(nl - head) + 1 : n;
	}
	pond__ingest_csv_first_line(head + at, n - at, forced, out);
	return 0;
}

int pond__ingest_sniff_format(pond_ingest_format *out, const char *path, pond_arena *a, pond_error *err)
{
	const char *file = first_file(path, a);
	*out = POND_FORMAT_CSV;
	if (!file)
		return 0;
	char head[1 << 16];
	size_t n;
	int rc = file_head(head, sizeof(head), &n, file, err);
	if (rc)
		return rc;
	if (n >= 4 && memcmp(head, "PAR1", 4) == 0) {
		*out = POND_FORMAT_PARQUET;
		return 0;
	}
	size_t i = 0;
	while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
		i++;
	if (i < n && (head[i] == '[' || head[i] == '{')) {
		*out = POND_FORMAT_JSON;
		return 0;
	}
	if (memchr(head, '\0', n))
		return pond_error_set(err, POND_EINVAL, "cannot tell the format of %s: it is binary, not CSV, JSON or "
		                      "Parquet (give --format)", path);
	ingest_csv_line line;
	pond__ingest_csv_first_line(head, n, 0, &line);
	if (!line.found)
		return pond_error_set(err, POND_EINVAL, "cannot tell the format of %s: not JSON or Parquet, and its first "
		                      "line has no , ; tab or | (give --format csv to load it as one column)", path);
	return 0;
}

/* The strict pass: every line of one file read as nfields text fields,
 * with DuckDB's own line numbers in its error. */
static int strict_pass(pond_engine *engine, const char *path, const ingest_csv_line *line, const ingest_load *l,
                       pond_error *err)
{
	pond_buf sql = POND_BUF_INIT;
	pond_buf_puts(&sql, "SELECT count(*) FROM read_csv(");
	pond_sql_quote_literal(&sql, path);
	pond_buf_printf(&sql, ", auto_detect = false, header = false, skip = %lld, quote = '\"', escape = '\"', delim = ",
	                (long long)(l->read ? l->read->skip : 0));
	char d[2] = {line->delim, '\0'};
	pond_sql_quote_literal(&sql, d);
	pond_buf_puts(&sql, ", columns = {");
	for (size_t i = 0; i < line->nfields; i++)
		pond_buf_printf(&sql, "%s'c%zu': 'VARCHAR'", i ? ", " : "", i);
	pond_buf_puts(&sql, "})");
	char *count = NULL;
	int rc = pond_buf_ok(&sql) ? pond_engine_query_string(engine, pond_buf_cstr(&sql), &count, err)
	                           : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_free(count);
	pond_buf_dispose(&sql);
	if (rc && rc != POND_ENOMEM && rc != POND_ECANCELED)
		pond__ingest_reader_error(err, l->what, l->tmp_path);
	return rc;
}

/* DuckDB's CSV reader refuses lines over 2 MB (its max_line_size). */
#define CSV_MAX_LINE ((int64_t)2 << 20)

/* The first line of a file over the reader's limit: its number and
 * length. false when there is none (or the file cannot be read). */
static bool find_long_line(const char *path, int64_t *line_no, int64_t *len)
{
	gzFile g = gzopen(path, "rb");
	if (!g)
		return false;
	char *buf = pond_malloc(1 << 16);
	if (!buf) {
		gzclose(g);
		return false;
	}
	int64_t line = 1, cur = 0;
	bool found = false;
	int n;
	while (!found && (n = gzread(g, buf, 1 << 16)) > 0) {
		for (int i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				cur++;
				continue;
			}
			if (cur > CSV_MAX_LINE) {
				found = true;
				break;
			}
			line++;
			cur = 0;
		}
	}
	/* A long last line, or the rest of the one found. */
	while (found && (n = gzread(g, buf, 1 << 16)) > 0) {
		char *nl = memchr(buf, '\n', (size_t)n);
		cur += nl ? nl - buf : n;
		if (nl)
			break;
	}
	found |= cur > CSV_MAX_LINE;
	pond_free(buf);
	gzclose(g);
	*line_no = line;
	*len = cur;
	return found;
}

/* DuckDB quotes the offending line before its reason: past a few hundred
 * bytes the message is cut and the reason lost. A line over the limit is
 * then found and named here. */
static bool long_line_error(const ingest_load *l, const char *msg, pond_error *err)
{
	if (!strstr(msg, "Maximum line size") &&
	    !(strstr(msg, "Original Line: ") && strlen(msg) >= POND_ERROR_MSG_MAX - 32))
		return false;
	for (size_t i = 0; i < l->npaths; i++) {
		glob_t g;
		memset(&g, 0, sizeof(g));
		bool many = strpbrk(l->paths[i], "*?[") != NULL;
		if (many && glob(l->paths[i], 0, NULL, &g) != 0)
			continue;
		size_t nfiles = many ? g.gl_pathc : 1;
		for (size_t f = 0; f < nfiles; f++) {
			const char *file = many ? g.gl_pathv[f] : l->paths[i];
			int64_t line, len;
			if (find_long_line(file, &line, &len)) {
				const char *name = l->tmp_path && strcmp(file, l->tmp_path) == 0 ? l->what : file;
				pond_error_set(err, POND_ELIMIT, "%s:%" PRId64 ": line is %" PRId64 " bytes long, over the "
				               "CSV reader's limit of %" PRId64 " (is it CSV?)", name, line, len, CSV_MAX_LINE);
				if (many)
					globfree(&g);
				return true;
			}
		}
		if (many)
			globfree(&g);
	}
	return false;
}

int pond__ingest_csv_diagnose(pond_engine *engine, const ingest_load *l, pond_arena *a, pond_error *err)
{
	char original[POND_ERROR_MSG_MAX];
	snprintf(original, sizeof(original), "%s", err->msg);
	int code = err->code;
	if (code == POND_ENOMEM || code == POND_ECANCELED)
		return code;
	if (long_line_error(l, original, err))
		return POND_ELIMIT;
	bool sniff = strstr(original, "Error when sniffing file") != NULL;
	for (size_t i = 0; sniff && i < l->npaths; i++) {
		glob_t g;
		memset(&g, 0, sizeof(g));
		bool many = strpbrk(l->paths[i], "*?[") != NULL;
		if (many && glob(l->paths[i], 0, NULL, &g) != 0)
			continue;
		size_t nfiles = many ? g.gl_pathc : 1;
		for (size_t f = 0; f < nfiles; f++) {
			const char *file = many ? g.gl_pathv[f] : l->paths[i];
			ingest_csv_line line;
			pond_error_clear(err);
			int rc = pond__ingest_csv_dialect(&line, file, l->read, a, err);
			if (rc == 0)
				rc = strict_pass(engine, file, &line, l, err);
			if (rc) {
				if (many)
					globfree(&g);
				return rc;
			}
		}
		if (many)
			globfree(&g);
	}
	pond_error_clear(err);
	err->code = code;
	if (sniff) {
		/* No line is wrong as such: say what DuckDB could not settle,
		 * without its list of candidates. */
		pond_error_set(err, POND_ECORRUPT, "%s: could not read it as CSV (no consistent delimiter, quoting or "
		               "columns; try --delimiter, --header or --format)", l->what);
		return POND_ECORRUPT;
	}
	snprintf(err->msg, sizeof(err->msg), "%s", original);
	pond__ingest_reader_error(err, l->what, l->tmp_path);
	return code ? code : POND_ERROR;
}
