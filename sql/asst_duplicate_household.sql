-- Duplicate receipt within a household (重复享受): dibao/tekun enrolments
-- active in the quarter (start before its end, end null or on/after its
-- start) whose household_id, in the same village and programme, holds active
-- enrolments from two or more separate approvals (distinct approved_date),
-- or the same person twice. Dibao is granted per household and written one
-- row per member, so the members of one approval (same approved_date) are
-- not duplicates of each other. Every active enrolment of such a household
-- and programme counts. Enrolments of one household in different programmes
-- and household keys shared across villages are not counted.
-- Feeds data point: asst_duplicate_household
SELECT a.village_code,
       COUNT(*) AS value
FROM assistance a
JOIN (
    SELECT village_code, household_id, program
    FROM assistance
    WHERE program IN ('dibao', 'tekun')
      AND start_date < $quarter_end
      AND (end_date IS NULL OR end_date >= $quarter_start)
    GROUP BY village_code, household_id, program
    HAVING COUNT(DISTINCT approved_date) >= 2
        OR COUNT(DISTINCT person_id) < COUNT(*)
) d
  ON d.village_code = a.village_code
 AND d.household_id = a.household_id
 AND d.program = a.program
WHERE a.program IN ('dibao', 'tekun')
  AND a.start_date < $quarter_end
  AND (a.end_date IS NULL OR a.end_date >= $quarter_start)
GROUP BY a.village_code
