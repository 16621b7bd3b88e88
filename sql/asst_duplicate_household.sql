-- Duplicate receipt within a household (重复享受): dibao/tekun enrolments
-- active in the quarter (start before its end, end null or on/after its
-- start) whose household_id, in the same village and programme, holds active
-- enrolments from two or more separate approvals (distinct approved_date),
-- or the same person twice. Dibao is granted per household and written one
-- row per member, so the members of one approval (same approved_date) are
-- not duplicates of each other. Every active enrolment of such a household
-- and programme counts. Enrolments of one household in different programmes
-- and household keys shared across villages are not counted.
-- Written with MIN/MAX and one grouping per question rather than two
-- COUNT(DISTINCT ...) in one GROUP BY, which is slow and memory-hungry on a
-- province's assistance rolls.
-- Feeds data point: asst_duplicate_household
WITH act AS (
    SELECT village_code, household_id, program, person_id, approved_date
    FROM assistance
    WHERE program IN ('dibao', 'tekun')
      AND start_date < $quarter_end
      AND (end_date IS NULL OR end_date >= $quarter_start)
),
households AS (
    SELECT village_code, household_id, program,
           MIN(approved_date) AS first_approval,
           MAX(approved_date) AS last_approval,
           COUNT(*) AS enrolments
    FROM act
    GROUP BY village_code, household_id, program
),
person_twice AS (
    SELECT DISTINCT village_code, household_id, program
    FROM (
        SELECT village_code, household_id, program, person_id
        FROM act
        GROUP BY village_code, household_id, program, person_id
        HAVING COUNT(*) >= 2
    ) p
)
SELECT h.village_code,
       SUM(h.enrolments) AS value
FROM households h
LEFT JOIN person_twice t
  ON t.village_code = h.village_code
 AND t.household_id = h.household_id
 AND t.program = h.program
WHERE h.first_approval <> h.last_approval
   OR t.household_id IS NOT NULL
GROUP BY h.village_code
