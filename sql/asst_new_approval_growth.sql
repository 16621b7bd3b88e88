-- Growth of new means-tested approvals: dibao and tekun enrolments approved
-- in the quarter against the quarterly mean of those approved in the four
-- quarters before it, both smoothed by +1 so that a village with no history
-- still gets a finite value (1.0 = as usual). Other programmes (temporary,
-- disability, other) are left out. Every village gets a row (villages is the
-- base of the join).
-- Feeds data point: asst_new_approval_growth_ratio
SELECT v.village_code,
       (SUM(CASE WHEN a.approved_date >= $quarter_start
                  AND a.approved_date < $quarter_end THEN 1 ELSE 0 END) + 1.0)
       / (SUM(CASE WHEN a.approved_date >= $trailing_start
                    AND a.approved_date < $quarter_start THEN 1 ELSE 0 END) / 4.0 + 1.0)
         AS value
FROM villages v
LEFT JOIN assistance a
  ON a.village_code = v.village_code
 AND a.program IN ('dibao', 'tekun')
 AND a.approved_date >= $trailing_start
 AND a.approved_date < $quarter_end
GROUP BY v.village_code
