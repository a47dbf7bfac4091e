/*
 * A size-capped folder of downloaded objects, shared by every pond process
 * that names it: how DuckDB reads Parquet files that live on S3 (it is
 * handed the local path). Layout:
 *
 *   DIR/objects/HEX      an object, named by the SHA-256 of its URL; its
 *                        mtime is when it was last used
 *   DIR/tmp/HEX.RAND.part   a download in progress, renamed into objects/
 *                        when complete: a killed download never looks done
 *   DIR/evict.lock       one evictor at a time
 *
 * Locks are flock(2) locks, which die with their process: a reader holds a
 * shared lock on an object while it uses it, and the evictor only removes
 * what it can lock exclusively (without waiting), so a file in use is
 * never removed under a query. A downloader holds an exclusive lock on its
 * .part file, so the evictor can tell the leftovers of a killed download
 * (unlocked) from a download under way. The cap is soft: it is enforced
 * after each download from a fresh count of the folder, so several
 * processes together may pass it by what they are downloading at once.
 */
#include "io/io_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct pond_io_cache {
	char *dir;
	pond_io_cache_options opts;
	pthread_mutex_t lock; /* the two below: threads download at once */
	int64_t bytes;        /* estimate: the last count plus downloads since */
	bool counted;
};

struct pond_io_cache_entry {
	char *path;
	int fd;               /* holds the shared lock */
	int64_t size;
	bool hit;
};

static int64_t wall_ms(void *payload)
{
	(void)payload;
	return pond_time_now_ms();
}

