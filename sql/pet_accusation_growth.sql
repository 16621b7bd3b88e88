-- Growth of accusations: accusations received in the quarter against the
-- quarterly mean of the four quarters before it, both smoothed by +1 so that
-- a village with no history still gets a finite value (1.0 = no change).
-- Also the number of accusations the ratio is computed over (the quarter and
-- the four before), the basis held to the indicator's minimum.
-- Every village gets a row (villages is the base of the join).
-- Feeds data points: pet_accusation_growth_ratio (column value), pet_accusation_growth_basis (column accusations)
SELECT v.village_code,
       (SUM(CASE WHEN p.received_date >= $quarter_start
                  AND p.received_date < $quarter_end THEN 1.0 ELSE 0.0 END) + 1.0)
       / (SUM(CASE WHEN p.received_date >= $trailing_start
                    AND p.received_date < $quarter_start THEN 1.0 ELSE 0.0 END) / 4.0 + 1.0)
         AS value,
       COUNT(p.petition_id) AS accusations
FROM villages v
LEFT JOIN petitions p
  ON p.village_code = v.village_code
 AND p.kind = 'accusation'
 AND p.received_date >= $trailing_start
 AND p.received_date < $quarter_end
GROUP BY v.village_code
