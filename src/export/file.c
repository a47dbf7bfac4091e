/*
 * Destinations: path templates ({date} and friends, in local time) and
 * the atomic write of a file. A writer fills a hidden temporary file in
 * the destination's folder; commit flushes it and renames it over the
 * destination (rename(2) within one folder is atomic), then flushes the
 * folder, so a reader sees the old file or the new one, never a part.
 */
#include "export_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int pond_export_expand_path(const char **out, const char *template_path, int64_t run_time_us, const char *base_dir,
                            pond_arena *arena, pond_error *err)
{
	if (run_time_us == 0)
		run_time_us = pond_time_now_us();
	time_t secs = (time_t)(run_time_us / 1000000);
	struct tm tm;
	if (!localtime_r(&secs, &tm))
		return pond_error_set(err, POND_EINVAL, "bad run time %lld", (long long)run_time_us);
	pond_buf b = POND_BUF_INIT;
	if (base_dir && template_path[0] != '/') {
		pond_buf_puts(&b, base_dir);
		if (!pond_str_ends_with(base_dir, "/"))
			pond_buf_putc(&b, '/');
	}
	for (const char *p = template_path; *p; p++) {
		if (*p != '{') {
			pond_buf_putc(&b, *p);
			continue;
		}
		const char *close = strchr(p, '}');
		size_t n = close ? (size_t)(close - p - 1) : 0;
		char key[16] = "";
		if (close && n < sizeof(key))
			memcpy(key, p + 1, n), key[n] = '\0';
		if (strcmp(key, "date") == 0)
			pond_buf_printf(&b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		else if (strcmp(key, "datetime") == 0)
			pond_buf_printf(&b, "%04d-%02d-%02d_%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			                tm.tm_hour, tm.tm_min, tm.tm_sec);
		else if (strcmp(key, "yyyy") == 0)
			pond_buf_printf(&b, "%04d", tm.tm_year + 1900);
		else if (strcmp(key, "mm") == 0)
			pond_buf_printf(&b, "%02d", tm.tm_mon + 1);
		else if (strcmp(key, "dd") == 0)
			pond_buf_printf(&b, "%02d", tm.tm_mday);
		else {
			pond_buf_dispose(&b);
			int len = close ? (int)(close - p + 1) : (int)strlen(p);
			return pond_error_set(err, POND_EINVAL,
			                      "unknown placeholder \"%.*s\" in path (expected {date}, {datetime}, {yyyy}, {mm} "
			                      "or {dd})", len, p);
		}
		p = close;
	}
	*out = pond_buf_ok(&b) ? pond_arena_strdup(arena, pond_buf_cstr(&b)) : NULL;
	pond_buf_dispose(&b);
	return *out ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond__export_file_open(export_file *f, const char *path, pond_arena *arena, pond_error *err)
{
	f->path = path;
	f->tmp = NULL;
	size_t len = strlen(path);
	if (len == 0 || path[len - 1] == '/')
		return pond_error_set(err, POND_EINVAL, "export path \"%s\" names a folder, not a file", path);
	char *dir_copy = pond_arena_strdup(arena, path), *base_copy = pond_arena_strdup(arena, path);
	if (!dir_copy || !base_copy)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	const char *dir = dirname(dir_copy), *base = basename(base_copy);
	int rc = pond_mkdirs(dir, err);
	if (rc)
		return pond_error_prefix(err, "could not create the folder of %s", path);
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return pond_error_set(err, POND_EINVAL, "export path %s is a folder", path);
	f->tmp = pond_arena_sprintf(arena, "%s/.%s.XXXXXX.tmp", dir, base);
	if (!f->tmp)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int fd = mkstemps(f->tmp, 4);
	if (fd < 0) {
		int e = errno;
		f->tmp = NULL;
		return pond_error_set(err, POND_EIO, "could not create a file in %s: %s", dir, strerror(e));
	}
	/* Readable as a normal new file would be (mkstemp makes it 0600). */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	close(fd);
	return 0;
}

void pond__export_file_abort(export_file *f)
{
	if (f->tmp)
		unlink(f->tmp);
	f->tmp = NULL;
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int pond__export_file_commit(export_file *f, int64_t *bytes, pond_error *err)
{
	struct stat st;
	if (fsync_path(f->tmp, O_RDONLY) != 0 || stat(f->tmp, &st) != 0) {
		int e = errno;
		pond__export_file_abort(f);
		return pond_error_set(err, POND_EIO, "could not write %s: %s", f->path, strerror(e));
	}
	if (rename(f->tmp, f->path) != 0) {
		int e = errno;
		pond__export_file_abort(f);
		return pond_error_set(err, POND_EIO, "could not write %s: %s", f->path, strerror(e));
	}
	f->tmp = NULL;
	*bytes = (int64_t)st.st_size;
	char *dir_copy = pond_strdup(f->path);
	if (dir_copy)
		fsync_path(dirname(dir_copy), O_RDONLY | O_DIRECTORY);
	pond_free(dir_copy);
	return 0;
}
