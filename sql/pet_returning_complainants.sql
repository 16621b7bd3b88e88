-- Returning complainants: the distinct complainants (complainant_key not
-- null) of petitions of any kind about the village received in the quarter,
-- and of those the ones who had also petitioned about the same village in
-- the four quarters before it ([$trailing_start, $quarter_start)). A
-- complainant who petitioned about another village does not count. The
-- pseudonymous keys stay inside this query: only the two counts per village
-- come out.
-- Feeds data points: pet_returning_complainants (column returning), pet_complainants (column complainants)
SELECT q.village_code,
       SUM(CASE WHEN t.complainant_key IS NOT NULL THEN 1 ELSE 0 END) AS returning,
       COUNT(*) AS complainants
FROM (SELECT DISTINCT village_code, complainant_key
      FROM petitions
      WHERE complainant_key IS NOT NULL
        AND received_date >= $quarter_start
        AND received_date < $quarter_end) q
LEFT JOIN (SELECT DISTINCT village_code, complainant_key
           FROM petitions
           WHERE complainant_key IS NOT NULL
             AND received_date >= $trailing_start
             AND received_date < $quarter_start) t
  ON t.village_code = q.village_code
 AND t.complainant_key = q.complainant_key
GROUP BY q.village_code
