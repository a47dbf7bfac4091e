/*
 * A lake's storage: the S3 client and the local object cache it opens the
 * first time a table on S3 is touched (settings from pond.yml's storage:
 * block, credentials as the AWS CLI finds them), the file IO each table
 * operation gets by its location's scheme, and the table's files listed
 * and deleted through it (for maintenance).
 */
#include "table_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int pond__lake_keep_fileio(pond_lake *lake, pond_fileio **io, pond_error *err)
{
	if (lake->nkept == lake->capkept) {
		size_t cap = lake->capkept ? lake->capkept * 2 : 8;
		pond_fileio **grown = pond_reallocarray(lake->kept, cap, sizeof(*grown));
		if (!grown)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		lake->kept = grown;
		lake->capkept = cap;
	}
	lake->kept[lake->nkept++] = *io;
	*io = NULL;
	return 0;
}

void pond__lake_storage_close(pond_lake *lake)
{
	for (size_t i = 0; i < lake->nkept; i++)
		pond_fileio_free(&lake->kept[i]);
	pond_free(lake->kept);
	lake->kept = NULL;
	lake->nkept = lake->capkept = 0;
	pond_io_cache_close(&lake->cache);
	pond_s3_client_free(&lake->s3);
}

/* A query over many S3 files holds one open file per cached copy it reads
 * (the lock that keeps it from eviction): allow as many as the hard limit. */
static void raise_open_files(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int pond__lake_storage(pond_lake *lake, pond_s3_client **client, pond_io_cache **cache, pond_error *err)
{
	int rc = 0;
	if (!lake->s3) {
		pond_s3_config cfg;
		rc = pond_s3_config_resolve(&cfg, &lake->project->storage, NULL, NULL, err);
		if (rc == 0)
			rc = pond_s3_client_new(&lake->s3, &cfg, NULL, err);
		pond_s3_config_dispose(&cfg);
		if (rc)
			pond_error_prefix(err, "could not open the storage of %s", lake->project->warehouse);
	}
	if (rc == 0 && !lake->cache) {
		pond_io_cache_options co = POND_IO_CACHE_OPTIONS_INIT;
		co.max_bytes = lake->project->cache_max_bytes;
		rc = pond_io_cache_open(&lake->cache, lake->project->cache_dir, &co, err);
		raise_open_files();
	}
	*client = lake->s3;
	*cache = lake->cache;
	return rc;
}

int pond_lake_fileio(pond_lake *lake, const char *location, pond_fileio **out, pond_error *err)
{
	*out = NULL;
	if (!location || !pond_project_is_s3(location))
		return pond_fileio_local_new(out, err);
	pond_s3_client *client;
	pond_io_cache *cache;
	int rc = pond__lake_storage(lake, &client, &cache, err);
	return rc ? rc : pond_fileio_s3_new(out, client, cache, err);
}

int pond__table_fileio(pond_lake *lake, const pond_iceberg_metadata *md, const char *metadata_location,
                       pond_fileio **out, pond_error *err)
{
	int rc = pond_lake_fileio(lake, metadata_location ? metadata_location : md->location, out, err);
	if (rc == 0 && (rc = pond_fileio_remap_table(*out, md, metadata_location, err)) != 0)
		pond_fileio_free(out);
	return rc;
}


int pond_table_fileio(pond_lake *lake, const pond_table *table, pond_fileio **out, pond_error *err)
{
	return pond__table_fileio(lake, table->metadata, table->metadata_location, out, err);
}

int pond_table_files(pond_lake *lake, const pond_table *table, const char *folder, pond_fileio_list_fn fn,
                     void *payload, pond_error *err)
{
	pond_fileio *io;
	int rc = pond_table_fileio(lake, table, &io, err);
	if (rc)
		return rc;
	pond_buf dir = POND_BUF_INIT;
	pond_fileio_resolve(io, table->metadata->location, &dir);
	if (folder)
		pond_buf_printf(&dir, "/%s", folder);
	rc = pond_buf_ok(&dir) ? pond_fileio_list(io, pond_buf_cstr(&dir), fn, payload, err)
	                       : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_buf_dispose(&dir);
	pond_fileio_free(&io);
	return rc;
}

int pond_table_remove_files(pond_lake *lake, const pond_table *table, const char *const *paths, size_t n,
                            pond_error *err)
{
	pond_fileio *io;
	int rc = pond_table_fileio(lake, table, &io, err);
	if (rc == 0)
		rc = pond_fileio_remove(io, paths, n, err);
	pond_fileio_free(&io);
	return rc;
}

/* ---- staging folders ---- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

void pond__remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes a staging folder nobody holds: its writer died (killed) before
 * it could. One that is being made (".new-" names) is left for a day. */
static int sweep_stage(const char *path, const char *name, const struct stat *st, void *payload)
{
	(void)payload;
	if (!S_ISDIR(st->st_mode))
		return 0;
	if (name[0] == '.') {
		if (pond_time_now_ms() - (int64_t)st->st_mtime * 1000 > 24LL * 3600 * 1000)
			pond__remove_tree(path);
		return 0;
	}
	char lock[4096];
	snprintf(lock, sizeof lock, "%s/.lock", path);
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
		pond__remove_tree(path);
	if (fd >= 0)
		close(fd);
	return 0;
}

int pond__stage_open(pond_lake *lake, pond_arena *a, const char **dir, int *lock, pond_error *err)
{
	*lock = -1;
	*dir = NULL;
	char uuid[37];
	pond_uuid_v4_string(uuid);
	const char *root = pond_arena_sprintf(a, "%s/.pond/cache/staging", lake->project->root);
	const char *fresh = root ? pond_arena_sprintf(a, "%s/.new-%s", root, uuid) : NULL;
	const char *final = fresh ? pond_arena_sprintf(a, "%s/%s", root, uuid) : NULL;
	const char *lock_path = final ? pond_arena_sprintf(a, "%s/.lock", fresh) : NULL;
	if (!lock_path)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = pond_mkdirs(root, err);
	if (rc == 0)
		pond_dir_each(root, sweep_stage, NULL);
	if (rc == 0)
		rc = pond_mkdirs(fresh, err);
	/* Locked before it gets the name a sweep looks at: the lock goes with
	 * this process, however it ends. */
	int fd = rc == 0 ? open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (rc == 0 && (fd < 0 || flock(fd, LOCK_EX) != 0 || rename(fresh, final) != 0))
		rc = pond_error_set(err, POND_EIO, "could not make the staging folder %s: %s", final, strerror(errno));
	if (rc) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	*dir = final;
	*lock = fd;
	return 0;
}

void pond__stage_close(const char *dir, int *lock)
{
	if (dir)
		pond__remove_tree(dir);
	if (*lock >= 0)
		close(*lock);
	*lock = -1;
}
