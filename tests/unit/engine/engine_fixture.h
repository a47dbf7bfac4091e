/*
 * The engine tests' one piece of shared setup: an in-memory engine with
 * pond's default options, or NULL (after saying why on stderr).
 */
#ifndef POND_TEST_ENGINE_FIXTURE_H
#define POND_TEST_ENGINE_FIXTURE_H

#include <stdio.h>

#include "pond/engine.h"

static inline pond_engine *open_engine(void)
{
	pond_error err = POND_ERROR_INIT;
	pond_engine *e = NULL;
	if (pond_engine_open(&e, NULL, &err) != 0)
		fprintf(stderr, "    engine open failed: %s\n", err.msg);
	return e;
}

#endif
