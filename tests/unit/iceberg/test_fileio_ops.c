/*
 * The file IO operations the table layer needs beyond reading and writing
 * whole files, on both backends: delete many, list a folder with sizes and
 * times, upload (move) a local file to its place, and local copies held
 * for DuckDB. The S3 half runs against the suite's S3 test server.
 */
#include "../test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../io/s3_test_util.h"
#include "pond/manifest.h"

typedef struct listed {
	char text[4096];
	int n;
} listed;

/* Appends "relative-path:size " in listing order (callers sort by name
 * where the order is the backend's). */
static int take(const pond_fileio_entry *e, void *payload)
{
	listed *l = payload;
	const char *rel = strstr(e->path, "/t/");
	size_t used = strlen(l->text);
	snprintf(l->text + used, sizeof l->text - used, "%s:%lld ", rel ? rel : e->path, (long long)e->size);
	l->n++;
	return e->mtime_ms > 0 ? 0 : POND_EINVAL;  /* every backend gives a time */
}

static int write_file(const char *path, const char *text)
{
	pond_error err = POND_ERROR_INIT;
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	return pond_mkdirs(dir, &err) || pond_file_write_atomic(path, text, strlen(text), &err);
}

TEST(fileio_local_lists_deletes_uploads_and_gives_paths_as_local_copies)
{
	pond_error err = POND_ERROR_INIT;
	const char *tmp = pond_test_tmpdir();
	char a[512], b[512], staged[512], dest[512], dir[512];
	snprintf(dir, sizeof dir, "%s/t", tmp);
	snprintf(a, sizeof a, "%s/t/data/x/a.parquet", tmp);
	snprintf(b, sizeof b, "%s/t/metadata/b.avro", tmp);
	CHECK(write_file(a, "aaaa") == 0 && write_file(b, "bb") == 0);
	pond_fileio *io;
	CHECK_OK(pond_fileio_local_new(&io, &err), &err);
	CHECK(pond_fileio_is_local(io));
	listed l = {"", 0};
	CHECK_OK(pond_fileio_list(io, dir, take, &l, &err), &err);
	CHECK_INT(l.n, 2);
	CHECK(strstr(l.text, "/t/data/x/a.parquet:4 ") != NULL);
	CHECK(strstr(l.text, "/t/metadata/b.avro:2 ") != NULL);
	/* a missing folder lists nothing */
	char missing[600];
	snprintf(missing, sizeof missing, "%s/nothing", tmp);
	l.n = 0;
	CHECK_OK(pond_fileio_list(io, missing, take, &l, &err), &err);
	CHECK_INT(l.n, 0);
	/* upload: a move, making the folder, never over an existing file */
	snprintf(staged, sizeof staged, "%s/staged", tmp);
	snprintf(dest, sizeof dest, "%s/t/data/y/c.parquet", tmp);
	CHECK(write_file(staged, "ccc") == 0);
	CHECK_OK(pond_fileio_upload(io, staged, dest, &err), &err);
	CHECK(!pond_file_exists(staged) && pond_file_exists(dest));
	CHECK(write_file(staged, "again") == 0);
	CHECK_INT(pond_fileio_upload(io, staged, dest, &err), POND_EEXISTS);
	/* local copies are the files themselves */
	const char *local;
	CHECK_OK(pond_fileio_local_copy(io, a, 4, &local, &err), &err);
	CHECK_STR(local, a);
	CHECK_STR(pond_fileio_held(io, a), a);
	/* delete many; a missing one is no error */
	const char *gone[] = {a, b, missing};
	CHECK_OK(pond_fileio_remove(io, gone, 3, &err), &err);
	CHECK(!pond_file_exists(a) && !pond_file_exists(b) && pond_file_exists(dest));
	pond_fileio_free(&io);
}

static int count_entry(const char *path, const char *name, const struct stat *st, void *payload)
{
	(void)path;
	(void)name;
	(void)st;
	(*(int *)payload)++;
	return 0;
}

