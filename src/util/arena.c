/*
 * Arenas: blocks of memory handed out by bumping a pointer, freed all at
 * once. Big requests get their own block so a few large strings do not
 * waste a block each.
 */
#include "pond/util.h"

#include <stdio.h>
#include <string.h>

/* Under AddressSanitizer, memory an arena has not handed out (or has taken
 * back with pond_arena_reset) is poisoned: a pointer kept across a reset,
 * or a write past an allocation, is reported where it happens. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ARENA_BLOCK 8192
#define ARENA_ALIGN 16

typedef struct arena_block {
	struct arena_block *next;
	size_t size;
	size_t used;
	_Alignas(16) unsigned char data[];
} arena_block;

struct pond_arena {
	arena_block *head;   /* current block; older ones follow */
	size_t total_used;
};

static arena_block *block_new(size_t size)
{
	size_t total;
	if (__builtin_add_overflow(sizeof(arena_block), size, &total))
		return NULL;
	arena_block *b = pond_malloc(total);
	if (b) {
		b->next = NULL;
		b->size = size;
		b->used = 0;
		POISON(b->data, size);
	}
	return b;
}

pond_arena *pond_arena_new(void)
{
	pond_arena *a = pond_malloc(sizeof(*a));
	if (!a)
		return NULL;
	a->head = block_new(ARENA_BLOCK);
	a->total_used = 0;
	if (!a->head) {
		pond_free(a);
		return NULL;
	}
	return a;
}

static void free_blocks(arena_block *b)
{
	while (b) {
		arena_block *next = b->next;
		UNPOISON(b->data, b->size);
		pond_free(b);
		b = next;
	}
}

void pond_arena_free(pond_arena **arena)
{
	if (!arena || !*arena)
		return;
	free_blocks((*arena)->head);
	pond_free(*arena);
	*arena = NULL;
}

void pond_arena_reset(pond_arena *a)
{
	/* Keep the oldest block (the first one allocated, at the tail). */
	arena_block *b = a->head, *keep = NULL;
	while (b) {
		arena_block *next = b->next;
		if (next == NULL) {
			keep = b;
		} else {
			UNPOISON(b->data, b->size);
			pond_free(b);
		}
		b = next;
	}
	POISON(keep->data, keep->size);
	keep->used = 0;
	keep->next = NULL;
	a->head = keep;
	a->total_used = 0;
}

void *pond_arena_alloc(pond_arena *a, size_t size)
{
	size_t rounded;
	if (__builtin_add_overflow(size, ARENA_ALIGN - 1, &rounded))
		return NULL;
	rounded &= ~(size_t)(ARENA_ALIGN - 1);
	if (rounded == 0)
		rounded = ARENA_ALIGN;
	arena_block *b = a->head;
	if (b->size - b->used < rounded) {
		if (rounded > ARENA_BLOCK / 4) {
			/* A large request: its own block, behind the current one. */
			arena_block *big = block_new(rounded);
			if (!big)
				return NULL;
			big->used = rounded;
			big->next = b->next;
			b->next = big;
			a->total_used += rounded;
			UNPOISON(big->data, size);
			return big->data;
		}
		arena_block *fresh = block_new(ARENA_BLOCK);
		if (!fresh)
			return NULL;
		fresh->next = b;
		a->head = b = fresh;
	}
	void *p = b->data + b->used;
	b->used += rounded;
	a->total_used += rounded;
	UNPOISON(p, size ? size : 1);
	return p;
}

void *pond_arena_calloc(pond_arena *a, size_t count, size_t size)
{
	size_t total;
	if (pond_mul_overflows(count, size, &total))
		return NULL;
	void *p = pond_arena_alloc(a, total);
	if (p)
		memset(p, 0, total);
	return p;
}

void *pond_arena_memdup(pond_arena *a, const void *src, size_t n)
{
	void *p = pond_arena_alloc(a, n);
	if (p && n)
		memcpy(p, src, n);
	return p;
}

char *pond_arena_strndup(pond_arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = pond_arena_alloc(a, len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

char *pond_arena_strdup(pond_arena *a, const char *s)
{
	return s ? pond_arena_strndup(a, s, strlen(s)) : NULL;
}

char *pond_arena_sprintf(pond_arena *a, const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = NULL;
	if (n >= 0 && (p = pond_arena_alloc(a, (size_t)n + 1)) != NULL)
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

size_t pond_arena_used(const pond_arena *a)
{
	return a->total_used;
}

bool pond_arena_grow(pond_arena *a, void **items, size_t count, size_t *cap, size_t item_size)
{
	if (count < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 16, bytes;
	if (ncap < *cap || pond_mul_overflows(ncap, item_size, &bytes))
		return false;
	void *p = pond_arena_alloc(a, bytes);
	if (!p)
		return false;
	if (count)
		memcpy(p, *items, count * item_size);
	*items = p;
	*cap = ncap;
	return true;
}
