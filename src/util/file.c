/*
 * Small local-file helpers: whole-file reads with a size cap, atomic
 * writes (temporary name, fsync, rename), mkdir -p.
 */
#include "pond/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pond_file_read(char **out, size_t *len, const char *path, size_t max_len, pond_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pond_error_set(err, errno == ENOENT ? POND_ENOTFOUND : POND_EIO,
		                      "could not open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pond_error_set(err, POND_EIO, "could not read %s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > max_len) {
		close(fd);
		return pond_error_set(err, POND_ELIMIT, "cannot read %s: %lld bytes is over the limit of %zu",
		                      path, (long long)st.st_size, max_len);
	}
	size_t size = (size_t)st.st_size;
	char *data = pond_malloc(size + 1);
	if (!data) {
		close(fd);
		return pond_error_set(err, POND_ENOMEM, "out of memory reading %s", path);
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = errno;
			close(fd);
			pond_free(data);
			return pond_error_set(err, POND_EIO, "could not read %s: %s", path,
			                      n == 0 ? "file shrank while reading" : strerror(e));
		}
		got += (size_t)n;
	}
	close(fd);
	data[size] = '\0';
	*out = data;
	*len = size;
	return 0;
}

int pond_file_write_atomic(const char *path, const void *data, size_t len, pond_error *err)
{
	char tmp[4096];
	char rnd[37];
	pond_uuid_v4_string(rnd);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%.8s", path, rnd) >= (int)sizeof(tmp))
		return pond_error_set(err, POND_EINVAL, "path too long: %s", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return pond_error_set(err, POND_EIO, "could not create %s: %s", tmp, strerror(errno));
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return pond_error_set(err, POND_EIO, "could not write %s: %s", tmp, strerror(e));
		}
		p += n;
		left -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		int e = errno;
		unlink(tmp);
		return pond_error_set(err, POND_EIO, "could not write %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return pond_error_set(err, POND_EIO, "could not rename %s to %s: %s", tmp, path, strerror(e));
	}
	return 0;
}

int pond_mkdirs(const char *path, pond_error *err)
{
	char buf[4096];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(buf))
		return pond_error_set(err, POND_EINVAL, "invalid folder path \"%s\"", path);
	/* Most calls find the folder there already: one call says so. */
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return 0;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return pond_error_set(err, POND_EIO, "could not create folder %s: %s", buf, strerror(errno));
		buf[i] = saved;
	}
	return 0;
}

bool pond_file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int pond_dir_each(const char *dir, pond_dir_fn fn, void *payload)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char path[PATH_MAX];
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
			continue;
		struct stat st;
		if (lstat(path, &st) == 0)
			rc = fn(path, e->d_name, &st, payload);
	}
	closedir(d);
	return rc;
}
