-- Dibao/tekun enrolments of kin of a cadre of the same village serving in the
-- quarter (relations kin link: spouse, parent, child, sibling, in_law,
-- other_kin; assistance.person_id = relations.related_id).
-- The kin (village, person) pairs are made distinct first, so an enrolment
-- is counted once even when the person is kin to several cadres.
--   new_kin            approved in the quarter
--   active_kin         active in the quarter (start before its end, end null or on/after its start)
--   active_kin_unfiled active in the quarter and kin_filed = false
-- Every quarter of the run at once: the kin pairs are made per quarter
-- (the quarters table), and the quarter is a group key, so the assistance
-- rolls are read once for all quarters.
-- Feeds data points: asst_kin_new, asst_kin_active, asst_kin_unfiled
SELECT k.quarter, a.village_code,
       SUM(CASE WHEN a.approved_date >= k.quarter_start
                 AND a.approved_date < k.quarter_end THEN 1 ELSE 0 END) AS new_kin,
       SUM(CASE WHEN a.start_date < k.quarter_end
                 AND (a.end_date IS NULL OR a.end_date >= k.quarter_start)
                THEN 1 ELSE 0 END) AS active_kin,
       SUM(CASE WHEN a.start_date < k.quarter_end
                 AND (a.end_date IS NULL OR a.end_date >= k.quarter_start)
                 AND a.kin_filed = false
                THEN 1 ELSE 0 END) AS active_kin_unfiled
FROM (
    SELECT DISTINCT q.quarter, q.quarter_start, q.quarter_end, c.village_code, r.related_id
    FROM cadres c
    JOIN relations r ON r.person_id = c.person_id
    JOIN quarters q
      ON c.term_start < q.quarter_end
     AND (c.term_end IS NULL OR c.term_end >= q.quarter_start)
    WHERE r.relation IN ('spouse', 'parent', 'child', 'sibling', 'in_law', 'other_kin')
) k
JOIN assistance a
  ON k.village_code = a.village_code
 AND k.related_id = a.person_id
WHERE a.program IN ('dibao', 'tekun')
GROUP BY k.quarter, a.village_code
