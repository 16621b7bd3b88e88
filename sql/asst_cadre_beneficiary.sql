-- Dibao/tekun enrolments active in the quarter (start before its end, end
-- null or on/after its start) whose beneficiary is himself a cadre of the
-- same village serving in the quarter (cadres.person_id = assistance.person_id,
-- same village_code, term_start < $quarter_end and term_end null or on/after
-- $quarter_start). The serving (village, person) pairs are made distinct
-- first, so a cadre holding two posts (一肩挑) counts his enrolment once.
-- Only counts leave this query, never person keys.
-- Feeds data point: asst_cadre_beneficiaries
SELECT a.village_code,
       COUNT(*) AS value
FROM assistance a
JOIN (
    SELECT DISTINCT village_code, person_id
    FROM cadres
    WHERE term_start < $quarter_end
      AND (term_end IS NULL OR term_end >= $quarter_start)
) c
  ON c.village_code = a.village_code
 AND c.person_id = a.person_id
WHERE a.program IN ('dibao', 'tekun')
  AND a.start_date < $quarter_end
  AND (a.end_date IS NULL OR a.end_date >= $quarter_start)
GROUP BY a.village_code
