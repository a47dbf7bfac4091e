/*
 * Unit tests for the libraries pond opens on first use (src/util/dynlib.h):
 * a process that never calls libcurl, libpq or libmicrohttpd does not have
 * them (or GnuTLS, which only they bring) mapped; the first call loads
 * each; a missing library or symbol ends the process with status 1 and
 * the one-line message. Each case runs in a forked child, so what it
 * loads or how it exits touches neither the runner nor other tests.
 */
#include "../test.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/dynlib.h"

/* True when soname is already in the process (RTLD_NOLOAD opens nothing). */
static bool loaded(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
	if (h)
		dlclose(h);
	return h != NULL;
}

/* Runs fn in a child whose stderr goes to out; returns its wait status. */
static int run_child(int (*fn)(void), char *out, size_t cap)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		_exit(fn());
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t n;
	while (len + 1 < cap && (n = read(fds[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static const char *const lazy_sonames[] = {"libcurl.so.4", "libpq.so.5", "libmicrohttpd.so.12"};

/* Child: none loaded, then one call into each, then all loaded. Prints
 * what was wrong and exits 1, or exits 0. */
static int child_loads_on_first_call(void)
{
	for (size_t i = 0; i < 3; i++)
		if (loaded(lazy_sonames[i])) {
			fprintf(stderr, "%s is loaded before any call\n", lazy_sonames[i]);
			return 1;
		}
	if (loaded("libgnutls.so.30")) {
		fprintf(stderr, "libgnutls.so.30 is loaded before any call\n");
		return 1;
	}
	if (strcmp(curl_easy_strerror(CURLE_OK), "No error") != 0) {
		fprintf(stderr, "curl_easy_strerror(CURLE_OK) is \"%s\"\n", curl_easy_strerror(CURLE_OK));
		return 1;
	}
	if (!loaded("libcurl.so.4") || loaded("libpq.so.5") || loaded("libmicrohttpd.so.12")) {
		fprintf(stderr, "after a libcurl call: libcurl %d, libpq %d, libmicrohttpd %d loaded\n",
		        loaded("libcurl.so.4"), loaded("libpq.so.5"), loaded("libmicrohttpd.so.12"));
		return 1;
	}
	if (PQresultStatus(NULL) != PGRES_FATAL_ERROR) {
		fprintf(stderr, "PQresultStatus(NULL) is not PGRES_FATAL_ERROR\n");
		return 1;
	}
	static char body[] = "ok";
	struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback(2, body, NULL);
	if (!resp || MHD_add_response_header(resp, "X-Pond", "1") != MHD_YES) {
		fprintf(stderr, "could not make a libmicrohttpd response\n");
		return 1;
	}
	MHD_destroy_response(resp);
	for (size_t i = 0; i < 3; i++)
		if (!loaded(lazy_sonames[i])) {
			fprintf(stderr, "%s is not loaded after a call\n", lazy_sonames[i]);
			return 1;
		}
	return 0;
}

TEST(dynlib_curl_pq_mhd_are_loaded_by_their_first_call_and_not_before)
{
	char out[2048];
	int status = run_child(child_loads_on_first_call, out, sizeof out);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d: %s", status, out);
}

/* curl_easy_setopt and curl_easy_getinfo pass each argument type on
 * intact: a long and a curl_off_t (libcurl refuses bad values of them), a
 * data pointer (read back), a string and a function pointer (a file://
 * transfer calls the callback with the file's bytes). */
static size_t count_bytes(char *ptr, size_t size, size_t nmemb, void *payload)
{
	*(size_t *)payload += size * nmemb;
	return size * nmemb;
}

TEST(dynlib_curl_setopt_passes_each_argument_type_on)
{
	char path[4096], url[4200];
	snprintf(path, sizeof path, "%s/five", pond_test_tmpdir());
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("12345", f);
	fclose(f);
	snprintf(url, sizeof url, "file://%s", path);

	CURL *curl = curl_easy_init();
	CHECK(curl != NULL);
	CHECK_INT(curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1), CURLE_OK);
	CHECK(curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, 999L) != CURLE_OK);
	CHECK_INT(curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)5), CURLE_OK);
	CHECK(curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)-5) != CURLE_OK);
	int marker;
	CHECK_INT(curl_easy_setopt(curl, CURLOPT_PRIVATE, &marker), CURLE_OK);
	void *back = NULL;
	CHECK_INT(curl_easy_getinfo(curl, CURLINFO_PRIVATE, &back), CURLE_OK);
	CHECK(back == &marker);
	size_t bytes = 0;
	CHECK_INT(curl_easy_setopt(curl, CURLOPT_URL, url), CURLE_OK);
	CHECK_INT(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, count_bytes), CURLE_OK);
	CHECK_INT(curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bytes), CURLE_OK);
	CURLcode rc = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	CHECK_MSG(rc == CURLE_OK, "perform %s: %s", url, curl_easy_strerror(rc));
	CHECK_INT(bytes, 5);
}

static pond__dynlib missing_lib = POND__DYNLIB_INIT("libpond-no-such.so.0", "a test", "pond-test");
static pond__dynlib libc_lib = POND__DYNLIB_INIT("libc.so.6", "a test", "libc6");

static int child_calls_missing_library(void)
{
	static void *sym;
	pond__dynlib_sym(&missing_lib, "pond_no_such_function", &sym);
	return 0;
}

static int child_calls_missing_symbol(void)
{
	static void *sym;
	pond__dynlib_sym(&libc_lib, "pond_no_such_function", &sym);
	return 0;
}

TEST(dynlib_missing_library_exits_1_with_one_line_naming_it_and_its_package)
{
	char out[2048];
	int status = run_child(child_calls_missing_library, out, sizeof out);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 1, "child status %d: %s", status, out);
	CHECK_STR(out, "pond: error: cannot load libpond-no-such.so.0 (needed for a test): "
	               "libpond-no-such.so.0: cannot open shared object file: No such file or directory; "
	               "install the pond-test package\n");
}

TEST(dynlib_missing_symbol_exits_1_with_one_line_naming_it)
{
	char out[2048];
	int status = run_child(child_calls_missing_symbol, out, sizeof out);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 1, "child status %d: %s", status, out);
	const char *head = "pond: error: cannot load pond_no_such_function from libc.so.6 (needed for a test): ";
	const char *tail = "undefined symbol: pond_no_such_function; install the libc6 package\n";
	CHECK_MSG(strncmp(out, head, strlen(head)) == 0, "message: %s", out);
	CHECK_MSG(strlen(out) > strlen(tail) && strcmp(out + strlen(out) - strlen(tail), tail) == 0, "message: %s", out);
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
}
