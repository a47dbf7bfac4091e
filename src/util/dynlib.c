/*
 * Shared libraries opened on first use (dynlib.h): dlopen once per
 * library under its mutex, dlsym once per symbol into the caller's slot,
 * and the one-line exit when either is missing.
 */
#include "util/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

/* Prints the one line and ends the process. The line is written with one
 * write(2) so another thread's output cannot split it. */
__attribute__((noreturn)) static void dynlib_die(const pond__dynlib *lib, const char *name, const char *why)
{
	char line[1024];
	int n;
	if (name)
		n = snprintf(line, sizeof line,
		             "pond: error: cannot load %s from %s (needed for %s): %s; install the %s package\n",
		             name, lib->soname, lib->purpose, why ? why : "symbol not found", lib->package);
	else
		n = snprintf(line, sizeof line,
		             "pond: error: cannot load %s (needed for %s): %s; install the %s package\n",
		             lib->soname, lib->purpose, why ? why : "unknown error", lib->package);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof line) {
		n = sizeof line - 1;
		line[n - 1] = '\n';
	}
	fflush(stdout);
	ssize_t written = write(STDERR_FILENO, line, (size_t)n);
	(void)written;
	_exit(1);
}

static void *dynlib_handle(pond__dynlib *lib)
{
	void *handle = __atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE);
	if (handle)
		return handle;
	pthread_mutex_lock(&lib->lock);
	handle = lib->handle;
	if (!handle) {
		handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (!handle)
			dynlib_die(lib, NULL, dlerror());
		__atomic_store_n(&lib->handle, handle, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lib->lock);
	return handle;
}

void *pond__dynlib_sym(pond__dynlib *lib, const char *name, void **cache)
{
	void *sym = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
	if (sym)
		return sym;
	void *handle = dynlib_handle(lib);
	dlerror();
	sym = dlsym(handle, name);
	if (!sym)
		dynlib_die(lib, name, dlerror());
	/* Two threads may both get here; they store the same address. */
	__atomic_store_n(cache, sym, __ATOMIC_RELEASE);
	return sym;
}