TEST(fileio_local_upload_from_another_file_system_copies_whole_or_not_at_all)
{
	/* /dev/shm is a tmpfs: rename(2) from there fails with EXDEV */
	char staged[256], dest[600], dir[512];
	snprintf(staged, sizeof staged, "/dev/shm/pond-upload-%ld", (long)getpid());
	snprintf(dir, sizeof dir, "%s/xdev/data", pond_test_tmpdir());
	snprintf(dest, sizeof dest, "%s/a.parquet", dir);
	struct stat s1, s2;
	CHECK(write_file(staged, "copied across") == 0);
	CHECK(stat(staged, &s1) == 0 && stat(pond_test_tmpdir(), &s2) == 0);
	CHECK_MSG(s1.st_dev != s2.st_dev, "/dev/shm and %s are one file system", pond_test_tmpdir());
	pond_error err = POND_ERROR_INIT;
	pond_fileio *io;
	CHECK_OK(pond_fileio_local_new(&io, &err), &err);
	CHECK_OK(pond_fileio_upload(io, staged, dest, &err), &err);
	CHECK(!pond_file_exists(staged));
	char *text;
	size_t len;
	CHECK_OK(pond_file_read(&text, &len, dest, 100, &err), &err);
	CHECK_STR(text, "copied across");
	pond_free(text);
	/* the copy went through a temporary name that is gone: one file */
	int n = 0;
	CHECK_INT(pond_dir_each(dir, count_entry, &n), 0);
	CHECK_INT(n, 1);
	/* never over an existing file, and the staged file goes either way */
	CHECK(write_file(staged, "again") == 0);
	CHECK_INT(pond_fileio_upload(io, staged, dest, &err), POND_EEXISTS);
	CHECK(!pond_file_exists(staged));
	/* a copy that fails part-way (a folder cannot be read) leaves
	 * neither the target nor a temporary file */
	char bad_dest[700];
	snprintf(bad_dest, sizeof bad_dest, "%s/b.parquet", dir);
	CHECK(mkdir(staged, 0755) == 0);
	CHECK_INT(pond_fileio_upload(io, staged, bad_dest, &err), POND_EIO);
	CHECK_MSG(strstr(err.msg, "could not copy") != NULL, "%s", err.msg);
	CHECK(!pond_file_exists(bad_dest));
	n = 0;
	CHECK_INT(pond_dir_each(dir, count_entry, &n), 0);
	CHECK_INT(n, 1);
	rmdir(staged);
	pond_fileio_free(&io);
}

TEST(fileio_s3_lists_deletes_uploads_and_holds_local_copies)
{
	NEED_SERVER();
	char other[64], url[256], dir[256];
	pond_error err = POND_ERROR_INIT;
	s3t_fileio f;
	CHECK_OK(s3t_fileio_open(&f, true, &err), &err);
	const char *bucket = f.bucket;
	pond_s3_client *c = f.client;
	pond_fileio *io = f.io;
	s3t_bucket_name(other);
	CHECK_OK(pond_s3_create_bucket(c, other, &err), &err);
	CHECK(!pond_fileio_is_local(io));

	/* upload: the staged file becomes the cached copy, and S3 has it */
	char staged[512];
	snprintf(staged, sizeof staged, "%s/staged", pond_test_tmpdir());
	CHECK(write_file(staged, "0123456789") == 0);
	snprintf(url, sizeof url, "s3://%s/wh/t/data/w/a.parquet", bucket);
	CHECK_OK(pond_fileio_upload(io, staged, url, &err), &err);
	CHECK(!pond_file_exists(staged));
	bool all_signed;
	int gets = s3t_count(bucket, "GET", NULL, &all_signed);
	const char *local;
	CHECK_OK(pond_fileio_local_copy(io, url, 10, &local, &err), &err);
	char *text;
	size_t len;
	CHECK_OK(pond_file_read(&text, &len, local, 100, &err), &err);
	CHECK_STR(text, "0123456789");
	pond_free(text);
	/* a held copy survives an eviction (by another user of the folder,
	 * capped at 1 byte) that removes everything else */
	pond_io_cache_options tiny = POND_IO_CACHE_OPTIONS_INIT;
	tiny.max_bytes = 1;
	pond_io_cache *other_cache;
	CHECK_OK(pond_io_cache_open(&other_cache, f.cache_dir, &tiny, &err), &err);
	int64_t left;
	CHECK_OK(pond_io_cache_evict(other_cache, &left, &err), &err);
	pond_io_cache_close(&other_cache);
	CHECK(pond_file_exists(local));
	CHECK_STR(pond_fileio_held(io, url), local);
	CHECK_INT(s3t_count(bucket, "GET", NULL, &all_signed), gets);  /* never downloaded */
	/* the same path again is the same copy; a local path is itself */
	const char *again;
	CHECK_OK(pond_fileio_local_copy(io, url, 10, &again, &err), &err);
	CHECK(again == local);
	CHECK_OK(pond_fileio_local_copy(io, "/tmp/buffered.parquet", -1, &again, &err), &err);
	CHECK_STR(again, "/tmp/buffered.parquet");
	CHECK(pond_fileio_held(io, "s3://nobody/x") == NULL);
	/* a copy of the wrong size is an error naming the object */
	snprintf(url, sizeof url, "s3://%s/wh/t/data/w/b.parquet", bucket);
	CHECK_OK(pond_s3_put(c, bucket, "wh/t/data/w/b.parquet", "abc", 3, NULL, &err), &err);
	CHECK_INT(pond_fileio_local_copy(io, url, 99, &again, &err), POND_ECORRUPT);
	CHECK(strstr(err.msg, url) != NULL);

	/* list: keys under the folder, not under a sibling with its prefix */
	CHECK_OK(pond_s3_put(c, bucket, "wh/t/metadata/m.avro", "mm", 2, NULL, &err), &err);
	CHECK_OK(pond_s3_put(c, bucket, "wh/t2/metadata/m.avro", "x", 1, NULL, &err), &err);
	CHECK_OK(pond_s3_put(c, other, "wh/t/data/o.parquet", "o", 1, NULL, &err), &err);
	snprintf(dir, sizeof dir, "s3://%s/wh/t", bucket);
	listed l = {"", 0};
	CHECK_OK(pond_fileio_list(io, dir, take, &l, &err), &err);
	CHECK_STR(l.text, "/t/data/w/a.parquet:10 /t/data/w/b.parquet:3 /t/metadata/m.avro:2 ");

	/* delete many, across two buckets, a missing key included */
	char p1[256], p2[256], p3[256], p4[256];
	snprintf(p1, sizeof p1, "s3://%s/wh/t/data/w/a.parquet", bucket);
	snprintf(p2, sizeof p2, "s3://%s/wh/t/metadata/m.avro", bucket);
	snprintf(p3, sizeof p3, "s3://%s/wh/t/data/o.parquet", other);
	snprintf(p4, sizeof p4, "s3://%s/wh/t/never.parquet", bucket);
	const char *gone[] = {p1, p2, p3, p4};
	CHECK_OK(pond_fileio_remove(io, gone, 4, &err), &err);
	l = (listed){"", 0};
	CHECK_OK(pond_fileio_list(io, dir, take, &l, &err), &err);
	CHECK_STR(l.text, "/t/data/w/b.parquet:3 ");
	snprintf(dir, sizeof dir, "s3://%s/wh", other);
	l = (listed){"", 0};
	CHECK_OK(pond_fileio_list(io, dir, take, &l, &err), &err);
	CHECK_INT(l.n, 0);
	CHECK(all_signed);
	s3t_fileio_close(&f);
}

