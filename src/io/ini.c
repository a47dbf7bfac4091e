/*
 * The AWS shared config and credentials files: INI sections ("[default]",
 * "[profile dev]", "[services local]"), "key = value" lines, comments on
 * lines starting with '#' or ';', and nested values, where a key with an
 * empty value is followed by indented "sub = value" lines (read as the
 * key "key.sub"). Keys are case-insensitive; the last of a repeated key
 * wins, as in Python's configparser that the AWS CLI reads them with.
 */
#include "io/io_internal.h"

#include <string.h>

/* Limits for a file that is outside input: AWS files hold a few dozen
 * keys, and a repeated key is looked up among those before it (a linear
 * scan, so the limit also bounds the work, quadratic in it). */
#define INI_MAX_ENTRIES 10000

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int add_entry(pond__ini *ini, size_t *cap, const char *section, const char *key, const char *value,
                     pond_arena *arena)
{
	/* The last of a repeated key wins: replace in place. */
	for (size_t i = 0; i < ini->n; i++) {
		if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0) {
			ini->entries[i].value = pond_arena_strdup(arena, value);
			return ini->entries[i].value ? 0 : POND_ENOMEM;
		}
	}
	if (ini->n >= INI_MAX_ENTRIES)
		return POND_ELIMIT;
	if (!pond_arena_grow(arena, (void **)&ini->entries, ini->n, cap, sizeof *ini->entries))
		return POND_ENOMEM;
	pond__ini_entry *e = &ini->entries[ini->n];
	e->section = pond_arena_strdup(arena, section);
	e->key = pond_arena_strdup(arena, key);
	e->value = pond_arena_strdup(arena, value);
	if (!e->section || !e->key || !e->value)
		return POND_ENOMEM;
	ini->n++;
	return 0;
}

static int add_section(pond__ini *ini, size_t *cap, const char *name, pond_arena *arena)
{
	if (ini->nsections >= INI_MAX_ENTRIES)
		return POND_ELIMIT;
	if (!pond_arena_grow(arena, (void **)&ini->sections, ini->nsections, cap, sizeof *ini->sections))
		return POND_ENOMEM;
	ini->sections[ini->nsections] = pond_arena_strdup(arena, name);
	return ini->sections[ini->nsections++] ? 0 : POND_ENOMEM;
}

typedef struct {
	pond__ini *ini;
	pond_arena *arena;
	size_t cap, section_cap;
	char *section;        /* current section, NULL before the first */
	char *parent;         /* the key whose nested values follow, or NULL */
	const char *path;
	int line;
} ini_state;

static int bad(ini_state *st, pond_error *err, const char *what)
{
	return pond_error_set(err, POND_EINVAL, "%s:%d: %s", st->path, st->line, what);
}

static int parse_line(ini_state *st, char *line, char *end, pond_error *err)
{
	bool indented = line < end && (*line == ' ' || *line == '\t');
	char *s = trim(line, end);
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *close = strrchr(s, ']');
		if (!close)
			return bad(st, err, "a section header without a closing ]");
		st->section = pond_arena_strdup(st->arena, trim(s + 1, close));
		st->parent = NULL;
		if (!st->section || add_section(st->ini, &st->section_cap, st->section, st->arena))
			return pond_error_set(err, POND_ENOMEM, "out of memory reading %s", st->path);
		return 0;
	}
	char *eq = strchr(s, '=');
	if (!st->section)
		return bad(st, err, "a value before any [section]");
	if (!eq)
		return bad(st, err, "expected key = value");
	char *value = trim(eq + 1, s + strlen(s));
	char *key = trim(s, eq);
	lower(key);
	if (*key == '\0')
		return bad(st, err, "a value without a key");
	char full[512];
	if (indented && st->parent) {
		if (snprintf(full, sizeof full, "%s.%s", st->parent, key) >= (int)sizeof full)
			return bad(st, err, "key too long");
	} else {
		if (snprintf(full, sizeof full, "%s", key) >= (int)sizeof full)
			return bad(st, err, "key too long");
		st->parent = *value == '\0' ? pond_arena_strdup(st->arena, key) : NULL;
	}
	int rc = add_entry(st->ini, &st->cap, st->section, full, value, st->arena);
	if (rc == POND_ELIMIT)
		return bad(st, err, "too many keys");
	if (rc)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading %s", st->path);
	return 0;
}

int pond__ini_parse(pond__ini *out, const char *text, size_t len, const char *path, pond_arena *arena,
                    pond_error *err)
{
	memset(out, 0, sizeof *out);
	ini_state st = {.ini = out, .arena = arena, .path = path};
	char *copy = pond_arena_strndup(arena, text, len);
	if (!copy)
		return pond_error_set(err, POND_ENOMEM, "out of memory reading %s", path);
	char *p = copy, *stop = copy + strlen(copy);
	while (p < stop) {
		char *nl = memchr(p, '\n', (size_t)(stop - p));
		char *end = nl ? nl : stop;
		st.line++;
		int rc = parse_line(&st, p, end, err);
		if (rc)
			return rc;
		p = nl ? nl + 1 : stop;
	}
	return 0;
}

const char *pond__ini_get(const pond__ini *ini, const char *section, const char *key)
{
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->entries[i].section, section) == 0 && strcmp(ini->entries[i].key, key) == 0)
			return ini->entries[i].value;
	return NULL;
}

bool pond__ini_has_section(const pond__ini *ini, const char *section)
{
	for (size_t i = 0; i < ini->nsections; i++)
		if (strcmp(ini->sections[i], section) == 0)
			return true;
	return false;
}
