/*
 * File IO for the iceberg layer: a small vtable (read a file, stream an Avro
 * file, create an Avro file, write, size, delete, list, upload a local file,
 * a local copy to read) so that S3 sits beside the local backend, plus the
 * path remap that lets pond open a table whose files moved since they were
 * written (Spark's s3a:// paths in a local copy, relative paths of test
 * fixtures), and the set of local copies a file IO holds for DuckDB.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pond/manifest.h"

/* A local copy held for a path (pond_fileio_local_copy). */
typedef struct held_copy {
	char *path;          /* NULL: a free slot */
	const char *local;   /* the backend's, valid while hold is */
	void *hold;
} held_copy;

struct pond_fileio {
	const pond_fileio_ops *ops;
	void *backend;
	char *remap_from;
	char *remap_to;
	held_copy *held;     /* open addressing by pond_hash64 of the path */
	size_t nheld, capheld;
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

static int local_remove_many(void *backend, const char *const *paths, size_t n, pond_error *err)
{
	(void)backend;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		const char *p = local_path(paths[i]);
		if (unlink(p) != 0 && errno != ENOENT && rc == 0)
			rc = pond_error_set(err, POND_EIO, "could not delete %s: %s", p, strerror(errno));
	}
	return rc;
}

typedef struct local_walk {
	pond_fileio_list_fn fn;
	void *payload;
	int depth;
} local_walk;

static int local_walk_entry(const char *path, const char *name, const struct stat *st, void *payload)
{
	local_walk *w = payload;
	(void)name;
	if (S_ISDIR(st->st_mode) && w->depth < 64) {
		w->depth++;
		int rc = pond_dir_each(path, local_walk_entry, w);
		w->depth--;
		return rc < 0 ? 0 : rc;
	}
	if (!S_ISREG(st->st_mode))
		return 0;  /* links are never followed */
	pond_fileio_entry e = {path, (int64_t)st->st_size,
	                       (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000};
	return w->fn(&e, w->payload);
}

static int local_list(void *backend, const char *dir, pond_fileio_list_fn fn, void *payload, pond_error *err)
{
	(void)backend;
	local_walk w = {fn, payload, 0};
	int rc = pond_dir_each(local_path(dir), local_walk_entry, &w);
	if (rc > 0 || rc < -1)
		return pond_error_set(err, rc, "could not list %s", dir);
	return rc == -1 ? 0 : rc;  /* -1: no such folder, nothing in it */
}

/* Writes all of buf to fd. */
static bool write_all(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return false;
		}
		buf += w;
		n -= (size_t)w;
	}
	return true;
}

/* Copies src to dst across file systems, where rename cannot: into a
 * temporary name beside dst, synced, then renamed, so dst appears whole
 * or not at all. */
static int copy_file(const char *src, const char *dst, pond_error *err)
{
	char tmp[PATH_MAX], rnd[37];
	pond_uuid_v4_string(rnd);
	if (snprintf(tmp, sizeof tmp, "%s.tmp-%.8s", dst, rnd) >= (int)sizeof tmp)
		return pond_error_set(err, POND_EINVAL, "path too long: %s", dst);
	int in = open(src, O_RDONLY | O_CLOEXEC);
	int out = in < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int rc = in < 0 || out < 0 ? pond_error_set(err, POND_EIO, "could not copy %s to %s: %s", src, dst, strerror(errno))
	                           : 0;
	char buf[1 << 16];
	for (ssize_t n; rc == 0 && (n = read(in, buf, sizeof buf)) != 0;) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || !write_all(out, buf, (size_t)n))
			rc = pond_error_set(err, POND_EIO, "could not copy %s to %s: %s", src, dst, strerror(errno));
	}
	if (rc == 0 && fsync(out) != 0)
		rc = pond_error_set(err, POND_EIO, "could not sync %s: %s", tmp, strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = pond_error_set(err, POND_EIO, "could not write %s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, dst) != 0)
		rc = pond_error_set(err, POND_EIO, "could not rename %s to %s: %s", tmp, dst, strerror(errno));
	if (rc && out >= 0)
		unlink(tmp);
	return rc;
}

static int local_upload(void *backend, const char *local, const char *path, pond_error *err)
{
	(void)backend;
	const char *dst = local_path(path);
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", dst);
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		rc = pond_mkdirs(dir, err);
	}
	if (rc == 0 && pond_file_exists(dst))
		rc = pond_error_set(err, POND_EEXISTS, "could not move %s to %s: it exists", local, dst);
	if (rc == 0 && rename(local, dst) != 0)
		rc = errno == EXDEV ? copy_file(local, dst, err)
		                    : pond_error_set(err, POND_EIO, "could not move %s to %s: %s", local, dst, strerror(errno));
	unlink(local);
	return rc;
}

