/*
 * Text files in other encodings (windows-1252, latin-1, UTF-16 with its
 * byte order mark, ...) converted to UTF-8 before DuckDB reads them:
 * glibc's iconv, streamed from the file (gzip read through by zlib; zstd
 * is refused) to a temporary file in the ingest's temporary folder, a
 * chunk at a time, so a file of any size costs two small buffers. Lines
 * are counted in the output, which is what names the line of a byte the
 * encoding does not have.
 */
#include "ingest_internal.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#define CHUNK (1 << 16)

bool pond__ingest_encoding_is_utf8(const char *encoding)
{
	return !encoding || strcasecmp(encoding, "utf-8") == 0 || strcasecmp(encoding, "utf8") == 0;
}

/* iconv's converter from encoding: the name as given, else without its
 * dashes and underscores ("latin-1" is glibc's "latin1"). */
static iconv_t open_converter(const char *encoding)
{
	iconv_t cd = iconv_open("UTF-8", encoding);
	if (cd != (iconv_t)-1)
		return cd;
	char bare[64];
	size_t n = 0;
	for (const char *p = encoding; *p && n < sizeof(bare) - 1; p++)
		if (*p != '-' && *p != '_')
			bare[n++] = *p;
	bare[n] = '\0';
	return iconv_open("UTF-8", bare);
}

typedef struct {
	const char *what;
	const char *encoding;
	FILE *out;
	const char *out_path;
	int64_t line;     /* the line being written, from 1 */
	char *buf;        /* CHUNK bytes of output */
} transcode_state;

/* Writes n converted bytes, counting lines. */
static int put_out(transcode_state *t, size_t n, pond_error *err)
{
	for (size_t i = 0; i < n; i++)
		t->line += t->buf[i] == '\n';
	if (n && fwrite(t->buf, 1, n, t->out) != n)
		return pond_error_set(err, POND_EIO, "could not write %s: %m", t->out_path);
	return 0;
}

/* Converts in[0..*len) as far as it can; what is left (an incomplete
 * character at the end of a chunk) moves to the front, *len its length. */
static int convert(iconv_t cd, transcode_state *t, char *in, size_t *len, bool last, pond_error *err)
{
	char *ip = in;
	size_t left = *len;
	while (left > 0) {
		char *op = t->buf;
		size_t room = CHUNK;
		size_t r = iconv(cd, &ip, &left, &op, &room);
		int e = errno;
		int rc = put_out(t, (size_t)(op - t->buf), err);
		if (rc)
			return rc;
		if (r != (size_t)-1 || e == E2BIG)
			continue;
		if (e == EILSEQ)
			return pond_error_set(err, POND_ECORRUPT, "%s:%" PRId64 ": byte 0x%02x is not valid %s", t->what, t->line,
			                      (unsigned char)*ip, t->encoding);
		if (e == EINVAL && !last)
			break;
		if (e == EINVAL)
			return pond_error_set(err, POND_ECORRUPT, "%s:%" PRId64 ": the file ends in the middle of a %s "
			                      "character", t->what, t->line, t->encoding);
		return pond_error_set(err, POND_EIO, "could not convert %s from %s: %s", t->what, t->encoding, strerror(e));
	}
	memmove(in, ip, left);
	*len = left;
	return 0;
}

static int transcode_stream(iconv_t cd, gzFile in, transcode_state *t, const pond_ingest_options *opts,
                            pond_error *err)
{
	char *inbuf = pond_malloc(CHUNK + 16);
	if (!inbuf)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t have = 0;
	bool first = true;
	int rc = 0;
	for (;;) {
		if ((rc = pond__ingest_check_cancel(opts, err)) != 0)
			break;
		int n = gzread(in, inbuf + have, CHUNK);
		if (n < 0) {
			int zerr;
			rc = pond_error_set(err, POND_EIO, "could not read %s: %s", t->what, gzerror(in, &zerr));
			break;
		}
		have += (size_t)n;
		size_t start = 0;
		if (first && have >= 3 && memcmp(inbuf, "\xef\xbb\xbf", 3) == 0)
			start = 3;  /* a UTF-8 byte order mark, whatever the encoding said */
		first = false;
		if (start) {
			memmove(inbuf, inbuf + start, have - start);
			have -= start;
		}
		if ((rc = convert(cd, t, inbuf, &have, n == 0, err)) != 0 || n == 0)
			break;
	}
	if (rc == 0) {
		char *op = t->buf;
		size_t room = CHUNK;
		iconv(cd, NULL, NULL, &op, &room);
		rc = put_out(t, (size_t)(op - t->buf), err);
	}
	pond_free(inbuf);
	return rc;
}

int pond__ingest_transcode(const char **out, const char *path, const char *encoding, const char *what,
                           const pond_ingest_options *opts, pond_arena *arena, pond_error *err)
{
	*out = NULL;
	iconv_t cd = open_converter(encoding);
	if (cd == (iconv_t)-1)
		return pond_error_set(err, POND_EINVAL, "unknown encoding \"%s\" (give a name iconv knows, such as "
		                      "windows-1252, latin-1 or utf-16; `iconv -l` lists them)", encoding);
	/* zlib reads gzip and plain files; zstd it would pass through raw. */
	unsigned char magic[4] = {0};
	FILE *probe = fopen(path, "rb");
	size_t got = probe ? fread(magic, 1, 4, probe) : 0;
	if (probe)
		fclose(probe);
	if (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
		iconv_close(cd);
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: cannot convert a zstd file from %s (decompress it, or "
		                      "use gzip)", what, encoding);
	}
	gzFile in = gzopen(path, "rb");
	if (!in) {
		iconv_close(cd);
		return pond_error_set(err, POND_EIO, "could not open %s: %m", what);
	}
	transcode_state t = {what, encoding, NULL, NULL, 1, pond_malloc(CHUNK)};
	int rc = t.buf ? pond__ingest_tmpfile(&t.out, &t.out_path, opts ? opts->tmpdir : NULL, ".csv", arena, err)
	               : pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = transcode_stream(cd, in, &t, opts, err);
	if (t.out && fclose(t.out) != 0 && rc == 0)
		rc = pond_error_set(err, POND_EIO, "could not write %s: %m", t.out_path);
	if (rc && t.out_path)
		unlink(t.out_path);
	else
		*out = t.out_path;
	pond_free(t.buf);
	gzclose(in);
	iconv_close(cd);
	return rc;
}
