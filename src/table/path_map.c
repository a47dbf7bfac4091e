/*
 * Path maps (pond__path_map, table_internal.h): open-addressing hash maps
 * from copied strings to integers, used by the table layer for sets of
 * file paths. Keys hash with pond_hash64; the table doubles when half full.
 */
#include "table_internal.h"

#include <string.h>

static size_t slot_of(const pond__path_map *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)pond_hash64(key, strlen(key)) & mask;
	while (m->keys[i] && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & mask;
	return i;
}

static int grow(pond__path_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	pond__path_map bigger = {0, cap, pond_calloc(cap, sizeof(char *)), pond_calloc(cap, sizeof(int64_t)), m->oom};
	if (!bigger.keys || !bigger.values) {
		pond_free(bigger.keys);
		pond_free(bigger.values);
		return POND_ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t s = slot_of(&bigger, m->keys[i]);
		bigger.keys[s] = m->keys[i];
		bigger.values[s] = m->values[i];
	}
	bigger.n = m->n;
	pond_free(m->keys);
	pond_free(m->values);
	*m = bigger;
	return 0;
}

int pond__path_map_put(pond__path_map *m, const char *key, int64_t value)
{
	if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
		return POND_ENOMEM;
	size_t s = slot_of(m, key);
	if (!m->keys[s]) {
		if (!(m->keys[s] = pond_strdup(key)))
			return POND_ENOMEM;
		m->n++;
	}
	m->values[s] = value;
	return 0;
}

bool pond__path_map_get(const pond__path_map *m, const char *key, int64_t *value)
{
	if (!m->cap)
		return false;
	size_t s = slot_of(m, key);
	if (!m->keys[s])
		return false;
	if (value)
		*value = m->values[s];
	return true;
}

void pond__path_map_dispose(pond__path_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		pond_free(m->keys[i]);
	pond_free(m->keys);
	pond_free(m->values);
	memset(m, 0, sizeof(*m));
}

int pond__strlist_add(char ***items, size_t *n, size_t *cap, const char *s, pond_error *err)
{
	if (*n == *cap) {
		size_t grown_cap = *cap ? *cap * 2 : 8;
		char **grown = pond_reallocarray(*items, grown_cap, sizeof(*grown));
		if (!grown)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		*items = grown;
		*cap = grown_cap;
	}
	if (!((*items)[*n] = pond_strdup(s)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	(*n)++;
	return 0;
}
