-- Enrolments (any programme) still active in the quarter although the
-- beneficiary died before the quarter began (death_date from the civil
-- registry match): benefits kept running after death. Using the quarter's
-- start rather than its end leaves a grace of up to one quarter for
-- stopping payments, and ignores deaths recorded after the quarter.
-- Feeds data point: asst_deceased_active
SELECT village_code,
       COUNT(*) AS value
FROM assistance
WHERE start_date < $quarter_end
  AND (end_date IS NULL OR end_date >= $quarter_start)
  AND death_date IS NOT NULL
  AND death_date < $quarter_start
GROUP BY village_code
