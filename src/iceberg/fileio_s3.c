/*
 * The S3 backend of the iceberg layer's file IO: metadata JSON, manifests
 * and manifest lists read and written on S3 through the io layer's client.
 * Reads fetch the whole object (an Avro file through the object cache when
 * there is one, which suits files that never change); a new Avro file is
 * staged in an unlinked local temporary file and uploaded when its writer
 * finishes (PUT, multipart when large), with If-None-Match: * so servers
 * that support conditional writes refuse to replace an object, as the
 * local backend's O_EXCL does. `write` is a plain PUT: S3 replaces an
 * object whole or not at all, which is what the local backend's atomic
 * rename gives. Data files are uploaded from the local files DuckDB
 * wrote (then kept as their cached copies), read through local copies in
 * the cache, listed with ListObjectsV2 and deleted with DeleteObjects.
 * Metadata JSON files are read through the cache too: like every file a
 * table names, one is never rewritten under its name.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pond/io.h"
#include "pond/manifest.h"

typedef struct {
	pond_s3_client *client;   /* borrowed */
	pond_io_cache *cache;     /* borrowed, may be NULL */
} s3_backend;

/* An object's bucket and key, split from its URL; dispose with
 * name_dispose, also after a failure. */
typedef struct {
	char *bucket;
	char *key;
	pond_arena *arena;
} s3_name;

