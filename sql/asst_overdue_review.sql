-- Active dibao/tekun enrolments whose eligibility review is overdue: the last
-- review (or, if never reviewed, the approval) is more than one year before
-- the quarter's start (a review exactly one year before it is not overdue).
-- Temporary, disability and other programmes have no periodic review.
-- Date arithmetic is kept here, out of the TOML filters.
-- Feeds data point: asst_overdue_reviews
SELECT village_code,
       COUNT(*) AS value
FROM assistance
WHERE program IN ('dibao', 'tekun')
  AND start_date < $quarter_end
  AND (end_date IS NULL OR end_date >= $quarter_start)
  AND COALESCE(last_review_date, approved_date) + INTERVAL '1 year' < $quarter_start
GROUP BY village_code
