#!/usr/bin/env bash
# End-to-end: pond generate writes the same data for the same seed, in the
# shapes the demo and benchmarks expect.
. "$(dirname "$0")/lib.sh"

expect_exit "generate markets" 0 "$POND" generate markets "$T/m1"
for f in prices fx dividends holdings; do check "markets wrote $f.csv" test -s "$T/m1/$f.csv"; done
"$POND" generate markets "$T/m2" > /dev/null
check "markets data is the same every run" diff -r "$T/m1" "$T/m2"
q() { "$POND" sql --format csv "$1" | tail -n 1; }
expect_eq "20 tickers over ten years" "$(q "select count(distinct ticker) || '|' || min(date) || '|' || max(date) from '$T/m1/prices.csv'")" "20|2015-01-02|2024-12-31"
expect_eq "prices are consistent (low <= open, close <= high)" "$(q "select count(*) from '$T/m1/prices.csv' where low > least(open, close) or high < greatest(open, close)")" "0"
expect_eq "fx: three currencies" "$(q "select string_agg(distinct currency, '|' order by currency) from '$T/m1/fx.csv'")" "EUR|GBP|USD"
expect_eq "holdings: ten positions, costs from the prices" "$(q "select count(*) from '$T/m1/holdings.csv' h join '$T/m1/prices.csv' p on p.ticker = h.ticker and p.date = h.bought_on and p.close = h.cost_per_share")" "10"
expect_eq "dividends only for payers, quarterly" "$(q "select count(distinct ticker) || '|' || max(n) from (select ticker, year(ex_date) y, count(*) n from '$T/m1/dividends.csv' group by all)")" "16|4"

expect_exit "generate taxi csv" 0 "$POND" generate taxi 10000 --output "$T/taxi.csv"
expect_eq "taxi rows" "$(q "select count(*) from '$T/taxi.csv'")" "10000"
expect_eq "taxi schema" "$(head -n 1 "$T/taxi.csv")" "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,RatecodeID,store_and_fwd_flag,PULocationID,DOLocationID,payment_type,fare_amount,extra,mta_tax,tip_amount,tolls_amount,improvement_surcharge,total_amount,congestion_surcharge,airport_fee"
expect_eq "taxi totals add up" "$(q "select count(*) from '$T/taxi.csv' where abs(total_amount - (fare_amount + extra + mta_tax + tip_amount + tolls_amount + improvement_surcharge + congestion_surcharge + airport_fee)) > 0.011")" "0"
expect_exit "generate taxi ndjson" 0 "$POND" generate taxi 500 --format ndjson --output "$T/taxi.ndjson" --seed 7
expect_eq "ndjson rows" "$(q "select count(*) from read_json('$T/taxi.ndjson')")" "500"
"$POND" generate taxi 500 --format ndjson --output "$T/taxi2.ndjson" --seed 7
check "same seed, same trips" cmp "$T/taxi.ndjson" "$T/taxi2.ndjson"
expect_exit "unknown data set" 2 "$POND" generate weather 10
expect_exit "taxi without output" 2 "$POND" generate taxi 10
expect_exit "taxi into a missing folder fails" 1 "$POND" generate taxi 10 --output "$T/no/such/x.csv"
check "no temporary file left behind" bash -c "! ls '$T'/no 2>/dev/null"

finish
