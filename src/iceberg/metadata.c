/*
 * Table metadata: lookups, validation of the spec's invariants, deep copies
 * and metadata file names. Parsing is in metadata_parse.c, writing in
 * metadata_write.c, changes in update_apply.c.
 */
#include "iceberg_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const pond_iceberg_schema *pond_iceberg_metadata_schema(const pond_iceberg_metadata *md, int32_t schema_id)
{
	for (size_t i = 0; i < md->nschemas; i++)
		if (md->schemas[i]->schema_id == schema_id)
			return md->schemas[i];
	return NULL;
}

const pond_iceberg_schema *pond_iceberg_metadata_current_schema(const pond_iceberg_metadata *md)
{
	return pond_iceberg_metadata_schema(md, md->current_schema_id);
}

const pond_iceberg_partition_spec *pond_iceberg_metadata_spec(const pond_iceberg_metadata *md, int32_t spec_id)
{
	for (size_t i = 0; i < md->nspecs; i++)
		if (md->specs[i]->spec_id == spec_id)
			return md->specs[i];
	return NULL;
}

const pond_iceberg_partition_spec *pond_iceberg_metadata_default_spec(const pond_iceberg_metadata *md)
{
	return pond_iceberg_metadata_spec(md, md->default_spec_id);
}

const pond_iceberg_sort_order *pond_iceberg_metadata_sort_order(const pond_iceberg_metadata *md, int32_t order_id)
{
	for (size_t i = 0; i < md->nsort_orders; i++)
		if (md->sort_orders[i]->order_id == order_id)
			return md->sort_orders[i];
	return NULL;
}

const pond_iceberg_snapshot *pond_iceberg_metadata_snapshot(const pond_iceberg_metadata *md, int64_t snapshot_id)
{
	for (size_t i = 0; i < md->nsnapshots; i++)
		if (md->snapshots[i].snapshot_id == snapshot_id)
			return &md->snapshots[i];
	return NULL;
}

const pond_iceberg_snapshot *pond_iceberg_metadata_current_snapshot(const pond_iceberg_metadata *md)
{
	if (md->current_snapshot_id == POND_ICEBERG_NO_SNAPSHOT)
		return NULL;
	return pond_iceberg_metadata_snapshot(md, md->current_snapshot_id);
}

const pond_iceberg_ref *pond_iceberg_metadata_ref(const pond_iceberg_metadata *md, const char *name)
{
	for (size_t i = 0; i < md->nrefs; i++)
		if (strcmp(md->refs[i].name, name) == 0)
			return &md->refs[i];
	return NULL;
}

const char *pond_iceberg_metadata_property(const pond_iceberg_metadata *md, const char *key)
{
	for (size_t i = 0; i < md->nproperties; i++)
		if (strcmp(md->properties[i].key, key) == 0)
			return md->properties[i].value;
	return NULL;
}

bool pond_iceberg_metadata_property_bool(const pond_iceberg_metadata *md, const char *key, bool dflt)
{
	const char *v = pond_iceberg_metadata_property(md, key);
	if (v && pond_str_ieq(v, "true"))
		return true;
	if (v && pond_str_ieq(v, "false"))
		return false;
	return dflt;
}

int64_t pond_iceberg_metadata_property_i64(const pond_iceberg_metadata *md, const char *key, int64_t dflt)
{
	const char *v = pond_iceberg_metadata_property(md, key);
	int64_t n;
	return v && pond_str_to_i64(v, &n) ? n : dflt;
}

static int check_unique_ids(const pond_iceberg_metadata *md, const char *what, pond_error *err)
{
	for (size_t i = 0; i < md->nschemas; i++)
		for (size_t j = 0; j < i; j++)
			if (md->schemas[i]->schema_id == md->schemas[j]->schema_id)
				return pond_error_set(err, POND_EINVAL, "%s: \"schemas\": schema-id %d appears twice", what,
				                      (int)md->schemas[i]->schema_id);
	for (size_t i = 0; i < md->nspecs; i++)
		for (size_t j = 0; j < i; j++)
			if (md->specs[i]->spec_id == md->specs[j]->spec_id)
				return pond_error_set(err, POND_EINVAL, "%s: \"partition-specs\": spec-id %d appears twice",
				                      what, (int)md->specs[i]->spec_id);
	for (size_t i = 0; i < md->nsort_orders; i++)
		for (size_t j = 0; j < i; j++)
			if (md->sort_orders[i]->order_id == md->sort_orders[j]->order_id)
				return pond_error_set(err, POND_EINVAL, "%s: \"sort-orders\": order-id %d appears twice",
				                      what, (int)md->sort_orders[i]->order_id);
	for (size_t i = 0; i < md->nsnapshots; i++)
		for (size_t j = 0; j < i; j++)
			if (md->snapshots[i].snapshot_id == md->snapshots[j].snapshot_id)
				return pond_error_set(err, POND_EINVAL, "%s: \"snapshots\": snapshot-id %lld appears twice",
				                      what, (long long)md->snapshots[i].snapshot_id);
	return 0;
}

