/*
 * libFuzzer target: the YAML reader behind pond.yml, sources, exports.
 * Any bytes must give a node tree or a one-line error, never a crash, and
 * the typed getters must hold up on whatever tree comes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pond/util.h"

static void walk(const pond_yaml_node *n, int depth)
{
	if (!n || depth > 80)
		return;
	pond_error err = POND_ERROR_INIT;
	const char *s;
	int64_t i;
	bool b;
	pond_yaml_string(n, &s, "f", "k", &err);
	pond_yaml_int(n, &i, "f", "k", &err);
	pond_yaml_bool(n, &b, "f", "k", &err);
	(void)pond_yaml_is_null(n);
	static const char *const allowed[] = {"name", "warehouse", NULL};
	pond_yaml_check_keys(n, allowed, "f", &err);
	for (size_t k = 0; k < n->count; k++)
		walk(n->kind == POND_YAML_SEQ ? n->items[k] : n->values[k], depth + 1);
	(void)pond_yaml_get(n, "name");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return 0;
	pond_error err = POND_ERROR_INIT;
	pond_yaml_node *root;
	if (pond_yaml_parse(&root, (const char *)data, size, "pond.yml", a, &err) == 0)
		walk(root, 0);
	else if (strchr(err.msg, '\n'))
		abort();  /* errors are one line */
	pond_arena_free(&a);
	return 0;
}
