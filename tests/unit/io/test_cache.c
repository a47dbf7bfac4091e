/*
 * The object cache over a fake S3 (a transport that answers every GET with
 * an object whose size is in its name: "s3://b/obj-300" is 300 bytes), a
 * clock the test moves, and a second process (fork) that holds or fetches
 * files, synchronised through pipes.
 */
#include "../test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pond/io.h"

typedef struct {
	int gets;
	int64_t now_ms;
} fake_s3;

/* The byte at offset i of an object: shows any mixed-up or cut file. */
static char object_byte(const char *url, int64_t i)
{
	return (char)('a' + (strlen(url) + (size_t)i * 7) % 26);
}

static int fake_send(void *payload, const pond_io_http_request *req, pond_io_http_response *resp,
                     pond_io_http_failure *fail, pond_error *err)
{
	fake_s3 *s = payload;
	(void)fail;
	s->gets++;
	const char *dash = strrchr(req->url, '-');
	int64_t n = dash ? atoll(dash + 1) : 0;
	/* the URL the object has in the test: s3://b/KEY */
	char url[256];
	const char *key = strstr(req->url, "/b/");
	snprintf(url, sizeof url, "s3://b/%s", key ? key + 3 : "");
	for (int64_t i = 0; i < n; i++) {
		char c = object_byte(url, i);
		if (write(resp->body_fd, &c, 1) != 1)
			return pond_error_set(err, POND_EIO, "write");
	}
	resp->body_written = n;
	resp->status = 200;
	return 0;
}

static int64_t fake_now(void *payload)
{
	return ((fake_s3 *)payload)->now_ms;
}

static pond_s3_client *fake_client(fake_s3 *s)
{
	pond_s3_config cfg = {0};
	cfg.endpoint = "http://fake:1";
	cfg.region = "us-east-1";
	cfg.path_style = true;
	pond_s3_client_options o = POND_S3_CLIENT_OPTIONS_INIT;
	o.send = fake_send;
	o.send_payload = s;
	pond_s3_client *c = NULL;
	pond_error err = POND_ERROR_INIT;
	pond_s3_client_new(&c, &cfg, &o, &err);
	return c;
}

static pond_io_cache *open_cache(const char *name, int64_t max, fake_s3 *s)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/%s", pond_test_tmpdir(), name);
	pond_io_cache_options o = POND_IO_CACHE_OPTIONS_INIT;
	o.max_bytes = max;
	o.now_ms = fake_now;
	o.clock_payload = s;
	pond_io_cache *c = NULL;
	pond_error err = POND_ERROR_INIT;
	pond_io_cache_open(&c, dir, &o, &err);
	return c;
}

/* Whether path holds exactly the object url. */
static bool holds(const char *path, const char *url, int64_t n)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	bool ok = true;
	char c;
	int64_t i = 0;
	while (read(fd, &c, 1) == 1)
		ok = ok && i < n && c == object_byte(url, i++);
	close(fd);
	return ok && i == n;
}

/* The file of url in folder ("objects", "tmp") of the test's cache name,
 * as the cache names it (the SHA-256 of the URL), with suffix. */
static void url_file(char out[600], const char *name, const char *folder, const char *url, const char *suffix)
{
	char hex[65];
	pond_sha256_hex(hex, url, strlen(url));
	snprintf(out, 600, "%s/%s/%s/%s%s", pond_test_tmpdir(), name, folder, hex, suffix);
}

static bool put_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0)
		close(fd);
	return ok;
}

static int count_file(const char *path, const char *name, const struct stat *st, void *payload)
{
	(void)path;
	(void)name;
	(void)st;
	(*(int *)payload)++;
	return 0;
}

static bool cached(pond_io_cache *c, pond_s3_client *client, fake_s3 *s, const char *url)
{
	/* a get that does not download means it was there */
	int before = s->gets;
	pond_io_cache_entry *e;
	pond_error err = POND_ERROR_INIT;
	if (pond_io_cache_get(c, client, url, -1, &e, &err) != 0)
		return false;
	pond_io_cache_release(&e);
	return s->gets == before;
}

