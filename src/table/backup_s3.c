/*
 * Backups of S3 warehouses (pond__backup_bucket, table_internal.h): the
 * warehouse's objects listed once with their sizes (ListObjectsV2, a
 * thousand keys a request), an object downloaded into the backup folder
 * and a backup's file uploaded onto S3 for a restore. Relies on what
 * backup_files.c relies on: data, manifest and metadata files are never
 * rewritten under their names, so an object and a backed-up file of the
 * same name and size are the same file, and a second backup or restore
 * moves only the files it lacks. A download goes through NAME.part like a
 * local copy (a killed backup leaves at most that); an upload is one PUT
 * (or a multipart upload, completed or aborted), which S3 shows whole or
 * not at all. The S3 client and its settings are the project's own, from
 * a lake over no catalog (storage.c), so a backup reaches the bucket
 * exactly as every other command does.
 */
#include "table_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pond__backup_bucket_open(pond__backup_bucket *b, const pond_project *project, const char *url, pond_error *err)
{
	memset(b, 0, sizeof(*b));
	b->url = url;
	if (!(b->a = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	char *key;
	int rc = pond_s3_url_split(url, &b->bucket, &key, b->a, err);
	if (rc == 0) {
		size_t n = strlen(key);
		b->prefix = n == 0 || key[n - 1] == '/' ? key : pond_arena_sprintf(b->a, "%s/", key);
		if (!b->prefix)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (rc == 0)
		rc = pond_lake_open_catalog(&b->lake, project, NULL, err);
	pond_io_cache *cache;
	if (rc == 0)
		rc = pond__lake_storage(b->lake, &b->client, &cache, err);
	return rc;
}

void pond__backup_bucket_close(pond__backup_bucket *b)
{
	pond_lake_close(&b->lake);
	pond__path_map_dispose(&b->sizes);
	pond_arena_free(&b->a);
	b->client = NULL;
}

typedef struct listing {
	pond__backup_bucket *b;
	pond_buf url;
} listing;

static int list_object(const pond_s3_object *o, void *payload)
{
	listing *l = payload;
	pond_buf_clear(&l->url);
	pond_buf_printf(&l->url, "s3://%s/%s", l->b->bucket, o->key);
	if (!pond_buf_ok(&l->url))
		return POND_ENOMEM;
	return pond__path_map_put(&l->b->sizes, pond_buf_cstr(&l->url), o->size);
}

int pond__backup_bucket_list(pond__backup_bucket *b, pond_error *err)
{
	listing l = {b, POND_BUF_INIT};
	int rc = pond_s3_list(b->client, b->bucket, b->prefix, list_object, &l, err);
	if (rc == POND_ENOMEM && err->code == 0)
		pond_error_set(err, rc, "out of memory listing %s", b->url);
	pond_buf_dispose(&l.url);
	return rc;
}

typedef struct download {
	pond__backup_bucket *b;
	const char *url, *key;
	int64_t size;
} download;

static int fill_from_object(int fd, void *payload, pond_error *err)
{
	download *d = payload;
	int64_t got = 0;
	int rc = pond_s3_get_to_fd(d->b->client, d->b->bucket, d->key, fd, &got, err);
	if (rc == 0 && got != d->size)
		rc = pond_error_set(err, POND_EIO, "could not get %s: %lld bytes came, the listing said %lld", d->url,
		                    (long long)got, (long long)d->size);
	return rc;
}

/* The key of url in b's bucket, or NULL when url is not an object of it. */
static const char *key_of(const pond__backup_bucket *b, const char *url)
{
	size_t n = strlen(b->bucket);
	if (!pond_s3_is_url(url))
		return NULL;
	const char *p = strstr(url, "://") + 3;
	return strncmp(p, b->bucket, n) == 0 && p[n] == '/' ? p + n + 1 : NULL;
}

int pond__backup_download(pond__backup_bucket *b, const char *url, int64_t size, const char *dst, bool *copied,
                          pond_error *err)
{
	struct stat st;
	*copied = false;
	if (stat(dst, &st) == 0 && S_ISREG(st.st_mode) && (int64_t)st.st_size == size)
		return 0;
	download d = {b, url, key_of(b, url), size};
	if (!d.key)
		return pond_error_set(err, POND_EINVAL, "cannot back up %s: it is not in the bucket of %s", url, b->url);
	int rc = pond__backup_write(dst, fill_from_object, &d, err);
	*copied = rc == 0;
	return rc;
}

int pond__backup_upload(pond__backup_bucket *b, const char *src, const char *url, int64_t *size, bool *copied,
                        pond_error *err)
{
	struct stat st;
	int64_t listed;
	*copied = false;
	const char *key = key_of(b, url);
	if (!key)
		return pond_error_set(err, POND_EINVAL, "cannot restore %s: it is not in the bucket of %s", url, b->url);
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		int rc = pond_error_set(err, POND_EIO, "could not read %s: %s", src, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	*size = (int64_t)st.st_size;
	int rc = 0;
	if (!pond__path_map_get(&b->sizes, url, &listed) || listed != *size) {
		rc = pond_s3_put_fd(b->client, b->bucket, key, fd, *size, NULL, err);
		*copied = rc == 0;
	}
	close(fd);
	return rc;
}
