-- Clues received in the quarter whose subject is, by person key, a cadre of
-- the same village serving in the quarter (any role) (cadres cross-match).
-- Feeds data point: case_serving_cadre_subjects
SELECT k.village_code,
       COUNT(DISTINCT k.case_id) AS value
FROM cases k
JOIN cadres c
  ON c.person_id = k.subject_person_id
 AND c.village_code = k.village_code
WHERE k.received_date >= $quarter_start
  AND k.received_date < $quarter_end
  AND c.term_start < $quarter_end
  AND (c.term_end IS NULL OR c.term_end >= $quarter_start)
GROUP BY k.village_code