TEST(cache_downloads_once_then_serves_the_local_copy)
{
	fake_s3 s = {0, 1000};
	pond_s3_client *client = fake_client(&s);
	pond_io_cache *c = open_cache("once", 1 << 20, &s);
	pond_io_cache_entry *e;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/data/obj-300", 300, &e, &err), &err);
	CHECK(!pond_io_cache_entry_hit(e));
	CHECK_INT(pond_io_cache_entry_size(e), 300);
	CHECK(holds(pond_io_cache_entry_path(e), "s3://b/data/obj-300", 300));
	char first[512];
	snprintf(first, sizeof first, "%s", pond_io_cache_entry_path(e));
	pond_io_cache_release(&e);
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/data/obj-300", 300, &e, &err), &err);
	CHECK(pond_io_cache_entry_hit(e));
	CHECK_STR(pond_io_cache_entry_path(e), first);
	CHECK_INT(s.gets, 1);
	pond_io_cache_release(&e);
	pond_io_cache_close(&c);
	pond_s3_client_free(&client);
}

TEST(cache_evicts_the_least_recently_used_past_the_cap)
{
	fake_s3 s = {0, 1000};
	pond_s3_client *client = fake_client(&s);
	pond_io_cache *c = open_cache("lru", 250, &s);
	pond_io_cache_entry *e;
	pond_error err = POND_ERROR_INIT;
	s.now_ms = 1000;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/a-100", -1, &e, &err), &err);
	pond_io_cache_release(&e);
	s.now_ms = 2000;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/b-100", -1, &e, &err), &err);
	pond_io_cache_release(&e);
	s.now_ms = 3000; /* a is used again: b is now the oldest */
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/a-100", -1, &e, &err), &err);
	CHECK(pond_io_cache_entry_hit(e));
	pond_io_cache_release(&e);
	s.now_ms = 4000;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/c-100", -1, &e, &err), &err);
	pond_io_cache_release(&e);
	CHECK(cached(c, client, &s, "s3://b/a-100"));
	CHECK(cached(c, client, &s, "s3://b/c-100"));
	CHECK(!cached(c, client, &s, "s3://b/b-100"));
	int64_t left;
	CHECK_OK(pond_io_cache_evict(c, &left, &err), &err);
	CHECK(left <= 250);
	pond_io_cache_close(&c);
	pond_s3_client_free(&client);
}

TEST(cache_never_evicts_a_file_another_process_holds)
{
	fake_s3 s = {0, 1000};
	pond_s3_client *client = fake_client(&s);
	pond_io_cache *c = open_cache("held", 1 << 20, &s);
	int to_child[2], to_parent[2];
	CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		/* the other process: fetch, hold, report, wait, release */
		pond_io_cache_entry *e;
		pond_error err = POND_ERROR_INIT;
		char ok = pond_io_cache_get(c, client, "s3://b/held-500", -1, &e, &err) == 0 ? 'y' : 'n';
		if (write(to_parent[1], &ok, 1) != 1 || read(to_child[0], &ok, 1) != 1)
			_exit(1);
		pond_io_cache_release(&e);
		_exit(0);
	}
	char msg;
	CHECK(read(to_parent[0], &msg, 1) == 1 && msg == 'y');
	pond_io_cache_entry *e;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/free-200", -1, &e, &err), &err);
	pond_io_cache_release(&e);
	/* a cap of nothing: everything not held goes */
	pond_io_cache_close(&c);
	c = open_cache("held", 0, &s);
	int64_t left;
	CHECK_OK(pond_io_cache_evict(c, &left, &err), &err);
	CHECK_INT(left, 500);
	int gets = s.gets;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/held-500", -1, &e, &err), &err);
	CHECK(pond_io_cache_entry_hit(e));
	CHECK(holds(pond_io_cache_entry_path(e), "s3://b/held-500", 500));
	pond_io_cache_release(&e);
	CHECK_INT(s.gets, gets);
	msg = 'x';
	CHECK(write(to_child[1], &msg, 1) == 1);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_OK(pond_io_cache_evict(c, &left, &err), &err);
	CHECK_INT(left, 0);
	pond_io_cache_close(&c);
	pond_s3_client_free(&client);
}

TEST(cache_a_killed_download_never_looks_complete)
{
	fake_s3 s = {0, 1000};
	pond_s3_client *client = fake_client(&s);
	pond_io_cache *c = open_cache("killed", 1 << 20, &s);
	/* what a download killed halfway leaves: a .part file nobody holds */
	char part[600];
	url_file(part, "killed", "tmp", "s3://b/k-400", ".deadbeef.part");
	CHECK(put_text(part, "abc"));
	pond_io_cache_entry *e;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/k-400", -1, &e, &err), &err);
	CHECK(!pond_io_cache_entry_hit(e));
	CHECK(holds(pond_io_cache_entry_path(e), "s3://b/k-400", 400));
	pond_io_cache_release(&e);
	/* the first download's count of the folder swept the leftover */
	CHECK(!pond_file_exists(part));
	pond_io_cache_close(&c);
	pond_s3_client_free(&client);
}