static int check_snapshots(const pond_iceberg_metadata *md, const char *what, pond_error *err)
{
	if (md->current_snapshot_id != POND_ICEBERG_NO_SNAPSHOT && !pond_iceberg_metadata_current_snapshot(md))
		return pond_error_set(err, POND_EINVAL, "%s: current-snapshot-id %lld not found in snapshots", what,
		                      (long long)md->current_snapshot_id);
	for (size_t i = 0; i < md->nrefs; i++)
		if (!pond_iceberg_metadata_snapshot(md, md->refs[i].snapshot_id))
			return pond_error_set(err, POND_EINVAL, "%s: refs: \"%s\" points at snapshot-id %lld, not found in snapshots",
			                      what, md->refs[i].name, (long long)md->refs[i].snapshot_id);
	/* spec: a snapshot's sequence number is at most last-sequence-number */
	for (size_t i = 0; md->format_version >= 2 && i < md->nsnapshots; i++)
		if (md->snapshots[i].sequence_number > md->last_sequence_number)
			return pond_error_set(err, POND_EINVAL,
			                      "%s: snapshot %lld: sequence-number %lld is above last-sequence-number %lld", what,
			                      (long long)md->snapshots[i].snapshot_id, (long long)md->snapshots[i].sequence_number,
			                      (long long)md->last_sequence_number);
	return 0;
}

int pond_iceberg_metadata_validate(const pond_iceberg_metadata *md, const char *what, pond_error *err)
{
	int rc;
	if (!md->location)
		return pond_error_set(err, POND_EINVAL, "%s: missing field \"location\"", what);
	if (!pond_iceberg_metadata_current_schema(md))
		return pond_error_set(err, POND_EINVAL, "%s: current-schema-id %d not found in schemas", what,
		                      (int)md->current_schema_id);
	if (!pond_iceberg_metadata_default_spec(md))
		return pond_error_set(err, POND_EINVAL, "%s: default-spec-id %d not found in partition-specs", what,
		                      (int)md->default_spec_id);
	if (!pond_iceberg_metadata_sort_order(md, md->default_sort_order_id))
		return pond_error_set(err, POND_EINVAL, "%s: default-sort-order-id %d not found in sort-orders", what,
		                      (int)md->default_sort_order_id);
	if (md->last_sequence_number < 0)
		return pond_error_set(err, POND_EINVAL, "%s: last-sequence-number must not be negative", what);
	if ((rc = check_unique_ids(md, what, err)) || (rc = check_snapshots(md, what, err)))
		return rc;
	return 0;
}

int pond_iceberg_metadata_copy(pond_iceberg_metadata **out, const pond_iceberg_metadata *md, pond_error *err)
{
	json_t *json;
	int rc = pond_iceberg_metadata_to_json(&json, md, err);
	if (rc)
		return rc;
	rc = pond_iceberg_metadata_from_json(out, json, "table metadata", err);
	json_decref(json);
	return rc;
}

int pond_iceberg_metadata_file_name(char out[64], const char *previous, pond_error *err)
{
	char uuid[37];
	long version = 0;
	pond_uuid_v4_string(uuid);
	if (previous) {
		const char *base = strrchr(previous, '/');
		base = base ? base + 1 : previous;
		/* Java's name: NNNNN-<uuid>.metadata.json (maybe .gz); Hadoop
		 * tables' (and some tools'): vN.metadata.json */
		bool hadoop = base[0] == 'v' && base[1] >= '0' && base[1] <= '9';
		const char *digits = hadoop ? base + 1 : base;
		char *end;
		long v = strtol(digits, &end, 10);
		if (end == digits || *end != (hadoop ? '.' : '-') || v < 0 || v >= 99999 || digits[0] == '-' ||
		    digits[0] == '+')
			return pond_error_set(err, POND_EINVAL, "cannot read a version number from metadata file name %s",
			                      previous);
		version = v + 1;
	}
	snprintf(out, 64, "%05ld-%s.metadata.json", version, uuid);
	return 0;
}
