-- Awards in the quarter whose call for bids ran fewer than $short_advert_days
-- days (framework.toml parameter): bid_deadline earlier than announced_date
-- plus that many days (dates cast to INT are days since 1970-01-01).
-- Feeds data point: trd_short_advert
SELECT village_code,
       COUNT(*) AS value
FROM trading
WHERE awarded_date >= $quarter_start
  AND awarded_date < $quarter_end
  AND announced_date IS NOT NULL
  AND bid_deadline IS NOT NULL
  AND CAST(bid_deadline - announced_date AS BIGINT) < $short_advert_days
GROUP BY village_code
