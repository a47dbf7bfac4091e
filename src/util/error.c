/*
 * Errors: a code and one line of text in a caller-owned struct. No global
 * state, so threads (server, scheduler) each carry their own.
 */
#include "pond/util.h"

#include <stdio.h>
#include <string.h>

/* Makes msg one line and, when the text written (n bytes wanted) did not
 * fit, ends it with "..." so a cut message reads as cut. */
static void finish_message(char *msg, size_t size, int n)
{
	for (char *s = msg; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
	if (n >= 0 && (size_t)n >= size && size > 4)
		memcpy(msg + size - 4, "...", 4);
}

int pond_error_setv(pond_error *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	finish_message(err->msg, sizeof(err->msg), n);
	return code;
}

int pond_error_set(pond_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pond_error_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int pond_error_prefix(pond_error *err, const char *fmt, ...)
{
	if (err == NULL)
		return POND_ERROR;
	char prefix[POND_ERROR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	char old[POND_ERROR_MSG_MAX];
	memcpy(old, err->msg, sizeof(old));
	int n = snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	finish_message(err->msg, sizeof(err->msg), n);
	return err->code ? err->code : POND_ERROR;
}

void pond_error_clear(pond_error *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *pond_error_code_name(int code)
{
	switch (code) {
	case POND_OK: return "ok";
	case POND_ENOMEM: return "out of memory";
	case POND_EINVAL: return "invalid";
	case POND_EIO: return "io";
	case POND_ENOTFOUND: return "not found";
	case POND_EEXISTS: return "exists";
	case POND_ECONFLICT: return "conflict";
	case POND_ECORRUPT: return "corrupt";
	case POND_EUNSUPPORTED: return "unsupported";
	case POND_ESQL: return "sql";
	case POND_ECANCELED: return "canceled";
	case POND_ELIMIT: return "limit";
	case POND_EUSAGE: return "usage";
	default: return "error";
	}
}
