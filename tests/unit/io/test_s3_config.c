/*
 * S3 settings and credentials resolved in the AWS CLI's order, against an
 * environment of the test's own and AWS files it writes.
 */
#include "../test.h"

#include <stdio.h>
#include <string.h>

#include "pond/io.h"

typedef struct {
	const char *names[16];
	const char *values[16];
	int n;
} fake_env;

static const char *env_lookup(const char *name, void *payload)
{
	fake_env *e = payload;
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->names[i], name) == 0)
			return e->values[i];
	return NULL;
}

static void env_set(fake_env *e, const char *name, const char *value)
{
	e->names[e->n] = name;
	e->values[e->n++] = value;
}

static char *write_file(const char *name, const char *text)
{
	static char paths[4][512];
	static int next;
	char *path = paths[next++ % 4];
	snprintf(path, 512, "%s/%s", pond_test_tmpdir(), name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* An environment whose HOME has no AWS files. */
static void empty_home(fake_env *e)
{
	env_set(e, "HOME", pond_test_tmpdir());
}

TEST(s3_config_environment_credentials_win_over_the_files)
{
	fake_env e = {0};
	empty_home(&e);
	env_set(&e, "AWS_SHARED_CREDENTIALS_FILE",
	        write_file("creds", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"));
	env_set(&e, "AWS_ACCESS_KEY_ID", "ENVKEY");
	env_set(&e, "AWS_SECRET_ACCESS_KEY", "envsecret");
	env_set(&e, "AWS_SESSION_TOKEN", "envtoken");
	pond_s3_settings s = POND_S3_SETTINGS_INIT;
	pond_s3_config cfg;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.access_key_id, "ENVKEY");
	CHECK_STR(cfg.secret_access_key, "envsecret");
	CHECK_STR(cfg.session_token, "envtoken");
	CHECK_STR(cfg.credentials_source, "environment");
	CHECK_STR(cfg.region, "us-east-1");
	CHECK(cfg.endpoint == NULL);
	CHECK(!cfg.path_style);
	pond_s3_config_dispose(&cfg);
}

TEST(s3_config_named_variables_win_and_must_be_set)
{
	fake_env e = {0};
	empty_home(&e);
	env_set(&e, "AWS_ACCESS_KEY_ID", "ENVKEY");
	env_set(&e, "AWS_SECRET_ACCESS_KEY", "envsecret");
	env_set(&e, "LAKE_ID", "LAKEKEY");
	env_set(&e, "LAKE_SECRET", "lakesecret");
	pond_s3_settings s = POND_S3_SETTINGS_INIT;
	s.access_key_id_env = "LAKE_ID";
	s.secret_access_key_env = "LAKE_SECRET";
	pond_s3_config cfg;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.access_key_id, "LAKEKEY");
	CHECK_STR(cfg.secret_access_key, "lakesecret");
	CHECK(cfg.session_token == NULL);
	CHECK_STR(cfg.credentials_source, "storage settings");
	pond_s3_config_dispose(&cfg);
	s.secret_access_key_env = "LAKE_MISSING";
	CHECK_INT(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), POND_EINVAL);
	CHECK_STR(err.msg, "environment variable LAKE_MISSING (named by storage setting secret_access_key_env) is not set");
	pond_s3_config_dispose(&cfg);
}

TEST(s3_config_profile_from_credentials_then_config_file)
{
	fake_env e = {0};
	empty_home(&e);
	env_set(&e, "AWS_SHARED_CREDENTIALS_FILE",
	        write_file("creds2", "# keys\n[default]\naws_access_key_id=DEFKEY\naws_secret_access_key=defsecret\n"
	                             "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devsecret\n"
	                             "aws_session_token = devtoken\n"));
	env_set(&e, "AWS_CONFIG_FILE",
	        write_file("config2", "[default]\nregion = eu-west-1\n"
	                              "[profile   dev]\nregion = ap-south-1\nendpoint_url = http://minio:9000\n"
	                              "s3 =\n  addressing_style = virtual\n"
	                              "[profile cfgonly]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n"));
	pond_s3_settings s = POND_S3_SETTINGS_INIT;
	pond_s3_config cfg;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.access_key_id, "DEFKEY");
	CHECK_STR(cfg.region, "eu-west-1");
	pond_s3_config_dispose(&cfg);

	env_set(&e, "AWS_PROFILE", "dev");
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.access_key_id, "DEVKEY");
	CHECK_STR(cfg.session_token, "devtoken");
	CHECK_STR(cfg.region, "ap-south-1");
	CHECK_STR(cfg.endpoint, "http://minio:9000");
	CHECK(!cfg.path_style); /* the profile's s3 addressing_style */
	CHECK(strstr(cfg.credentials_source, "creds2 [dev]") != NULL);
	pond_s3_config_dispose(&cfg);

	s.profile = "cfgonly"; /* settings beat AWS_PROFILE */
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.access_key_id, "CFGKEY");
	CHECK(strstr(cfg.credentials_source, "config2 [profile cfgonly]") != NULL);
	CHECK_STR(cfg.region, "us-east-1");
	pond_s3_config_dispose(&cfg);

	s.profile = "nope";
	CHECK_INT(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), POND_ENOTFOUND);
	CHECK(strstr(err.msg, "AWS profile \"nope\" is in neither") != NULL);
	pond_s3_config_dispose(&cfg);
}

