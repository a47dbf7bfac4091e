/*
 * The one allocation wrapper. Tests arm pond_alloc_fail_at(N) to make the
 * Nth allocation fail and check that callers clean up and report it.
 */
#include "pond/util.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_at;   /* 0: off; else allocations left until failure */
static atomic_long alloc_count;

void pond_alloc_fail_at(long n)
{
	atomic_store(&fail_at, n);
	atomic_store(&alloc_count, 0);
}

long pond_alloc_count(void)
{
	return atomic_load(&alloc_count);
}

static bool should_fail(void)
{
	atomic_fetch_add(&alloc_count, 1);
	if (atomic_load_explicit(&fail_at, memory_order_relaxed) == 0)
		return false;
	return atomic_fetch_sub(&fail_at, 1) == 1;
}

bool pond_mul_overflows(size_t a, size_t b, size_t *out)
{
	return __builtin_mul_overflow(a, b, out);
}

void *pond_malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *pond_calloc(size_t count, size_t size)
{
	size_t total;
	if (pond_mul_overflows(count, size, &total) || should_fail())
		return NULL;
	return calloc(1, total ? total : 1);
}

void *pond_realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

void *pond_reallocarray(void *ptr, size_t count, size_t size)
{
	size_t total;
	if (pond_mul_overflows(count, size, &total))
		return NULL;
	return pond_realloc(ptr, total);
}

char *pond_strdup(const char *s)
{
	return pond_strndup(s, strlen(s));
}

char *pond_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *copy = pond_malloc(len + 1);
	if (copy) {
		memcpy(copy, s, len);
		copy[len] = '\0';
	}
	return copy;
}

void pond_free(void *ptr)
{
	free(ptr);
}
