-- Enrolments (any programme) active in the quarter whose beneficiary died
-- before the quarter began (civil registry match) and whose payments did
-- not stop within $death_stop_days of the death: benefits kept running
-- after death. An enrolment ended a few days or weeks after the death (the
-- ordinary lag of a family's report and the office's stop) is not counted,
-- nor a death recorded during the quarter.
-- Feeds data point: asst_deceased_paid
SELECT village_code,
       COUNT(*) AS value
FROM assistance
WHERE start_date < $quarter_end
  AND (end_date IS NULL OR end_date >= $quarter_start)
  AND death_date IS NOT NULL
  AND death_date < $quarter_start
  AND (end_date IS NULL
       OR CAST(end_date AS INT) - CAST(death_date AS INT) > $death_stop_days)
GROUP BY village_code
