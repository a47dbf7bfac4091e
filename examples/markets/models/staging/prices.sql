-- materialized: ephemeral
-- description: raw prices with the obviously wrong rows dropped
select ticker, cast(day as date) as day, cast(close as double) as close, volume
from raw.prices
where close > 0
