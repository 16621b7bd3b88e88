-- Supplier concentration over the rolling year (awarded_date from $year_start
-- up to, not including, $quarter_end): for each village, the budget won by its
-- largest single supplier (the winner_id with the highest summed budget)
-- divided by the budget of all its awards with a recorded winner in that
-- period. Awards without a winner_id are left out of both sums. A village with
-- no such award is absent (the data point is unavailable there).
-- Feeds data point: trd_top_supplier_budget_share
SELECT w.village_code,
       MAX(w.won) / SUM(w.won) AS value
FROM (
    SELECT village_code,
           winner_id,
           SUM(CAST(budget AS DOUBLE)) AS won
    FROM trading
    WHERE awarded_date >= $year_start
      AND awarded_date < $quarter_end
      AND winner_id IS NOT NULL
    GROUP BY village_code, winner_id
) w
GROUP BY w.village_code