static const pond_fileio_ops local_ops = {
	.name = "local",
	.read = local_read,
	.open_avro = local_open_avro,
	.create_avro = local_create_avro,
	.write = local_write,
	.size = local_size,
	.free = local_free,
	.remove_many = local_remove_many,
	.list = local_list,
	.upload = local_upload,
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

static void release_held(pond_fileio *io)
{
	for (size_t i = 0; i < io->capheld; i++) {
		held_copy *h = &io->held[i];
		if (!h->path)
			continue;
		if (h->hold && io->ops->release)
			io->ops->release(io->backend, h->hold);
		pond_free(h->path);
	}
	pond_free(io->held);
	io->held = NULL;
	io->nheld = io->capheld = 0;
}

void pond_fileio_free(pond_fileio **io)
{
	if (!io || !*io)
		return;
	release_held(*io);
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

int pond_fileio_load_metadata(pond_iceberg_metadata **out, pond_fileio *io, const char *path, pond_error *err)
{
	if (io->ops == &local_ops && !io->remap_from)
		return pond_iceberg_metadata_load_file(out, local_path(path), err);
	char *text;
	size_t len;
	int rc = pond_fileio_read(io, path, &text, &len, POND_ICEBERG_METADATA_MAX_BYTES, err);
	if (rc)
		return rc;
	rc = pond_iceberg_metadata_parse(out, text, len, path, err);
	pond_free(text);
	return rc;
}

int pond_fileio_remove(pond_fileio *io, const char *const *paths, size_t n, pond_error *err)
{
	if (n == 0)
		return 0;
	if (!io->ops->remove_many)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s file io cannot delete files", io->ops->name);
	return io->ops->remove_many(io->backend, paths, n, err);
}

int pond_fileio_list(pond_fileio *io, const char *dir, pond_fileio_list_fn fn, void *payload, pond_error *err)
{
	if (!io->ops->list)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s file io cannot list files", io->ops->name);
	return io->ops->list(io->backend, dir, fn, payload, err);
}

int pond_fileio_upload(pond_fileio *io, const char *local, const char *path, pond_error *err)
{
	if (!io->ops->upload)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s file io cannot upload files", io->ops->name);
	return io->ops->upload(io->backend, local, path, err);
}

bool pond_fileio_is_local(const pond_fileio *io)
{
	return io->ops->local_copy == NULL;
}

/* The slot of path in the held set: its entry, or the free slot it would
 * take. The set has a free slot (capheld > nheld). */
static held_copy *held_slot(const pond_fileio *io, const char *path)
{
	size_t mask = io->capheld - 1;
	for (size_t i = (size_t)pond_hash64(path, strlen(path)) & mask;; i = (i + 1) & mask)
		if (!io->held[i].path || strcmp(io->held[i].path, path) == 0)
			return &io->held[i];
}

/* Room for one more held copy (the set stays at most half full). */
static int held_grow(pond_fileio *io, pond_error *err)
{
	if ((io->nheld + 1) * 2 <= io->capheld)
		return 0;
	size_t cap = io->capheld ? io->capheld * 2 : 64;
	held_copy *old = io->held;
	size_t oldcap = io->capheld;
	if (!(io->held = pond_calloc(cap, sizeof(*io->held)))) {
		io->held = old;
		return pond_error_set(err, POND_ENOMEM, "out of memory holding local copies");
	}
	io->capheld = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].path)
			*held_slot(io, old[i].path) = old[i];
	pond_free(old);
	return 0;
}

const char *pond_fileio_held(const pond_fileio *io, const char *path)
{
	if (pond_fileio_is_local(io))
		return local_path(path);
	if (!io->capheld)
		return NULL;
	const held_copy *h = held_slot(io, path);
	return h->path ? h->local : NULL;
}

int pond_fileio_local_copy(pond_fileio *io, const char *path, int64_t size, const char **local, pond_error *err)
{
	if (pond_fileio_is_local(io)) {
		*local = local_path(path);
		return 0;
	}
	const char *known = pond_fileio_held(io, path);
	if (known) {
		*local = known;
		return 0;
	}
	int rc = held_grow(io, err);
	char *key = rc == 0 ? pond_strdup(path) : NULL;
	if (rc == 0 && !key)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory holding local copies");
	void *hold = NULL;
	if (rc == 0 && (rc = io->ops->local_copy(io->backend, path, size, local, &hold, err)) == 0) {
		if (*local == path)
			*local = key;  /* the path itself is local: keep our copy of it */
		*held_slot(io, key) = (held_copy){key, *local, hold};
		io->nheld++;
		return 0;
	}
	pond_free(key);
	return rc;
}

int pond_fileio_prefetch(pond_fileio *io, const char *const *paths, const int64_t *sizes, size_t n,
                         pond_error *err)
{
	return io->ops->prefetch && n > 1 ? io->ops->prefetch(io->backend, paths, sizes, n, err) : 0;
}
