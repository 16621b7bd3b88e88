-- Enrolments (any programme) still active in the quarter although the
-- beneficiary died before the quarter began (death_date from the civil
-- registry match): benefits kept running after death. Using the quarter's
-- start rather than its end leaves a grace of up to one quarter for
-- stopping payments, and ignores deaths recorded after the quarter.
-- `paid` counts those whose payments did not stop within $death_stop_days of
-- the death: an enrolment ended a few days or weeks after the death (the
-- ordinary lag of a family's report and the office's stop) is not counted
-- there.
-- Feeds data points: asst_deceased_active (column value),
--                    asst_deceased_paid (column paid)
SELECT village_code,
       COUNT(*) AS value,
       SUM(CASE WHEN end_date IS NULL
                  OR CAST(end_date AS INT) - CAST(death_date AS INT) > $death_stop_days
                THEN 1 ELSE 0 END) AS paid
FROM assistance
WHERE start_date < $quarter_end
  AND (end_date IS NULL OR end_date >= $quarter_start)
  AND death_date IS NOT NULL
  AND death_date < $quarter_start
GROUP BY village_code
