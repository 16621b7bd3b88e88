-- Dibao/tekun enrolments active in the quarter (start before its end, end
-- null or on/after its start) whose beneficiary is himself a cadre of the
-- same village serving in the quarter (cadres.person_id = assistance.person_id,
-- same village_code, term_start < $quarter_end and term_end null or on/after
-- $quarter_start). The serving (village, person) pairs are made distinct
-- first, so a cadre holding two posts (一肩挑) counts his enrolment once.
-- Only counts leave this query, never person keys. Every quarter of the
-- run at once: the serving pairs are made per quarter (the quarters
-- table), and the quarter is a group key.
-- Feeds data point: asst_cadre_beneficiaries
SELECT c.quarter, a.village_code,
       COUNT(*) AS value
FROM (
    SELECT DISTINCT q.quarter, q.quarter_start, q.quarter_end, cadres.village_code, cadres.person_id
    FROM cadres
    JOIN quarters q
      ON cadres.term_start < q.quarter_end
     AND (cadres.term_end IS NULL OR cadres.term_end >= q.quarter_start)
) c
JOIN assistance a
  ON c.village_code = a.village_code
 AND c.person_id = a.person_id
WHERE a.program IN ('dibao', 'tekun')
  AND a.start_date < c.quarter_end
  AND (a.end_date IS NULL OR a.end_date >= c.quarter_start)
GROUP BY c.quarter, a.village_code
