/*
 * Growable byte buffers with a sticky out-of-memory flag, so a caller that
 * builds a long string checks for failure once at the end.
 */
#include "pond/util.h"

#include <stdio.h>
#include <string.h>

bool pond_buf_reserve(pond_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	size_t need;
	if (__builtin_add_overflow(b->len, extra, &need) || __builtin_add_overflow(need, 1, &need)) {
		b->oom = true;
		return false;
	}
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	char *p = pond_realloc(b->ptr, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->ptr = p;
	b->cap = cap;
	return true;
}

void pond_buf_put(pond_buf *b, const void *data, size_t len)
{
	if (!pond_buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void pond_buf_puts(pond_buf *b, const char *s)
{
	pond_buf_put(b, s, strlen(s));
}

void pond_buf_putc(pond_buf *b, char c)
{
	pond_buf_put(b, &c, 1);
}

void pond_buf_vprintf(pond_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0) {
		b->oom = true;
	} else if (pond_buf_reserve(b, (size_t)n)) {
		vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap2);
		b->len += (size_t)n;
	}
	va_end(ap2);
}

void pond_buf_printf(pond_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pond_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void pond_buf_clear(pond_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

const char *pond_buf_cstr(const pond_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *pond_buf_detach(pond_buf *b)
{
	char *p = b->ptr;
	if (!p && !b->oom)
		p = pond_strdup("");
	if (b->oom) {
		pond_free(p);
		p = NULL;
	}
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->oom = false;
	return p;
}

void pond_buf_dispose(pond_buf *b)
{
	pond_free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}