static int name_of(s3_name *n, const char *url, pond_error *err)
{
	memset(n, 0, sizeof *n);
	n->arena = pond_arena_new();
	if (!n->arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory opening %s", url);
	return pond_s3_url_split(url, &n->bucket, &n->key, n->arena, err);
}

static void name_dispose(s3_name *n)
{
	pond_arena_free(&n->arena);
}

static int s3_read(void *backend, const char *path, char **out, size_t *len, size_t max_len, pond_error *err)
{
	s3_backend *b = backend;
	if (b->cache && pond_str_ends_with(path, ".metadata.json")) {
		pond_io_cache_entry *e;
		int rc = pond_io_cache_get(b->cache, b->client, path, -1, &e, err);
		if (rc == 0)
			rc = pond_file_read(out, len, pond_io_cache_entry_path(e), max_len, err);
		pond_io_cache_release(&e);
		return rc;
	}
	s3_name n;
	int rc = name_of(&n, path, err);
	if (rc == 0)
		rc = pond_s3_get(b->client, n.bucket, n.key, 0, -1, out, len, max_len, err);
	name_dispose(&n);
	return rc;
}

static int s3_open_avro(void *backend, const char *path, pond_avro_reader **out, pond_error *err)
{
	s3_backend *b = backend;
	if (b->cache) {
		pond_io_cache_entry *e;
		int rc = pond_io_cache_get(b->cache, b->client, path, -1, &e, err);
		if (rc)
			return rc;
		/* The reader's open file keeps the data even if the cache
		 * evicts the name: manifests never change. */
		rc = pond_avro_reader_open_file(out, pond_io_cache_entry_path(e), err);
		pond_io_cache_release(&e);
		return rc;
	}
	char *data;
	size_t len;
	int rc = s3_read(backend, path, &data, &len, (size_t)1 << 31, err);
	if (rc)
		return rc;
	return pond_avro_reader_open_memory_owned(out, data, len, path, err);
}

/* ---- staged uploads ---- */

typedef struct {
	pond_s3_client *client;
	char *url;
	int fd;
	int64_t size;
} staged;

static int staged_write(const void *data, size_t len, void *payload, pond_error *err)
{
	staged *s = payload;
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(s->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pond_error_set(err, POND_EIO, "could not stage %s: %s", s->url, strerror(errno));
		p += n;
		len -= (size_t)n;
		s->size += n;
	}
	return 0;
}

static int staged_finish(void *payload, pond_error *err)
{
	staged *s = payload;
	pond_s3_put_options opts = POND_S3_PUT_OPTIONS_INIT;
	opts.if_none_match = true;
	s3_name n;
	int rc = name_of(&n, s->url, err);
	if (rc == 0)
		rc = pond_s3_put_fd(s->client, n.bucket, n.key, s->fd, s->size, &opts, err);
	name_dispose(&n);
	return rc;
}

static void staged_free(void *payload)
{
	staged *s = payload;
	if (s->fd >= 0)
		close(s->fd);
	pond_free(s->url);
	pond_free(s);
}

/* An unlinked temporary file: nothing to clean up after a crash. */
static int staging_file(const char *url, pond_error *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/pond-upload-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return pond_error_set(err, POND_EIO, "could not stage %s in %s: %s", url, path, strerror(errno));
	unlink(path);
	return fd;
}

static int s3_create_avro(void *backend, const char *path, const pond_avro_schema *schema,
                          const pond_avro_writer_options *opts, pond_avro_writer **out, pond_error *err)
{
	s3_backend *b = backend;
	if (!pond_s3_is_url(path))
		return pond_error_set(err, POND_EINVAL, "\"%s\" is not an s3:// URL", path);
	staged *s = pond_calloc(1, sizeof *s);
	if (!s || !(s->url = pond_strdup(path))) {
		pond_free(s);
		return pond_error_set(err, POND_ENOMEM, "out of memory creating %s", path);
	}
	s->client = b->client;
	s->fd = staging_file(path, err);
	if (s->fd < 0) {
		staged_free(s);
		return err->code;
	}
	pond_avro_sink sink = {staged_write, staged_finish, staged_free, s};
	return pond_avro_writer_open_sink(out, &sink, path, schema, opts, err);
}

static int s3_write(void *backend, const char *path, const void *data, size_t len, pond_error *err)
{
	s3_backend *b = backend;
	pond_s3_put_options opts = POND_S3_PUT_OPTIONS_INIT;
	if (pond_str_ends_with(path, ".json"))
		opts.content_type = "application/json";
	s3_name n;
	int rc = name_of(&n, path, err);
	if (rc == 0)
		rc = pond_s3_put(b->client, n.bucket, n.key, data, len, &opts, err);
	name_dispose(&n);
	return rc;
}

static int s3_size(void *backend, const char *path, int64_t *out, pond_error *err)
{
	s3_backend *b = backend;
	pond_s3_object_info info;
	s3_name n;
	int rc = name_of(&n, path, err);
	if (rc == 0 && (rc = pond_s3_head(b->client, n.bucket, n.key, &info, err)) == 0)
		*out = info.size;
	name_dispose(&n);
	return rc;
}

static void s3_free(void *backend)
{
	pond_free(backend);
}

/* Deletes a run of paths of one bucket (DeleteObjects takes one bucket);
 * *used gets how many paths it took. */
static int remove_run(s3_backend *b, const char *const *paths, size_t n, size_t *used, pond_arena *a, pond_error *err)
{
	char *bucket, *key;
	*used = 1;
	int rc = pond_s3_url_split(paths[0], &bucket, &key, a, err);
	const char **keys = rc == 0 ? pond_arena_calloc(a, n, sizeof(*keys)) : NULL;
	if (rc)
		return rc;
	if (!keys)
		return pond_error_set(err, POND_ENOMEM, "out of memory deleting %s", paths[0]);
	size_t k = 0;
	keys[k++] = key;
	for (; k < n; k++) {
		char *other, *other_key;
		pond_error ignored = POND_ERROR_INIT;
		if (pond_s3_url_split(paths[k], &other, &other_key, a, &ignored) != 0 || strcmp(other, bucket) != 0)
			break;  /* the next run starts here */
		keys[k] = other_key;
	}
	*used = k;
	return pond_s3_delete_many(b->client, bucket, keys, k, err);
}

static int s3_remove_many(void *backend, const char *const *paths, size_t n, pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory deleting files");
	int first = 0;
	pond_error one = POND_ERROR_INIT;
	for (size_t i = 0; i < n;) {
		size_t used;
		int rc = remove_run(backend, paths + i, n - i, &used, a, &one);
		if (rc && first == 0) {
			first = rc;
			*err = one;
		}
		pond_error_clear(&one);
		pond_arena_reset(a);
		i += used;
	}
	pond_arena_free(&a);
	return first;
}

typedef struct s3_listing {
	const char *bucket;
	pond_fileio_list_fn fn;
	void *payload;
	pond_buf url;
} s3_listing;

static int list_object(const pond_s3_object *o, void *payload)
{
	s3_listing *l = payload;
	pond_buf_clear(&l->url);
	pond_buf_printf(&l->url, "s3://%s/%s", l->bucket, o->key);
	if (!pond_buf_ok(&l->url))
		return POND_ENOMEM;
	pond_fileio_entry e = {pond_buf_cstr(&l->url), o->size, o->last_modified_ms};
	return l->fn(&e, l->payload);
}

static int s3_list(void *backend, const char *dir, pond_fileio_list_fn fn, void *payload, pond_error *err)
{
	s3_backend *b = backend;
	s3_name n;
	int rc = name_of(&n, dir, err);
	if (rc) {
		name_dispose(&n);
		return rc;
	}
	/* The folder's keys: "t/" lists t/x, never t2/x. */
	size_t klen = strlen(n.key);
	const char *prefix = klen == 0 || n.key[klen - 1] == '/' ? n.key : pond_arena_sprintf(n.arena, "%s/", n.key);
	s3_listing l = {n.bucket, fn, payload, POND_BUF_INIT};
	rc = prefix ? pond_s3_list(b->client, n.bucket, prefix, list_object, &l, err)
	            : pond_error_set(err, POND_ENOMEM, "out of memory listing %s", dir);
	if (rc == POND_ENOMEM && !err->code)
		pond_error_set(err, rc, "out of memory listing %s", dir);
	pond_buf_dispose(&l.url);
	name_dispose(&n);
	return rc;
}

static int s3_upload(void *backend, const char *local, const char *path, pond_error *err)
{
	s3_backend *b = backend;
	s3_name n;
	int rc = name_of(&n, path, err);
	int fd = rc == 0 ? open(local, O_RDONLY | O_CLOEXEC) : -1;
	struct stat st;
	if (rc == 0 && (fd < 0 || fstat(fd, &st) != 0))
		rc = pond_error_set(err, POND_EIO, "could not upload %s: %s", local, strerror(errno));
	pond_s3_put_options opts = POND_S3_PUT_OPTIONS_INIT;
	opts.if_none_match = true;
	if (rc == 0)
		rc = pond_s3_put_fd(b->client, n.bucket, n.key, fd, (int64_t)st.st_size, &opts, err);
	if (fd >= 0)
		close(fd);
	bool taken = false;
	pond_error ignored = POND_ERROR_INIT;
	/* What was uploaded is the object's copy: reading it back is free. */
	if (rc == 0 && b->cache)
		pond_io_cache_put(b->cache, path, local, &taken, &ignored);
	if (!taken)
		unlink(local);
	name_dispose(&n);
	return rc;
}

static int s3_local_copy(void *backend, const char *path, int64_t size, const char **local, void **hold,
                         pond_error *err)
{
	s3_backend *b = backend;
	*hold = NULL;
	if (!pond_s3_is_url(path)) {
		*local = path;  /* a local file among the tasks (a buffered one) */
		return 0;
	}
	if (!b->cache)
		return pond_error_set(err, POND_EUNSUPPORTED, "cannot read %s: no object cache to copy it into", path);
	pond_io_cache_entry *e;
	int rc = pond_io_cache_get(b->cache, b->client, path, size, &e, err);
	if (rc)
		return rc;
	*local = pond_io_cache_entry_path(e);
	*hold = e;
	return 0;
}

static void s3_release(void *backend, void *hold)
{
	(void)backend;
	pond_io_cache_entry *e = hold;
	pond_io_cache_release(&e);
}

/* ---- fetching many objects at once ---- */

/* Connections a prefetch downloads on at once. */
#define PREFETCH_THREADS 8

typedef struct prefetch_job {
	s3_backend *b;
	const char *const *paths;
	const int64_t *sizes;
	size_t *missing;            /* indexes of the paths the cache lacks */
	size_t nmissing, next;
	pthread_mutex_t lock;
	int rc;                     /* the first failure */
	pond_error err;
} prefetch_job;

typedef struct prefetch_thread {
	prefetch_job *job;
	pond_s3_client *client;     /* a connection of its own */
	pthread_t thread;
	bool started;
} prefetch_thread;

static void *prefetch_worker(void *arg)
{
	prefetch_thread *t = arg;
	prefetch_job *j = t->job;
	for (;;) {
		pthread_mutex_lock(&j->lock);
		size_t i = j->rc ? j->nmissing : j->next++;
		pthread_mutex_unlock(&j->lock);
		if (i >= j->nmissing)
			return NULL;
		size_t k = j->missing[i];
		pond_io_cache_entry *e = NULL;
		pond_error err = POND_ERROR_INIT;
		int rc = pond_io_cache_get(j->b->cache, t->client, j->paths[k], j->sizes[k], &e, &err);
		pond_io_cache_release(&e);
		pthread_mutex_lock(&j->lock);
		if (rc && !j->rc) {
			j->rc = rc;
			j->err = err;
		}
		pthread_mutex_unlock(&j->lock);
	}
}

/* Downloads the objects the cache lacks on up to PREFETCH_THREADS
 * connections at once; what is cached already costs a stat each. */
static int s3_prefetch(void *backend, const char *const *paths, const int64_t *sizes, size_t n, pond_error *err)
{
	s3_backend *b = backend;
	if (!b->cache)
		return 0;
	prefetch_job j = {b, paths, sizes, pond_calloc(n, sizeof(size_t)), 0, 0, PTHREAD_MUTEX_INITIALIZER, 0,
	                  POND_ERROR_INIT};
	if (!j.missing)
		return pond_error_set(err, POND_ENOMEM, "out of memory fetching %zu files", n);
	for (size_t i = 0; i < n; i++)
		if (pond_s3_is_url(paths[i]) && !pond_io_cache_has(b->cache, paths[i], sizes[i]))
			j.missing[j.nmissing++] = i;
	prefetch_thread threads[PREFETCH_THREADS];
	size_t nthreads = j.nmissing < 2 ? 0 : j.nmissing < PREFETCH_THREADS ? j.nmissing : PREFETCH_THREADS;
	memset(threads, 0, sizeof threads);
	size_t started = 0;
	for (size_t i = 0; i < nthreads; i++) {
		threads[i].job = &j;
		pond_error ignored = POND_ERROR_INIT;
		if (pond_s3_client_dup(&threads[i].client, b->client, &ignored) != 0)
			break;
		threads[i].started = pthread_create(&threads[i].thread, NULL, prefetch_worker, &threads[i]) == 0;
		started += threads[i].started;
	}
	/* No thread could start: the caller fetches one by one. */
	for (size_t i = 0; i < nthreads; i++) {
		if (threads[i].started)
			pthread_join(threads[i].thread, NULL);
		pond_s3_client_free(&threads[i].client);
	}
	pond_free(j.missing);
	pthread_mutex_destroy(&j.lock);
	if (j.rc && started)
		*err = j.err;
	return started ? j.rc : 0;
}

static const pond_fileio_ops s3_ops = {
	.name = "s3",
	.read = s3_read,
	.open_avro = s3_open_avro,
	.create_avro = s3_create_avro,
	.write = s3_write,
	.size = s3_size,
	.free = s3_free,
	.remove_many = s3_remove_many,
	.list = s3_list,
	.upload = s3_upload,
	.local_copy = s3_local_copy,
	.release = s3_release,
	.prefetch = s3_prefetch,
};

int pond_fileio_s3_new(pond_fileio **out, pond_s3_client *client, pond_io_cache *cache, pond_error *err)
{
	*out = NULL;
	s3_backend *b = pond_calloc(1, sizeof *b);
	if (!b)
		return pond_error_set(err, POND_ENOMEM, "out of memory creating S3 file io");
	b->client = client;
	b->cache = cache;
	return pond_fileio_new(out, &s3_ops, b, err);
}