TEST(s3_config_region_and_endpoint_order)
{
	fake_env e = {0};
	empty_home(&e);
	env_set(&e, "AWS_CONFIG_FILE",
	        write_file("config3", "[default]\nregion = from-file\nendpoint_url = http://file:1\nservices = local\n"
	                              "[services local]\ns3 =\n  endpoint_url = http://service-file:2\n"));
	pond_s3_settings s = POND_S3_SETTINGS_INIT;
	pond_s3_config cfg;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.region, "from-file");
	CHECK_STR(cfg.endpoint, "http://service-file:2"); /* services section beats the global one */
	CHECK(cfg.path_style); /* a custom endpoint: path-style unless told */
	CHECK(cfg.access_key_id == NULL);
	CHECK_STR(cfg.credentials_source, "none (anonymous requests)");
	pond_s3_config_dispose(&cfg);

	env_set(&e, "AWS_DEFAULT_REGION", "default-region");
	env_set(&e, "AWS_ENDPOINT_URL", "http://env:3/");
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.region, "default-region");
	CHECK_STR(cfg.endpoint, "http://env:3");
	pond_s3_config_dispose(&cfg);

	env_set(&e, "AWS_REGION", "region-var");
	env_set(&e, "AWS_ENDPOINT_URL_S3", "http://env-s3:4");
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.region, "region-var");
	CHECK_STR(cfg.endpoint, "http://env-s3:4");
	pond_s3_config_dispose(&cfg);

	s.region = "settings-region";
	s.endpoint = "https://settings:5";
	s.path_style = 0;
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.region, "settings-region");
	CHECK_STR(cfg.endpoint, "https://settings:5");
	CHECK(!cfg.path_style);
	pond_s3_config_dispose(&cfg);

	s = (pond_s3_settings)POND_S3_SETTINGS_INIT;
	env_set(&e, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK(cfg.endpoint == NULL);
	CHECK(!cfg.path_style);
	pond_s3_config_dispose(&cfg);
}

TEST(s3_config_bad_files_and_endpoints_are_named)
{
	fake_env e = {0};
	empty_home(&e);
	char *path = write_file("config4", "[default]\nregion = x\nthis line has no equals sign\n");
	env_set(&e, "AWS_CONFIG_FILE", path);
	pond_s3_settings s = POND_S3_SETTINGS_INIT;
	pond_s3_config cfg;
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), POND_EINVAL);
	char want[600];
	snprintf(want, sizeof want, "%s:3: expected key = value", path);
	CHECK_STR(err.msg, want);
	pond_s3_config_dispose(&cfg);

	fake_env e2 = {0};
	empty_home(&e2);
	env_set(&e2, "AWS_ENDPOINT_URL", "minio:9000");
	CHECK_INT(pond_s3_config_resolve(&cfg, &s, env_lookup, &e2, &err), POND_EINVAL);
	CHECK_STR(err.msg, "S3 endpoint \"minio:9000\" is not an http:// or https:// URL");
	pond_s3_config_dispose(&cfg);
}

TEST(s3_config_a_file_of_too_many_keys_is_refused_naming_the_line)
{
	pond_buf text = POND_BUF_INIT;
	pond_buf_puts(&text, "[default]\n");
	for (int i = 0; i < 10001; i++)
		pond_buf_printf(&text, "key%d = %d\n", i, i);
	fake_env e = {0};
	empty_home(&e);
	char *path = write_file("config-huge", pond_buf_cstr(&text));
	pond_buf_dispose(&text);
	env_set(&e, "AWS_CONFIG_FILE", path);
	pond_s3_settings s = POND_S3_SETTINGS_INIT;
	pond_s3_config cfg;
	pond_error err = POND_ERROR_INIT;
	CHECK_INT(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), POND_EINVAL);
	char want[600];
	snprintf(want, sizeof want, "%s:10002: too many keys", path);
	CHECK_STR(err.msg, want);
	pond_s3_config_dispose(&cfg);
}

TEST(s3_config_home_files_are_found_without_variables)
{
	char dir[600];
	snprintf(dir, sizeof dir, "%s/home", pond_test_tmpdir());
	char aws[700];
	snprintf(aws, sizeof aws, "%s/.aws", dir);
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_mkdirs(aws, &err), &err);
	char path[800];
	snprintf(path, sizeof path, "%s/credentials", aws);
	FILE *f = fopen(path, "w");
	fputs("[default]\naws_access_key_id = HOMEKEY\naws_secret_access_key = homesecret\n", f);
	fclose(f);
	fake_env e = {0};
	env_set(&e, "HOME", dir);
	pond_s3_settings s = POND_S3_SETTINGS_INIT;
	pond_s3_config cfg;
	CHECK_OK(pond_s3_config_resolve(&cfg, &s, env_lookup, &e, &err), &err);
	CHECK_STR(cfg.access_key_id, "HOMEKEY");
	pond_s3_config_dispose(&cfg);
}
