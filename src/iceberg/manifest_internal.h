/*
 * Shared by the manifest, manifest-list and scan files: Avro schemas of
 * Iceberg's metadata files, and the mapping between partition literals and
 * Avro values. Not part of the public API.
 */
#ifndef POND_MANIFEST_INTERNAL_H
#define POND_MANIFEST_INTERNAL_H

#include "pond/manifest.h"

/* The manifest list Avro schema (v2, or v1 when format_version is 1). New
 * reference. */
json_t *pond__manifest_list_avro_schema(int format_version);
/* The Avro type JSON of an Iceberg primitive (partition values); `name`
 * names fixed types. New reference. */
json_t *pond__avro_type_for_iceberg(const pond_iceberg_type *type, const char *name);
/* An Iceberg type for an Avro node (when a manifest carries no schema to
 * resolve its partition spec): NULL when there is none. */
pond_iceberg_type *pond__iceberg_type_for_avro(const pond_avro_node *node, pond_arena *arena);

/* An Avro value (borrowed from a decoded record) as a literal of type.
 * Bytes point into the value. */
int pond__literal_from_avro(pond_iceberg_literal *out, const pond_iceberg_type *type, const pond_avro_value *v,
                            const char *what, pond_error *err);
/* A literal as an Avro value for writing with `node` (a union with null or
 * the plain type); NULL on allocation failure. */
pond_avro_value *pond__literal_to_avro(const pond_iceberg_literal *lit, const pond_iceberg_type *type,
                                       pond_arena *arena);
/* Bytes needed for a decimal of this precision as Avro fixed. */
size_t pond__decimal_bytes(int precision);

/* The index of a record's field by Iceberg field id, else by name, else by
 * an older writer's name (old may be NULL); -1 when absent. Writers renamed
 * manifest fields between versions, so ids come first. */
int pond__avro_field_index(const pond_avro_node *rec, int32_t id, const char *name, const char *old);
/* The non-null branch of an optional (["null", T]) node; other nodes as is. */
const pond_avro_node *pond__avro_unwrap(const pond_avro_node *n);

/* The "./"-free, slash-trimmed form of a path for comparisons. */

/* Partition tuples as a hash key for the delete index. */
uint64_t pond__partition_hash(const pond_iceberg_literal *tuple, size_t n, int32_t spec_id);
bool pond__partition_equal(const pond_iceberg_literal *a, const pond_iceberg_literal *b, size_t n);

#endif
