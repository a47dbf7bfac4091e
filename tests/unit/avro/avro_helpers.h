/*
 * Shared by the avro unit tests: a schema with every Avro type (and the
 * Iceberg attributes), a value builder for it, file helpers, and a runner
 * for the independent reader (avsc, tests/node/avro_dump.js).
 */
#ifndef POND_TEST_AVRO_HELPERS_H
#define POND_TEST_AVRO_HELPERS_H

#include "pond/avro.h"

extern const char avro_test_everything_schema[];

/* Record i of the "everything" schema; deterministic, varied by i. */
pond_avro_value *avro_test_everything(pond_arena *arena, const pond_avro_node *root, int i);
/* The value as JSON text (pond_avro_value_to_json), in a new string. */
char *avro_test_json(const pond_avro_value *value);
/* True when two JSON texts parse to equal values. */
bool avro_test_json_equal(const char *a, const char *b);
/* Reads a whole file (up to 64 MiB) into *data (pond_free). */
int avro_test_slurp(const char *path, char **data, size_t *len);
/* Runs `node tests/node/avro_dump.js path` and returns its stdout lines
 * (NULL-terminated array; free with avro_test_free_lines). NULL on failure
 * (node missing, script missing, non-zero exit). */
char **avro_test_avsc_dump(const char *path);
/* The same for n files in one node process (starting node costs more than
 * reading a file): an array of n line arrays; free with
 * avro_test_free_files. */
char ***avro_test_avsc_dump_files(const char *const *paths, size_t n);
void avro_test_free_lines(char **lines);
void avro_test_free_files(char ***files, size_t n);
/* Reads every record of a file: count, and pond's JSON per record (as
 * lines, like avro_test_avsc_dump without the header line). */
char **avro_test_pond_dump(const char *path, pond_error *err);

#endif
