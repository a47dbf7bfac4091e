/*
 * File IO for the iceberg layer: a small vtable (read a file, stream an Avro
 * file, create an Avro file, write a file, size) so that S3 and HTTP can be
 * added beside the local backend, plus the path remap that lets pond open a
 * table whose files moved since they were written (Spark's s3a:// paths in
 * a local copy, relative paths of test fixtures).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "pond/manifest.h"

struct pond_fileio {
	const pond_fileio_ops *ops;
	void *backend;
	char *remap_from;
	char *remap_to;
};

/* ---- the local backend ---- */

static const char *local_path(const char *path)
{
	/* file:///x and file:/x are both seen in the wild (Java writes the
	 * second for Hadoop tables). */
	if (strncmp(path, "file://", 7) == 0)
		return path + 7;
	if (strncmp(path, "file:/", 6) == 0)
		return path + 5;
	return path;
}

static int local_read(void *backend, const char *path, char **out, size_t *len, size_t max_len, pond_error *err)
{
	(void)backend;
	return pond_file_read(out, len, local_path(path), max_len, err);
}

static int local_open_avro(void *backend, const char *path, pond_avro_reader **out, pond_error *err)
{
	(void)backend;
	return pond_avro_reader_open_file(out, local_path(path), err);
}

static int local_create_avro(void *backend, const char *path, const pond_avro_schema *schema,
                             const pond_avro_writer_options *opts, pond_avro_writer **out, pond_error *err)
{
	(void)backend;
	return pond_avro_writer_open_file(out, local_path(path), schema, opts, err);
}

static int local_write(void *backend, const char *path, const void *data, size_t len, pond_error *err)
{
	(void)backend;
	return pond_file_write_atomic(local_path(path), data, len, err);
}

static int local_size(void *backend, const char *path, int64_t *out, pond_error *err)
{
	struct stat st;
	(void)backend;
	if (stat(local_path(path), &st) != 0)
		return pond_error_set(err, errno == ENOENT ? POND_ENOTFOUND : POND_EIO, "could not stat %s: %s", path,
		                      strerror(errno));
	*out = (int64_t)st.st_size;
	return 0;
}

static void local_free(void *backend)
{
	(void)backend;
}

static const pond_fileio_ops local_ops = {
	"local", local_read, local_open_avro, local_create_avro, local_write, local_size, local_free,
};

int pond_fileio_new(pond_fileio **out, const pond_fileio_ops *ops, void *backend, pond_error *err)
{
	pond_fileio *io = pond_calloc(1, sizeof *io);
	*out = NULL;
	if (!io) {
		if (ops->free)
			ops->free(backend);
		return pond_error_set(err, POND_ENOMEM, "out of memory creating file io");
	}
	io->ops = ops;
	io->backend = backend;
	*out = io;
	return 0;
}

int pond_fileio_local_new(pond_fileio **out, pond_error *err)
{
	return pond_fileio_new(out, &local_ops, NULL, err);
}

void pond_fileio_free(pond_fileio **io)
{
	if (!io || !*io)
		return;
	if ((*io)->ops->free)
		(*io)->ops->free((*io)->backend);
	pond_free((*io)->remap_from);
	pond_free((*io)->remap_to);
	pond_free(*io);
	*io = NULL;
}

/* ---- remap ---- */

/* Drops "./" at the start and "/" at the end: "./t/" and "t" are one folder. */
static char *normalise_dir(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2;
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	return pond_strndup(s, n);
}

int pond_fileio_set_remap(pond_fileio *io, const char *from, const char *to, pond_error *err)
{
	pond_free(io->remap_from);
	pond_free(io->remap_to);
	io->remap_from = io->remap_to = NULL;
	if (!from)
		return 0;
	io->remap_from = normalise_dir(from);
	io->remap_to = normalise_dir(to);
	if (!io->remap_from || !io->remap_to) {
		pond_free(io->remap_from);
		pond_free(io->remap_to);
		io->remap_from = io->remap_to = NULL;
		return pond_error_set(err, POND_ENOMEM, "out of memory setting a path remap");
	}
	return 0;
}

