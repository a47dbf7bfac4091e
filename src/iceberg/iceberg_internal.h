/*
 * Helpers shared by the files of the iceberg layer: typed JSON field reads
 * with range checks, building JSON with one sticky failure flag, and arena
 * arrays. Not part of the public API.
 */
#ifndef POND_ICEBERG_INTERNAL_H
#define POND_ICEBERG_INTERNAL_H

#include "pond/iceberg.h"

#include <jansson.h>

/* Nesting limit for types read from outside input. */
#define POND__ICEBERG_MAX_DEPTH 64

/* Reads an integer field that must fit int32; required or optional (then
 * *out is left alone when the field is missing or null). */
int pond__ice_get_i32(const json_t *obj, const char *key, int32_t *out, bool required, const char *what,
                      pond_error *err);
int pond__ice_get_i64(const json_t *obj, const char *key, int64_t *out, bool required, const char *what,
                      pond_error *err);
/* A string field copied into arena; optional leaves *out alone. */
int pond__ice_get_str(const json_t *obj, const char *key, const char **out, bool required, pond_arena *arena,
                      const char *what, pond_error *err);
/* An array field (required or optional: *out NULL when missing). */
int pond__ice_get_array(const json_t *obj, const char *key, json_t **out, bool required, const char *what,
                        pond_error *err);

/* Reads one object of a field list into item (zeroed, size bytes). */
typedef int (*pond__ice_object_fn)(void *item, const json_t *json, void *payload, pond_error *err);
/* A field list (partition or sort fields): every element of array must be
 * an object ("WHAT: NOUN must be an object"), read by fn into a new arena
 * array of *count elements of size bytes each; *out is NULL when empty. */
int pond__ice_read_objects(void **out, size_t *count, const json_t *array, size_t size, pond__ice_object_fn fn,
                           void *payload, pond_arena *arena, const char *what, const char *noun, pond_error *err);

/* Sets obj[key] = value (stealing value). A NULL value or a failed set
 * clears *ok, so a builder checks once at the end. */
void pond__ice_set(json_t *obj, const char *key, json_t *value, bool *ok);
void pond__ice_append(json_t *array, json_t *value, bool *ok);

/* JSON text of any value (for defaults), copied into arena; NULL on failure. */
const char *pond__ice_json_text(const json_t *value, pond_arena *arena);
/* Parses JSON text of any value; NULL on failure. New reference. */
json_t *pond__ice_json_from_text(const char *text);

/* Grows an arena array of n elements of size elem to n+1 (copying), and
 * returns a pointer to the new, zeroed last element; NULL on failure. */
void *pond__ice_array_push(pond_arena *arena, void **array, size_t *n, size_t elem);

/* Writes "YYYY-MM-DD" for days since epoch. */
void pond__ice_format_date(pond_buf *out, int64_t days);

/* A snapshot object (one entry of "snapshots"), into arena; unknown keys
 * go to s->extra (a new reference the owner releases). */
int pond__ice_snapshot_from_json(pond_iceberg_snapshot *s, const json_t *json, int format_version,
                                 pond_arena *arena, const char *what, pond_error *err);
json_t *pond__ice_snapshot_to_json(const pond_iceberg_snapshot *s);
/* A ref's JSON without its name. */
json_t *pond__ice_ref_to_json(const pond_iceberg_ref *r);

/* Views (view.c): the spec's rules on a view document and on one version;
 * wrap validates doc and takes it over (released on failure too); find
 * returns the element of list whose integer key is id, or NULL. */
int pond__ice_view_validate(const json_t *doc, const char *what, pond_error *err);
int pond__ice_check_view_version(const json_t *version, const char *what, pond_error *err);
int pond__ice_view_wrap(pond_iceberg_view **out, json_t *doc, const char *what, pond_error *err);
const json_t *pond__ice_view_find(const json_t *list, const char *key, int32_t id);

/* Floor division and modulo for negative values (spec rules for transforms). */
static inline int64_t pond__floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

#endif
