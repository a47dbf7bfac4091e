#!/usr/bin/env bash
# End-to-end: `pond s3` against the suite's S3 test server
# (POND_TEST_S3_URL, started by tests/run.sh: s3rver behind a proxy that
# checks every SigV4 signature). Settings and credentials reach the binary
# the ways users give them: AWS_* variables, the shared credentials and
# config files with profiles, and options; uploads are compared byte for
# byte with what comes back, and a bad secret is refused by the server.
. "$(dirname "$0")/lib.sh"

s3_bucket pond-e2e

# 1. environment variables
export AWS_ACCESS_KEY_ID=pondtest AWS_SECRET_ACCESS_KEY=pondtestsecret AWS_ENDPOINT_URL="$U"
expect_exit "s3 config names the environment" 0 "$POND" s3 config
expect_contains "s3 config: source" "$OUT" $'credentials\tenvironment'
expect_contains "s3 config: custom endpoint means path-style" "$OUT" $'addressing\tpath'
case "$OUT" in *pondtestsecret*) fail "s3 config never prints the secret" ;; *) pass "s3 config never prints the secret" ;; esac

head -c 3000000 /dev/urandom > "$T/big.bin"
printf 'small object\n' > "$T/small.txt"
check "s3 put a small file" "$POND" s3 put "$T/small.txt" "s3://$B/dir/small.txt"
check "s3 put 3 MB" "$POND" s3 put "$T/big.bin" "s3://$B/dir/sub/big.bin"
expect_exit "s3 ls" 0 "$POND" s3 ls "s3://$B/dir/"
expect_eq "s3 ls lists keys and sizes" "$OUT" "13	dir/small.txt
3000000	dir/sub/big.bin"
check "s3 get to a file" "$POND" s3 get "s3://$B/dir/sub/big.bin" "$T/back.bin"
check "s3 get returns the bytes put" cmp "$T/big.bin" "$T/back.bin"
expect_exit "s3 get to stdout" 0 "$POND" s3 get "s3://$B/dir/small.txt"
expect_eq "s3 get prints the object" "$OUT" "small object"
expect_exit "s3 stat" 0 "$POND" s3 stat "s3://$B/dir/sub/big.bin"
expect_contains "s3 stat: size" "$OUT" $'size\t3000000'
expect_exit "s3 put of a missing file" 1 "$POND" s3 put "$T/missing.txt" "s3://$B/dir/x"
expect_contains "the error says why the file could not be read" "$ERR" "could not open $T/missing.txt: No such file or directory"
expect_exit "s3 get into a missing folder" 1 "$POND" s3 get "s3://$B/dir/small.txt" "$T/no/such/dir/x"
expect_contains "the error says why the file could not be made" "$ERR" "could not create $T/no/such/dir/x: No such file or directory"

# 2. the object cache
expect_exit "s3 cache downloads" 0 "$POND" s3 cache --cache "$T/cache" "s3://$B/dir/sub/big.bin"
expect_contains "s3 cache: first time downloaded" "$OUT" "downloaded	"
local_path=$(echo "$OUT" | cut -f2)
check "s3 cache: the local copy is the object" cmp "$T/big.bin" "$local_path"
expect_exit "s3 cache hits" 0 "$POND" s3 cache "s3://$B/dir/sub/big.bin" --cache "$T/cache"
expect_contains "s3 cache: second time from the cache" "$OUT" "hit	$local_path"
expect_exit "s3 cache with a small cap" 0 "$POND" s3 cache --cache "$T/cache" --max-bytes 100 "s3://$B/dir/small.txt"
check "s3 cache: the cap evicted the big file" test ! -e "$local_path"

# 3. a wrong secret: the server's signature check refuses it
expect_exit "a wrong secret fails" 1 env AWS_SECRET_ACCESS_KEY=wrong "$POND" s3 ls "s3://$B/"
expect_contains "the error names the bucket and the S3 code" "$ERR" "could not list s3://$B/: SignatureDoesNotMatch"

# 4. the shared files and a profile
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL
mkdir -p "$HOME/.aws"
printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n[lake]\naws_access_key_id = pondtest\naws_secret_access_key = pondtestsecret\n' > "$HOME/.aws/credentials"
printf '[profile lake]\nregion = eu-north-1\nendpoint_url = %s\n' "$U" > "$HOME/.aws/config"
expect_exit "s3 config with AWS_PROFILE" 0 env AWS_PROFILE=lake "$POND" s3 config
expect_contains "profile: credentials file" "$OUT" $'credentials\t'"$HOME/.aws/credentials [lake]"
expect_contains "profile: region from the config file" "$OUT" $'region\teu-north-1'
expect_exit "s3 ls with --profile" 0 "$POND" s3 --profile lake ls "s3://$B/dir/sub/"
expect_eq "s3 ls through the profile" "$OUT" "3000000	dir/sub/big.bin"
expect_exit "an unknown profile" 1 "$POND" s3 --profile nope config
expect_contains "the error names the profile" "$ERR" 'AWS profile "nope" is in neither'

# 5. rm, and what is gone is not found
check "s3 rm" "$POND" s3 --profile lake rm "s3://$B/dir/small.txt" "s3://$B/dir/sub/big.bin"
expect_exit "s3 get of a removed object" 1 "$POND" s3 --profile lake get "s3://$B/dir/small.txt"
expect_contains "not found names the key" "$ERR" "could not get s3://$B/dir/small.txt: NoSuchKey"
expect_exit "s3 with no action" 2 "$POND" s3
expect_exit "s3 --help" 0 "$POND" s3 --help
expect_contains "s3 --help shows usage" "$OUT" "usage: pond s3"
finish
