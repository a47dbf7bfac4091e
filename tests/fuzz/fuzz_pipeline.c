/*
 * libFuzzer target: the pipelines of pond.yml (steps, schedules, time
 * zones, retries, durations). Any YAML gives pipelines or a one-line
 * error naming the line, never a crash or a leak.
 */
#include <stdint.h>

#include "pond/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return 0;
	pond_error err = POND_ERROR_INIT;
	pond_yaml_node *doc;
	pond_pipelines *ps = NULL;
	if (pond_yaml_parse(&doc, (const char *)data, size, "pond.yml", a, &err) == 0 &&
	    pond_pipelines_parse(&ps, doc, "/nonexistent", "pond.yml", &err) == 0)
		pond_pipelines_free(&ps);
	pond_arena_free(&a);
	return 0;
}
