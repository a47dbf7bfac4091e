/*
 * Copying files for backups and restores (pond__backup_copy and friends,
 * table_internal.h). A file is copied to NAME.part beside its target,
 * synced, then renamed, so a copy cut short by a crash or kill -9 leaves at
 * most a .part file, which the next run overwrites and never trusts. A
 * target that exists with the source's size is taken as copied: the files a
 * backup holds (data, manifests, metadata files) are never rewritten in
 * place, so the same name and size is the same file. Downloads from S3
 * (backup_s3.c) go through the same .part file.
 */
#include "table_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates the folder that will hold path. */
static int make_parent(const char *path, pond_error *err)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	char *dir = pond_strndup(path, (size_t)(slash - path));
	if (!dir)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = pond_mkdirs(dir, err);
	pond_free(dir);
	return rc;
}

/* Copies the bytes of in to out: copy_file_range when the kernel can (no
 * trip through user space; server-side on some network file systems),
 * else read and write. */
static int copy_bytes(int in, int out, const char *src, const char *dst, pond_error *err)
{
	bool moved = false;
	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0) {
			moved = true;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)
			break;
		return pond_error_set(err, POND_EIO, "could not copy %s to %s: %s", src, dst, strerror(errno));
	}
	/* The kernel gave up part-way (seen on some network file systems):
	 * start over with plain reads. */
	if (moved && (lseek(in, 0, SEEK_SET) < 0 || lseek(out, 0, SEEK_SET) < 0 || ftruncate(out, 0) < 0))
		return pond_error_set(err, POND_EIO, "could not copy %s to %s: %s", src, dst, strerror(errno));
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pond_error_set(err, POND_EIO, "could not read %s: %s", src, strerror(errno));
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return pond_error_set(err, POND_EIO, "could not write %s: %s", dst, strerror(errno));
			off += w;
		}
	}
}

int pond__backup_write(const char *dst, pond__backup_fill_fn fill, void *payload, pond_error *err)
{
	int rc = make_parent(dst, err);
	if (rc)
		return rc;
	pond_buf part = POND_BUF_INIT;
	pond_buf_printf(&part, "%s.part", dst);
	if (!pond_buf_ok(&part))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *tmp = pond_buf_cstr(&part);
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = pond_error_set(err, POND_EIO, "could not create %s: %s", tmp, strerror(errno));
	} else {
		rc = fill(out, payload, err);
		if (rc == 0 && fsync(out) != 0)
			rc = pond_error_set(err, POND_EIO, "could not sync %s: %s", tmp, strerror(errno));
		if (close(out) != 0 && rc == 0)
			rc = pond_error_set(err, POND_EIO, "could not write %s: %s", tmp, strerror(errno));
	}
	if (rc == 0 && rename(tmp, dst) != 0)
		rc = pond_error_set(err, POND_EIO, "could not rename %s: %s", tmp, strerror(errno));
	if (rc)
		unlink(tmp);
	pond_buf_dispose(&part);
	return rc;
}

int pond__backup_gone(pond_error *err, const char *path)
{
	return pond_error_set(err, POND_ENOTFOUND, "%s is gone: was it deleted after the catalog was read (pond "
	                      "expire)? run the backup again", path);
}

typedef struct local_copy {
	const char *src, *dst;
} local_copy;

static int fill_from_file(int out, void *payload, pond_error *err)
{
	local_copy *c = payload;
	int in = open(c->src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return pond_error_set(err, POND_EIO, "could not copy %s to %s: %s", c->src, c->dst, strerror(errno));
	int rc = copy_bytes(in, out, c->src, c->dst, err);
	close(in);
	return rc;
}

int pond__backup_copy(const char *src, const char *dst, bool always, int64_t *size, bool *copied, pond_error *err)
{
	struct stat ss, ds;
	*copied = false;
	if (stat(src, &ss) != 0)
		return pond_error_set(err, errno == ENOENT ? POND_ENOTFOUND : POND_EIO, "could not read %s: %s", src,
		                      strerror(errno));
	*size = (int64_t)ss.st_size;
	if (!always && stat(dst, &ds) == 0 && S_ISREG(ds.st_mode) && ds.st_size == ss.st_size)
		return 0;
	local_copy c = {src, dst};
	int rc = pond__backup_write(dst, fill_from_file, &c, err);
	*copied = rc == 0;
	return rc;
}

/* Walks dir/rel (rel "" at the top), calling fn for each regular file. */
static int walk(const char *dir, const char *rel, pond__backup_walk_fn fn, void *payload, pond_error *err)
{
	pond_buf path = POND_BUF_INIT;
	pond_buf_printf(&path, rel[0] ? "%s/%s" : "%s%s", dir, rel);
	if (!pond_buf_ok(&path))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	DIR *d = opendir(pond_buf_cstr(&path));
	if (!d) {
		int rc = errno == ENOENT ? 0
		                         : pond_error_set(err, POND_EIO, "could not list %s: %s", pond_buf_cstr(&path),
		                                          strerror(errno));
		pond_buf_dispose(&path);
		return rc;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		pond_buf child = POND_BUF_INIT;
		pond_buf_printf(&child, rel[0] ? "%s/%s" : "%s%s", rel, e->d_name);
		pond_buf full = POND_BUF_INIT;
		pond_buf_printf(&full, "%s/%s", dir, pond_buf_cstr(&child));
		struct stat st;
		if (!pond_buf_ok(&child) || !pond_buf_ok(&full))
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
		else if (lstat(pond_buf_cstr(&full), &st) != 0)
			rc = pond_error_set(err, POND_EIO, "could not stat %s: %s", pond_buf_cstr(&full),
			                    strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = walk(dir, pond_buf_cstr(&child), fn, payload, err);
		else if (S_ISREG(st.st_mode))
			rc = fn(pond_buf_cstr(&child), (int64_t)st.st_size, payload, err);
		pond_buf_dispose(&child);
		pond_buf_dispose(&full);
	}
	closedir(d);
	pond_buf_dispose(&path);
	return rc;
}

int pond__backup_walk(const char *dir, pond__backup_walk_fn fn, void *payload, pond_error *err)
{
	return walk(dir, "", fn, payload, err);
}

int pond__backup_lock(const char *dir, const char *holder, int *fd, pond_error *err)
{
	pond_buf path = POND_BUF_INIT;
	pond_buf_printf(&path, "%s/.pond-lock", dir);
	if (!pond_buf_ok(&path))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = 0;
	*fd = open(pond_buf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		rc = pond_error_set(err, POND_EIO, "could not create %s: %s", pond_buf_cstr(&path), strerror(errno));
	else if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		bool busy = errno == EWOULDBLOCK;
		rc = busy ? pond_error_set(err, POND_ECONFLICT, "%s is in use by another %s", dir, holder)
		          : pond_error_set(err, POND_EIO, "could not lock %s: %s", dir, strerror(errno));
		close(*fd);
		*fd = -1;
	}
	pond_buf_dispose(&path);
	return rc;
}

void pond__backup_unlock(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
