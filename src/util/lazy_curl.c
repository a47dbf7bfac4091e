/*
 * libcurl, loaded when pond first makes an HTTP request (S3, HTTP
 * sources, web pages, alerts, a REST catalog): the libcurl functions pond
 * calls, each forwarding to the real one (dynlib.h says why and what
 * happens when libcurl.so.4 is missing). A function pond starts calling
 * is added here, or the link fails with an undefined reference.
 */
#include "util/dynlib.h"

#include <curl/curl.h>
#include <stdarg.h>

static pond__dynlib curl_lib = POND__DYNLIB_INIT("libcurl.so.4", "HTTP and S3", "libcurl4");

POND__DYNLIB_FORWARD(curl_lib, CURLcode, curl_global_init, (long flags), (flags))
POND__DYNLIB_FORWARD(curl_lib, CURL *, curl_easy_init, (void), ())
POND__DYNLIB_FORWARD_VOID(curl_lib, curl_easy_cleanup, (CURL *curl), (curl))
POND__DYNLIB_FORWARD_VOID(curl_lib, curl_easy_reset, (CURL *curl), (curl))
POND__DYNLIB_FORWARD(curl_lib, CURLcode, curl_easy_perform, (CURL *curl), (curl))
POND__DYNLIB_FORWARD(curl_lib, const char *, curl_easy_strerror, (CURLcode code), (code))
POND__DYNLIB_FORWARD(curl_lib, char *, curl_easy_escape, (CURL *handle, const char *string, int length),
                     (handle, string, length))
POND__DYNLIB_FORWARD_VOID(curl_lib, curl_free, (void *p), (p))
POND__DYNLIB_FORWARD(curl_lib, time_t, curl_getdate, (const char *p, const time_t *unused), (p, unused))
POND__DYNLIB_FORWARD(curl_lib, struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *data),
                     (list, data))
POND__DYNLIB_FORWARD_VOID(curl_lib, curl_slist_free_all, (struct curl_slist *list), (list))

POND__DYNLIB_FORWARD(curl_lib, CURLM *, curl_multi_init, (void), ())
POND__DYNLIB_FORWARD(curl_lib, CURLMcode, curl_multi_cleanup, (CURLM *multi_handle), (multi_handle))
POND__DYNLIB_FORWARD(curl_lib, CURLMcode, curl_multi_add_handle, (CURLM *multi_handle, CURL *curl_handle),
                     (multi_handle, curl_handle))
POND__DYNLIB_FORWARD(curl_lib, CURLMcode, curl_multi_remove_handle, (CURLM *multi_handle, CURL *curl_handle),
                     (multi_handle, curl_handle))
POND__DYNLIB_FORWARD(curl_lib, CURLMcode, curl_multi_perform, (CURLM *multi_handle, int *running_handles),
                     (multi_handle, running_handles))
POND__DYNLIB_FORWARD(curl_lib, CURLMcode, curl_multi_poll,
                     (CURLM *multi_handle, struct curl_waitfd extra_fds[], unsigned int extra_nfds,
                      int timeout_ms, int *ret),
                     (multi_handle, extra_fds, extra_nfds, timeout_ms, ret))
POND__DYNLIB_FORWARD(curl_lib, CURLMsg *, curl_multi_info_read, (CURLM *multi_handle, int *msgs_in_queue),
                     (multi_handle, msgs_in_queue))

POND__DYNLIB_FORWARD(curl_lib, CURLU *, curl_url, (void), ())
POND__DYNLIB_FORWARD_VOID(curl_lib, curl_url_cleanup, (CURLU *handle), (handle))
POND__DYNLIB_FORWARD(curl_lib, CURLUcode, curl_url_get,
                     (CURLU *handle, CURLUPart what, char **part, unsigned int flags),
                     (handle, what, part, flags))
POND__DYNLIB_FORWARD(curl_lib, CURLUcode, curl_url_set,
                     (CURLU *handle, CURLUPart what, const char *part, unsigned int flags),
                     (handle, what, part, flags))

/* curl_easy_setopt takes one argument after the option, whose type the
 * option's number gives (curl.h, CURLOPTTYPE_*): under 10000 a long, then
 * an object, string, list or callback-data pointer, then a function
 * pointer, then a curl_off_t, and from 40000 a struct curl_blob pointer.
 * It is read as that type and passed on as that type. */
typedef void (*curl_any_fn)(void);
typedef CURLcode (*curl_setopt_fn)(CURL *, CURLoption, ...);

CURLcode(curl_easy_setopt)(CURL *curl, CURLoption option, ...)
{
	static void *sym;
	curl_setopt_fn fn = (curl_setopt_fn)pond__dynlib_sym(&curl_lib, "curl_easy_setopt", &sym);
	va_list ap;
	va_start(ap, option);
	CURLcode rc;
	if (option < CURLOPTTYPE_OBJECTPOINT) {
		long value = va_arg(ap, long);
		rc = fn(curl, option, value);
	} else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
		void *value = va_arg(ap, void *);
		rc = fn(curl, option, value);
	} else if (option < CURLOPTTYPE_OFF_T) {
		curl_any_fn value = va_arg(ap, curl_any_fn);
		rc = fn(curl, option, value);
	} else if (option < CURLOPTTYPE_BLOB) {
		curl_off_t value = va_arg(ap, curl_off_t);
		rc = fn(curl, option, value);
	} else {
		struct curl_blob *value = va_arg(ap, struct curl_blob *);
		rc = fn(curl, option, value);
	}
	va_end(ap);
	return rc;
}

/* curl_easy_getinfo's one argument is always a pointer to where the
 * answer goes (a long, double, char *, curl_off_t, struct curl_slist *...). */
typedef CURLcode (*curl_getinfo_fn)(CURL *, CURLINFO, ...);

CURLcode(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
	static void *sym;
	curl_getinfo_fn fn = (curl_getinfo_fn)pond__dynlib_sym(&curl_lib, "curl_easy_getinfo", &sym);
	va_list ap;
	va_start(ap, info);
	void *out = va_arg(ap, void *);
	va_end(ap);
	return fn(curl, info, out);
}