TEST(fileio_s3_prefetch_downloads_what_the_cache_lacks_on_several_connections)
{
	NEED_SERVER();
	pond_error err = POND_ERROR_INIT;
	s3t_fileio f;
	CHECK_OK(s3t_fileio_open(&f, true, &err), &err);
	const char *bucket = f.bucket;
	pond_s3_client *c = f.client;
	pond_io_cache *cache = f.cache;
	pond_fileio *io = f.io;
	enum { N = 24 };
	char urls[N][256], body[N][32];
	const char *paths[N + 1];
	int64_t sizes[N + 1];
	for (int i = 0; i < N; i++) {
		char key[64];
		snprintf(key, sizeof key, "wh/t/data/f%02d.parquet", i);
		snprintf(body[i], sizeof body[i], "object number %d", i);
		CHECK_OK(pond_s3_put(c, bucket, key, body[i], strlen(body[i]), NULL, &err), &err);
		snprintf(urls[i], sizeof urls[i], "s3://%s/%s", bucket, key);
		paths[i] = urls[i];
		sizes[i] = (int64_t)strlen(body[i]);
	}
	/* a local path among them is left alone */
	paths[N] = "/tmp/buffered.parquet";
	sizes[N] = -1;
	bool all_signed;
	int gets = s3t_count(bucket, "GET", NULL, &all_signed);
	CHECK_OK(pond_fileio_prefetch(io, paths, sizes, N + 1, &err), &err);
	CHECK_INT(s3t_count(bucket, "GET", NULL, &all_signed) - gets, N);
	for (int i = 0; i < N; i++)
		CHECK(pond_io_cache_has(cache, urls[i], sizes[i]));
	/* then every copy is local, and holds the object's bytes */
	for (int i = 0; i < N; i++) {
		const char *local;
		char *text;
		size_t len;
		CHECK_OK(pond_fileio_local_copy(io, urls[i], sizes[i], &local, &err), &err);
		CHECK_OK(pond_file_read(&text, &len, local, 100, &err), &err);
		CHECK_STR(text, body[i]);
		pond_free(text);
	}
	CHECK_INT(s3t_count(bucket, "GET", NULL, &all_signed) - gets, N);
	CHECK_OK(pond_fileio_prefetch(io, paths, sizes, N, &err), &err);
	CHECK_INT(s3t_count(bucket, "GET", NULL, &all_signed) - gets, N);
	CHECK(all_signed);
	/* a missing object fails the prefetch, naming it */
	char missing[256];
	snprintf(missing, sizeof missing, "s3://%s/wh/t/data/gone.parquet", bucket);
	paths[0] = missing;
	paths[1] = missing;
	CHECK_INT(pond_fileio_prefetch(io, paths, sizes, 2, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "gone.parquet") != NULL);
	s3t_fileio_close(&f);
}
