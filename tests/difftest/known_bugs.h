/*
 * The one list of generator switches that the default run (and so
 * `make test`) turns off, because each still finds a bug that is open.
 * Every entry names the minimal repro the tester printed for it, saved in
 * tests/difftest/found/. When a fix merges, delete its entry: the tester
 * then covers that feature again in CI. `difftest --all` ignores the list.
 */
#ifndef POND_DIFFTEST_KNOWN_BUGS_H
#define POND_DIFFTEST_KNOWN_BUGS_H

#include "difftest.h"

static const struct {
	dt_feature feature;
	const char *repro;
} dt_known_bugs[] = {
	{DT_F_FRACTIONAL_FILTERS, "found/001-decimal-literal-scale.sql, found/004-update-after-partition-evolution.sql"},
	{DT_F_IS_NOT_NULL, "found/002-is-not-null.sql"},
	{DT_F_NESTED_FILTERS, "found/003-nested-filter.sql"},
	{DT_F_REPLACE_SELF, "found/005-replace-from-itself.sql"},
	{DT_F_NOT_NULL, "found/006-not-null-ignored.sql"},
	{DT_F_DEFAULTS, "found/007-default-on-v2.sql"},
	{DT_F_CONCURRENT_UPDATES, "found/008-concurrent-updates.txt"},
	{DT_F_BINARY_PARTITIONS, "found/013-binary-identity-partition.sql"},
	{DT_F_NULL_IDENTITY_VALUES, "found/009-null-identity-partition-type.sql"},
	{DT_F_WIDE_DECIMAL_PARTITIONS, "found/010-wide-decimal-identity-partition-type.sql"},
	{DT_F_TRUNCATE_DECIMAL_BINARY, "found/011-truncate-decimal-binary-unsupported.sql"},
	{DT_F_TRUNCATE_INT_EXTREMES, "found/014-truncate-int-min-overflow.sql, found/016-truncate-projection-overflow.sql"},
	{DT_F_WIDEN_PARTITIONED, "found/019-widened-partition-source-pruning.sql"},
	{DT_F_HOUR_FAR_FUTURE, "found/021-hour-transform-far-future.sql"},
	{DT_F_NAN_VALUES, "found/020-nan-pruned.sql"},
	{DT_F_NAN_IDENTITY_VALUES, "found/018-nan-identity-partition-type.sql"},
	{DT_F_NEGATIVE_ZERO, "found/017-negative-zero-bounds.sql"},
	{DT_F_NESTED_UPDATE_VALUES, "found/012-update-struct-literal.sql"},
};

#endif
