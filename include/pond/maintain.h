/*
 * pond maintain layer: table upkeep as a job. Expiry (pond_table_expire)
 * and orphan cleanup (pond_table_orphans) are the table layer's; this
 * layer runs them over one table or all of them by the policy in
 * pond.yml's `maintenance:` section, and measures what the tables hold
 * before and after. Depends on pond/table.h.
 */
#ifndef POND_MAINTAIN_H
#define POND_MAINTAIN_H

#include "pond/table.h"

/* An age as users write it: "7d", "12h", "30m", "45s", "500ms", or a sum
 * of those ("1d12h"); a bare number is seconds. */
int pond_maintain_parse_age(const char *text, int64_t *out_ms, pond_error *err);

/* The tables to work on: the one named (parsed; it must exist) or, when
 * table is NULL, every table of the catalog, by namespace then name. In
 * arena. */
int pond_maintain_tables(pond_table_ident **out, size_t *n, pond_lake *lake, const char *table, pond_arena *arena,
                         pond_error *err);

/* Regular files and bytes below a table's folder (symbolic links not
 * followed; on S3, the objects under its location). */
typedef struct pond_maintain_usage {
	int64_t files;
	int64_t bytes;
} pond_maintain_usage;

/* Measures what table's folder holds; a folder that cannot be listed
 * measures nothing (a warning says why). */
void pond_maintain_measure(pond_maintain_usage *out, pond_lake *lake, const pond_table *table);

/* ---- pond maintain: the policy in pond.yml ---- */

/* maintenance:
 *   flush:   {enabled: true}
 *   compact: {enabled: true}
 *   expire:  {enabled: true, older_than: 7d, retain_last: 1}
 *   orphans: {enabled: true, older_than: 3d, delete: true}
 *   archive: {to: /mnt/nas/pond, older_than: 365d, column: ts, enabled: true}
 * Absent keys keep these defaults; expire's older_than and retain_last,
 * when absent, are the table properties' (history.expire.*). Archiving
 * runs only when archive.to is set (relative: to the project folder),
 * and then needs older_than; column is optional (pond_archive_options). */
typedef struct pond_maintain_policy {
	bool flush;                    /* the row buffer, written as a snapshot */
	bool compact;                  /* pond_table_compact with the table's defaults */
	bool expire;
	int64_t expire_older_than_ms;  /* -1: the table's property */
	int32_t retain_last;           /* -1: the table's property */
	bool orphans;
	int64_t orphans_older_than_ms;
	bool orphans_delete;
	const char *archive_to;        /* NULL: no archiving; relative: to the project folder
	                                  (borrowed from the project) */
	int64_t archive_older_than_ms;
	const char *archive_column;    /* NULL: tables without a time partition stay */
} pond_maintain_policy;

#define POND_MAINTAIN_ORPHAN_AGE_MS (3LL * 24 * 3600 * 1000)
#define POND_MAINTAIN_POLICY_INIT {true, true, true, -1, -1, true, POND_MAINTAIN_ORPHAN_AGE_MS, true, NULL, 0, NULL}

/* The policy of a project's pond.yml (defaults where absent); errors name
 * pond.yml and the key. */
int pond_maintain_policy_load(pond_maintain_policy *out, const pond_project *project, pond_error *err);

/* One table's maintenance, for the caller's progress and summary. */
typedef struct pond_maintain_table_result {
	const char *table;               /* "ns.t" */
	pond_maintain_usage before, after;
	int64_t flushed_records;         /* rows the flush wrote from the row buffer */
	pond_compact_result compact;
	pond_expire_result expire;
	pond_orphans_result orphans;
	pond_archive_result archive;
	int64_t metadata_files;          /* superseded metadata files deleted */
	const char *error;               /* NULL, or what failed (the run goes on) */
} pond_maintain_table_result;

/* Called before (done false) and after (done true) each table. */
typedef void (*pond_maintain_progress_fn)(size_t index, size_t count, const pond_maintain_table_result *r, bool done,
                                          void *payload);

/* Runs the policy on one table or all (table NULL): flush, compaction,
 * expiry, superseded metadata files, orphans, then archiving, each table
 * in turn (an archive that fails, a share not mounted, leaves the other
 * steps done and fails the table); a table that fails is
 * reported in its result and the others still run. now_ms: as
 * pond_time_policy_now_ms. *results (arena) gets one entry per table; the
 * return is POND_EIO when any table failed. */
int pond_maintain_run(pond_lake *lake, const char *table, const pond_maintain_policy *policy, int64_t now_ms,
                      pond_maintain_progress_fn progress, void *payload, pond_maintain_table_result **results,
                      size_t *nresults, pond_arena *arena, pond_error *err);

#endif