int pond_io_cache_open(pond_io_cache **out, const char *dir, const pond_io_cache_options *opts, pond_error *err)
{
	pond_io_cache_options defaults = POND_IO_CACHE_OPTIONS_INIT;
	*out = NULL;
	char sub[PATH_MAX];
	int rc = 0;
	const char *subs[] = {"objects", "tmp"};
	for (int i = 0; i < 2 && rc == 0; i++) {
		if (snprintf(sub, sizeof sub, "%s/%s", dir, subs[i]) >= (int)sizeof sub)
			return pond_error_set(err, POND_EINVAL, "cache folder path too long: %s", dir);
		rc = pond_mkdirs(sub, err);
	}
	if (rc)
		return pond_error_prefix(err, "could not open the object cache");
	pond_io_cache *c = pond_calloc(1, sizeof *c);
	if (!c || !(c->dir = pond_strdup(dir))) {
		pond_free(c);
		return pond_error_set(err, POND_ENOMEM, "out of memory opening the object cache %s", dir);
	}
	c->opts = opts ? *opts : defaults;
	if (!c->opts.now_ms)
		c->opts.now_ms = wall_ms;
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void pond_io_cache_close(pond_io_cache **cache)
{
	if (!cache || !*cache)
		return;
	pthread_mutex_destroy(&(*cache)->lock);
	pond_free((*cache)->dir);
	pond_free(*cache);
	*cache = NULL;
}

const char *pond_io_cache_entry_path(const pond_io_cache_entry *entry)
{
	return entry->path;
}

int64_t pond_io_cache_entry_size(const pond_io_cache_entry *entry)
{
	return entry->size;
}

bool pond_io_cache_entry_hit(const pond_io_cache_entry *entry)
{
	return entry->hit;
}

void pond_io_cache_release(pond_io_cache_entry **entry)
{
	if (!entry || !*entry)
		return;
	if ((*entry)->fd >= 0)
		close((*entry)->fd);
	pond_free((*entry)->path);
	pond_free(*entry);
	*entry = NULL;
}

/* Where url's copy lives: DIR/objects/HEX, HEX the SHA-256 of url. False
 * when that does not fit in PATH_MAX. */
static bool object_path(const pond_io_cache *c, const char *url, char hex[65], char path[PATH_MAX])
{
	pond_sha256_hex(hex, url, strlen(url));
	return snprintf(path, PATH_MAX, "%s/objects/%s", c->dir, hex) < PATH_MAX;
}

static int too_long(pond_error *err, const pond_io_cache *c)
{
	return pond_error_set(err, POND_EINVAL, "cache folder path too long: %s", c->dir);
}

/* Marks a file used now (its mtime is its recency). */
static void touch(const pond_io_cache *c, int fd)
{
	int64_t ms = c->opts.now_ms(c->opts.clock_payload);
	struct timespec ts[2] = {{(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L},
	                         {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L}};
	(void)futimens(fd, ts);
}

/* Opens objects/HEX with a shared lock, making sure the name still points
 * at the file locked (the evictor may have removed it in between). 1 with
 * *fd when there, 0 when not, negative on an error. */
static int open_held(const char *path, int *fd, struct stat *st)
{
	for (int tries = 0; tries < 8; tries++) {
		int f = open(path, O_RDONLY | O_CLOEXEC);
		if (f < 0)
			return errno == ENOENT ? 0 : -1;
		struct stat named;
		if (flock(f, LOCK_SH) != 0 || fstat(f, st) != 0) {
			close(f);
			return -1;
		}
		if (stat(path, &named) == 0 && named.st_ino == st->st_ino && named.st_dev == st->st_dev) {
			*fd = f;
			return 1;
		}
		close(f); /* removed while we waited: look again */
	}
	return 0;
}

static int new_entry(pond_io_cache_entry **out, const char *path, int fd, int64_t size, bool hit, pond_error *err)
{
	pond_io_cache_entry *e = pond_calloc(1, sizeof *e);
	if (!e || !(e->path = pond_strdup(path))) {
		pond_free(e);
		close(fd);
		return pond_error_set(err, POND_ENOMEM, "out of memory in the object cache");
	}
	e->fd = fd;
	e->size = size;
	e->hit = hit;
	*out = e;
	return 0;
}

/* Downloads url into tmp/ and renames it to path; *fd holds the file. */
static int download(pond_io_cache *c, pond_s3_client *client, const char *url, const char *hex, const char *path,
                    int64_t expected, int *fd, int64_t *size, pond_error *err)
{
	pond_arena *arena = pond_arena_new();
	char *bucket, *key;
	char tmp[PATH_MAX], rnd[37];
	pond_uuid_v4_string(rnd);
	int rc = arena ? pond_s3_url_split(url, &bucket, &key, arena, err)
	               : pond_error_set(err, POND_ENOMEM, "out of memory in the object cache");
	if (rc == 0 && snprintf(tmp, sizeof tmp, "%s/tmp/%s.%.8s.part", c->dir, hex, rnd) >= (int)sizeof tmp)
		rc = too_long(err, c);
	int f = -1;
	if (rc == 0) {
		f = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (f < 0 || flock(f, LOCK_EX) != 0)
			rc = pond_error_set(err, POND_EIO, "could not create %s: %s", tmp, strerror(errno));
	}
	if (rc == 0)
		rc = pond_s3_get_to_fd(client, bucket, key, f, size, err);
	if (rc == 0 && expected >= 0 && *size != expected)
		rc = pond_error_set(err, POND_ECORRUPT, "could not cache %s: %lld bytes came, the table says %lld", url,
		                    (long long)*size, (long long)expected);
	if (rc == 0) {
		touch(c, f);
		if (rename(tmp, path) != 0)
			rc = pond_error_set(err, POND_EIO, "could not rename %s to %s: %s", tmp, path, strerror(errno));
	}
	if (rc == 0 && flock(f, LOCK_SH) != 0)
		rc = pond_error_set(err, POND_EIO, "could not lock %s: %s", path, strerror(errno));
	if (rc) {
		if (f >= 0) {
			unlink(tmp);
			close(f);
		}
		pond_arena_free(&arena);
		return rc;
	}
	*fd = f;
	pond_arena_free(&arena);
	return 0;
}

/* Counts size bytes more in the cache and evicts when that passes the cap
 * (or nothing was counted yet). */
static void added(pond_io_cache *cache, int64_t size)
{
	pthread_mutex_lock(&cache->lock);
	cache->bytes += size;
	bool evict = !cache->counted || cache->bytes > cache->opts.max_bytes;
	pthread_mutex_unlock(&cache->lock);
	int64_t left;
	pond_error eerr = POND_ERROR_INIT;
	if (evict && pond_io_cache_evict(cache, &left, &eerr) != 0)
		pond_warn("%s", eerr.msg);
}

int pond_io_cache_get(pond_io_cache *cache, pond_s3_client *client, const char *url, int64_t expected_size,
                      pond_io_cache_entry **out, pond_error *err)
{
	*out = NULL;
	char hex[65], path[PATH_MAX];
	if (!object_path(cache, url, hex, path))
		return too_long(err, cache);
	int fd = -1;
	struct stat st;
	int found = open_held(path, &fd, &st);
	if (found < 0)
		return pond_error_set(err, POND_EIO, "could not open %s (cached %s): %s", path, url, strerror(errno));
	if (found && expected_size >= 0 && (int64_t)st.st_size != expected_size) {
		/* Not what the table recorded (a copy cut short by a crash): fetch anew. */
		close(fd);
		unlink(path);
		found = 0;
	}
	if (found) {
		touch(cache, fd);
		return new_entry(out, path, fd, (int64_t)st.st_size, true, err);
	}
	int64_t size = 0;
	int rc = download(cache, client, url, hex, path, expected_size, &fd, &size, err);
	if (rc)
		return rc;
	rc = new_entry(out, path, fd, size, false, err);
	if (rc == 0)
		added(cache, size);
	return rc;
}

bool pond_io_cache_has(pond_io_cache *cache, const char *url, int64_t expected_size)
{
	char hex[65], path[PATH_MAX];
	struct stat st;
	return object_path(cache, url, hex, path) && stat(path, &st) == 0 && S_ISREG(st.st_mode) && (expected_size < 0 || st.st_size == expected_size);
}

int pond_io_cache_put(pond_io_cache *cache, const char *url, const char *path, bool *taken, pond_error *err)
{
	*taken = false;
	char hex[65], dst[PATH_MAX];
	if (!object_path(cache, url, hex, dst))
		return too_long(err, cache);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return pond_error_set(err, POND_EIO, "could not open %s: %s", path, strerror(errno));
	}
	touch(cache, fd);
	close(fd);
	/* link(2) refuses to replace a copy there already (a reader may hold
	 * it); the staged name goes only once the cached one exists. */
	if (link(path, dst) != 0)
		return 0;
	unlink(path);
	*taken = true;
	added(cache, (int64_t)st.st_size);
	return 0;
}

/* ---- eviction ---- */

typedef struct {
	char name[80];
	int64_t size;
	int64_t used_ns;
} cached_file;

typedef struct {
	cached_file *files;
	size_t n, cap;
	int64_t total;
} file_list;

static int collect(const char *path, const char *name, const struct stat *st, void *payload)
{
	file_list *l = payload;
	(void)path;
	if (!S_ISREG(st->st_mode) || strlen(name) >= sizeof l->files[0].name)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		cached_file *f = pond_reallocarray(l->files, cap, sizeof *f);
		if (!f)
			return POND_ENOMEM;
		l->files = f;
		l->cap = cap;
	}
	cached_file *f = &l->files[l->n++];
	snprintf(f->name, sizeof f->name, "%s", name);
	f->size = (int64_t)st->st_size;
	f->used_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	l->total += f->size;
	return 0;
}