int pond_fileio_remap_table(pond_fileio *io, const pond_iceberg_metadata *md, const char *metadata_path,
                            pond_error *err)
{
	if (!md->location || !metadata_path)
		return 0;
	const char *p = local_path(metadata_path);
	/* table folder = dirname(dirname(metadata file)) */
	const char *slash = strrchr(p, '/');
	if (!slash)
		return 0;
	size_t dir_len = (size_t)(slash - p);
	size_t table_len = dir_len;
	while (table_len > 0 && p[table_len - 1] != '/')
		table_len--;
	char *table_dir;
	if (table_len == 0)
		table_dir = pond_strdup("."); /* "metadata/v1.metadata.json" */
	else
		table_dir = pond_strndup(p, table_len - 1 == 0 ? 1 : table_len - 1);
	char *recorded = normalise_dir(md->location);
	char *real = table_dir ? normalise_dir(table_dir) : NULL;
	int rc = 0;
	if (!table_dir || !recorded || !real) {
		rc = pond_error_set(err, POND_ENOMEM, "out of memory remapping table %s", metadata_path);
	} else if (strcmp(recorded, real) != 0 && strcmp(local_path(recorded), real) != 0) {
		/* Strip the folders both paths end with, so that files outside
		 * the table folder but under the same root (a warehouse, a
		 * bucket) move too: s3a://b/spark/t vs /x/icebird/spark/t maps
		 * s3a://b to /x/icebird. A relative location is all suffix: its
		 * relative paths resolve against the real root. */
		size_t i = strlen(recorded), j = strlen(real), mi = i, mj = j;
		for (;;) {
			size_t ri = i, rj = j;
			while (ri > 0 && recorded[ri - 1] != '/')
				ri--;
			while (rj > 0 && real[rj - 1] != '/')
				rj--;
			if (i - ri != j - rj || i == ri || memcmp(recorded + ri, real + rj, i - ri) != 0)
				break;
			mi = ri;
			mj = rj;
			if (ri == 0 || rj == 0)
				break;
			i = ri - 1;
			j = rj - 1;
		}
		if (mi == strlen(recorded)) {
			rc = pond_fileio_set_remap(io, recorded, real, err);
		} else {
			char *from = pond_strndup(recorded, mi);
			char *to = mj ? pond_strndup(real, mj) : pond_strdup(".");
			if (!from || !to)
				rc = pond_error_set(err, POND_ENOMEM, "out of memory remapping table %s", metadata_path);
			else
				rc = pond_fileio_set_remap(io, from, to, err);
			pond_free(from);
			pond_free(to);
		}
	}
	pond_free(table_dir);
	pond_free(recorded);
	pond_free(real);
	return rc;
}

static bool is_relative(const char *p)
{
	if (p[0] == '/')
		return false;
	const char *colon = strchr(p, ':');
	const char *slash = strchr(p, '/');
	return !colon || (slash && slash < colon);
}

void pond_fileio_resolve(const pond_fileio *io, const char *path, pond_buf *out)
{
	const char *p = path;
	while (io->remap_from && p[0] == '.' && p[1] == '/')
		p += 2;
	size_t n = io->remap_from ? strlen(io->remap_from) : 0;
	if (io->remap_from && n == 0 && is_relative(p)) {
		/* a relative location: relative paths hang off the real root */
		pond_buf_puts(out, io->remap_to);
		pond_buf_putc(out, '/');
		pond_buf_puts(out, p);
		return;
	}
	if (n && strncmp(p, io->remap_from, n) == 0 && (p[n] == '/' || p[n] == '\0')) {
		pond_buf_puts(out, io->remap_to);
		pond_buf_puts(out, p + n);
		return;
	}
	pond_buf_puts(out, io->ops == &local_ops ? local_path(path) : path);
}

bool pond_fileio_remapped(const pond_fileio *io)
{
	return io->remap_from != NULL;
}

/* Resolves into a small stack buffer when it fits. */
#define WITH_PATH(io, path, err, body)                                                        \
	do {                                                                                  \
		pond_buf resolved_ = POND_BUF_INIT;                                           \
		pond_fileio_resolve((io), (path), &resolved_);                                \
		if (!pond_buf_ok(&resolved_)) {                                               \
			pond_buf_dispose(&resolved_);                                         \
			return pond_error_set((err), POND_ENOMEM, "out of memory resolving %s", (path)); \
		}                                                                             \
		const char *rpath_ = pond_buf_cstr(&resolved_);                               \
		int rc_ = (body);                                                             \
		pond_buf_dispose(&resolved_);                                                 \
		return rc_;                                                                   \
	} while (0)

int pond_fileio_read(pond_fileio *io, const char *path, char **out, size_t *len, size_t max_len, pond_error *err)
{
	WITH_PATH(io, path, err, io->ops->read(io->backend, rpath_, out, len, max_len, err));
}

int pond_fileio_open_avro(pond_fileio *io, const char *path, pond_avro_reader **out, pond_error *err)
{
	WITH_PATH(io, path, err, io->ops->open_avro(io->backend, rpath_, out, err));
}

int pond_fileio_create_avro(pond_fileio *io, const char *path, const pond_avro_schema *schema,
                            const pond_avro_writer_options *opts, pond_avro_writer **out, pond_error *err)
{
	WITH_PATH(io, path, err, io->ops->create_avro(io->backend, rpath_, schema, opts, out, err));
}

int pond_fileio_write(pond_fileio *io, const char *path, const void *data, size_t len, pond_error *err)
{
	WITH_PATH(io, path, err, io->ops->write(io->backend, rpath_, data, len, err));
}

int pond_fileio_size(pond_fileio *io, const char *path, int64_t *out, pond_error *err)
{
	WITH_PATH(io, path, err, io->ops->size(io->backend, rpath_, out, err));
}
