-- Accusations received in the quarter that name, by person key, the secretary
-- or director of the same village serving in the quarter (cadres cross-match).
-- Feeds data point: pet_serving_leader_accusations
SELECT p.village_code,
       COUNT(DISTINCT p.petition_id) AS value
FROM petitions p
JOIN cadres c
  ON c.person_id = p.accused_person_id
 AND c.village_code = p.village_code
WHERE p.kind = 'accusation'
  AND p.received_date >= $quarter_start
  AND p.received_date < $quarter_end
  AND c.role IN ('secretary', 'director')
  AND c.term_start < $quarter_end
  AND (c.term_end IS NULL OR c.term_end >= $quarter_start)
GROUP BY p.village_code
