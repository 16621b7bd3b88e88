-- Duplicate receipt within a household (重复享受): dibao/tekun enrolments
-- active in the quarter (start before its end, end null or on/after its
-- start) whose household_id, in the same village and programme, holds active
-- enrolments from two or more separate approvals (distinct approved_date),
-- or the same person twice. Dibao is granted per household and written one
-- row per member, so the members of one approval (same approved_date) are
-- not duplicates of each other. Every active enrolment of such a household
-- and programme counts. Enrolments of one household in different programmes
-- and household keys shared across villages are not counted.
-- Written as two groupings in a row, by person and then by household,
-- over one scan: no COUNT(DISTINCT ...), which is slow and memory-hungry
-- on a province's assistance rolls, and no join of two groupings.
-- Feeds data point: asst_duplicate_household
WITH persons AS (
    SELECT village_code, household_id, program, person_id,
           COUNT(*) AS enrolments,
           MIN(approved_date) AS first_approval,
           MAX(approved_date) AS last_approval
    FROM assistance
    WHERE program IN ('dibao', 'tekun')
      AND start_date < $quarter_end
      AND (end_date IS NULL OR end_date >= $quarter_start)
    GROUP BY village_code, household_id, program, person_id
),
households AS (
    SELECT village_code, household_id, program,
           SUM(enrolments) AS enrolments,
           MIN(first_approval) AS first_approval,
           MAX(last_approval) AS last_approval,
           MAX(enrolments) AS most_of_one_person
    FROM persons
    GROUP BY village_code, household_id, program
)
SELECT village_code,
       SUM(enrolments) AS value
FROM households
WHERE first_approval <> last_approval
   OR most_of_one_person >= 2
GROUP BY village_code
