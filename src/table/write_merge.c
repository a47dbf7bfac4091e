/*
 * Manifest merging on append (Iceberg's merge-append): when a new snapshot
 * would carry at least commit.manifest.min-count-to-merge data manifests
 * of one partition spec, the small ones it carries from its parent are
 * packed, in order, into manifests of up to
 * commit.manifest.target-size-bytes. Live entries keep their snapshot id
 * and data and file sequence numbers as EXISTING; DELETED entries are
 * dropped (they mattered only to the snapshot that wrote them). Manifests
 * this snapshot wrote itself (its new files, the rewritten ones holding
 * its DELETED entries) are never merged, so the snapshot's own change
 * stays as the write path made it. Without merging, every small append
 * adds a manifest that every later commit reads and lists again.
 */
#include "table_internal.h"

#include <inttypes.h>
#include <string.h>

#define MERGE_ENABLED "commit.manifest-merge.enabled"
#define MERGE_MIN_COUNT "commit.manifest.min-count-to-merge"
#define MERGE_TARGET_SIZE "commit.manifest.target-size-bytes"

/* Iceberg's defaults. */
#define DEFAULT_MIN_COUNT 100
#define DEFAULT_TARGET_SIZE (8 * 1024 * 1024)

static bool mergeable(const pond__merge *m, const pond_manifest_file *mf, int32_t spec_id)
{
	return mf->content == POND_MANIFEST_CONTENT_DATA && mf->partition_spec_id == spec_id &&
	       mf->added_snapshot_id != m->snapshot_id;
}

/* Writes the manifests bin[0..n) as one, into *out. */
static int merge_bin(const pond__merge *m, const pond_manifest_file *bin, size_t n, pond_manifest_file *out,
                     pond_error *err)
{
	const pond_iceberg_metadata *base = m->base;
	pond_arena *scratch = pond_arena_new();
	if (!scratch)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	char uuid[37];
	pond_uuid_v4_string(uuid);
	const char *path =
		pond_arena_sprintf(m->arena, "%s/metadata/%s-m%d-merged.avro", base->location, uuid, m->attempt);
	pond_manifest_writer_options mo = POND_MANIFEST_WRITER_OPTIONS_INIT;
	mo.schema = pond_iceberg_metadata_current_schema(base);
	mo.spec = pond_iceberg_metadata_spec(base, bin[0].partition_spec_id);
	mo.content = POND_MANIFEST_CONTENT_DATA;
	mo.snapshot_id = m->snapshot_id;
	pond_manifest_writer *mw = NULL;
	int rc = 0;
	if (!path)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	else if (!mo.spec)
		rc = pond_error_set(err, POND_ECORRUPT,
		                    "manifest %s names partition spec %d, which the table does not have",
		                    bin[0].manifest_path, (int)bin[0].partition_spec_id);
	/* Remembered first, so that a failure anywhere below removes it. */
	if (rc == 0 && (rc = pond_manifest_writer_open(&mw, m->io, path, &mo, err)) == 0)
		rc = m->remember(m->payload, path, err);
	for (size_t i = 0; i < n && rc == 0; i++) {
		pond_manifest_reader *r = NULL;
		const pond_manifest_entry *e;
		rc = pond_manifest_reader_open(&r, m->io, bin[i].manifest_path, &bin[i], NULL, NULL, err);
		while (rc == 0 && (rc = pond_manifest_reader_next(r, scratch, &e, err)) == 1) {
			rc = 0;
			if (e->status != POND_MANIFEST_DELETED) {
				pond_manifest_entry copy = *e;
				copy.status = POND_MANIFEST_EXISTING;
				rc = pond_manifest_writer_add(mw, &copy, err);
			}
			pond_arena_reset(scratch);
		}
		pond_manifest_reader_close(&r);
	}
	if (rc == 0)
		rc = pond_manifest_writer_finish(mw, out, m->arena, err);
	pond_manifest_writer_free(&mw);
	pond_arena_free(&scratch);
	return rc < 0 ? rc : 0;
}

/* Packs the mergeable manifests of spec_id, in order, into bins up to the
 * target size and replaces each bin of two or more by its merge: the
 * merged manifest takes the place of the bin's first. */
static int merge_spec(const pond__merge *m, int32_t spec_id, int64_t target, pond_manifest_file *mfs, size_t *n,
                      pond_error *err)
{
	size_t *bin = pond_arena_calloc(m->arena, *n ? *n : 1, sizeof(*bin));
	if (!bin)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	bool *gone = pond_arena_calloc(m->arena, *n ? *n : 1, sizeof(*gone));
	pond_manifest_file *members = pond_arena_calloc(m->arena, *n ? *n : 1, sizeof(*members));
	if (!gone || !members)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int rc = 0;
	size_t i = 0;
	while (i < *n && rc == 0) {
		size_t nbin = 0;
		int64_t size = 0;
		for (; i < *n; i++) {
			if (!mergeable(m, &mfs[i], spec_id) || mfs[i].manifest_length >= target)
				continue;
			if (nbin && size + mfs[i].manifest_length > target)
				break;
			size += mfs[i].manifest_length;
			bin[nbin++] = i;
		}
		if (nbin < 2)
			continue;
		for (size_t k = 0; k < nbin; k++)
			members[k] = mfs[bin[k]];
		pond_manifest_file merged;
		if ((rc = merge_bin(m, members, nbin, &merged, err)) != 0)
			break;
		mfs[bin[0]] = merged;
		for (size_t k = 1; k < nbin; k++)
			gone[bin[k]] = true;
	}
	size_t kept = 0;
	for (size_t k = 0; k < *n; k++)
		if (!gone[k])
			mfs[kept++] = mfs[k];
	*n = kept;
	return rc;
}

int pond__write_merge_manifests(const pond__merge *m, pond_manifest_file *carried, size_t *ncarried, pond_error *err)
{
	const pond_iceberg_metadata *base = m->base;
	if (!pond_iceberg_metadata_property_bool(base, MERGE_ENABLED, true))
		return 0;
	int64_t min_count = pond_iceberg_metadata_property_i64(base, MERGE_MIN_COUNT, DEFAULT_MIN_COUNT);
	int64_t target = pond_iceberg_metadata_property_i64(base, MERGE_TARGET_SIZE, DEFAULT_TARGET_SIZE);
	if (min_count < 2)
		min_count = 2;
	int rc = 0;
	for (size_t s = 0; s < base->nspecs && rc == 0; s++) {
		int32_t spec_id = base->specs[s]->spec_id;
		int64_t count = m->has_new_manifest && m->new_spec_id == spec_id;
		for (size_t i = 0; i < *ncarried; i++)
			count += carried[i].content == POND_MANIFEST_CONTENT_DATA &&
			         carried[i].partition_spec_id == spec_id;
		if (count >= min_count)
			rc = merge_spec(m, spec_id, target, carried, ncarried, err);
	}
	return rc;
}
