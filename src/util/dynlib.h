/*
 * Shared libraries opened when first needed. libcurl, libpq and
 * libmicrohttpd (and the 26 objects they pull in: GnuTLS, Kerberos, LDAP,
 * nghttp2...) cost every pond process ~20 ms at start-up (mapping,
 * relocating, their constructors), and most commands never call them;
 * pond is not linked against them.
 * Instead lazy_curl.c, lazy_pq.c and lazy_mhd.c define the functions pond
 * calls, with the libraries' own prototypes, and each resolves the real
 * one through pond__dynlib_sym on its first call.
 *
 * A library or symbol that cannot be loaded is not an error a caller can
 * handle: the functions forwarded have no common way to fail (a void
 * PQclear, a CURLcode, a NULL daemon) and pond cannot go on without them.
 * The process prints one line on stderr,
 *   pond: error: cannot load libcurl.so.4 (needed for HTTP and S3): <dlerror text>; install the libcurl4 package
 * and exits with status 1 (_exit: other threads may be running, so no
 * atexit handlers or static destructors run). pond's set-up script
 * installs all three, so this only happens on a machine set up by hand.
 */
#ifndef POND_UTIL_DYNLIB_H
#define POND_UTIL_DYNLIB_H

#include <pthread.h>

/* One shared library: static, initialised with POND__DYNLIB_INIT. */
typedef struct pond__dynlib {
	const char *soname;  /* what dlopen is given, e.g. "libcurl.so.4" */
	const char *purpose; /* for the error: "HTTP and S3" */
	const char *package; /* the Debian package that installs it */
	pthread_mutex_t lock;
	void *handle;        /* set once, under lock; read atomically */
} pond__dynlib;

#define POND__DYNLIB_INIT(soname, purpose, package) \
	{(soname), (purpose), (package), PTHREAD_MUTEX_INITIALIZER, NULL}

/* The address of symbol name in lib, opening lib (dlopen RTLD_NOW |
 * RTLD_LOCAL) on the first call from any thread. *cache is the caller's
 * static slot for this symbol: once filled, the lookup is one atomic load.
 * Never returns NULL: when the library or the symbol is missing the
 * process exits as the file comment says. Thread-safe. */
void *pond__dynlib_sym(pond__dynlib *lib, const char *name, void **cache);

/* Defines a forwarding function with the library's own prototype (the
 * library's header, included first, lets the compiler check it):
 *   POND__DYNLIB_FORWARD(curl_lib, CURL *, curl_easy_init, (void), ())
 * The name is parenthesised so a function-like macro of the same name
 * (curl's type-checking curl_easy_setopt) is not expanded. */
#define POND__DYNLIB_FORWARD(lib, ret, name, params, args)                      \
	ret(name) params                                                        \
	{                                                                       \
		static void *sym_;                                              \
		ret(*fn_) params = (ret(*) params)pond__dynlib_sym(&(lib), #name, &sym_); \
		return fn_ args;                                                \
	}

/* The same for a function that returns nothing. */
#define POND__DYNLIB_FORWARD_VOID(lib, name, params, args)                      \
	void(name) params                                                       \
	{                                                                       \
		static void *sym_;                                              \
		void(*fn_) params = (void(*) params)pond__dynlib_sym(&(lib), #name, &sym_); \
		fn_ args;                                                       \
	}

#endif
