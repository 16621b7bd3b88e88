-- Awards in the quarter whose call for bids ran less than 5 days
-- (bid_deadline earlier than announced_date + 5 days). Date arithmetic is
-- kept here, out of the TOML filters; column + INTERVAL gives a DATE.
-- Feeds data point: trd_short_advert
SELECT village_code,
       COUNT(*) AS value
FROM trading
WHERE awarded_date >= $quarter_start
  AND awarded_date < $quarter_end
  AND announced_date IS NOT NULL
  AND bid_deadline IS NOT NULL
  AND bid_deadline < announced_date + INTERVAL '5 days'
GROUP BY village_code