TEST(cache_a_copy_of_the_wrong_size_is_fetched_again)
{
	fake_s3 s = {0, 1000};
	pond_s3_client *client = fake_client(&s);
	pond_io_cache *c = open_cache("size", 1 << 20, &s);
	char path[600];
	url_file(path, "size", "objects", "s3://b/t-64", "");
	CHECK(put_text(path, "short"));
	pond_io_cache_entry *e;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/t-64", 64, &e, &err), &err);
	CHECK(!pond_io_cache_entry_hit(e));
	CHECK(holds(pond_io_cache_entry_path(e), "s3://b/t-64", 64));
	pond_io_cache_release(&e);
	/* the object is not what the table says: an error, nothing cached */
	CHECK_INT(pond_io_cache_get(c, client, "s3://b/u-64", 65, &e, &err), POND_ECORRUPT);
	CHECK(strstr(err.msg, "s3://b/u-64: 64 bytes came, the table says 65") != NULL);
	url_file(path, "size", "objects", "s3://b/u-64", "");
	CHECK(!pond_file_exists(path));
	pond_io_cache_close(&c);
	pond_s3_client_free(&client);
}

TEST(cache_two_processes_fetching_one_object_both_get_it_whole)
{
	fake_s3 s = {0, 1000};
	pond_s3_client *client = fake_client(&s);
	pond_io_cache *c = open_cache("two", 1 << 20, &s);
	int go[2];
	CHECK(pipe(go) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char m;
		if (read(go[0], &m, 1) != 1)
			_exit(1);
		pond_io_cache_entry *e;
		pond_error err = POND_ERROR_INIT;
		bool ok = pond_io_cache_get(c, client, "s3://b/shared-5000", 5000, &e, &err) == 0 &&
		          holds(pond_io_cache_entry_path(e), "s3://b/shared-5000", 5000);
		pond_io_cache_release(&e);
		_exit(ok ? 0 : 1);
	}
	char m = 'g';
	CHECK(write(go[1], &m, 1) == 1);
	pond_io_cache_entry *e;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_io_cache_get(c, client, "s3://b/shared-5000", 5000, &e, &err), &err);
	CHECK(holds(pond_io_cache_entry_path(e), "s3://b/shared-5000", 5000));
	pond_io_cache_release(&e);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* one copy, and no download left half-way in tmp/ */
	char tmp[600];
	snprintf(tmp, sizeof tmp, "%s/two/tmp", pond_test_tmpdir());
	int parts = 0;
	CHECK_INT(pond_dir_each(tmp, count_file, &parts), 0);
	CHECK_INT(parts, 0);
	int64_t left;
	CHECK_OK(pond_io_cache_evict(c, &left, &err), &err);
	CHECK_INT(left, 5000);
	pond_io_cache_close(&c);
	pond_s3_client_free(&client);
}

TEST(cache_put_adopts_an_uploaded_file_as_the_objects_copy)
{
	fake_s3 s = {0};
	s.now_ms = 1000;
	pond_s3_client *client = fake_client(&s);
	pond_io_cache *c = open_cache("c", 1 << 20, &s);
	CHECK(client && c);
	const char *url = "s3://b/t/data/x.parquet";
	char staged[512];
	snprintf(staged, sizeof staged, "%s/staged.parquet", pond_test_tmpdir());
	/* the file holds exactly what the fake server would serve for url */
	FILE *f = fopen(staged, "w");
	for (int64_t i = 0; i < 300; i++)
		fputc(object_byte(url, i), f);
	fclose(f);
	pond_error err = POND_ERROR_INIT;
	bool taken = false;
	CHECK_OK(pond_io_cache_put(c, url, staged, &taken, &err), &err);
	CHECK(taken);
	CHECK(!pond_file_exists(staged));
	/* read back without a download, and a second put of the same URL is
	 * refused (the copy there stays, the file stays with its caller) */
	CHECK(cached(c, client, &s, url));
	pond_io_cache_entry *e;
	CHECK_OK(pond_io_cache_get(c, client, url, 300, &e, &err), &err);
	CHECK(holds(pond_io_cache_entry_path(e), url, 300));
	pond_io_cache_release(&e);
	f = fopen(staged, "w");
	fputs("other", f);
	fclose(f);
	CHECK_OK(pond_io_cache_put(c, url, staged, &taken, &err), &err);
	CHECK(!taken);
	CHECK(pond_file_exists(staged));
	CHECK_INT(s.gets, 0);
	pond_io_cache_close(&c);
	pond_s3_client_free(&client);
}