static int by_use(const void *a, const void *b)
{
	const cached_file *x = a, *y = b;
	if (x->used_ns != y->used_ns)
		return x->used_ns < y->used_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Removes path if nobody holds it; true when removed. */
static bool remove_unheld(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool removed = false;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		removed = unlink(path) == 0;
	close(fd);
	return removed;
}

/* Leftovers of killed downloads: .part files nobody holds. */
static int sweep_tmp(const char *path, const char *name, const struct stat *st, void *payload)
{
	(void)name;
	(void)st;
	(void)payload;
	remove_unheld(path);
	return 0;
}

int pond_io_cache_evict(pond_io_cache *cache, int64_t *bytes, pond_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/evict.lock", cache->dir);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0)
		return pond_error_set(err, POND_EIO, "could not open %s: %s", path, strerror(errno));
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		/* another process (or thread) is evicting: it does the work */
		close(lock);
		pthread_mutex_lock(&cache->lock);
		*bytes = cache->bytes;
		pthread_mutex_unlock(&cache->lock);
		return 0;
	}
	snprintf(path, sizeof path, "%s/tmp", cache->dir);
	pond_dir_each(path, sweep_tmp, NULL);
	file_list l = {0};
	snprintf(path, sizeof path, "%s/objects", cache->dir);
	int rc = pond_dir_each(path, collect, &l);
	if (rc) {
		pond_free(l.files);
		close(lock);
		return pond_error_set(err, rc == POND_ENOMEM ? POND_ENOMEM : POND_EIO, "could not list the object cache %s",
		                      path);
	}
	qsort(l.files, l.n, sizeof *l.files, by_use);
	for (size_t i = 0; i < l.n && l.total > cache->opts.max_bytes; i++) {
		snprintf(path, sizeof path, "%s/objects/%s", cache->dir, l.files[i].name);
		if (remove_unheld(path))
			l.total -= l.files[i].size;
	}
	pthread_mutex_lock(&cache->lock);
	cache->bytes = l.total;
	cache->counted = true;
	pthread_mutex_unlock(&cache->lock);
	*bytes = l.total;
	pond_free(l.files);
	close(lock);
	return 0;
}
