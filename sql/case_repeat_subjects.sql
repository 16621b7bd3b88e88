-- Persons who are the subject of two or more clues concerning the same
-- village received over the rolling year ($year_start up to the quarter's
-- end), counted once each per village. Clues without a subject key are left
-- out. The person keys are only grouped on here: they never leave the query.
-- Feeds data point: case_repeat_subjects
SELECT village_code,
       COUNT(*) AS value
FROM (
    SELECT village_code, subject_person_id
    FROM cases
    WHERE received_date >= $year_start
      AND received_date < $quarter_end
      AND subject_person_id IS NOT NULL
    GROUP BY village_code, subject_person_id
    HAVING COUNT(*) >= 2
) repeated
GROUP BY village_code
