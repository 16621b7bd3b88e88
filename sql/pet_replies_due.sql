-- Petition replies due in the quarter (due_date within it) and, of those, the
-- overdue ones: closed after due_date, or still open (closed_date null).
-- Feeds data points: pet_replies_overdue (column overdue), pet_replies_due (column due)
SELECT village_code,
       SUM(CASE WHEN closed_date IS NULL OR closed_date > due_date
                THEN 1 ELSE 0 END) AS overdue,
       COUNT(*) AS due
FROM petitions
WHERE due_date >= $quarter_start
  AND due_date < $quarter_end
GROUP BY village_code
